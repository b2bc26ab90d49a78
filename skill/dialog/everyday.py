"""Everyday words, said anywhere: thanks, the volume, "this one is too hard".

Thanks never ends a routine; the volume is Alexa's own business (we say how, and never touch
the pace); a stretch that is too hard is offered to be skipped. The screening question
handles its own answers first (skill/dialog/gate.py).
"""
from __future__ import annotations

from .replies import follow_up, menu
from .state import IN_ROUTINE, PAIN, ROUTINE
from .turn import Reply, Turn, ask

# The prompt keys (content/prompts.yaml) used here; checked at start-up with the others.
PROMPT_KEYS: dict[str, set[str]] = {
    "thanks": set(), "volume": set(), "too_hard": set(), "too_hard_offer": set(),
    "too_hard_menu": set(),
}


def thanks(turn: Turn) -> Reply:
    return follow_up(turn, turn.speech(turn.t("thanks")))


def volume(turn: Turn) -> Reply:
    return follow_up(turn, turn.speech(turn.t("volume")))


def too_hard(turn: Turn) -> Reply:
    st = turn.state
    if st["state"] not in IN_ROUTINE:
        return menu(turn, turn.speech(turn.t("too_hard_menu")))
    if st["state"] == PAIN:                 # the pain offer already says skip or stop
        return follow_up(turn, turn.speech(turn.t("too_hard")))
    # "skip" leaves this stretch, whichever page it is on; "repeat" tries it from the top
    st.update(state=ROUTINE, part=0, skip=True)
    offer = turn.t("too_hard_offer")
    return ask(turn, turn.speech(turn.t("too_hard")), offer, offer)
