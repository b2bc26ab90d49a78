"""How a reply ends: the closing question that fits where the user is.

Every open response ends with a question (SPEC §4); these are shared by every part of the
dialogue so that the same place always asks the same way.
"""
from __future__ import annotations

from ..voice.ssml import Speech
from .state import CONFIRM_DELETE, MENU, OFFER_RESUME, PAIN, PAUSED, ROUTINE
from .turn import Reply, Turn, ask


def menu(turn: Turn, speech: Speech | None = None) -> Reply:
    """Back at the menu: which routine (or, when blocked, what to ask)."""
    turn.state.update(state=MENU, pending=None, unclear=0)
    speech = speech or turn.speech()
    if turn.state["blocked"]:
        return ask(turn, speech, turn.t("question_ask"), turn.t("question_ask"))
    return ask(turn, speech, turn.t("menu_question"), turn.t("menu_reprompt"))


def blocked(turn: Turn) -> Reply:
    """No routine this session (a screening "yes"): say so, offer questions."""
    return ask(turn, turn.speech(turn.s("blocked")), turn.t("question_ask"), turn.t("question_ask"))


def offer_resume(turn: Turn, sp: Speech, full: bool = True) -> Reply:
    """Ask whether to pick up the pending routine where the user stopped."""
    p = turn.state["pending"]
    r = turn.content.routines[p["routine"]]
    again = turn.t("offer_resume_reprompt", routine=r.name)
    offer = (turn.t("offer_resume", number=p["index"] + 1, total=len(r.items), routine=r.name)
             if full else again)
    return ask(turn, sp, offer, again)


def follow_up(turn: Turn, sp: Speech) -> Reply:
    """End a reply with the question that fits where the user is."""
    st = turn.state["state"]
    if st == ROUTINE:
        return ask(turn, sp, turn.t("continue_prompt"), turn.t("continue_reprompt"))
    if st == PAUSED:
        return ask(turn, sp, turn.t("paused"), turn.t("paused_reprompt"))
    if st == PAIN:
        last = turn.state["index"] >= len(turn.routine.items) - 1
        return ask(turn, sp, turn.t("pain_offer_last" if last else "pain_offer"),
                   turn.t("pain_offer_reprompt"))
    if st == OFFER_RESUME:
        return offer_resume(turn, sp, full=False)
    if st == CONFIRM_DELETE:
        return ask(turn, sp, turn.t("delete_confirm"), turn.t("delete_confirm"))
    return menu(turn, sp)


def place(turn: Turn) -> str:
    """Where the user is, for the buttons a screen shows (skill/voice/screens.PLACES)."""
    st = turn.state["state"]
    if st in (ROUTINE, PAIN):
        return "routine"
    return {PAUSED: "paused", OFFER_RESUME: "offer"}.get(st, "menu")
