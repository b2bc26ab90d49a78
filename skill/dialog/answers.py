"""What an answer that describes stands for, where a yes or a no is asked for: at the safety
question (gate.py) and at the pain question (playback.py). "Yes I fell last week" is a yes;
"no, just a bit of tightness" a no; a feeling Alexa did not resolve counts as a warning."""
from __future__ import annotations

from .. import constants as C
from .state import PAIN_CHECK
from .turn import Turn

# Kinds of feeling (PainKind ids) that are no warning sign; "pain" alone says no kind.
MILD, VAGUE = frozenset({"mild"}), frozenset({"pain"})


def reading(turn: Turn) -> str:
    """The yes or no that an answer describing something stands for at the open question.
    SymptomIntent is a yes, unless all it names is mild: then a no if "no" was said (at the
    pain question, also if nothing was), else unclear. PainIntent is a yes if it names a
    warning kind; mild, a no at the pain question only. Words Alexa did not resolve are a
    warning kind."""
    if turn.intent not in (C.SYMPTOM, C.PAIN):
        return turn.intent
    kinds = [set(s.ids) for n in (C.SLOT_SIGN, C.SLOT_PAIN) if (s := turn.slots.get(n))]
    mild = bool(kinds) and all(k and k <= MILD for k in kinds)    # resolved, and mild
    answer = turn.slots.get(C.SLOT_ANSWER)
    said_no = answer is not None and set(answer.ids) == {"no"}
    if mild and (said_no or (answer is None and turn.state["state"] == PAIN_CHECK)):
        return C.NO
    if any(not k or k - MILD - VAGUE for k in kinds) or (turn.intent == C.SYMPTOM and not mild):
        return C.YES
    return turn.intent
