"""The benchmark's idiomatic peer: Back Stretch Coach built the way Alexa's Python samples
build a skill, to compare the skill with the way most Python skills are written.

What makes it "idiomatic" (alexa-samples/skill-sample-python-howto, -highlowgame,
-first-skill):
- `CustomSkillBuilder` with one handler class per request type or intent
  (`is_request_type` / `is_intent_name` in `can_handle`), a catch-all exception handler, and
  the conversation state kept as a plain dict in session attributes;
- persistence through the SDK's `AttributesManager`: `persistent_attributes` read where a
  handler needs what it remembers, changed and saved with `save_persistent_attributes()`
  when the resume point moves;
- speech built per request with string formatting and SSML tags, handed to `speak()`/`ask()`;
- the web service the way `flask-ask-sdk`'s `SkillAdapter` and `ask-sdk-webservice-support`'s
  `WebserviceSkillHandler` do it (neither can be imported here, see the BRIEF): decode the
  body, `skill.serializer.deserialize(payload, RequestEnvelope)` (ask-sdk's own
  `DefaultSerializer`), `skill.invoke(...)`, `skill.serializer.serialize(...)`, `jsonify`.

The persistence adapter is the one a sample author writes over sqlite3 (the samples ship
DynamoDB and S3 adapters, a network call per get and per save): `PerCallSQLiteAdapter`, a
connection per call, on the same table as skill/store.py. With PEER_STORE=skill-store the
peer uses the skill's own adapter (skill/store.py: a connection per thread, kept) instead, so
that comparison is of how requests are handled, not of two adapters; `make bench` reports
both (docs/performance.md).

It speaks the same content (content/*.yaml: routines, stretches, FAQ, prompts, screening),
though more simply than the skill's coach: one page per stretch, one repetition per side.
It answers the bench's conversations (launch, start a routine, the screening "no", "next",
a question, "start over") and help, stop, fallback, yes, session end and anything else, always with a
valid response. It is a benchmark contender, not a second skill: no gate property tests, no
pagination, no preferences beyond the stored hold scale.

scripts/bench.py runs it under the same gunicorn configuration as the skill:

    gunicorn -c gunicorn.conf.py --pythonpath scripts 'bench_peer:create_app()'
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
from xml.sax.saxutils import escape

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.dispatch_components import (AbstractExceptionHandler,
                                              AbstractRequestHandler)
from ask_sdk_core.exceptions import AskSdkException
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_core.utils import get_slot, is_intent_name, is_request_type
from ask_sdk_model import RequestEnvelope
from flask import Flask, abort, jsonify, request

from bench_baseline import flask_app
from skill.content import load_content
from skill.store import open_store

logger = logging.getLogger("bench_peer")
logger.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())

MENU, SCREENING, FOLLOWUP, ROUTINE, BLOCKED = "MENU", "SCREENING", "FOLLOWUP", "ROUTINE", "BLOCKED"
MAX_BREAK = 10          # seconds: Alexa's longest <break>


def _state(handler_input) -> dict:
    return handler_input.attributes_manager.session_attributes


def _in_state(handler_input, *states: str) -> bool:
    return _state(handler_input).get("state") in states


def _slot_id(handler_input, name: str) -> str | None:
    """The entity-resolution id of a slot, else its heard value (as the samples read slots)."""
    slot = get_slot(handler_input, name)
    if slot is None:
        return None
    try:
        for authority in slot.resolutions.resolutions_per_authority:
            if authority.status.code.value == "ER_SUCCESS_MATCH":
                return authority.values[0].value.id
    except (AttributeError, IndexError, TypeError):
        pass
    return (slot.value or "").replace(" ", "_") or None


class Coach:
    """Speech for each step, from the content files."""

    def __init__(self, content):
        self.content = content

    def t(self, key: str, **fields) -> str:
        return escape(self.content.text("prompts", key, **fields))

    def s(self, key: str, **fields) -> str:
        return escape(self.content.text("screening", key, **fields))

    def hold(self, seconds: int, cues: tuple[str, ...]) -> str:
        """A hold as timed silences with a cue between them (no two breaks in a row)."""
        out = [f"Hold for {seconds} seconds."]
        cue = 0
        while seconds > 0:
            pause = min(seconds, MAX_BREAK)
            out.append(f'<break time="{pause}s"/>')
            seconds -= pause
            if seconds > 0:
                out.append(escape(cues[cue % len(cues)]) if cues else f"{seconds} seconds left.")
                cue += 1
        return " ".join(out)

    def stretch(self, routine, index: int, hold_scale: float = 1.0) -> str:
        item = routine.items[index]
        ex = item.exercise
        parts = [f"Stretch {index + 1} of {len(routine.items)}: {escape(ex.name)}."]
        if ex.sides:
            parts.append("We will do one side first, then the other.")
        for step in ex.steps:
            parts.append(f'{escape(step)} <break time="2s"/>')
        sides = ("first", "other") if ex.sides else ("",)
        for side in sides:
            if side == "other":
                parts.append("Now the other side.")
                if ex.switch:
                    parts.append(escape(ex.switch))
            if item.hold_seconds:
                parts.append(self.hold(max(5, round(item.hold_seconds * hold_scale)), ex.cues))
            else:
                seconds = min(MAX_BREAK, item.repetitions * ex.tempo_seconds)
                parts.append(f"Do {item.repetitions} slow repetitions. "
                             f'<break time="{max(1, seconds)}s"/>')
            parts.append(escape(ex.release))
        if item.repetitions > 1 and item.hold_seconds:
            parts.append(f"Repeat that {item.repetitions} times in all, at your own pace.")
        return " ".join(parts)


# --------------------------------------------------------------------------- handlers


class CoachHandler(AbstractRequestHandler):
    """A request handler that speaks through the coach (the samples' handlers hold their data
    the same way, as module globals; one base keeps the constructor in one place)."""

    def __init__(self, coach: Coach):
        self.coach = coach


class LaunchRequestHandler(CoachHandler):
    """Welcome; offer to resume when a routine was left unfinished."""

    def can_handle(self, handler_input):
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input):
        logger.info("In LaunchRequestHandler")
        am = handler_input.attributes_manager
        attr = am.persistent_attributes
        c = self.coach
        resume = attr.get("resume")
        if resume and resume.get("routine") in c.content.routines:
            routine = c.content.routines[resume["routine"]]
            am.session_attributes = {"state": MENU, "offer": resume}
            speech = c.t("welcome_back") + " " + c.t(
                "offer_resume", number=resume["index"] + 1, total=len(routine.items),
                routine=routine.name)
            reprompt = c.t("offer_resume_reprompt", routine=routine.name)
        else:
            am.session_attributes = {"state": MENU}
            speech = " ".join((c.t("welcome"), c.t("disclaimer"), c.t("what_i_do"),
                               c.t("menu_question")))
            reprompt = c.t("menu_reprompt")
            if not attr.get("disclaimer_heard"):
                attr["disclaimer_heard"] = True
                am.save_persistent_attributes()
        return handler_input.response_builder.speak(speech).ask(reprompt).response


class StartRoutineIntentHandler(CoachHandler):
    """A routine by name: ask the safety question first."""

    def can_handle(self, handler_input):
        return is_intent_name("StartRoutineIntent")(handler_input)

    def handle(self, handler_input):
        logger.info("In StartRoutineIntentHandler")
        c = self.coach
        routine_id = _slot_id(handler_input, "routine")
        if routine_id not in c.content.routines:
            routine_id = next(iter(c.content.routines))
        return _ask_screening(handler_input, c, routine_id, 0)


def _ask_screening(handler_input, c: Coach, routine_id: str, index: int):
    attr = _state(handler_input)
    attr.update(state=SCREENING, routine=routine_id, index=index)
    routine = c.content.routines[routine_id]
    speech = c.s("intro", routine=routine.name) + " " + c.s("question")
    return handler_input.response_builder.speak(speech).ask(c.s("reprompt")).response


def _play(handler_input, c: Coach, lead: str = ""):
    """Speak the stretch the session is at, and save it as the resume point."""
    am = handler_input.attributes_manager
    attr = am.session_attributes
    routine = c.content.routines[attr["routine"]]
    index = attr["index"]
    memory = am.persistent_attributes
    memory["resume"] = {"routine": routine.id, "index": index}
    am.save_persistent_attributes()
    speech = c.stretch(routine, index, memory.get("hold_scale", 1.0))
    if index + 1 < len(routine.items):
        following = escape(routine.items[index + 1].exercise.name)
        prompt = c.t("next_prompt", next=following)
        reprompt = c.t("routine_reprompt", next=following)
    else:
        prompt = reprompt = c.t("continue_reprompt")
    return handler_input.response_builder.speak(
        f"{lead} {speech} {prompt}".strip()).ask(reprompt).response


class NoIntentHandler(CoachHandler):
    """"No" to the safety question starts the routine; to the follow-up: see a doctor."""

    def can_handle(self, handler_input):
        return is_intent_name("AMAZON.NoIntent")(handler_input)

    def handle(self, handler_input):
        logger.info("In NoIntentHandler")
        c = self.coach
        attr = _state(handler_input)
        if attr.get("state") == SCREENING:
            attr["state"] = ROUTINE
            return _play(handler_input, c, c.s("cleared"))
        if attr.get("state") == FOLLOWUP:
            attr["state"] = BLOCKED
            return handler_input.response_builder.speak(
                c.s("see_doctor") + " " + c.s("see_doctor_question")).ask(
                c.t("question_ask")).response
        attr["state"] = MENU
        return handler_input.response_builder.speak(c.t("goodbye")).set_should_end_session(
            True).response


class YesIntentHandler(CoachHandler):
    """"Yes" to the safety question: the follow-up; to the follow-up: emergency care."""

    def can_handle(self, handler_input):
        return is_intent_name("AMAZON.YesIntent")(handler_input)

    def handle(self, handler_input):
        logger.info("In YesIntentHandler")
        c = self.coach
        attr = _state(handler_input)
        if attr.get("state") == SCREENING:
            attr["state"] = FOLLOWUP
            return handler_input.response_builder.speak(c.s("followup")).ask(
                c.s("followup_reprompt")).response
        if attr.get("state") == FOLLOWUP:
            attr["state"] = BLOCKED
            return handler_input.response_builder.speak(c.s("emergency")).set_should_end_session(
                True).response
        offer = attr.pop("offer", None)
        if offer and offer.get("routine") in c.content.routines:
            return _ask_screening(handler_input, c, offer["routine"], offer.get("index", 0))
        return handler_input.response_builder.speak(c.t("menu_question")).ask(
            c.t("menu_reprompt")).response


class NextIntentHandler(CoachHandler):
    """The next stretch, or the summary after the last one."""

    def can_handle(self, handler_input):
        return is_intent_name("AMAZON.NextIntent")(handler_input) and _in_state(
            handler_input, ROUTINE)

    def handle(self, handler_input):
        logger.info("In NextIntentHandler")
        c = self.coach
        am = handler_input.attributes_manager
        attr = am.session_attributes
        routine = c.content.routines[attr["routine"]]
        if attr["index"] + 1 < len(routine.items):
            attr["index"] += 1
            return _play(handler_input, c)
        memory = am.persistent_attributes
        memory.pop("resume", None)
        memory.setdefault("history", []).append(routine.id)
        am.save_persistent_attributes()
        attr.update(state=MENU, routine=None, index=0)
        return handler_input.response_builder.speak(c.t(
            "summary", routine=routine.name, count=len(routine.items),
            minutes=routine.minutes)).set_should_end_session(True).response


class StartOverIntentHandler(CoachHandler):
    """"Start over" in a routine: its first stretch again."""

    def can_handle(self, handler_input):
        return is_intent_name("AMAZON.StartOverIntent")(handler_input) and _in_state(
            handler_input, ROUTINE)

    def handle(self, handler_input):
        logger.info("In StartOverIntentHandler")
        c = self.coach
        attr = _state(handler_input)
        attr["index"] = 0
        routine = c.content.routines[attr["routine"]]
        return _play(handler_input, c, c.t("starting_over", routine=routine.name))


class QuestionIntentHandler(CoachHandler):
    """An answer from the FAQ, then back to where the user was."""

    def can_handle(self, handler_input):
        return is_intent_name("QuestionIntent")(handler_input)

    def handle(self, handler_input):
        logger.info("In QuestionIntentHandler")
        c = self.coach
        entry = c.content.faq.get(_slot_id(handler_input, "topic") or "")
        answer = " ".join(escape(s) for s in entry.answer) if entry else c.t("question_unknown")
        if _in_state(handler_input, ROUTINE):
            follow, reprompt = c.t("continue_prompt"), c.t("continue_reprompt")
        else:
            follow, reprompt = c.t("question_menu_follow"), c.t("menu_reprompt")
        return handler_input.response_builder.speak(f"{answer} {follow}").ask(reprompt).response


class HelpIntentHandler(CoachHandler):
    def can_handle(self, handler_input):
        return is_intent_name("AMAZON.HelpIntent")(handler_input)

    def handle(self, handler_input):
        logger.info("In HelpIntentHandler")
        c = self.coach
        attr = _state(handler_input)
        if attr.get("state") in (SCREENING, FOLLOWUP):
            speech, reprompt = c.s("help") + " " + c.s("question"), c.s("reprompt")
        elif attr.get("state") == ROUTINE:
            routine = c.content.routines[attr["routine"]]
            speech = c.t("help_routine", routine=routine.name, number=attr["index"] + 1,
                         total=len(routine.items))
            reprompt = c.t("continue_reprompt")
        else:
            speech, reprompt = c.t("help_menu"), c.t("menu_reprompt")
        return handler_input.response_builder.speak(speech).ask(reprompt).response


class CancelOrStopIntentHandler(CoachHandler):
    def can_handle(self, handler_input):
        return (is_intent_name("AMAZON.CancelIntent")(handler_input)
                or is_intent_name("AMAZON.StopIntent")(handler_input))

    def handle(self, handler_input):
        logger.info("In CancelOrStopIntentHandler")
        key = "stop_saved" if _in_state(handler_input, ROUTINE) else "goodbye"
        return handler_input.response_builder.speak(self.coach.t(key)).set_should_end_session(
            True).response


class FallbackIntentHandler(CoachHandler):
    """AMAZON.FallbackIntent, and (registered last) any intent no other handler took."""

    def can_handle(self, handler_input):
        return is_request_type("IntentRequest")(handler_input)

    def handle(self, handler_input):
        logger.info("In FallbackIntentHandler")
        c = self.coach
        attr = _state(handler_input)
        if attr.get("state") in (SCREENING, FOLLOWUP):
            return handler_input.response_builder.speak(c.s("unclear") + " " + c.s(
                "question")).ask(c.s("reprompt")).response
        if attr.get("state") == ROUTINE:
            routine = c.content.routines[attr["routine"]]
            return handler_input.response_builder.speak(
                c.t("fallback_routine", routine=routine.name) + " " + c.t("continue_prompt")).ask(
                c.t("continue_reprompt")).response
        return handler_input.response_builder.speak(
            c.t("fallback_menu") + " " + c.t("menu_question")).ask(c.t("menu_reprompt")).response


class SessionEndedRequestHandler(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input):
        logger.info("Session ended with reason: %s",
                    getattr(handler_input.request_envelope.request, "reason", None))
        return handler_input.response_builder.response


class UnhandledRequestHandler(AbstractRequestHandler):
    """Any other request type (events, display): an empty, valid answer."""

    def can_handle(self, handler_input):
        return True

    def handle(self, handler_input):
        return handler_input.response_builder.response


class CatchAllExceptionHandler(AbstractExceptionHandler):
    def __init__(self, coach: Coach):
        self.coach = coach

    def can_handle(self, handler_input, exception):
        return True

    def handle(self, handler_input, exception):
        logger.error(exception, exc_info=True)
        speech = self.coach.t("error")
        return handler_input.response_builder.speak(speech).ask(speech).response


# --------------------------------------------------------------------------- service


class PerCallSQLiteAdapter(AbstractPersistenceAdapter):
    """The straightforward adapter a sample author would write over sqlite3 (the samples ship
    DynamoDB and S3 ones): a connection per call, the simplest thread-safe way. Same table
    as skill/store.py, whose migration creates it."""

    def __init__(self, path: str):
        self.path = path

    @staticmethod
    def _user_id(request_envelope) -> str:
        return request_envelope.context.system.user.user_id

    def get_attributes(self, request_envelope):
        conn = sqlite3.connect(self.path, timeout=2)
        try:
            row = conn.execute("SELECT attributes FROM user_attributes WHERE user_id = ?",
                               (self._user_id(request_envelope),)).fetchone()
        finally:
            conn.close()
        return json.loads(row[0]) if row else {}

    def save_attributes(self, request_envelope, attributes):
        conn = sqlite3.connect(self.path, timeout=2)
        try:
            with conn:
                conn.execute("INSERT INTO user_attributes (user_id, attributes, updated_at) "
                             "VALUES (?, ?, datetime('now')) ON CONFLICT (user_id) DO UPDATE "
                             "SET attributes = excluded.attributes, updated_at = excluded.updated_at",
                             (self._user_id(request_envelope), json.dumps(attributes)))
        finally:
            conn.close()

    def delete_attributes(self, request_envelope):
        conn = sqlite3.connect(self.path, timeout=2)
        try:
            with conn:
                conn.execute("DELETE FROM user_attributes WHERE user_id = ?",
                             (self._user_id(request_envelope),))
        finally:
            conn.close()


def build_skill(content, store):
    coach = Coach(content)
    sb = CustomSkillBuilder(persistence_adapter=store)
    for handler in (LaunchRequestHandler(coach), StartRoutineIntentHandler(coach),
                    NoIntentHandler(coach), YesIntentHandler(coach), NextIntentHandler(coach),
                    StartOverIntentHandler(coach), QuestionIntentHandler(coach), HelpIntentHandler(coach),
                    CancelOrStopIntentHandler(coach), SessionEndedRequestHandler(),
                    FallbackIntentHandler(coach), UnhandledRequestHandler()):
        sb.add_request_handler(handler)
    sb.add_exception_handler(CatchAllExceptionHandler(coach))
    return sb.create()


#: PEER_STORE: the peer's persistence adapter.
PER_CALL, SKILL_STORE = "per-call", "skill-store"


def create_app() -> Flask:
    url = os.environ.get("DATABASE_URL")
    kind = os.environ.get("PEER_STORE") or PER_CALL
    if kind not in (PER_CALL, SKILL_STORE):
        raise ValueError(f"PEER_STORE must be {PER_CALL} (the default) or {SKILL_STORE}")
    store = open_store(url)                  # creates or migrates the table
    if kind == PER_CALL:
        if not (url or "").startswith("sqlite:///") or url.endswith(":memory:"):
            raise ValueError("the per-call adapter needs DATABASE_URL=sqlite:///a/file.db "
                             "(or PEER_STORE=skill-store)")
        store.close()
        store = PerCallSQLiteAdapter(url[len("sqlite://"):])
    skill = build_skill(load_content(), store)
    app = flask_app("peer")
    app.extensions["bench_peer"] = skill

    @app.post("/alexa")
    def alexa():
        # What flask-ask-sdk's SkillAdapter.dispatch_request and ask-sdk-webservice-support's
        # WebserviceSkillHandler.verify_request_and_dispatch do (verification off, as for
        # every server in the bench).
        try:
            content = request.data.decode("utf-8")
            request_envelope = skill.serializer.deserialize(payload=content,
                                                            obj_type=RequestEnvelope)
            response_envelope = skill.invoke(request_envelope=request_envelope, context=None)
            return jsonify(skill.serializer.serialize(response_envelope))
        except (AskSdkException, UnicodeDecodeError):
            logger.error("Skill dispatch exception", exc_info=True)
            abort(400, description="not an Alexa request")

    return app
