"""The daily stretch reminder (issue 14), through the skill's HTTP endpoint, with Alexa's APIs
played by a local HTTPS server at the request's apiEndpoint (tests/fake_alexa_api.py): the
real client code (ask-sdk's service clients over `requests`) makes the calls, and the tests
check what it sent against Alexa's documented API, what the user hears, whether the session
stays open, and what is stored."""
from __future__ import annotations

import json
import re

import pytest

from skill import constants as C
from skill.dialog import alexa_api, reminders
from skill.dialog.state import fresh_state, validate_state
from skill.dialog.turn import Memory, Turn
from skill.language.model import MANIFEST_PATH
from tests.client import AlexaClient, flask_poster
from tests.conftest import checked
from tests.fake_alexa_api import REMINDERS, fake_alexa_api

YES, NO, NEXT = "AMAZON.YesIntent", "AMAZON.NoIntent", "AMAZON.NextIntent"
HELP, REPEAT, FALLBACK = "AMAZON.HelpIntent", "AMAZON.RepeatIntent", "AMAZON.FallbackIntent"
SCOPE = "alexa::alerts:reminders:skill:readwrite"
NOW = "2024-05-01T12:00:00Z"             # 13:00 in London (summer time), 08:00 in New York
LOCAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\Z")     # no offset, no Z


class RemindingAlexa(AlexaClient):
    """Alexa with API access in every request, and the reminders permission if `granted`."""

    def __init__(self, post, api, *, granted: bool = True, **kwargs):
        super().__init__(post, timestamp=lambda: NOW, **kwargs)
        self.api, self.granted = api, granted

    def envelope(self, request: dict, *, new: bool | None = None) -> dict:
        env = super().envelope(request, new=new)
        system = env["context"]["System"]
        system["apiEndpoint"] = self.api.base
        system["apiAccessToken"] = self.api.token
        if self.granted:
            system["user"] = dict(system["user"], permissions={
                "consentToken": "consent-token", "scopes": {SCOPE: {"status": "GRANTED"}}})
        return env

    def remind(self, value: str | None = None):
        """SetReminderIntent as Alexa sends it: AMAZON.TIME has no entity resolution."""
        slot = {"name": "time", "confirmationStatus": "NONE"}
        if value is not None:
            slot["value"] = value
        return self.send(self.envelope({
            "type": "IntentRequest", "dialogState": "STARTED",
            "intent": {"name": C.SET_REMINDER, "confirmationStatus": "NONE",
                       "slots": {"time": slot}}}))

    def permission_response(self, status: str | None, token: str, *, code: str = "200",
                            same_session: bool = True):
        """Alexa's Connections.Response after our AskFor (in the session that sent it, or in a
        new one)."""
        env, resp = self.history[-1]
        if same_session:
            self.session_id = env["session"]["sessionId"]
            self.attributes = resp.session_attributes
        else:
            self.session_id = None
        payload = {"permissionScope": SCOPE}
        if status is not None:
            payload["status"] = status
        return self.send(self.envelope({
            "type": "Connections.Response", "name": "AskFor", "token": token,
            "status": {"code": code, "message": "OK" if code == "200" else "error"},
            "payload": payload}))


@pytest.fixture
def api(monkeypatch):
    with fake_alexa_api() as api:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", api.ca_file)     # trust its test CA
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        monkeypatch.setattr(alexa_api, "API_BUDGET_SECONDS", 1.0)  # the timeout tests' wait
        yield api


@pytest.fixture
def user(app, api):
    return RemindingAlexa(checked(flask_poster(app)), api)


def say(content, key, **fields):
    return content.text("reminders", key, **fields)


def set_reminder(user, value="07:00"):
    user.launch()
    user.remind(value)
    return user.intent(YES)


def menu_question(content):
    return content.text("prompts", "menu_question")


# --------------------------------------------------------------------------- setting one

