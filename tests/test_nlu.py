"""skill/language/nlu.py: the console matches with the same templates as the model, and is
never more generous than the model where it matters (the safety question)."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill import constants as C
from skill.content import load_content
from skill.dialog.gate import reading
from skill.dialog.menu import choose_routine
from skill.dialog.state import PAIN_CHECK, SCREENING, fresh_state
from skill.dialog.turn import Memory, Slot, Turn
from skill.language import model as M
from skill.language.nlu import BUILTIN_VALUES, Matcher, default_matcher, normalize, slips
from tests import golden


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return default_matcher()


@pytest.fixture(scope="module")
def content():
    return load_content()


# The questions the golden contexts leave open, where an answer that describes is read as
# the yes or no it means (skill/dialog/gate.py `reading`).
QUESTION_STATES = {"screening": SCREENING, "pain": PAIN_CHECK}


def understood(matcher, content, entry) -> bool:
    """Does the console understand the phrase as the golden entry says? At a question, an
    answer that describes counts as the yes or no the dialogue reads it as ("yes I fell last
    week" is SymptomIntent, a yes at the safety question)."""
    m = matcher.match(entry["say"])
    if (entry["context"] in QUESTION_STATES and m.intent != entry.get("intent")
            and entry.get("intent") in (C.YES, C.NO) and not entry.get("slots")):
        state = {**fresh_state(), "state": QUESTION_STATES[entry["context"]]}
        turn = Turn(content, state, Memory(), dt.date.today(), m.intent,
                    {n: Slot(s.value, (s.id,) if s.id else ()) for n, s in m.slots.items()})
        return reading(turn) == entry["intent"]
    if "faq" in entry:
        return m.intent == entry["intent"] or (
            m.intent == C.QUESTION and m.slot_ids.get(C.SLOT_TOPIC) == entry["faq"])
    if "routine" in entry:
        if m.intent != C.START_ROUTINE:
            return False
        turn = Turn(content, fresh_state(), Memory(), dt.date.today(), m.intent,
                    {n: Slot(s.value, (s.id,) if s.id else ()) for n, s in m.slots.items()})
        return choose_routine(turn)[0] == entry["routine"]
    if m.intent != entry["intent"]:
        return False
    want = entry.get("slots") or {}
    return all(m.slot_ids.get(k) == v for k, v in want.items())


def _figures(matcher, content, name):
    entries = golden.load(golden.GOLDEN_DIR / name, content)
    by_context: dict[str, list[int]] = {}
    misses = []
    for e in entries:
        ok = understood(matcher, content, e)
        c = by_context.setdefault(e["context"], [0, 0])
        c[0] += ok
        c[1] += 1
        if not ok:
            m = matcher.match(e["say"])
            misses.append(f"{e['say']!r} ({e['context']}): got {m.intent} {m.slot_ids} ({m.kind})")
    return entries, by_context, misses


def test_known_phrases_are_understood_by_the_console(matcher, content):
    entries, _, misses = _figures(matcher, content, "en-US.yaml")
    assert len(entries) >= 200
    assert misses == []


def test_unseen_phrases_in_the_console(matcher, content, capsys):
    entries, by_context, misses = _figures(matcher, content, "en-US.unseen.yaml")
    total = sum(c[0] for c in by_context.values())
    with capsys.disabled():
        print(f"\nconsole: {total} of {len(entries)} unseen phrases understood")
        for context, (ok, n) in sorted(by_context.items()):
            print(f"  {context:<10} {ok} of {n} unseen phrases understood")
        for miss in misses:
            print("  miss:", miss)
    assert total / len(entries) >= 0.9, "\n".join(misses)


def test_the_console_matches_every_sample_of_the_model(matcher):
    """Same templates, same sentences: a random thousand of the model's samples (slots
    filled with a value) come back as their own intent."""
    lm = M.load_model()["interactionModel"]["languageModel"]
    types = {t["name"]: t for t in lm["types"]}
    rng = random.Random(11)
    samples = [(i["name"], s, {x["name"]: x["type"] for x in i.get("slots", [])})
               for i in lm["intents"] for s in i["samples"]
               if not C.is_free(i["name"])]     # free words: test_free_sentences
    wrong = []
    for intent, sample, slot_types in rng.sample(samples, 1000):
        text = sample
        for slot, type_name in slot_types.items():
            if type_name in BUILTIN_VALUES:                 # Amazon's own: a phrase of it
                value = rng.choice(BUILTIN_VALUES[type_name]())[0]
            else:
                value = rng.choice(types[type_name]["values"])["name"]["value"]
            text = text.replace("{" + slot + "}", value)
        m = matcher.match(text)
        if (m.intent, m.kind) != (intent, "exact"):
            wrong.append(f"{text!r}: {intent}, got {m.intent} ({m.kind})")
    assert wrong == []


# --------------------------------------------------------------------------- safety

def _unsure_phrases(content) -> list[str]:
    return sorted({e["say"] for name in ("en-US.yaml", "en-US.unseen.yaml")
                   for e in golden.load(golden.GOLDEN_DIR / name, content)
                   if e.get("intent") == C.UNSURE})


def test_doubt_is_never_a_no_in_the_console(matcher, content):
    phrases = _unsure_phrases(content)
    assert len(phrases) >= 15
    for phrase in phrases:
        assert matcher.match(phrase).intent == C.UNSURE, phrase
        for sloppy in (phrase + ".", phrase.upper(), "Hmm, " + phrase, phrase.replace("'", "")):
            assert matcher.match(sloppy).intent not in (C.NO, C.YES), sloppy


@pytest.mark.parametrize("typed", ["noo", "nopee", "nah i'm fime", "non of those", "nothin",
                                   "none of thoes", "naw im fine", "not", "now", "know",
                                   "i dont no", "no idea", "not really"])
def test_no_typo_or_near_miss_is_a_no(matcher, typed):
    """The model hears "no" only as its samples say it; a typo is never taken as one."""
    m = matcher.match(typed)
    assert m.intent != C.NO or (m.kind == "exact" and matcher._exact(normalize(typed))), typed


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["no", "nope", "nah", "none of those", "no i haven't", "nothing like that",
                        "no it's just stiff", "nah i'm fine"]),
       st.integers(min_value=0, max_value=40), st.sampled_from("abcdefghijklmnopqrstuvwxyz'"))
