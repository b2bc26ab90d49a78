"""Golden phrase files (tests/golden/*.yaml), read for the Python tests and for
tests/va/golden.js (`python -m tests.golden FILE` prints them as JSON).

An entry says what a phrase must be understood as, in one of three ways:
  intent: <name> [slots: {slot: id}]   that intent (and these slot ids)
  faq: <content id>                     the answer to that FAQ topic is spoken
  routine: <content id>                 the skill goes on to screen for that routine
Reading resolves `faq` to its intent (skill.constants.faq_intent) and the answer's first
sentence, and `routine` to the routine's spoken name, so the checks need no Python.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from skill import constants as C
from skill.content import load_content

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
CONTEXTS = ("menu", "screening", "routine", "paused", "pain")


def locale_of(path: Path | str) -> str:
    """The locale a golden file is for: its name's first part (en-GB.yaml), else en-US."""
    first = Path(path).name.split(".")[0]
    return first if first in C.LOCALES else C.LOCALE


def load(path: Path | str, content=None) -> list[dict]:
    content = (content or load_content()).for_locale(locale_of(path))   # its words
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    out = []
    for entry in data["phrases"]:
        e = dict(entry)
        e.setdefault("context", "menu")
        if e["context"] not in CONTEXTS:
            raise ValueError(f"{path}: {e['say']!r}: unknown context {e['context']!r}")
        if "faq" in e:
            faq = content.faq[e["faq"]]
            e["intent"] = C.faq_intent(faq.id)
            e["answer"] = faq.answer[0]
        elif "routine" in e:
            e["intent"] = C.START_ROUTINE
            e["routine_name"] = content.routines[e["routine"]].name
        elif "intent" not in e:
            raise ValueError(f"{path}: {e['say']!r}: needs intent, faq or routine")
        out.append(e)
    return out


if __name__ == "__main__":  # pragma: no cover - used by tests/va/lib.js
    print(json.dumps({"phrases": load(sys.argv[1])}))
