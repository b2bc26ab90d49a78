"""The coach renders every routine item of the real content into valid, paced pages whose
holds are never shorter than the content says."""

import dataclasses
import re
import xml.etree.ElementTree as ET

import pytest

from skill.voice import coach
from skill.voice.coach import PAGE_MAX_CHARS, Prefs, VOICE_KEYS, effective_hold, render_stretch
from skill.content import RoutineItem, load_content
from skill.voice.ssml import ALLOWED_TAGS, MAX_BREAK_SECONDS, RATES, split_sentences

CONTENT = load_content()
ITEMS = [(f"{r.id}[{i}]:{item.exercise.id}", item, i + 1, len(r.items))
         for r in CONTENT.routines.values() for i, item in enumerate(r.items)]
PREFS = [Prefs(), Prefs("longer", "slow", "more"), Prefs("shorter", "normal", "fewer"),
         Prefs("normal", "slow", "fewer")]


def v(key, **fields):
    return CONTENT.text("voice", key, **fields)


def pattern(key):
    """A regex matching the voice text `key` with any number in each placeholder."""
    parts = re.split(r"\{\w+\}", CONTENT.texts["voice"][key])
    return re.compile(r"(\d+)".join(re.escape(p) for p in parts) + r"\Z")


HOLD_START = pattern("hold_start")
MOVING_START = pattern("moving_start")


def sequence(ssml_text):
    """The page as [("s", sentence) | ("break", seconds)], checking tags on the way."""
    root = ET.fromstring(ssml_text)
    assert root.tag == "speak"
    out = []
    for el in root.iter():
        assert el.tag in ALLOWED_TAGS, el.tag
        if el.tag == "s":
            out.append(("s", el.text))
        elif el.tag == "break":
            m = re.fullmatch(r"(\d+)(ms|s)", el.get("time"))
            assert m, el.get("time")
            out.append(("break", int(m.group(1)) / (1000 if m.group(2) == "ms" else 1)))
    return out


def render(item, number=1, total=1, prefs=Prefs()):
    return render_stretch(CONTENT, item, number, total, prefs)


def full_sequence(pages):
    return [part for page in pages for part in sequence(page.ssml())]


def holds(seq):
    """[(announced seconds, silence in breaks until the release cue)] for each hold."""
    out, current, announced = [], None, None
    release = v("release")
    for kind, value in seq:
        if kind == "s":
            m = HOLD_START.match(value)
            if m:
                assert current is None, "a hold started inside another"
                current, announced = 0.0, int(m.group(1))
            elif value == release and current is not None:
                out.append((announced, current))
                current = None
        elif current is not None:
            current += value
    assert current is None, "a hold without a release"
    return out


def moving_silence(seq):
    """Silence between the moving-start cue and the release cue (counted movements)."""
    total, inside = 0.0, False
    for kind, value in seq:
        if kind == "s" and MOVING_START.match(value):
            inside = True
        elif kind == "s" and value == v("release"):
            inside = False
        elif kind == "break" and inside:
            total += value
    return total


def sentences(pages):
    return [value for kind, value in full_sequence(pages) if kind == "s"]


def test_there_is_content():
    assert ITEMS, "no routine items in content"


def test_voice_keys_match_voice_yaml():
    CONTENT.require("voice", VOICE_KEYS)            # what the app checks at start-up
    assert set(CONTENT.texts["voice"]) == set(VOICE_KEYS), "unused or undeclared voice keys"


@pytest.mark.parametrize("prefs", PREFS, ids=lambda p: f"{p.hold}-{p.pace}-{p.cues}")
@pytest.mark.parametrize("name,item,number,total", ITEMS, ids=[i[0] for i in ITEMS])
def test_every_routine_item(name, item, number, total, prefs):
    ex = item.exercise
    pages = render_stretch(CONTENT, item, number, total, prefs)
    assert pages
    seq = []
    for page in pages:
        text = page.ssml()
        assert len(text) < PAGE_MAX_CHARS
        assert len(page) == len(text)
        page_seq = sequence(text)
        assert f'rate="{RATES[prefs.pace]}%"' in text
        for (kind_a, a), (kind_b, b) in zip(page_seq, page_seq[1:]):
            assert not (kind_a == kind_b == "break"), f"adjacent breaks {a} {b} in {name}"
        for kind, value in page_seq:
            if kind == "break":
                assert 0 < value <= MAX_BREAK_SECONDS
        assert page_seq[0][0] == "s"
        assert not page.plain().rstrip().endswith("?"), "the conversation asks the question"
        seq += page_seq
    said = [value for kind, value in seq if kind == "s"]
    assert said[0] == v("stretch_intro", number=number, total=total, name=ex.name)
    if ex.equipment:
        assert v("equipment", equipment=ex.equipment) in said
    for step in ex.steps:  # each step is followed by a pause to move
        (sentence,) = split_sentences(step)
        j = seq.index(("s", sentence))
        assert seq[j + 1][0] == "break" and seq[j + 1][1] >= 2

    sides = 2 if ex.sides else 1
    hold = effective_hold(item, prefs)
    assert said.count(v("other_side")) == sides - 1
    if ex.sides:
        assert v("sides_intro") in said
        if ex.switch:
            switch = split_sentences(ex.switch)
            i = said.index(switch[0])
            assert said[i:i + len(switch)] == switch
    if hold:
        found = holds(seq)
        assert len(found) == item.repetitions * sides
        for announced, silence in found:
            assert announced == hold
            assert silence >= hold            # never shorter than the content says
        assert sum(s for _, s in found) >= hold * item.repetitions * sides
        if prefs.hold != "shorter":
            assert hold >= item.hold_seconds
        if item.repetitions > 1:
            for n in range(1, item.repetitions + 1):
                assert said.count(v("repetition", number=n, total=item.repetitions)) == sides
    else:
        assert ex.tempo_seconds > 0
        assert moving_silence(seq) >= ex.tempo_seconds * item.repetitions * sides
        for n in range(1, item.repetitions + 1):
            assert said.count(v("count", number=n)) == sides
    assert said.count(v("release")) == (item.repetitions if hold else 1) * sides