def test_set_by_voice_reads_back_confirms_and_creates_as_alexa_documents(user, api, content,
                                                                           store):
    user.launch()
    r = user.remind("07:00")
    assert r.text == say(content, "confirm", time="7 a.m.")
    assert "at 7 a.m. every day" in r.text and not r.ends
    assert r.reprompt == say(content, "confirm_reprompt", time="7 a.m.")
    assert api.requests == []                          # nothing is set before the "yes"
    r = user.intent(YES)
    assert r.status == 200 and not r.ends
    assert r.text == say(content, "set_done", time="7 a.m.") + " " + menu_question(content)

    zone, create = api.requests
    assert (zone.method, zone.path) == ("GET", "/v2/devices/amzn1.ask.device.TEST/settings/"
                                               "System.timeZone")
    assert zone.headers["authorization"] == "Bearer " + api.token
    assert (create.method, create.path) == ("POST", REMINDERS)
    assert create.headers["authorization"] == "Bearer " + api.token
    assert create.headers["content-type"] == "application/json"
    assert create.body == {
        "requestTime": "2024-05-01T13:00:00",
        "trigger": {
            "type": "SCHEDULED_ABSOLUTE",
            "scheduledTime": "2024-05-02T07:00:00",        # 7 a.m. has passed in London today
            "timeZoneId": "Europe/London",
            "recurrence": {"startDateTime": "2024-05-02T07:00:00",
                           "recurrenceRules": ["FREQ=DAILY;BYHOUR=7;BYMINUTE=0;BYSECOND=0;"
                                               "INTERVAL=1"]}},
        "alertInfo": {"spokenInfo": {"content": [
            {"locale": "en-US", "text": say(content, "reminder_text")}]}},
        "pushNotification": {"status": "ENABLED"},
    }
    assert LOCAL_TIME.match(create.body["trigger"]["scheduledTime"])
    # Only the id is stored; nothing else about the reminder.
    (token,) = api.reminders
    stored = store.get(user.user_id)
    assert stored["reminder"] == {"id": token}
    assert "07:00" not in json.dumps(stored) and "London" not in json.dumps(stored)


@pytest.mark.parametrize("locale,zone,value,first,rule", [
    ("en-GB", "Europe/London", "19:00", "2024-05-01T19:00:00", "BYHOUR=19;BYMINUTE=0"),
    ("en-AU", "Australia/Sydney", "06:30", "2024-05-02T06:30:00", "BYHOUR=6;BYMINUTE=30"),
    ("en-US", "America/New_York", "18:45", "2024-05-01T18:45:00", "BYHOUR=18;BYMINUTE=45"),
])
def test_time_zone_and_locale_come_from_the_device_and_request(app, api, content, locale, zone,
                                                                value, first, rule):
    api.time_zone = zone
    user = RemindingAlexa(checked(flask_poster(app)), api, locale=locale)
    set_reminder(user, value)
    (create,) = api.calls("POST")
    trigger = create.body["trigger"]
    assert (trigger["scheduledTime"], trigger["timeZoneId"]) == (first, zone)
    assert trigger["recurrence"]["recurrenceRules"] == [f"FREQ=DAILY;{rule};BYSECOND=0;INTERVAL=1"]
    assert create.body["alertInfo"]["spokenInfo"]["content"] == [
        {"locale": locale, "text": say(content, "reminder_text")}]


@pytest.mark.parametrize("answer", [(204, ""), (403, '{"code": "ACCESS_DENIED"}'),
                                    (200, "not json"), (200, '"Not/AZone"')])
def test_without_the_devices_time_zone_alexa_uses_the_devices_own(user, api, content, answer):
    api.fail("GET", answer[0], body=answer[1])
    r = set_reminder(user, "07:00")
    assert r.text.startswith(say(content, "set_done", time="7 a.m."))
    (create,) = api.calls("POST")
    trigger = create.body["trigger"]
    assert "timeZoneId" not in trigger                     # the device's zone, by Alexa's rule
    assert trigger["scheduledTime"] == "2024-05-02T07:00:00" and LOCAL_TIME.match(
        trigger["scheduledTime"])


def test_no_sentence_ends_right_after_a_time(content):
    """A time may end in "a.m.": a period after it would be read as "a.m.." ."""
    for key, text in content.texts["reminders"].items():
        assert not re.search(r"\{time\}[.!]", text), key


def test_the_reminder_text_is_short_kind_and_says_nothing_about_health(content):
    text = say(content, "reminder_text")
    assert len(text) <= 30                                 # small screens show ~25 characters
    words = set(re.findall(r"[a-z]+", text.lower()))
    assert not words & {"pain", "back", "hurt", "injury", "doctor", "health", "medical",
                        "symptom", "sore", "spine", "therapy", "exercise"}
    assert "back stretch coach" not in text.lower()       # Alexa names the skill itself


