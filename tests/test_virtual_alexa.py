"""The real server, driven by virtual-alexa (bespoken) with our interaction model.

virtual-alexa turns phrases into IntentRequests the way Alexa would from our model (samples,
slot values and synonyms, entity resolution) and posts them to `python -m skill run` on a
free loopback port with a throwaway SQLite database. The node scripts live in tests/va/;
virtual-alexa is pinned in package-lock.json and installed by `npm ci` (the Makefile does it).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from skill import constants as C
from tests.server import local_server, server_env

ROOT = Path(__file__).resolve().parent.parent
VA_DIR = ROOT / "tests" / "va"
STRETCH = re.compile(r"\bstretch \S+ of \S+[:.]", re.I)
GENERIC_ERROR = re.compile(r"something went wrong", re.I)


def _require_node() -> str:
    node = shutil.which("node")
    if not node:
        pytest.fail("node is not installed: the virtual-alexa tests need Node.js 18+")
    if not (ROOT / "node_modules" / "virtual-alexa" / "package.json").exists():
        pytest.fail("node_modules/virtual-alexa is missing: run `npm ci` in the repository "
                    "root (`make test` does it from package-lock.json)")
    return node


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    node = _require_node()
    tmp = tmp_path_factory.mktemp("va")
    extra = {"DATA_DIR": str(tmp), "LOG_LEVEL": "WARNING", "PYTHON": sys.executable,
             "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1"}  # virtual-alexa pulls in aws-sdk v2
    with local_server(f"sqlite:///{tmp / 'va.db'}", **extra) as (base, proc):
        yield {"url": base + "/alexa", "node": node, "env": server_env(**extra), "tmp": tmp,
               "log": Path(proc.log_path)}


def _node(server, script: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([server["node"], str(VA_DIR / script), "--url", server["url"], *args],
                          cwd=ROOT, env=server["env"], capture_output=True, text=True,
                          timeout=timeout)


def converse(server, steps: list[dict]) -> list[dict]:
    """Run one conversation (one virtual device and user) and return its turns."""
    script = server["tmp"] / f"steps-{time.monotonic_ns()}.json"
    script.write_text(json.dumps(steps), encoding="utf-8")
    proc = _node(server, "converse.js", "--script", str(script), timeout=300)
    assert proc.returncode == 0, proc.stderr
    turns = json.loads(proc.stdout)
    for t in turns:
        assert not t.get("error"), f"step {t['step']}: {t['error']}"
        r = t["response"]
        if t["request"]["type"] != "SessionEndedRequest":
            assert r["speechType"] == "SSML" and r["ssml"].startswith("<speak>"), t
            assert not GENERIC_ERROR.search(t["text"]), t["text"]
            if r["open"]:
                assert t["reprompt_text"], f"open session without a reprompt: {t['text']}"
    return turns


def _start(routine_words: str = "start the lower back routine") -> list[dict]:
    return [{"launch": True}, {"say": routine_words}]


# --------------------------------------------------------------------------- golden phrases

GOLDEN = ROOT / "tests" / "golden"


def _golden(server, name: str) -> dict:
    proc = _node(server, "golden.js", "--jobs", "4", "--golden", str(GOLDEN / name), timeout=1200)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def _problems(summary: dict) -> str:
    return "\n".join(
        f"{f['say']!r} ({f['context']}): "
        + "; ".join(filter(None, [f.get("setup_error"), f.get("match_error"),
                                  *(f.get("understood_problems") or []),
                                  *(f.get("response_problems") or [])]))
        + (" [no sample matched: sent as fallback]" if f.get("unmatched") else "")
        + (f" answer: {f.get('answer', '')[:160]}" if f.get("answer") else "")
        for f in summary["failures"])


def _report(capsys, label: str, summary: dict) -> None:
    with capsys.disabled():
        print(f"\nvirtual-alexa, {label}: {summary['understood']} of {summary['total']} "
              f"phrases understood ({summary['understood_rate']:.1%}); answers sensible "
              f"{summary['response_ok']} of {summary['total']}")
        for context, c in sorted(summary["by_context"].items()):
            print(f"  {context:<10} {c['understood']} of {c['total']} {label} phrases understood")


def test_known_phrases_are_understood_and_get_sensible_answers(server, capsys):
    summary = _golden(server, "en-US.yaml")
    _report(capsys, "known", summary)
    assert summary["total"] >= 200
    assert summary["passed"] == summary["total"], _problems(summary)


@pytest.mark.parametrize("name, label, floor", [("en-US.unseen.yaml", "unseen", 0.9),
                                                ("en-US.holdout.yaml", "held-out", 0.85)])
def test_unseen_phrases_are_mostly_understood_and_never_unsafe(server, capsys, name, label, floor):
    """Phrases written apart from the templates, sent the way a device would: what the model
    cannot match arrives as fallback. The unseen ones were written before the templates and
    are read when the templates change; the held-out ones were written last and are never
    tuned on, so their figure is the honest one (its floor only guards against regressions)."""
    summary = _golden(server, name)
    _report(capsys, label, summary)
    with capsys.disabled():
        for f in summary["failures"]:
            print(f"    miss: {f['say']!r} ({f['context']}) -> {f.get('got_intent')}"
                  f"{' (no sample)' if f.get('unmatched') else ''}: "
                  + "; ".join(f.get("understood_problems") or f.get("response_problems") or []))
    assert summary["total"] >= 100
    assert summary["unsafe"] == [], _problems({"failures": summary["unsafe"]})
    assert all(c["total"] >= 10 for c in summary["by_context"].values()), summary["by_context"]
    assert summary["understood_rate"] >= floor, _problems(summary)


# --------------------------------------------------------------------------- conversations

def test_launch_choose_screen_no_and_a_whole_routine(server):
    turns = converse(server, [*_start(), {"say": "no"},
                              {"say": "next", "until_closed": 80, "until_said": "You finished"},
                              {"say": "no"}])
    launch, choose, cleared, *rest, declined = turns
    assert launch["response"]["open"] and "routine" in launch["text"].lower()
    assert choose["request"]["intent"] == C.START_ROUTINE
    assert "before we start the lower back routine" in choose["text"].lower()
    assert choose["response"]["open"] and not STRETCH.search(choose["text"])
    assert "yes or no" in choose["text"].lower()
    assert STRETCH.search(cleared["text"]) and "[pause" in cleared["text"]
    numbers = [int(m.group(1)) for t in [cleared, *rest]
               for m in re.finditer(r"\bStretch (\d+) of (\d+)", t["text"])]
    totals = {int(m.group(2)) for t in [cleared, *rest]
              for m in re.finditer(r"\bStretch (\d+) of (\d+)", t["text"])}
    assert len(totals) == 1
    total = totals.pop()
    assert numbers == list(range(1, total + 1)), numbers
    last = rest[-1]
    assert "you finished the lower back routine" in last["text"].lower(), "it never ended"
    # A first finish offers a daily reminder, once; "no" ends the session.
    assert last["text"].endswith("Would you like a daily reminder?")
    assert declined["request"]["intent"] == "AMAZON.NoIntent"
    assert not declined["response"]["open"]
    assert all(t["response"]["open"] for t in [cleared, *rest])
    for t in [cleared, *rest[:-1]]:
        assert re.search(r"say next", t["text"], re.I), t["text"][-200:]


def test_question_in_the_middle_of_a_routine_and_back(server):
    turns = converse(server, [*_start("the quick release"), {"say": "no"},
                              {"say": "why does my back crack"}, {"say": "next"}])
    answer, after = turns[-2], turns[-1]
    assert answer["request"]["intent"] == C.faq_intent("why_backs_crack")   # its own intent
    assert answer["response"]["open"]
    assert "joint" in answer["text"].lower()
    assert "say next to continue your routine" in answer["text"].lower()
    assert not STRETCH.search(answer["text"])
    assert re.search(r"\bStretch \d+ of \d+|continued", after["text"]), after["text"][:200]


def test_pain_mid_routine_stops_advises_and_offers_skip_or_end(server):
    turns = converse(server, [*_start(), {"say": "no"}, {"say": "ow that hurts"},
                              {"say": "no"}, {"say": "skip"}])
    pain, mild, skipped = turns[-3], turns[-2], turns[-1]
    text = pain["text"].lower()
    assert pain["request"]["intent"] == C.PAIN
    assert pain["response"]["open"]
    assert "ease out" in text
    assert "numb or tingling" in text and "yes or no" in text    # which kind of pain?
    assert "skip" in mild["text"].lower() and "stop" in mild["text"].lower()
    for t in (pain, mild):
        assert "keep going" not in t["text"].lower() and "keep going" not in t["reprompt_text"].lower()
        assert not STRETCH.search(t["text"])
    assert re.search(r"\bStretch 2 of", skipped["text"]), skipped["text"][:200]


def test_screening_yes_then_yes_is_an_emergency_and_ends(server):
    turns = converse(server, [*_start(), {"say": "yes"}, {"say": "yes"}])
    followup, emergency = turns[-2], turns[-1]
    assert followup["response"]["open"] and "yes or no" in followup["text"].lower()
    assert "bladder" in followup["text"].lower()
    assert "emergency" in emergency["text"].lower()
    assert not emergency["response"]["open"]
    assert not any(STRETCH.search(t["text"]) for t in turns)


def test_screening_yes_then_no_sends_to_a_doctor_and_no_routine(server):
    turns = converse(server, [*_start(), {"say": "yes"}, {"say": "no"}, {"say": "no"},
                              {"say": "start the lower back routine"}, {"say": "no"},
                              {"say": "next"}, {"say": "resume my routine"},
                              {"say": "is it safe to crack my back"}])
    see_doctor = turns[4]                   # after the follow-up and the "today?" question
    assert "doctor or physical therapist" in see_doctor["text"].lower()
    assert see_doctor["response"]["open"]
    assert not any(STRETCH.search(t["text"]) for t in turns)
    # questions are still answered
    assert turns[-1]["request"]["intent"] == C.faq_intent("is_it_safe")
    assert "crack" in turns[-1]["text"].lower()


@pytest.mark.parametrize("unclear", [
    ["how many are left", "how many are left"],
    ["next", "next"],
    ["start the desk break", "what's that popping noise"],
])
def test_unclear_screening_answers_never_start_a_routine(server, unclear):
    turns = converse(server, [*_start(), *({"say": u} for u in unclear)])
    assert not any(STRETCH.search(t["text"]) for t in turns), [t["text"][:120] for t in turns]
    assert turns[-2]["response"]["open"]          # asked once more
    assert not turns[-1]["response"]["open"]      # then ends safely


def test_one_shot_start_still_asks_the_screening_question(server):
    turns = converse(server, [{"say": "ask back stretch coach to start the lower back routine",
                               "raw": True}])
    (t,) = turns
    assert t["request"]["intent"] == C.START_ROUTINE
    assert t["response"]["open"] and "yes or no" in t["text"].lower()
    assert not STRETCH.search(t["text"])


def test_progress_survives_the_session_ending_and_resume_screens_again(server):
    turns = converse(server, [*_start(), {"say": "no"}, {"say": "next"},
                              {"end": "EXCEEDED_MAX_REPROMPTS"},
                              {"launch": True}, {"say": "yes"}, {"say": "no"}])
    headers = [m for t in turns[:4] for m in re.finditer(r"\bStretch (\d+) of", t["text"])]
    where = int(headers[-1].group(1))       # the stretch under way when the session ended
    offer, screening, cleared = turns[-3], turns[-2], turns[-1]
    assert "pick up where you left off" in offer["text"].lower()
    assert not STRETCH.search(screening["text"]) and "yes or no" in screening["text"].lower()
    assert re.search(rf"\bStretch {where} of", cleared["text"]), cleared["text"][:200]


@pytest.mark.parametrize("doubt", ["i don't know", "maybe", "i think so", "not really"])
def test_doubt_at_the_safety_question_never_starts_a_routine(server, doubt):
    turns = converse(server, [*_start(), {"say": doubt}, {"say": doubt}])
    asked_again, ended = turns[-2], turns[-1]
    assert asked_again["request"]["intent"] == "UnsureIntent"
    assert asked_again["response"]["open"] and "yes or no" in asked_again["text"].lower()
    assert not ended["response"]["open"]
    assert not any(STRETCH.search(t["text"]) for t in turns)


def test_people_answer_the_safety_question_in_their_own_words(server):
    turns = converse(server, [*_start(), {"say": "why are you asking"},
                              {"say": "what do you mean"}, {"say": "nah i'm fine"}])
    why, what, cleared = turns[-3:]
    assert why["request"]["intent"] == what["request"]["intent"] == "WhyAskIntent"
    assert "i ask before every routine" in why["text"].lower() and why["response"]["open"]
    assert cleared["request"]["intent"] == C.NO and STRETCH.search(cleared["text"])
    turns = converse(server, [*_start(), {"say": "yeah some tingling in my legs"}])
    assert turns[-1]["request"]["intent"] == C.SYMPTOM          # a described sign: a yes
    assert "bladder" in turns[-1]["text"].lower() and not STRETCH.search(turns[-1]["text"])


@pytest.mark.parametrize("said", ["no but my left foot goes numb sometimes",
                                  "nope i had a bad fall last year",
                                  "i've been having trouble with my bladder lately"])
def test_a_described_sign_is_never_a_no_at_the_safety_question(server, said):
    turns = converse(server, [*_start(), {"say": said}])
    assert turns[-1]["request"]["intent"] == C.SYMPTOM
    assert "bladder" in turns[-1]["text"].lower()               # the follow-up question
    assert not any(STRETCH.search(t["text"]) for t in turns)


def test_no_with_only_mild_words_starts_the_routine(server):
    turns = converse(server, [*_start(), {"say": "no it's just a bit of stiffness"}])
    assert turns[-1]["request"]["intent"] == C.SYMPTOM
    assert STRETCH.search(turns[-1]["text"]) and turns[-1]["response"]["open"]


@pytest.mark.parametrize("said, stops", [("it's shooting down my leg", True),
                                         ("yeah my toes are tingling", True),
                                         ("no it's just a dull ache", False),
                                         ("just a little twinge", False)])
def test_the_kind_of_pain_described_answers_the_pain_question(server, said, stops):
    turns = converse(server, [*_start(), {"say": "no"}, {"say": "ow that hurts"}, {"say": said}])
    answer = turns[-1]
    assert not STRETCH.search(answer["text"])
    if stops:
        assert "stop for today" in answer["text"].lower() and not answer["response"]["open"]
    else:
        assert "gentler" in answer["text"].lower() and answer["response"]["open"]