def test_a_no_with_one_letter_changed_is_only_a_no_if_the_model_says_so(phrase, where, letter):
    matcher = default_matcher()
    i = where % (len(phrase) + 1)
    typed = phrase[:i] + letter + phrase[i + 1:]
    m = matcher.match(typed)
    if m.intent == C.NO:
        assert m.kind == "exact", (typed, m)


# --------------------------------------------------------------------------- slots and shapes

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
    assert m.intent == C.START_ROUTINE and m.kind == "unknown-slot"
    (slot,) = m.slots.values()
    assert slot.id is None and "yoga" in slot.value
    res = slot.to_alexa()["resolutions"]["resolutionsPerAuthority"][0]
    assert res["status"]["code"] == "ER_SUCCESS_NO_MATCH" and "values" not in res


def test_a_faq_topic_is_its_own_intent(matcher):
    m = matcher.match("should I use ice or heat on my back?")
    assert m.intent == C.faq_intent("heat_or_cold")
    m = matcher.match("tell me about foam rollers")
    assert (m.intent, m.slot_ids) == (C.QUESTION, {C.SLOT_TOPIC: "foam_rollers"})


def test_pain_slots_say_how_and_where(matcher):
    m = matcher.match("I've got a shooting pain down my left leg")
    assert m.intent == C.PAIN
    assert m.slot_ids == {C.SLOT_PAIN: "sharp", C.SLOT_PART: "left_leg"}


@pytest.mark.parametrize("said, intent", [
    ("Uh, next please.", C.NEXT),
    ("OW! That HURTS!", C.PAIN),
    ("um… no", C.NO),
    ("Yes.", C.YES),
    ("ouch my back", C.PAIN),
    ("I don't know", C.UNSURE),
    ("what do you mean?", C.WHY_ASK),
    ("thanks", C.THANKS),
    ("speak up", C.VOLUME),
    ("this one is too hard", C.TOO_HARD),
    ("blah blah blah", C.FALLBACK),
    ("weather tomorrow", C.FALLBACK),
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


def test_normalize_and_slips():
    assert normalize("What's THAT popping-noise?!") == "what's that popping noise"
    assert normalize("3 minute routine") == "three minute routine"
    assert slips("next", "nxet") == 1 and slips("stretch", "strech") == 1
    assert slips("back", "bakc") == 1 and slips("no", "know") == 2


def test_matcher_reads_a_model_and_its_templates(tmp_path):
    path = tmp_path / "model.json"
    path.write_text('{"interactionModel": {"languageModel": {"invocationName": "x y", '
                    '"intents": [{"name": "AMAZON.StopIntent", "samples": ["stop"]}, '
                    '{"name": "AMAZON.FallbackIntent", "samples": []}], "types": []}}}',
                    encoding="utf-8")
    source = {"intents": {C.STOP: ["(stop|halt) [now]"]}, "expansion_rules": {}}
    m = Matcher.from_file(path, source)
    assert m.match("halt now").intent == C.STOP
    assert m.match("shut up").intent == C.STOP          # Amazon's own phrase
    assert m.match("next").intent == C.FALLBACK


@pytest.mark.parametrize("typed, intent, slots", [
    ("stratch my lower bakc", C.START_ROUTINE, {C.SLOT_AREA: "lower_back"}),
    ("how mnay are left", C.PROGRESS, {}),
    ("nxet", C.NEXT, {}),
    ("i dont know", C.UNSURE, {}),
])
def test_typos_in_the_console(matcher, typed, intent, slots):
    m = matcher.match(typed)
    assert (m.intent, m.slot_ids) == (intent, slots)


@pytest.mark.parametrize("said,intent,words", [
    ("what's the weather like", C.FREE_WORDS, "the weather like"),
    ("i think i'd like the quick release tonight if that's ok", C.FREE_WORDS,
     "think i'd like the quick release tonight if that's ok"),
    ("nah mate all good", C.FREE_NO, "mate all good"),
    ("yeah the cat scratched me this morning", C.FREE_YES, "the cat scratched me this morning"),
    ("hiya start back extension only please", C.FREE_TAIL,
     "hiya start back extension only"),                       # no carrier first: "please"
    ("repeat the bit about the knees", C.FREE_AFTER[C.REPEAT], "the bit about the knees"),
])
def test_free_sentences(matcher, said, intent, words):
    """What no template matches, after a carrier word, is sent as Alexa sends it: the free
    intent of that word, the rest in its one slot (the skill reads it: reader.py)."""
    m = matcher.match(said)
    assert (m.intent, m.kind, m.slots[C.SLOT_WORDS].value) == (intent, "free", words)
    assert m.slots[C.SLOT_WORDS].to_alexa()["value"] == words