def test_asks_for_the_time_when_none_was_said(user, api, content):
    user.launch()
    r = user.remind(None)                                   # "set a stretch reminder"
    assert r.text == say(content, "ask_time") and not r.ends
    assert r.reprompt == say(content, "ask_time_reprompt")
    r = user.intent(HELP)
    assert r.text == say(content, "help") + " " + say(content, "ask_time")
    r = user.remind("nonsense words")
    assert r.text == say(content, "time_unclear") + " " + say(content, "ask_time")
    r = user.remind("18:30")
    assert r.text == say(content, "confirm", time="6:30 p.m.")
    assert api.requests == []


@pytest.mark.parametrize("value,heard,assumed", [
    ("07:00", "7 a.m.", False), ("19:30", "7:30 p.m.", False), ("12:00", "12 noon", False),
    ("00:00", "12 midnight", False), ("03:00", "3 p.m.", True), ("05:15", "5:15 p.m.", True),
    ("MO", "8 a.m.", True), ("EV", "7 p.m.", True), ("NI", "9 p.m.", True),
    # words, as the console and virtual-alexa pass them on
    ("seven thirty p m", "7:30 p.m.", False), ("half past six in the evening", "6:30 p.m.", False),
    ("quarter to eight a.m.", "7:45 a.m.", False), ("seven", "7 a.m.", False),
    ("three o'clock", "3 p.m.", True), ("noon", "12 noon", False),
])
def test_am_pm_is_decided_sensibly_and_said(user, content, value, heard, assumed):
    user.launch()
    r = user.remind(value)
    expected = say(content, "confirm", time=heard)
    if assumed:
        expected = say(content, "assumed", time=heard) + " " + expected
    assert r.text == expected


def test_an_early_hour_taken_as_pm_can_be_corrected(user, api, content):
    user.launch()
    r = user.remind("03:00")
    assert r.text.startswith(say(content, "assumed", time="3 p.m."))
    r = user.intent(NO)                                     # "no, not then"
    assert r.text == say(content, "other_time") and not r.ends
    r = user.remind("03:00")                                # the same again: they mean it
    assert r.text == say(content, "confirm", time="3 a.m.")
    user.intent(YES)
    (create,) = api.calls("POST")
    assert create.body["trigger"]["recurrence"]["recurrenceRules"][0].startswith(
        "FREQ=DAILY;BYHOUR=3;BYMINUTE=0;")


def test_no_to_the_time_then_no_thanks_sets_nothing(user, api, content, store):
    user.launch()
    user.remind("07:00")
    user.intent(NO)
    r = user.intent(NO)
    assert r.text == say(content, "declined") + " " + menu_question(content) and not r.ends
    assert api.requests == [] and "reminder" not in store.get(user.user_id)


def test_a_second_reminder_moves_the_first(user, api, content, store):
    set_reminder(user, "07:00")
    (token,) = api.reminders
    r = set_reminder(user, "20:00")
    assert r.text.startswith(say(content, "set_done", time="8 p.m."))
    (put,) = api.calls("PUT")
    assert put.path == f"{REMINDERS}/{token}" and put.headers["authorization"] == \
        "Bearer " + api.token
    assert put.body["trigger"]["recurrence"]["recurrenceRules"][0].startswith("FREQ=DAILY;BYHOUR=20;")
    assert list(api.reminders) == [token] and store.get(user.user_id)["reminder"] == {"id": token}
    # deleted in the Alexa app meanwhile: a new one is made
    api.reminders.clear()
    set_reminder(user, "21:00")
    (new_token,) = api.reminders
    assert new_token != token and store.get(user.user_id)["reminder"] == {"id": new_token}


# --------------------------------------------------------------------------- asking, cancelling

def test_what_time_is_my_reminder_asks_alexa(user, api, content):
    set_reminder(user, "18:30")
    (token,) = api.reminders
    r = user.intent(C.REMINDER_STATUS)
    assert r.text == say(content, "status", time="6:30 p.m.") + " " + menu_question(content)
    get = api.requests[-1]
    assert (get.method, get.path) == ("GET", f"{REMINDERS}/{token}")
    assert get.headers["authorization"] == "Bearer " + api.token
    # The answer held alertInfo, which ask-sdk-model's own get_reminder cannot read.
    assert "alertInfo" in api.reminders[token]


