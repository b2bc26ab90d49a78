"""What each intent means in each state: the table from intent to conversation function.

The screening gate comes first: while its question is open, every intent is an answer to it
(`screening`). Otherwise `settle` leaves a transient state (a resume offer, a delete
confirmation) when the user moves on, and `ACTIONS[intent]` answers.
"""
from __future__ import annotations

from typing import Callable

from .. import constants as C
from ..content import Content
from ..voice.coach import SOUND_MOMENTS, VOICE_KEYS
from ..voice.screens import SCREEN_KEYS
from . import everyday, gate, memory, menu, playback, reminders
from .replies import follow_up, offer_resume
from .state import CONFIRM_DELETE, IN_ROUTINE, MENU, OFFER_RESUME, PAIN, PAIN_CHECK, PAUSED, ROUTINE
from .turn import PROMPT_KEYS, Reply, Slot, Turn, ask


def check_content(content: Content) -> None:
    """Raise ContentError (naming file and key) if a text the dialogue speaks is missing."""
    content.require("prompts", PROMPT_KEYS)
    content.require("prompts", everyday.PROMPT_KEYS)
    content.require("screening", gate.SCREENING_KEYS)
    content.require("voice", VOICE_KEYS)
    content.require("screens", SCREEN_KEYS)
    content.require("reminders", reminders.REMINDER_KEYS)
    content.require_sounds(SOUND_MOMENTS)


def screening(turn: Turn) -> Reply:
    """Any intent while the red-flag question is open."""
    if turn.intent in (C.STOP, C.CANCEL, C.NAVIGATE_HOME):
        return menu.stop(turn)
    if turn.state["state"] == PAIN_CHECK:   # "it hurts": which kind?
        return playback.pain_answer(turn, faq_topic(turn))
    reply = gate.answer(turn)
    if reply is None:                       # "no": cleared, begin
        return playback.begin(turn)
    return reply


def next_(turn: Turn) -> Reply:
    if turn.state["state"] in IN_ROUTINE:
        return playback.advance(turn)
    return menu.fallback(turn)


def previous(turn: Turn) -> Reply:
    if turn.state["state"] in IN_ROUTINE:
        return playback.back(turn)
    return menu.fallback(turn)


def repeat(turn: Turn) -> Reply:
    st = turn.state["state"]
    if st == ROUTINE:
        return playback.play(turn)
    if st == OFFER_RESUME:
        return offer_resume(turn, turn.speech())
    if st == CONFIRM_DELETE:
        return ask(turn, turn.speech(), turn.t("delete_confirm"), turn.t("delete_confirm"))
    return follow_up(turn, turn.speech())


def start_over(turn: Turn) -> Reply:
    if turn.state["state"] in IN_ROUTINE:
        return playback.from_the_top(turn)
    return menu.start_routine(turn) if turn.slots else menu.menu(turn)


def yes(turn: Turn) -> Reply:
    """A yes answers our yes/no questions only. In a routine it moves nothing on: a "yeah,
    my legs are tingling" must never start the next stretch ("ready" and "next" do that)."""
    st = turn.state["state"]
    if st == OFFER_RESUME:
        return gate.begin(turn, turn.state["pending"], resuming=True)
    if st == CONFIRM_DELETE:
        return memory.confirm_delete(turn)
    if st == PAIN:                          # "try it again, more gently?"
        return playback.gentler(turn)
    return follow_up(turn, turn.speech())


def resume(turn: Turn) -> Reply:
    """"Ready", "carry on": after a stretch that is the next one; paused, the same one;
    after mild pain a question first (never the painful stretch without a yes); elsewhere
    the routine left unfinished."""
    if turn.state["state"] == ROUTINE:
        return playback.advance(turn)
    return playback.resume(turn)


def no(turn: Turn) -> Reply:
    st = turn.state["state"]
    if st == OFFER_RESUME:
        return menu.menu(turn, turn.speech(turn.t("what_i_do")))
    if st == CONFIRM_DELETE:
        return memory.keep_data(turn)
    if st == PAIN:
        return playback.pain_no(turn)
    return menu.stop(turn)


ACTIONS: dict[str, Callable[[Turn], Reply]] = {
    C.START_ROUTINE: menu.start_routine, C.LIST_ROUTINES: menu.list_routines,
    C.QUESTION: menu.question, C.PAIN: playback.pain, C.PROGRESS: playback.progress,
    C.EXPLAIN_STRETCH: playback.explain, C.SET_PREFERENCE: memory.set_preference,
    C.HISTORY: memory.history, C.DELETE_DATA: memory.delete_data,
    C.NEXT: next_, C.PREVIOUS: previous, C.REPEAT: repeat, C.START_OVER: start_over,
    C.PAUSE: playback.pause, C.RESUME: resume, C.YES: yes, C.NO: no,
    C.HELP: menu.help_, C.STOP: menu.stop, C.CANCEL: menu.stop, C.FALLBACK: menu.fallback,
    C.NAVIGATE_HOME: menu.stop, C.TELL_ME_MORE: playback.tell_more,
    C.SET_REMINDER: reminders.set_reminder, C.REMINDER_STATUS: reminders.reminder_status,
    C.CANCEL_REMINDER: reminders.cancel_reminder,
    C.UNSURE: menu.help_, C.WHY_ASK: menu.help_, C.THANKS: everyday.thanks,
    C.VOLUME: everyday.volume, C.TOO_HARD: everyday.too_hard,
    C.SYMPTOM: playback.pain,           # a symptom said outside the questions is pain now
}
assert set(ACTIONS) == set(C.CUSTOM_INTENTS) | set(C.BUILTIN_INTENTS)

# In these states only these intents keep their special meaning; anything else leaves the state.
_STICKY = {
    OFFER_RESUME: {C.YES, C.NO, C.REPEAT, C.HELP, C.FALLBACK, C.RESUME, C.NEXT},
    CONFIRM_DELETE: {C.YES, C.NO, C.REPEAT, C.HELP, C.FALLBACK},
}


def settle(turn: Turn) -> None:
    """Read a FAQ topic's own intent as the question about it; leave a transient state
    (resume offer, delete confirmation) when the user moves on."""
    topic = faq_topic(turn)
    if topic:
        turn.intent, turn.slots = C.QUESTION, {C.SLOT_TOPIC: Slot(ids=(topic,))}
    st = turn.state
    if st["state"] in _STICKY and turn.intent not in _STICKY[st["state"]]:
        if st["state"] == CONFIRM_DELETE:
            st.update(state=st["back"], back=None)
        else:
            st.update(state=MENU, pending=None)
    if st["state"] == OFFER_RESUME and turn.intent in (C.RESUME, C.NEXT):
        turn.intent = C.YES


def faq_topic(turn: Turn) -> str | None:
    """The FAQ id whose own intent this is (constants.faq_intent), if any."""
    if not (turn.intent or "").startswith(C.FAQ_INTENT_PREFIX):
        return None
    return next((i for i in turn.content.faq if C.faq_intent(i) == turn.intent), None)
