"""The red-flag screening gate (SPEC §3). Non-negotiable; this file is the whole of it.

Invariant: a stretch is played only when `may_play(state)`, i.e. when the latest screening
answer in this session was "no" (`cleared`) and a routine was set by that answer. Only
`answer()` sets `cleared`, and only for a "no" to the first question; `begin()` clears it
again whenever a routine starts or resumes. Playback (skill/dialog/playback.py) checks
`may_play` before rendering anything, and asks the question instead when it fails.

- first question, "no"  -> cleared: the caller plays the routine;
- first question, "yes" -> the follow-up question;
- follow-up "yes"       -> emergency care now, session ends, blocked;
- follow-up "no"        -> see a doctor, no routine in this session (blocked);
- anything else         -> asked once more; a second unclear answer ends the session.
Doubt ("I don't know", "maybe": UnsureIntent) is unclear, never a no. Help, pain, repeat and
"why are you asking" re-ask without counting. The answers live in the session state only.
"""
from __future__ import annotations

from .. import constants as C
from ..voice.ssml import Speech
from .state import FOLLOWUP, MENU, ROUTINE, SCREENING
from .turn import Reply, Turn, ask, end

# The screening keys (content/screening.yaml) with their placeholders; checked at start-up.
SCREENING_KEYS: dict[str, set[str]] = {
    "intro": {"routine"}, "question": set(), "reprompt": set(), "cleared": set(),
    "followup": set(), "followup_reprompt": set(), "emergency": set(), "see_doctor": set(),
    "see_doctor_question": set(), "blocked": set(), "unclear": set(), "unclear_end": set(),
    "help": set(), "reason": set(), "unsure": set(), "unsure_end": set(),
}


def may_play(state: dict) -> bool:
    """The gate: a stretch may be played only after a "no" in this session."""
    return state["cleared"] and state["routine"] is not None


def begin(turn: Turn, pending: dict) -> Reply:
    """A routine was asked for (or is resumed at `pending`): ask the question first."""
    turn.state.update(state=SCREENING, pending=pending, cleared=False, unclear=0,
                      routine=None, index=0, part=0)
    name = turn.content.routines[pending["routine"]].name
    sp = turn.speech(turn.s("intro", routine=name))
    return ask(turn, sp, turn.s("question"), turn.s("reprompt"))


def question(turn: Turn, speech: Speech) -> Reply:
    """Ask the open question (first or follow-up) again after `speech`."""
    if turn.state["state"] == FOLLOWUP:
        return ask(turn, speech, turn.s("followup"), turn.s("followup_reprompt"))
    return ask(turn, speech, turn.s("question"), turn.s("reprompt"))


def answer(turn: Turn) -> Reply | None:
    """Any intent while the question is open (stop is handled before). None means the answer
    was "no": the state now says cleared, and the caller plays the routine."""
    st, intent = turn.state, turn.intent
    if intent == C.HELP:
        return question(turn, turn.speech(turn.s("help")))
    if intent in (C.REPEAT, C.WHY_ASK):
        return question(turn, turn.speech(turn.s("reason")))
    if intent == C.PAIN:
        return question(turn, turn.speech(turn.t("pain_warning")))
    if st["state"] == SCREENING and intent == C.NO:
        pending = st["pending"]
        st.update(state=ROUTINE, cleared=True, routine=pending["routine"], index=pending["index"],
                  part=0, pending=None, unclear=0)
        return None
    if st["state"] == SCREENING and intent == C.YES:
        st.update(state=FOLLOWUP, unclear=0)
        return Reply(turn.speech(turn.s("followup")), turn.speech(turn.s("followup_reprompt")))
    if st["state"] == FOLLOWUP and intent == C.YES:
        st.update(state=MENU, pending=None, blocked=True, unclear=0)
        return end(turn, turn.speech(turn.s("emergency")))
    if st["state"] == FOLLOWUP and intent == C.NO:
        st.update(state=MENU, pending=None, blocked=True, unclear=0)
        return ask(turn, turn.speech(turn.s("see_doctor")), turn.s("see_doctor_question"),
                   turn.t("question_ask"))
    # anything else is unclear (doubt too, in its own words): ask once more, then end
    # safely without starting
    kind = "unsure" if intent == C.UNSURE else "unclear"
    if st["unclear"] >= 1:
        st.update(state=MENU, pending=None, unclear=0)
        return end(turn, turn.speech(turn.s(kind + "_end")))
    st["unclear"] = 1
    return question(turn, turn.speech(turn.s(kind)))
