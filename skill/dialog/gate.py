"""The red-flag screening gate (SPEC §3). Non-negotiable; this file is the whole of it.

Invariant: a stretch is played only when `may_play(state)`, i.e. when the latest screening
answer in this session was "no" (`cleared`), a routine was set by that answer and the session
is not `blocked`. Only `answer()` sets `cleared`, and only for a "no" to the first question;
`begin()` clears it again whenever a routine starts or resumes, and refuses in a blocked
session. Playback (skill/dialog/playback.py) checks `may_play` before rendering anything, and
asks the question instead when it fails. An older state of the session, replayed, never
counts: skill/dialog/state.py distrusts it (no routine this session).

- first question, "no"  -> cleared: the caller plays the routine;
- first question, "yes" -> the follow-up (every cauda equina sign);
- follow-up "yes"       -> emergency care now (the number, don't drive, Alexa can't call);
                           session ends, blocked;
- follow-up "no"        -> blocked (no routine this session), then one more question:
  triage "yes" or unclear -> see a doctor today;  triage "no" -> a doctor or physio soon;
- anything else         -> asked once more; a second unclear answer ends the session.
Doubt ("I don't know", "maybe": UnsureIntent) is unclear, never a no. Help, pain, repeat and
"why are you asking" re-ask without counting. The answers live in the session state only.
An answer that describes (SymptomIntent "yes I fell last week", PainIntent "my leg is numb")
is read first (answers.py, `reading`): a warning sign or a sharp, spreading, numb or unknown feeling is a
yes; only nothing but mild words with a "no" said is a no ("no, just a bit of tightness").
"""
from __future__ import annotations

from .. import constants as C
from ..voice.ssml import Speech
from .answers import reading
from .replies import blocked
from .state import FOLLOWUP, MENU, PAIN_CHECK, ROUTINE, SCREENING, TRIAGE
from .turn import Reply, Turn, ask, end

# The screening keys (content/screening.yaml) with their placeholders; checked at start-up.
SCREENING_KEYS: dict[str, set[str]] = {
    "intro": {"routine"}, "intro_resume": {"routine"}, "question": set(), "reprompt": set(),
    "cleared": set(), "followup": set(), "followup_reprompt": set(), "emergency": set(),
    "triage": set(), "triage_reprompt": set(), "triage_unclear": set(), "triage_help": set(),
    "see_doctor_today": set(), "see_doctor_soon": set(), "see_doctor_question": set(),
    "blocked": set(), "unclear": set(), "unclear_end": set(), "help": set(),
    "reason": set(), "unsure": set(), "unsure_end": set(),
}
# The open question in each screening state: (question, reprompt).
_ASKS = {SCREENING: ("question", "reprompt"), FOLLOWUP: ("followup", "followup_reprompt"),
         TRIAGE: ("triage", "triage_reprompt")}


def may_play(state: dict) -> bool:
    """The gate: a stretch may be played only after a "no" in this session."""
    return state["cleared"] and not state["blocked"] and state["routine"] is not None


def begin(turn: Turn, pending: dict, resuming: bool = False) -> Reply:
    """A routine was asked for (or is resumed at `pending`): ask the question first."""
    if turn.state["blocked"]:
        return blocked(turn)
    turn.state.update(state=SCREENING, pending=pending, cleared=False, unclear=0,
                      routine=None, index=0, part=0)
    name = turn.content.routines[pending["routine"]].name
    sp = turn.speech(turn.s("intro_resume" if resuming else "intro", routine=name))
    return ask(turn, sp, turn.s("question"), turn.s("reprompt"))


def question(turn: Turn, speech: Speech) -> Reply:
    """Ask the open question again after `speech`."""
    key, reprompt = _ASKS[turn.state["state"]]
    return ask(turn, speech, turn.s(key), turn.s(reprompt))


def _advice(turn: Turn, key: str) -> Reply:
    turn.state.update(state=MENU, pending=None, blocked=True, unclear=0)
    return ask(turn, turn.speech(turn.s(key)), turn.s("see_doctor_question"), turn.t("question_ask"))


def answer(turn: Turn) -> Reply | None:
    """Any intent while the question is open (stop is handled before). None means the answer
    was "no": the state now says cleared, and the caller plays the routine."""
    st, intent, where = turn.state, reading(turn), turn.state["state"]
    if intent == C.HELP:
        return question(turn, turn.speech(turn.s("triage_help" if where == TRIAGE else "help")))
    if intent in (C.REPEAT, C.WHY_ASK):
        return question(turn, turn.speech(turn.s("triage_help" if where == TRIAGE else "reason")))
    if intent == C.PAIN:
        return question(turn, turn.speech(turn.t("pain_warning")))
    if where == SCREENING and intent == C.NO:
        pending = st["pending"]
        st.update(state=ROUTINE, cleared=True, routine=pending["routine"], index=pending["index"],
                  part=0, pending=None, unclear=0)
        return None
    if where == SCREENING and intent == C.YES:
        st.update(state=FOLLOWUP, unclear=0)
        return question(turn, turn.speech())
    if where == FOLLOWUP and intent == C.YES:
        st.update(state=MENU, pending=None, blocked=True, unclear=0)
        return end(turn, turn.speech(turn.s("emergency")))
    if where == FOLLOWUP and intent == C.NO:
        st.update(state=TRIAGE, pending=None, blocked=True, unclear=0)
        return question(turn, turn.speech())
    if where == TRIAGE:                        # doubt about "today" is taken as today
        return _advice(turn, "see_doctor_soon" if intent == C.NO else
                       "see_doctor_today" if intent == C.YES else "triage_unclear")
    # anything else is unclear (doubt too, in its own words): ask once more, then end
    # safely without starting
    kind = "unsure" if intent == C.UNSURE else "unclear"
    if st["unclear"] >= 1:
        st.update(state=MENU, pending=None, unclear=0)
        return end(turn, turn.speech(turn.s(kind + "_end")))
    st["unclear"] = 1
    return question(turn, turn.speech(turn.s(kind)))