def test_cancel_deletes_at_alexa_and_forgets_the_id(user, api, content, store):
    set_reminder(user)
    (token,) = api.reminders
    r = user.intent(C.CANCEL_REMINDER)
    assert r.text == say(content, "cancel_done") + " " + menu_question(content) and not r.ends
    delete = api.requests[-1]
    assert (delete.method, delete.path) == ("DELETE", f"{REMINDERS}/{token}")
    assert delete.headers["authorization"] == "Bearer " + api.token
    assert api.reminders == {} and "reminder" not in store.get(user.user_id)
    calls = len(api.requests)
    r = user.intent(C.REMINDER_STATUS)
    assert r.text.startswith(say(content, "status_none"))
    r = user.intent(C.CANCEL_REMINDER)
    assert r.text.startswith(say(content, "cancel_none"))
    assert len(api.requests) == calls                      # no id: no need to ask Alexa


def test_a_reminder_deleted_in_the_alexa_app_is_forgotten(user, api, content, store):
    set_reminder(user)
    api.reminders.clear()
    r = user.intent(C.REMINDER_STATUS)
    assert r.text.startswith(say(content, "status_none"))
    assert "reminder" not in store.get(user.user_id)


# --------------------------------------------------------------------------- failures

@pytest.mark.parametrize("status,body,key,card", [
    (401, '{"code": "UNAUTHORIZED"}', "permission_card", True),
    (403, '{"code": "NO_USER_PERMISSION", "message": "no"}', "permission_card", True),
    (500, '{"code": "INTERNAL_ERROR"}', "failed", False),
    (503, "<html>busy</html>", "failed", False),
    (429, '{"code": "RATE_EXCEEDED"}', "failed", False),
    (200, "this is not json", "failed", False),
    (201, '{"status": "ON"}', "failed", False),            # no alertToken in it
])
def test_a_failing_create_is_answered_politely(user, api, content, store, status, body, key,
                                               card):
    api.fail("POST", status, body=body, content_type="text/html" if "<" in body else
             "application/json")
    r = set_reminder(user)
    assert r.status == 200 and not r.ends
    assert r.text == say(content, key) + " " + menu_question(content)
    assert (r.response.get("card") == {"type": "AskForPermissionsConsent", "permissions": [SCOPE]}
            ) is card
    assert "reminder" not in store.get(user.user_id)
    r = user.intent("StartRoutineIntent", routine="lower_back")   # the session goes on
    assert content.text("screening", "question") in r.text


def test_a_create_that_times_out_is_answered_politely(user, api, content, store, caplog):
    api.fail("POST", 201, body='{"alertToken": "late"}', delay=3)   # longer than the budget
    r = set_reminder(user)
    assert r.status == 200 and not r.ends
    assert r.text == say(content, "failed") + " " + menu_question(content)
    assert "reminder" not in store.get(user.user_id)
    assert "creating a reminder got no answer" in caplog.text
    assert api.token not in caplog.text and user.user_id not in caplog.text


@pytest.mark.parametrize("status,key", [(500, "status_unknown"), (200, "status_unknown"),
                                        (401, "permission_card")])
def test_a_failing_status_is_answered_politely(user, api, content, store, status, key):
    set_reminder(user)
    api.fail("GET", status, body="garbage" if status == 200 else '{"code": "X"}')
    r = user.intent(C.REMINDER_STATUS)
    assert r.status == 200 and not r.ends
    assert r.text == say(content, key) + " " + menu_question(content)
    assert "id" in store.get(user.user_id)["reminder"]             # kept: it may still be there


@pytest.mark.parametrize("status,key", [(500, "failed"), (403, "cancel_no_permission")])
def test_a_failing_cancel_keeps_the_id_and_says_so(user, api, content, store, status, key):
    set_reminder(user)
    (token,) = api.reminders
    api.fail("DELETE", status)
    r = user.intent(C.CANCEL_REMINDER)
    assert r.status == 200 and not r.ends
    assert r.text == say(content, key) + " " + menu_question(content)
    assert store.get(user.user_id)["reminder"] == {"id": token}


def test_without_api_access_nothing_is_called_and_the_answer_is_polite(app, content, store):
    alexa = AlexaClient(checked(flask_poster(app)))         # no apiAccessToken (the console)
    alexa.launch()
    alexa.intent(C.SET_REMINDER)
    r = alexa.send(alexa.envelope({"type": "IntentRequest", "intent": {
        "name": C.SET_REMINDER, "confirmationStatus": "NONE",
        "slots": {"time": {"name": "time", "value": "07:00"}}}}))
    assert r.text.startswith(say(content, "confirm", time="7 a.m."))
    r = alexa.intent(YES)              # no permission in the request: Alexa would ask for it
    assert r.response["directives"][0]["name"] == "AskFor"


