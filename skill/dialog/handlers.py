"""ask-sdk-core wiring: interceptors, one small handler per intent or state, the exception handler.

- `LoadTurn` (request interceptor) unseals the session state, loads what we remember about
  the user (tolerating a database that is down) and builds the `Turn` every handler uses,
  with the content in the words of the request's locale (content/locales/).
- `ScreeningGateHandler` comes first: while the red-flag question is open, every intent is an
  answer to it (SPEC §3).
- `IntentHandler(intent, action)`: one per intent, calling the plain conversation function
  that skill/dialog/routing.py names for it. A touch on a screen's button (an APL UserEvent)
  is read as the intent of the same spoken word, so it takes the same way, gate included.
- `_respond` adds the reply's screen for the devices that can show it (skill/voice/screens.py).
- `SaveTurn` (response interceptor) seals the session state into the response and saves the
  user's memory once, only when it changed; "delete my data" deletes instead.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Callable

from ask_sdk_core.dispatch_components import (AbstractExceptionHandler, AbstractRequestHandler,
                                              AbstractRequestInterceptor,
                                              AbstractResponseInterceptor)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_core.utils import is_request_type
from ask_sdk_model.slu.entityresolution import StatusCode

from .. import constants as C
from ..content import Content
from ..voice import screens
from ..voice.ssml import Speech
from . import menu, reminders, routing
from .alexa_api import AlexaReminders, add_directives
from .state import (IN_ROUTINE, SCREENING_STATES, distrusted, fresh_state, mark_gate_step, seal,
                    session_ref, stored_token, unseal)
from .turn import Memory, Reply, Slot, Turn

log = logging.getLogger(__name__)
TURN = "turn"


def _request_id(handler_input: HandlerInput) -> str:
    return getattr(handler_input.request_envelope.request, "request_id", None) or "-"


def turn_of(handler_input: HandlerInput) -> Turn:
    return handler_input.attributes_manager.request_attributes[TURN]


def _slots(request) -> dict[str, Slot]:
    out: dict[str, Slot] = {}
    intent = getattr(request, "intent", None)
    for name, slot in ((getattr(intent, "slots", None) or {}).items()):
        ids: list[str] = []
        res = getattr(slot, "resolutions", None)
        for auth in (getattr(res, "resolutions_per_authority", None) or []):
            if getattr(getattr(auth, "status", None), "code", None) == StatusCode.ER_SUCCESS_MATCH:
                ids += [v.value.id for v in (auth.values or []) if v.value and v.value.id]
        value = getattr(slot, "value", None)
        if value or ids:
            out[name] = Slot(value=value, ids=tuple(ids))
    return out


def _user_id(envelope) -> str | None:
    system = getattr(envelope.context, "system", None) if envelope.context else None
    user = getattr(system, "user", None) or getattr(envelope.session, "user", None)
    return getattr(user, "user_id", None)


def _respond(handler_input: HandlerInput, reply: Reply):
    rb = handler_input.response_builder
    rb.speak(reply.speech.ssml())
    if reply.directives and add_directives(rb, reply.directives):
        return rb.response          # AskFor: Alexa asks next (no reprompt, no end)
    if reply.end:
        rb.set_should_end_session(True)
    else:
        rb.ask((reply.reprompt or reply.speech).ssml())
    if reply.screen is not None:
        for directive in _screen_directives(handler_input.request_envelope, reply.screen):
            rb.add_directive(directive)
    return rb.response


def _screen_directives(envelope, screen) -> list:
    """What this device can show of the screen: nothing unless its supportedInterfaces say so."""
    context = envelope.context
    device = getattr(getattr(context, "system", None), "device", None)
    interfaces = getattr(device, "supported_interfaces", None)
    if interfaces is None:
        return []
    return screens.directives(screen, interfaces, getattr(context, "viewports", None))


def _touched(request) -> tuple[str | None, dict[str, Slot]]:
    """A touch on one of our buttons (APL UserEvent) as the intent of the same spoken word."""
    found = screens.touched(getattr(request, "arguments", None))
    if found is None:
        return None, {}
    intent, ids = found
    return intent, {name: Slot(ids=(value,)) for name, value in ids.items()}


class LoadTurn(AbstractRequestInterceptor):
    def __init__(self, content: Content, secret: bytes, read_words: Callable | None = None):
        self.content, self.secret, self.read_words = content, secret, read_words

    def _reading(self, turn: Turn, intent: str, words: str, locale: str | None):
        """What the app's reader (skill/language/reader.py: `read`) makes of free words
        said in `intent`, or None without a reader or if it fails."""
        if self.read_words is None:
            return None
        try:
            return self.read_words(intent, words, answering=turn.state["state"] in SCREENING_STATES,
                                   busy=turn.state["state"] in IN_ROUTINE, locale=locale,
                                   content=self.content)
        except Exception as e:     # a model file unreadable: understood as nothing
            log.warning("free words unread (%s)", type(e).__name__)
            return None

    @staticmethod
    def _take(turn: Turn, reading) -> None:
        turn.intent = reading.intent
        turn.slots = {name: Slot(value=value, ids=tuple(ids))
                      for name, (value, ids) in reading.slots.items()}

    def _read_free_words(self, turn: Turn, locale: str | None) -> None:
        """Free words (a free-words intent's one slot) become the intent and slots they mean;
        unread, they are what Alexa would have sent, AMAZON.FallbackIntent."""
        words = turn.slots.get(C.SLOT_WORDS)
        reading = self._reading(turn, turn.intent, (words.value if words else "") or "", locale)
        if reading is None:
            turn.intent, turn.slots = C.FALLBACK, {}
        else:
            self._take(turn, reading)

    def _reread_time(self, turn: Turn, locale: str | None) -> None:
        """A time slot holding words that are no time ("at what point should i see a
        doctor", as a matcher that lets AMAZON.TIME take any words sends it) is read as
        the sentence it is ("at" and the words), when that reads as another of our intents;
        otherwise the reminder asks for the time, as before."""
        time = turn.slots.get(C.SLOT_TIME)
        said = (time.value if time else "") or ""
        if len(said.split()) < 3 or reminders.parse_time(said):
            return
        reading = self._reading(turn, C.free_kept_intent("at"), said, locale)
        if reading is not None and reading.intent not in (C.FALLBACK, C.SET_REMINDER):
            self._take(turn, reading)

    def process(self, handler_input: HandlerInput) -> None:
        env = handler_input.request_envelope
        am = handler_input.attributes_manager
        session = env.session
        if session is None or session.new or not session.session_id:
            state = fresh_state()
        else:
            state = unseal(am.session_attributes, session.session_id, self.secret, self.content)
        memory = Memory()
        before: dict = {}
        if _user_id(env) and not is_request_type("SessionEndedRequest")(handler_input):
            try:
                stored = am.persistent_attributes
                if isinstance(stored, dict) and stored:
                    # The conversation changes a private copy (stored JSON copies exactly
                    # through JSON); what was stored stays as it was, to compare with.
                    before = stored
                    memory.data = json.loads(json.dumps(stored))
            except Exception as e:   # the database is down or slow: coach on without memory
                log.warning("request %s: user memory unavailable (%s)", _request_id(handler_input),
                            type(e).__name__)
                memory.available = False
        # A state older than its session's latest screening step is distrusted (state.py).
        ref, gate_before = None, state
        if memory.available and _user_id(env) and session is not None and session.session_id \
                and not is_request_type("SessionEndedRequest")(handler_input):
            ref = session_ref(session.session_id, self.secret)
            if state["gate"] != stored_token(memory.data, ref):
                state = distrusted(state, stored_token(memory.data, ref))
                # The block is this turn's step of the gate: it takes a new token, so no
                # state sealed before it (the stored token's) is trusted again afterwards
                # (the session id sent as new, then an older state replayed, then "no").
                gate_before = dict(state, blocked=False)
        am.request_attributes["gate"] = (ref, dict(gate_before))
        ts = getattr(env.request, "timestamp", None)
        today = ts.date() if isinstance(ts, dt.datetime) else dt.datetime.now(dt.timezone.utc).date()
        # The request's locale picks its country's words (built once per locale at start-up).
        turn = Turn(self.content.for_locale(getattr(env.request, "locale", None)), state,
                    memory, today)
        turn.reminders = AlexaReminders(handler_input)   # calls Alexa only on reminder turns
        am.request_attributes["memory_before"] = before
        if is_request_type("IntentRequest")(handler_input):
            turn.intent = env.request.intent.name
            turn.slots = _slots(env.request)
            if C.is_free(turn.intent):
                self._read_free_words(turn, getattr(env.request, "locale", None))
            elif turn.intent == C.SET_REMINDER:
                self._reread_time(turn, getattr(env.request, "locale", None))
            reminders.observe(turn)
            if state["state"] not in SCREENING_STATES:
                routing.settle(turn)
        elif is_request_type(screens.USER_EVENT)(handler_input):
            turn.intent, turn.slots = _touched(env.request)
            if turn.intent is not None and state["state"] not in SCREENING_STATES:
                routing.settle(turn)
        am.request_attributes[TURN] = turn


class SaveTurn(AbstractResponseInterceptor):
    def __init__(self, secret: bytes):
        self.secret = secret

    def process(self, handler_input: HandlerInput, response) -> None:
        am = handler_input.attributes_manager
        turn = am.request_attributes.get(TURN)
        if turn is None:
            return
        session = handler_input.request_envelope.session
        mem = turn.memory
        ref, before = am.request_attributes.get("gate", (None, None))
        if ref is not None:
            if mem.delete_requested:
                turn.state["gate"] = None           # nothing stored for this session now
            else:
                mark_gate_step(before, turn.state, mem.data, ref)
        changed = mem.data != am.request_attributes.get("memory_before")
        if mem.available and (changed or mem.delete_requested):
            try:
                if mem.delete_requested:
                    am.delete_persistent_attributes()
                else:
                    am.persistent_attributes = mem.data
                    am.save_persistent_attributes()
            except Exception as e:
                if ref is not None:                 # the state keeps the token that is stored
                    turn.state["gate"] = before["gate"]
                log.warning("request %s: could not save user memory (%s)",
                            _request_id(handler_input), type(e).__name__)
        if session is not None and session.session_id:
            am.session_attributes = seal(turn.state, session.session_id, self.secret)


class RequestTypeHandler(AbstractRequestHandler):
    """Any request of one type: hands the turn to a conversation function. Used for launch,
    and (last among intent handlers) for an intent not in our model, answered like fallback."""

    def __init__(self, request_type: str, action: Callable[[Turn], Reply]):
        self.request_type, self.action = request_type, action

    def can_handle(self, handler_input):
        return is_request_type(self.request_type)(handler_input)

    def handle(self, handler_input):
        return _respond(handler_input, self.action(turn_of(handler_input)))


class ScreeningGateHandler(AbstractRequestHandler):
    """While the red-flag question is open, every intent (or touch) is an answer to it."""

    def can_handle(self, handler_input):
        turn = turn_of(handler_input)
        return ((is_request_type("IntentRequest")(handler_input) or turn.intent is not None)
                and turn.state["state"] in SCREENING_STATES)

    def handle(self, handler_input):
        return _respond(handler_input, routing.screening(turn_of(handler_input)))


class ReminderAnswerHandler(AbstractRequestHandler):
    """While a daily-reminder question is open, yes, no, repeat, help and fallback answer it."""

    def can_handle(self, handler_input):
        return reminders.answers(turn_of(handler_input))

    def handle(self, handler_input):
        return _respond(handler_input, reminders.answer(turn_of(handler_input)))


class PermissionResponseHandler(AbstractRequestHandler):
    """Alexa's answer to our AskFor (the reminders permission): Connections.Response."""

    def can_handle(self, handler_input):
        request = handler_input.request_envelope.request
        return (is_request_type("Connections.Response")(handler_input)
                and getattr(request, "name", None) == "AskFor")

    def handle(self, handler_input):
        request = handler_input.request_envelope.request
        payload = request.payload if isinstance(request.payload, dict) else {}
        ran = str(getattr(request.status, "code", "")) == "200"   # the consent dialogue ran
        status = payload.get("status") if ran else None
        return _respond(handler_input, reminders.permission_answer(
            turn_of(handler_input), status if isinstance(status, str) else None, request.token))


class IntentHandler(AbstractRequestHandler):
    """One per intent: hands the turn to the conversation function for that intent."""

    def __init__(self, intent: str, action: Callable[[Turn], Reply]):
        self.intent, self.action = intent, action

    def can_handle(self, handler_input):
        # Turn.intent is set for IntentRequests and for touches on our buttons only.
        return turn_of(handler_input).intent == self.intent

    def handle(self, handler_input):
        return _respond(handler_input, self.action(turn_of(handler_input)))


class SessionEndedHandler(AbstractRequestHandler):
    """Progress was saved as it was made; nothing to say (Alexa would not play it)."""

    def can_handle(self, handler_input):
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input):
        req = handler_input.request_envelope.request
        reason = getattr(getattr(req, "reason", None), "value", None)
        error = getattr(getattr(req, "error", None), "object_type", None) or getattr(
            getattr(getattr(req, "error", None), "type", None), "value", None)
        log.info("request %s: session ended (%s%s)", _request_id(handler_input), reason,
                 f", {error}" if error else "")
        return handler_input.response_builder.response


class SkillDisabledHandler(AbstractRequestHandler):
    """The user disabled the skill: forget everything about them."""

    def can_handle(self, handler_input):
        return is_request_type("AlexaSkillEvent.SkillDisabled")(handler_input)

    def handle(self, handler_input):
        turn_of(handler_input).memory.delete_requested = True
        turn_of(handler_input).memory.available = True
        return handler_input.response_builder.response


class OtherRequestHandler(AbstractRequestHandler):
    """Requests we don't use (display events, other skill events…): an empty, valid answer."""

    def can_handle(self, handler_input):
        return True

    def handle(self, handler_input):
        log.info("request %s: ignored request type %s", _request_id(handler_input),
                 getattr(handler_input.request_envelope.request, "object_type", "?"))
        return handler_input.response_builder.response


class PoliteErrorHandler(AbstractExceptionHandler):
    """Anything unexpected: say sorry and keep the session (and the progress in it) as it was."""

    def __init__(self, content: Content):
        self.content = content

    def can_handle(self, handler_input, exception):
        return True

    def handle(self, handler_input, exception):
        log.error("request %s: handler failed: %s", _request_id(handler_input),
                  type(exception).__name__, exc_info=exception)
        text = self.content.text("prompts", "error")
        rb = handler_input.response_builder
        return rb.speak(Speech().say(text).ssml()).ask(Speech().say(text).ssml()).response


def build_skill_builder(content: Content, *, secret: bytes, store=None,
                        skill_id: str | None = None,
                        read_words: Callable | None = None) -> CustomSkillBuilder:
    """The skill; `read_words(intent, words, answering=, busy=, locale=, content=)` reads the
    free words of the free-words intents (skill/language/reader.py `read`; the web app passes
    it)."""
    routing.check_content(content)
    sb = CustomSkillBuilder(persistence_adapter=store)
    sb.skill_id = skill_id
    sb.add_global_request_interceptor(LoadTurn(content, secret, read_words))
    sb.add_global_response_interceptor(SaveTurn(secret))
    for handler in (SessionEndedHandler(), SkillDisabledHandler(),
                    RequestTypeHandler("LaunchRequest", menu.launch), ScreeningGateHandler(),
                    ReminderAnswerHandler(), PermissionResponseHandler(),
                    *(IntentHandler(intent, action) for intent, action in routing.ACTIONS.items()),
                    RequestTypeHandler("IntentRequest", menu.fallback), OtherRequestHandler()):
        sb.add_request_handler(handler)
    sb.add_exception_handler(PoliteErrorHandler(content))
    return sb