# --- preferences -----------------------------------------------------------------------
def held_item():
    return next(item for _, item, _, _ in ITEMS if item.hold_seconds >= 20)


def hold_silence(pages):
    return sum(s for _, s in holds(full_sequence(pages)))


def test_longer_holds_give_more_silence_and_shorter_less():
    item = held_item()
    normal = hold_silence(render(item))
    assert hold_silence(render(item, prefs=Prefs(hold="longer"))) > normal
    assert hold_silence(render(item, prefs=Prefs(hold="shorter"))) < normal


def step_pauses(pages, item):
    seq = full_sequence(pages)
    out = []
    for step in item.exercise.steps:
        (sentence,) = split_sentences(step)
        j = seq.index(("s", sentence))
        out.append(seq[j + 1][1])
    return out


def test_slow_pace_is_slower_and_pauses_longer():
    item = held_item()
    normal, slow = render(item), render(item, prefs=Prefs(pace="slow"))
    assert 'rate="80%"' in slow[0].ssml() and 'rate="90%"' in normal[0].ssml()
    for a, b in zip(step_pauses(normal, item), step_pauses(slow, item)):
        assert 2 <= a < b <= 4
    assert sum(p.estimated_seconds for p in slow) > sum(p.estimated_seconds for p in normal)


def test_fewer_cues_speak_fewer_words_but_keep_the_silence():
    for _, item, _, _ in ITEMS:
        more, fewer = render(item), render(item, prefs=Prefs(cues="fewer"))
        words = lambda pages: sum(p.words for p in pages)  # noqa: E731
        assert words(fewer) < words(more) or not (item.exercise.cues and item.hold_seconds > 10)
        assert words(fewer) <= words(more)
        assert hold_silence(fewer) == hold_silence(more)


# --- effective hold and prefs -----------------------------------------------------------
@pytest.mark.parametrize("content_hold,choice,expected", [
    (20, "normal", 20), (20, "longer", 30), (30, "longer", 45), (15, "longer", 25),
    (30, "shorter", 25), (20, "shorter", 15), (40, "shorter", 30), (60, "shorter", 45),
    (10, "shorter", 10), (12, "shorter", 10), (8, "shorter", 8), (5, "longer", 10),
    (0, "longer", 0), (0, "shorter", 0),
])
def test_effective_hold(content_hold, choice, expected):
    item = dataclasses.replace(held_item(), hold_seconds=content_hold)
    assert effective_hold(item, Prefs(hold=choice)) == expected


def test_prefs_from_dict_is_tolerant():
    assert Prefs.from_dict(None) == Prefs()
    assert Prefs.from_dict("junk") == Prefs()
    assert Prefs.from_dict({"hold": "LONGER ", "pace": 3, "cues": "fewer", "x": 1}) == \
        Prefs("longer", "normal", "fewer")
    assert Prefs.from_dict({"hold": "huge", "pace": "slow"}) == Prefs("normal", "slow", "more")
    assert Prefs.from_dict(Prefs("shorter", "slow", "fewer").as_dict()) == Prefs("shorter", "slow", "fewer")


# --- paging -----------------------------------------------------------------------------
def test_pathological_exercise_splits_into_pages_with_all_its_silence():
    sided = next(ex for ex in CONTENT.exercises.values() if ex.sides and ex.hold_seconds)
    ex = dataclasses.replace(sided, hold_seconds=30, repetitions=40)
    item = RoutineItem(ex, hold_seconds=30, repetitions=40)
    for prefs in (Prefs(), Prefs("longer", "slow", "more")):
        pages = render(item, 3, 7, prefs)
        assert len(pages) > 2
        hold = effective_hold(item, prefs)
        found = holds(full_sequence(pages))
        assert len(found) == 80 and all(s >= hold for _, s in found)
        assert sum(s for _, s in found) >= hold * 40 * 2
        said = sentences(pages)
        assert said.count(v("other_side")) == 1
        for page in pages:
            assert len(page) < PAGE_MAX_CHARS
            seq = sequence(page.ssml())
            assert all(not (a[0] == b[0] == "break") for a, b in zip(seq, seq[1:]))
        for page in pages[1:]:  # cut at a repetition or side, announced as a continuation
            first, second = [value for kind, value in sequence(page.ssml()) if kind == "s"][:2]
            assert first == v("continued", name=ex.name)
            assert second == v("other_side") or re.fullmatch(
                pattern("repetition").pattern.replace(r"\Z", ""), second)


def test_one_huge_hold_still_fits_pages():
    ex = next(ex for ex in CONTENT.exercises.values() if ex.hold_seconds and ex.cues)
    item = RoutineItem(dataclasses.replace(ex, sides=False, switch=None), hold_seconds=900,
                       repetitions=1)
    pages = render(item)
    assert len(pages) > 1 and all(len(p) < PAGE_MAX_CHARS for p in pages)
    assert sum(p.silence_seconds for p in pages) >= 900


def test_render_is_fast():
    import time
    start = time.perf_counter()
    for _, item, number, total in ITEMS:
        render(item, number, total)
    assert (time.perf_counter() - start) / len(ITEMS) < 0.02


def test_module_constants_documented():
    assert coach.PAGE_MAX_CHARS == 7000
    assert set(coach.STEP_PAUSE_SECONDS) == set(RATES)
