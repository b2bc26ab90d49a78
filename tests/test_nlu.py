"""skill/language/nlu.py: the console's stand-in for Alexa's NLU, over the committed model."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from skill import constants as C
from skill.language.model import filled_samples, load_model
from skill.language.nlu import Matcher, default_matcher, normalize, stem

GOLDEN = Path(__file__).parent / "golden" / "en-US.yaml"
UNSEEN = Path(__file__).parent / "golden" / "en-US.unseen.yaml"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return default_matcher()


def _agreement(matcher, path):
    phrases = yaml.safe_load(path.read_text(encoding="utf-8"))["phrases"]
    misses = []
    for p in phrases:
        m = matcher.match(p["say"])
        if m.intent != p["intent"] or m.slot_ids != (p.get("slots") or {}):
            misses.append(f"{p['say']!r}: expected {p['intent']} {p.get('slots') or {}}, "
                          f"got {m.intent} {m.slot_ids} ({m.kind} {m.score}: {m.sample})")
    return len(phrases), misses


def test_golden_phrases_agree(matcher, capsys):
    total, misses = _agreement(matcher, GOLDEN)
    rate = (total - len(misses)) / total
    with capsys.disabled():
        print(f"\nnlu: golden phrases {total - len(misses)}/{total} = {rate:.1%} agree")
    assert total >= 200
    assert rate >= 0.90, "\n".join(misses)
    # The golden phrases are all sample utterances (virtual-alexa needs that), so the
    # matcher should in fact get every one.
    assert misses == []


def test_unseen_paraphrases_mostly_agree(matcher, capsys):
    total, misses = _agreement(matcher, UNSEEN)
    rate = (total - len(misses)) / total
    with capsys.disabled():
        print(f"\nnlu: unseen paraphrases {total - len(misses)}/{total} = {rate:.1%} agree")
        for miss in misses:
            print("  miss:", miss)
    assert rate >= 0.85, "\n".join(misses)


def test_unseen_paraphrases_are_really_unseen(matcher):
    phrases = yaml.safe_load(UNSEEN.read_text(encoding="utf-8"))["phrases"]
    for p in phrases:
        assert matcher._exact(normalize(p["say"])) is None, p["say"]


def test_every_literal_sample_matches_its_own_intent(matcher):
    model = load_model()
    for intent in model["interactionModel"]["languageModel"]["intents"]:
        for sample in intent["samples"]:
            if "{" in sample:
                continue
            m = matcher.match(sample)
            assert (m.intent, m.kind) == (intent["name"], "exact"), sample


def test_every_slot_sample_resolves_with_each_value(matcher):
    lm = load_model()["interactionModel"]["languageModel"]
    checked = 0
    for intent, _, slot, value, said in filled_samples(lm):
        m = matcher.match(said)
        assert m.intent == intent, (said, m)
        assert m.slots[slot].id == value["id"], (said, m)
        checked += 1
    assert checked > 100


def test_slots_are_alexa_shaped(matcher):
    m = matcher.match("start the quick release routine")
    assert m.intent == C.START_ROUTINE and m.kind == "exact"
    slot = m.slots[C.SLOT_ROUTINE].to_alexa("amzn1.er-authority.echo-sdk.test")
    assert slot["name"] == C.SLOT_ROUTINE and slot["value"]
    res = slot["resolutions"]["resolutionsPerAuthority"][0]
    assert res["status"]["code"] == "ER_SUCCESS_MATCH"
    assert res["values"][0]["value"]["id"] == "quick_release"
    assert res["authority"].endswith("." + C.TYPE_ROUTINE)


def test_unknown_slot_words_are_no_match(matcher):
    m = matcher.match("start the yoga routine")
    assert m.intent == C.START_ROUTINE
    slot = m.slots[C.SLOT_ROUTINE]
    assert slot.id is None and slot.value == "yoga"
    res = slot.to_alexa()["resolutions"]["resolutionsPerAuthority"][0]
    assert res["status"]["code"] == "ER_SUCCESS_NO_MATCH" and "values" not in res


def test_known_value_inside_extra_words_resolves(matcher):
    m = matcher.match("please make the holds a bit longer")
    assert m.intent == C.SET_PREFERENCE
    assert m.slots[C.SLOT_PREFERENCE].id == "holds_longer"


@pytest.mark.parametrize("said, intent", [
    ("Uh, next please.", C.NEXT),
    ("OW! That HURTS!", C.PAIN),
    ("um… no", C.NO),
    ("Yes.", C.YES),
    ("ouch my back", C.PAIN),
    ("blah blah blah", C.FALLBACK),
    ("what's the weather like", C.FALLBACK),
    ("", C.FALLBACK),
    ("   ", C.FALLBACK),
])
def test_sloppy_speech(matcher, said, intent):
    assert matcher.match(said).intent == intent


@pytest.mark.parametrize("said, launch, rest", [
    ("open back stretch coach", True, ""),
    ("Alexa, open Back Stretch Coach", True, ""),
    ("back stretch coach", True, ""),
    ("launch back stretch coach", True, ""),
    ("ask back stretch coach to start the lower back routine", True,
     "start the lower back routine"),
    ("ask back stretch coach why does my back crack", True, "why does my back crack"),
    ("tell back stretch coach i'm sitting down", True, "i'm sitting down"),
    ("next", False, "next"),
    ("open the lower back routine", False, "open the lower back routine"),
])
def test_invocation(matcher, said, launch, rest):
    assert matcher.parse_invocation(said) == (launch, rest)


def test_normalize_and_stem():
    assert normalize("What's THAT popping-noise?!") == "what's that popping noise"
    assert normalize("3 minute routine") == "three minute routine"
    assert stem("cracks") == stem("cracking") == stem("crack") == "crack"
    assert stem("press") == "press"


def test_matcher_reads_the_model_file(tmp_path):
    path = tmp_path / "model.json"
    path.write_text('{"interactionModel": {"languageModel": {"invocationName": "x y", '
                    '"intents": [{"name": "AMAZON.StopIntent", "samples": ["stop"]}, '
                    '{"name": "AMAZON.FallbackIntent", "samples": []}], "types": []}}}',
                    encoding="utf-8")
    m = Matcher.from_file(path)
    assert m.match("stop").intent == C.STOP
    assert m.match("next").intent == C.FALLBACK


@pytest.mark.parametrize("typed, intent, slots", [
    ("stratch my lower bakc", C.START_ROUTINE, {C.SLOT_AREA: "lower_back"}),
    ("how mnay are left", C.PROGRESS, {}),
    ("nxet", C.NEXT, {}),
])
def test_typos_in_the_console(matcher, typed, intent, slots):
    m = matcher.match(typed)
    assert (m.intent, m.slot_ids) == (intent, slots)