def test_the_routine_is_never_blocked_by_a_failing_api(user, api, content):
    api.fail("POST", 500)
    user.launch()
    user.intent("StartRoutineIntent", routine="lower_back")
    r = user.intent(NO)
    assert "Stretch 1 of" in r.text
    assert api.requests == []                            # stretches never call Alexa's APIs
    user.remind("07:00")
    r = user.intent(YES)
    assert r.text == say(content, "failed") + " " + content.text("prompts", "continue_prompt")
    r = user.intent(NEXT)                                # the routine goes on
    assert ("Stretch 2 of" in r.text or "continued" in r.text) and not r.ends


# --------------------------------------------------------------------------- permission

def _ask_for(user, content, value="07:00"):
    user.granted = False
    user.launch()
    user.remind(value)
    r = user.intent(YES)
    assert r.text == say(content, "permission_intro")
    (directive,) = r.response["directives"]
    assert directive == {
        "type": "Connections.SendRequest", "name": "AskFor",
        "payload": {"@type": "AskForPermissionsConsentRequest", "@version": "2",
                    "permissionScopes": [{"permissionScope": SCOPE, "consentLevel": "ACCOUNT"}]},
        "token": directive["token"]}
    # Alexa asks next: no reprompt, and shouldEndSession left out (not true, not false).
    assert "shouldEndSession" not in r.response and "reprompt" not in r.response
    return directive["token"]


@pytest.mark.parametrize("same_session", [True, False])
def test_permission_accepted_sets_the_reminder_asked_for(user, api, content, store,
                                                         same_session):
    token = _ask_for(user, content, "19:00")
    assert api.requests == []                          # nothing called without permission
    user.granted = True                                # Alexa's next request carries it
    r = user.permission_response("ACCEPTED", token, same_session=same_session)
    assert r.status == 200 and not r.ends
    assert r.text == say(content, "set_done", time="7 p.m.") + " " + menu_question(content)
    (create,) = api.calls("POST")
    assert create.body["trigger"]["scheduledTime"] == "2024-05-01T19:00:00"
    assert store.get(user.user_id)["reminder"] == {"id": next(iter(api.reminders))}


def test_permission_denied_sets_nothing(user, api, content, store):
    token = _ask_for(user, content)
    r = user.permission_response("DENIED", token)
    assert r.text == say(content, "permission_denied") + " " + menu_question(content)
    assert not r.ends and "card" not in r.response
    assert api.requests == [] and "reminder" not in store.get(user.user_id)


@pytest.mark.parametrize("status,code,key", [("NOT_ANSWERED", "200", "permission_not_answered"),
                                             (None, "400", "permission_card")])
def test_permission_not_answered_sends_the_consent_card(user, api, content, store, status, code,
                                                        key):
    token = _ask_for(user, content)
    r = user.permission_response(status, token, code=code)
    assert r.text == say(content, key) + " " + menu_question(content) and not r.ends
    assert r.response["card"] == {"type": "AskForPermissionsConsent", "permissions": [SCOPE]}
    assert api.requests == [] and "reminder" not in store.get(user.user_id)


def test_permission_accepted_without_our_token_asks_the_time_again(user, api, content):
    _ask_for(user, content)
    user.granted = True
    r = user.permission_response("ACCEPTED", "something else")
    assert r.text == say(content, "ask_time") and not r.ends
    assert api.requests == []


# --------------------------------------------------------------------------- the offer

def finish_routine(alexa, routine="quick_release", *, hurt=False):
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine=routine)
    r = alexa.intent(NO)
    if hurt:
        alexa.intent("PainIntent")
        alexa.intent(NO)                 # not sharp, shooting or numb: mild, carry on
    for _ in range(60):
        if "You finished the" in r.text:
            return r
        r = alexa.intent(NEXT)
    raise AssertionError("the routine did not finish")


