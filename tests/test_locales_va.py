"""Every locale's interaction model through virtual-alexa against the real server (issue 14):
its own golden phrases (tests/golden/<locale>.yaml, in the locale's words, written before its
overlay) and a sample of the shared en-US golden phrases, said with that locale's model and
answered to requests carrying that locale; and the emergency branch, spoken, in each."""
from __future__ import annotations

import json
import re

import pytest
import yaml

from skill import constants as C
from skill.language import model as M
from tests.test_virtual_alexa import _node, _problems, server  # noqa: F401

GOLDEN = M.ROOT / "tests" / "golden"
OTHER = C.LOCALES[1:]
#: Every SAMPLE_STEP-th phrase of the shared en-US.yaml is said in every locale too.
SAMPLE_STEP = 6


def shared_sample(locale: str) -> list[dict]:
    """Every SAMPLE_STEP-th shared golden phrase, but those with words this locale's overlay
    replaces or drops (its people say "A&E", not "the ER": its model need not hear it)."""
    replaced = M.load_overlay(M.SOURCE_ROOT / locale)["replace"]
    phrases = yaml.safe_load((GOLDEN / f"{C.LOCALE}.yaml").read_text())["phrases"]
    return [p for p in phrases[::SAMPLE_STEP]
            if not any(re.search(rf"(^| ){re.escape(w)}( |$)", p["say"]) for w in replaced)]


@pytest.mark.parametrize("locale", OTHER)
def test_every_locales_model_understands_its_golden_phrases(server, capsys, locale):  # noqa: F811
    own = yaml.safe_load((GOLDEN / f"{locale}.yaml").read_text())["phrases"]
    sample = shared_sample(locale)
    folder = server["tmp"] / f"golden-{locale}" / "golden"    # read by tests/golden.py
    folder.mkdir(parents=True)
    golden = folder / f"{locale}.yaml"                         # its name says its locale
    golden.write_text(yaml.safe_dump({"phrases": own + sample}), encoding="utf-8")
    proc = _node(server, "golden.js", "--jobs", "4", "--golden", str(golden),
                 "--model", str(M.model_path(locale)), timeout=900)
    assert proc.returncode in (0, 1), proc.stderr
    summary = json.loads(proc.stdout)
    with capsys.disabled():
        print(f"\nvirtual-alexa, {locale}: {summary['passed']} of {summary['total']} golden "
              f"phrases pass ({len(own)} in its own words, {len(sample)} shared)")
    assert len(own) >= 10 and len(sample) >= 40
    assert summary["total"] == len(own) + len(sample)
    assert summary["passed"] == summary["total"], _problems(summary)


# What the follow-up's yes sounds like, and what must be said, in each locale.
SPOKEN = {
    "en-US": ("yes", "Call 911 now, or have someone take you to an emergency room."),
    "en-GB": ("yeah trouble going to the loo", "Call 999 now, or have someone take you to A&E."),
    "en-CA": ("yes trouble going to the washroom", "Call 911 now, or have someone take you to "
                                                   "the nearest emergency department."),
    "en-AU": ("yeah i've had trouble weeing", "Call 000 now, or have someone take you to the "
                                              "nearest emergency department."),
    "en-IN": ("yes trouble going to the washroom", "Call 112 now, or have someone take you to "
                                                   "the emergency department of the nearest "
                                                   "hospital."),
}


@pytest.mark.parametrize("locale", C.LOCALES)
def test_the_emergency_branch_spoken_in_each_locale(server, locale):  # noqa: F811
    steps = [{"launch": True}, {"say": "start the lower back routine"}, {"say": "yes"},
             {"say": SPOKEN[locale][0]}]
    script = server["tmp"] / f"emergency-{locale}.json"
    script.write_text(json.dumps(steps), encoding="utf-8")
    proc = _node(server, "converse.js", "--script", str(script),
                 "--model", str(M.model_path(locale)), timeout=300)
    assert proc.returncode == 0, proc.stderr
    turns = json.loads(proc.stdout)
    assert not any(t.get("error") for t in turns), turns
    last = turns[-1]
    assert last["request"]["intent"] in (C.YES, C.SYMPTOM)     # a sign said is a yes
    assert SPOKEN[locale][1] in last["text"] and not last["response"]["open"]
