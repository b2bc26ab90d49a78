"""The Alexa APIs behind the daily reminder, through ask-sdk's own service clients.

`AlexaReminders(handler_input)` is the `reminders.ReminderService` the handlers put on every
Turn. It calls nothing until the dialogue asks (so a stretch turn never waits for Alexa's
APIs), and then uses the request's own `apiEndpoint` and `apiAccessToken`:

- the Settings API for the device's time zone (`UpsServiceClient.get_system_time_zone`);
- the Reminders API (`ReminderManagementServiceClient`): create, update and delete as the
  SDK does them; reading one reminder with the same client's `invoke` but parsed as plain
  JSON, because ask-sdk-model 1.82.0 cannot deserialize a reminder's alertInfo (its
  GetReminderResponse points at a module that does not exist).

ask-sdk's `DefaultApiClient` waits for ever; `DeadlineApiClient` gives every call of one
turn what is left of `API_BUDGET_SECONDS`, so a slow API costs the user a polite sentence,
never Alexa's ~8 s response deadline. Every failure becomes a `ReminderError` saying why
(no permission, no such reminder, or unavailable); nothing about the user is logged.

`add_directives` turns the dialogue's `PermissionRequest` / `PermissionCard` into the AskFor
directive and the consent card.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from typing import Any, Callable

from ask_sdk_core.api_client import DefaultApiClient
from ask_sdk_core.exceptions import ApiClientException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model.interfaces.connections import SendRequestDirective
from ask_sdk_model.permission_status import PermissionStatus
from ask_sdk_model.services import ServiceException
from ask_sdk_model.services.api_configuration import ApiConfiguration
from ask_sdk_model.services.reminder_management import (AlertInfo, PushNotification,
                                                         PushNotificationStatus, Recurrence,
                                                         ReminderRequest, SpokenInfo,
                                                         SpokenText, Trigger, TriggerType)
from ask_sdk_model.services.service_client_factory import ServiceClientFactory
from ask_sdk_model.ui import AskForPermissionsConsentCard

from .. import constants as C
from .reminders import (NOT_FOUND, PERMISSION, UNAVAILABLE, DailyReminder, PermissionCard,
                        PermissionRequest, ReminderError)

log = logging.getLogger(__name__)

#: All Alexa API calls of one turn together (a turn makes at most three: the time zone, an
#: update and, if that reminder is gone, a create). Alexa waits about 8 s for our answer.
API_BUDGET_SECONDS = 4.0

_REMINDER_PATH = "/v1/alerts/reminders/{alertToken}"


class DeadlineApiClient(DefaultApiClient):
    """ask-sdk's DefaultApiClient (requests, https only) with a timeout on every call: the
    time left until `deadline` (time.monotonic())."""

    def __init__(self, deadline: float):
        self.deadline = deadline

    def _resolve_method(self, request) -> Callable:
        method = super()._resolve_method(request)
        left = self.deadline - time.monotonic()
        if left < 0.05:
            raise ApiClientException("no time left for another Alexa API call in this turn")
        return functools.partial(method, timeout=left)


class AlexaReminders:
    """reminders.ReminderService for one request."""

    def __init__(self, handler_input: Any):
        envelope = handler_input.request_envelope
        system = getattr(envelope.context, "system", None) if envelope.context else None
        self._token = getattr(system, "api_access_token", None)
        self._endpoint = getattr(system, "api_endpoint", None)
        self._device = getattr(getattr(system, "device", None), "device_id", None)
        self._permissions = getattr(getattr(system, "user", None), "permissions", None)
        request = envelope.request
        self.locale = getattr(request, "locale", None) or C.LOCALE
        ts = getattr(request, "timestamp", None)
        self.now = ts if isinstance(ts, dt.datetime) else dt.datetime.now(dt.timezone.utc)
        self._request_id = getattr(request, "request_id", None) or "-"
        self._factory: ServiceClientFactory | None = None

    # ----------------------------------------------------------------- plumbing
    def _clients(self) -> ServiceClientFactory:
        if not (self._token and self._endpoint):
            raise ReminderError(UNAVAILABLE, "no API access in this request")
        if self._factory is None:            # the budget starts with the turn's first call
            client = DeadlineApiClient(time.monotonic() + API_BUDGET_SECONDS)
            self._factory = ServiceClientFactory(ApiConfiguration(
                serializer=DefaultSerializer(), api_client=client,
                authorization_value=self._token, api_endpoint=self._endpoint))
        return self._factory

    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except ReminderError:
            raise
        except ServiceException as e:
            if str(e).startswith("Call to service failed"):   # ask-sdk's wording, no answer
                log.warning("request %s: %s got no answer (timeout or connection failure)",
                            self._request_id, what)
                raise ReminderError(UNAVAILABLE, "no answer") from None
            status = e.status_code
            kind = (PERMISSION if status in (401, 403) else NOT_FOUND if status == 404
                    else UNAVAILABLE)
            log.warning("request %s: %s answered %s (%s)", self._request_id, what, status, kind)
            raise ReminderError(kind, f"HTTP {status}") from None
        except Exception as e:    # an answer we cannot read (the SDK raises SerializationException)
            log.warning("request %s: %s failed (%s)", self._request_id, what, type(e).__name__)
            raise ReminderError(UNAVAILABLE, type(e).__name__) from None

    def _reminders(self):
        return self._clients().get_reminder_management_service()

    # ----------------------------------------------------------------- the service
    def permitted(self) -> bool:
        """Whether the request says the user granted the reminders permission."""
        perms = self._permissions
        scope = (getattr(perms, "scopes", None) or {}).get(C.REMINDERS_SCOPE)
        if scope is not None:
            return getattr(scope, "status", None) == PermissionStatus.GRANTED
        return bool(getattr(perms, "consent_token", None))

    def time_zone(self) -> str | None:
        if not self._device:
            return None
        try:
            zone = self._call("the Settings API", lambda: self._clients().get_ups_service()
                              .get_system_time_zone(device_id=self._device))
        except ReminderError:
            return None
        return zone if isinstance(zone, str) and zone else None

    def create(self, reminder: DailyReminder) -> str:
        response = self._call("creating a reminder", lambda: self._reminders().create_reminder(
            reminder_request=_request(reminder)))
        token = getattr(response, "alert_token", None)
        if not isinstance(token, str) or not token:
            log.warning("request %s: the Reminders API answered without an alertToken",
                        self._request_id)
            raise ReminderError(UNAVAILABLE, "no alertToken")
        return token

    def update(self, alert_token: str, reminder: DailyReminder) -> None:
        self._call("updating a reminder", lambda: self._reminders().update_reminder(
            alert_token=alert_token, reminder_request=_request(reminder)))

    def get(self, alert_token: str) -> dict:
        def read():
            client = self._reminders()
            return client.invoke(
                method="GET", endpoint=self._endpoint, path=_REMINDER_PATH, query_params=[],
                header_params=[("Content-type", "application/json"),
                               ("User-Agent", client.user_agent),
                               ("Authorization", "Bearer " + self._token)],
                path_params={"alertToken": alert_token}, response_definitions=[],
                body=None, response_type="object")
        body = self._call("reading a reminder", read).body
        if not isinstance(body, dict):
            raise ReminderError(UNAVAILABLE, "not a reminder")
        return body

    def delete(self, alert_token: str) -> None:
        self._call("deleting a reminder", lambda: self._reminders().delete_reminder(
            alert_token=alert_token))


def _request(r: DailyReminder) -> ReminderRequest:
    """The Reminders API body: SCHEDULED_ABSOLUTE at the first local time (no offset), the
    zone, a daily recurrence rule, our words in the request's locale, a push notification."""
    return ReminderRequest(
        request_time=r.request_time,
        trigger=Trigger(object_type=TriggerType.SCHEDULED_ABSOLUTE, scheduled_time=r.first,
                        time_zone_id=r.time_zone,
                        recurrence=Recurrence(start_date_time=r.first, recurrence_rules=[r.rule])),
        alert_info=AlertInfo(spoken_info=SpokenInfo(content=[SpokenText(locale=r.locale,
                                                                        text=r.text)])),
        push_notification=PushNotification(status=PushNotificationStatus.ENABLED))


def add_directives(response_builder: Any, directives: tuple) -> bool:
    """Put the dialogue's directives on the response. True when Alexa takes the next turn
    (AskFor): then the response must neither end the session nor reprompt."""
    hands_over = False
    for d in directives:
        if isinstance(d, PermissionRequest):
            response_builder.add_directive(SendRequestDirective(
                name="AskFor", token=d.token, payload={
                    "@type": "AskForPermissionsConsentRequest", "@version": "2",
                    "permissionScopes": [{"permissionScope": C.REMINDERS_SCOPE,
                                          "consentLevel": "ACCOUNT"}]}))
            hands_over = True
        elif isinstance(d, PermissionCard):
            response_builder.set_card(AskForPermissionsConsentCard(
                permissions=[C.REMINDERS_SCOPE]))
    return hands_over