def test_offer_once_after_a_finished_routine_and_set_it_there(user, api, content, store):
    r = finish_routine(user)
    assert r.text.endswith(say(content, "offer")) and not r.ends
    assert r.reprompt == say(content, "offer_reprompt")
    assert store.get(user.user_id)["reminder_offered"] is True
    r = user.intent(YES)
    assert r.text == say(content, "ask_time") and not r.ends
    r = user.remind("18:30")
    assert r.text == say(content, "confirm", time="6:30 p.m.")
    r = user.intent(YES)
    assert r.text == (say(content, "set_done", time="6:30 p.m.") + " "
                      + content.text("prompts", "goodbye"))
    assert r.ends                                      # the routine was over: goodbye
    assert store.get(user.user_id)["reminder"] == {"id": next(iter(api.reminders))}
    r = finish_routine(user)                           # never again
    assert r.ends and say(content, "offer") not in r.text


def test_offer_declined_is_never_repeated(user, api, content, store):
    finish_routine(user)
    r = user.intent(NO)
    assert r.text == say(content, "declined") + " " + content.text("prompts", "goodbye")
    assert r.ends
    for _ in range(2):
        r = finish_routine(user)
        assert r.ends and say(content, "offer") not in r.text
    assert api.requests == [] and "reminder" not in store.get(user.user_id)


def test_offer_walked_away_from_is_not_repeated_either(user, content):
    finish_routine(user)
    user.end("EXCEEDED_MAX_REPROMPTS")
    r = finish_routine(user)
    assert r.ends and say(content, "offer") not in r.text


def test_no_offer_after_pain(user, api, content, store):
    r = finish_routine(user, hurt=True)
    assert r.ends and say(content, "offer") not in r.text
    assert "reminder_offered" not in store.get(user.user_id)   # it may come another day
    r = finish_routine(user)
    assert r.text.endswith(say(content, "offer"))


def test_no_offer_after_a_screening_yes(content):
    """A "yes" to the screening blocks routines for the session, so none can finish in it;
    and should one ever reach the summary, there is no offer."""
    turn = Turn(content, dict(fresh_state(), blocked=True), Memory(), None)
    reply = reminders.after_routine(turn, turn.speech("Summary."))
    assert reply.end and turn.state["remind"] is None
    assert "reminder_offered" not in turn.memory.data


def test_no_offer_after_a_screening_yes_in_the_conversation(user, api, content, store):
    user.launch()
    user.intent("StartRoutineIntent", routine="quick_release")
    user.intent(YES)
    user.intent(NO)                                    # the follow-up: see a doctor, blocked
    for intent in ("StartRoutineIntent", NEXT, "AMAZON.ResumeIntent", YES):
        r = user.intent(intent, routine="quick_release") if intent == "StartRoutineIntent" \
            else user.intent(intent)
        assert say(content, "offer") not in r.text and "Stretch" not in r.text
    assert "reminder_offered" not in store.get(user.user_id)


def test_pending_reminder_question_is_dropped_when_the_user_moves_on(user, content):
    finish_routine(user)                               # the offer is open
    r = user.intent("ListRoutinesIntent")
    assert say(content, "offer") not in r.text
    r = user.intent(YES)                               # no longer about a reminder
    assert say(content, "ask_time") not in r.text
    user.launch()
    user.remind("07:00")
    r = user.intent(REPEAT)
    assert r.text == say(content, "confirm", time="7 a.m.")
    r = user.intent(FALLBACK)
    assert r.text == content.text("prompts", "fallback_menu") + " " + say(
        content, "confirm", time="7 a.m.")


# --------------------------------------------------------------------------- state and manifest

@pytest.mark.parametrize("remind", [
    {"step": "confirm", "time": None, "said": None, "end": False},
    {"step": "confirm", "time": "25:00", "said": None, "end": False},
    {"step": "time", "time": "07:00", "said": None, "end": False},
    {"step": "ask", "time": None, "said": None, "end": False},
    {"step": "time", "time": None, "said": "7", "end": False},
    {"step": "time", "time": None, "said": None, "end": "yes"},
    {"step": "time", "time": None, "said": None},
    "confirm",
])
def test_a_malformed_reminder_question_is_a_fresh_start(content, remind):
    good = dict(fresh_state(), remind={"step": "confirm", "time": "07:00", "said": "03:00",
                                       "end": True})
    assert validate_state(good, content) == good
    assert validate_state(dict(good, remind=remind), content) is None
    assert validate_state(dict(good, state="screening", pending={"routine": "lower_back",
                                                                 "index": 0}), content) is None
    assert validate_state(dict(fresh_state(), hurt="yes"), content) is None


def test_the_manifest_declares_the_reminders_permission():
    manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))["manifest"]
    assert {"name": SCOPE} in manifest["permissions"]
    assert C.REMINDERS_SCOPE == SCOPE
