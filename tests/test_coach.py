"""The coach renders every routine item of the real content into valid, paced pages whose
holds are never shorter than the content says, that a physiotherapist would find neither
rushed nor droning: checks before the first step, time to change position, one instruction
per pause, compact counting, whole cycles, no sentence said over and over."""

import collections
import dataclasses
import re
import xml.etree.ElementTree as ET

import pytest

from skill.voice import coach
from skill.voice.coach import (PAGE_MAX_CHARS, PAGE_MAX_SECONDS, Prefs, VOICE_KEYS, effective_hold,
                               is_compact, render_stretch, routine_pages, schedule, spoken_minutes)
from skill.content import RoutineItem, load_content
from skill.voice.ssml import ALLOWED_TAGS, MAX_BREAK_SECONDS, RATES, split_sentences

CONTENT = load_content()
ITEMS = [(f"{r.id}[{i}]:{item.exercise.id}", r, i, item)
         for r in CONTENT.routines.values() for i, item in enumerate(r.items)]
PREFS = [Prefs(), Prefs("longer", "slow", "more"), Prefs("shorter", "normal", "fewer"),
         Prefs("normal", "slow", "fewer")]
#: A sentence that says a number (a count, a time left, a repetition) may come back often.
COUNT = re.compile(r"\d")
MAX_SAME_SENTENCE = 3


def v(key, **fields):
    return CONTENT.text("voice", key, **fields)


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


def previous_position(routine, index):
    return routine.items[index - 1].exercise.position if index else None


def beats_of(routine, index, prefs=Prefs(), short=False):
    return schedule(CONTENT, routine.items[index], index + 1, len(routine.items), prefs,
                    previous=previous_position(routine, index), short=short)


def render(item, number=1, total=1, prefs=Prefs(), **kw):
    return render_stretch(CONTENT, item, number, total, prefs, **kw)


def full_sequence(pages):
    return [part for page in pages for part in sequence(page.ssml())]


def sentences(pages):
    return [value for kind, value in full_sequence(pages) if kind == "s"]


def holds(beats):
    """[(hold seconds, silence until the next rest, release or repetition)] for each hold:
    a "hold" beat, or a compact "count" beat that carries its hold."""
    out, current = [], None
    for beat in beats:
        if beat.kind in ("hold", "count") and beat.seconds:
            assert current is None, "a hold started inside another"
            current = [beat.seconds, beat.pause]
        elif beat.kind in ("rest", "release", "repetition", "count") and current is not None:
            out.append(tuple(current))
            current = None
            if beat.kind == "count" and beat.seconds:
                current = [beat.seconds, beat.pause]
        elif current is not None:
            current[1] += beat.pause
    assert current is None, "a hold without an end"
    return out


def test_there_is_content():
    assert ITEMS, "no routine items in content"


def test_voice_keys_match_voice_yaml():
    CONTENT.require("voice", VOICE_KEYS)            # what the app checks at start-up
    assert set(CONTENT.texts["voice"]) == set(VOICE_KEYS), "unused or undeclared voice keys"


@pytest.mark.parametrize("prefs", PREFS, ids=lambda p: f"{p.hold}-{p.pace}-{p.cues}")
@pytest.mark.parametrize("name,routine,index,item", ITEMS, ids=[i[0] for i in ITEMS])
def test_every_routine_item(name, routine, index, item, prefs):
    ex = item.exercise
    number, total = index + 1, len(routine.items)
    pages = routine_pages(CONTENT, routine, index, prefs)
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
    first_step = said.index(split_sentences(ex.steps[0])[0])
    for check in ex.check:                    # every check comes before the first step
        for sentence in split_sentences(check):
            assert sentence in said[:first_step], (name, sentence)
    if ex.equipment:
        assert said.index(v("equipment", equipment=ex.equipment)) < first_step
    for step in ex.steps:  # each step is followed by a pause to move
        (sentence,) = split_sentences(step)
        j = seq.index(("s", sentence))
        assert seq[j + 1][0] == "break" and seq[j + 1][1] >= 2

    beats = beats_of(routine, index, prefs)
    sides = 2 if ex.sides else 1
    hold = effective_hold(item, prefs)
    assert said.count(v("other_side")) == sides - 1
    if ex.sides:
        assert v("sides_intro") in said
        if ex.switch:
            switch = split_sentences(ex.switch)
            i = said.index(switch[0])
            assert said[i:i + len(switch)] == switch
            for sentence in switch:                   # one instruction behind each pause
                j = seq.index(("s", sentence))
                assert seq[j + 1][0] == "break" and seq[j + 1][1] >= 2
    # the full release once a side, at its end
    release = v("release") + " " + ex.release
    assert [b.text for b in beats].count(release) == sides
    if hold:
        found = holds(beats)
        assert len(found) == item.repetitions * sides
        for announced, silence in found:
            assert announced == hold
            assert silence >= hold            # never shorter than the content says
        if prefs.hold != "shorter":
            assert hold >= item.hold_seconds
        if item.repetitions > 1 and not is_compact(item, prefs):
            for n in range(2, item.repetitions + 1):
                assert said.count(v("repetition", number=n, total=item.repetitions)) == sides
            assert said.count(ex.reenter) == (item.repetitions - 1) * sides
        if is_compact(item, prefs):
            for n in range(1, item.repetitions):
                assert said.count(v("relax_count", number=n)) == sides
            assert said.count(v("reps_intro", count=item.repetitions, seconds=hold)) == sides
    else:
        assert ex.tempo_seconds > 0
        cycles = [b for b in beats if b.kind in ("cycle", "count")]
        assert len(cycles) == item.repetitions * sides
        silence = sum(b.pause for b in beats if b.kind in ("cycle", "movement", "count", "keep_moving"))
        assert silence >= ex.tempo_seconds * item.repetitions * sides


# --- what a physiotherapist listens for --------------------------------------------------

@pytest.mark.parametrize("prefs", PREFS[:2], ids=["default", "longer-slow-more"])
def test_no_sentence_said_more_than_three_times_in_a_response_except_counts(prefs):
    for name, routine, index, item in ITEMS:
        for short in (False, True):
            for page in routine_pages(CONTENT, routine, index, prefs, short=short):
                said = collections.Counter(s for s in sentences([page]) if not COUNT.search(s))
                worst = said.most_common(1)[0]
                assert worst[1] <= MAX_SAME_SENTENCE, (name, worst)


def test_no_generic_re_entry_line():
    """Each held stretch says its own way back in ("Lift your hips again"), not one line
    for every exercise."""
    lines = {ex.reenter for ex in CONTENT.exercises.values() if ex.hold_seconds}
    assert len(lines) == sum(1 for ex in CONTENT.exercises.values() if ex.hold_seconds)
    assert not any("ease back into the stretch" in text.lower() for text in CONTENT.texts["voice"].values())


def test_every_page_fits_the_time_limit_at_default_preferences():
    for name, routine, index, item in ITEMS:
        for page in routine_pages(CONTENT, routine, index, Prefs()):
            assert page.estimated_seconds <= PAGE_MAX_SECONDS, (name, page.estimated_seconds)


def test_pages_are_cut_at_sides_or_repetitions_never_inside_a_hold():
    for name, routine, index, item in ITEMS:
        pages = coach.pages_of(CONTENT, item, index + 1, len(routine.items), Prefs(),
                               previous=previous_position(routine, index))
        for page in pages[1:]:
            assert page[0].kind == "continued"
            assert page[1].boundary, (name, page[1])


def test_pages_of_one_stretch_are_evened_out():
    for name, routine, index, item in ITEMS:
        pages = routine_pages(CONTENT, routine, index, Prefs())
        if len(pages) > 1:
            assert min(p.estimated_seconds for p in pages) >= 25, name


def test_changing_position_takes_time_one_move_a_sentence():
    floor_to_standing = next((r, i) for r in CONTENT.routines.values()
                             for i, item in enumerate(r.items) if i and item.exercise.position != "floor"
                             and r.items[i - 1].exercise.position in ("floor", "hands_and_knees"))
    routine, index = floor_to_standing
    beats = beats_of(routine, index)
    moves = [b for b in beats if b.kind == "move"]
    assert len(moves) >= 2, "getting up from the floor is more than one move"
    assert all(b.pause >= coach.MOVE_PAUSE_SECONDS["normal"] for b in moves)
    assert all(len(split_sentences(b.text)) == 1 for b in moves)
    same = next((r, i) for r in CONTENT.routines.values() for i, item in enumerate(r.items)
                if i and item.exercise.position == r.items[i - 1].exercise.position)
    assert not [b for b in beats_of(*same) if b.kind == "move"]
    first = beats_of(routine, 0)
    assert [b.kind for b in first if b.kind == "move"], "the first stretch says how to get there"


def test_every_change_of_position_has_its_words():
    for a in coach.POSITION_IDS:
        assert CONTENT.text("voice", f"get_to_{a}")
        for b in coach.POSITION_IDS:
            if a != b:
                assert CONTENT.text("voice", f"move_{a}_to_{b}")


def test_checks_come_first_and_stay_in_the_short_version():
    for name, routine, index, item in ITEMS:
        for short in (False, True):
            beats = beats_of(routine, index, short=short)
            kinds = [b.kind for b in beats]
            first_step = kinds.index("step")
            assert kinds.count("check") == len(item.exercise.check)
            assert all(k != "check" for k in kinds[first_step:])
            if item.exercise.equipment:
                assert "equipment" in kinds[:first_step]
            if item.exercise.check:
                assert beats[kinds.index("check") + len(item.exercise.check) - 1].pause >= 2


def test_short_version_is_shorter_and_keeps_the_hold():
    for name, routine, index, item in ITEMS:
        full = routine_pages(CONTENT, routine, index, Prefs())
        short = routine_pages(CONTENT, routine, index, Prefs(), short=True)
        assert sum(p.words for p in short) < sum(p.words for p in full), name
        assert sum(p.silence_seconds for p in short) >= effective_hold(item, Prefs()) * item.repetitions
        said = sentences(short)
        for line in item.exercise.short:
            assert split_sentences(line)[0] in said
        assert split_sentences(item.exercise.steps[-1])[0] not in said or item.exercise.steps[-1] in item.exercise.short


def test_moving_stretches_are_cued_one_whole_cycle_at_a_time():
    for name, routine, index, item in ITEMS:
        ex = item.exercise
        if ex.hold_seconds:
            continue
        beats = beats_of(routine, index)
        said = [b.text for b in beats]
        guided = min(item.repetitions, coach.GUIDED_CYCLES)
        for k in range(1, guided + 1):
            start = said.index(v("count", number=k) + " " + ex.cycle[0])
            assert said[start + 1:start + len(ex.cycle)] == list(ex.cycle[1:]), name
        for k in range(guided + 1, item.repetitions + 1):
            assert v("count", number=k) in said
        assert all(said.count(m) <= MAX_SAME_SENTENCE for m in ex.cycle[1:])


def test_compact_counting_for_short_repeated_holds():
    item = next(i for _, _, _, i in ITEMS if is_compact(i, Prefs()) and i.repetitions >= 6)
    said = sentences(render(item))
    assert not any(s.startswith("Repetition") for s in said)
    assert said.count(v("release")) == 1
    assert said.count(item.exercise.reenter) == 1            # the way back in, once


# --- preferences -----------------------------------------------------------------------
def held_item():
    return next(item for _, _, _, item in ITEMS if item.hold_seconds >= 20)


def hold_silence(item, prefs):
    b = schedule(CONTENT, item, 1, 1, prefs)
    return sum(s for _, s in holds(b))


def test_longer_holds_give_more_silence_and_shorter_less():
    item = held_item()
    normal = hold_silence(item, Prefs())
    assert hold_silence(item, Prefs(hold="longer")) > normal
    assert hold_silence(item, Prefs(hold="shorter")) < normal


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
        assert 2 <= a < b <= 6
    assert sum(p.estimated_seconds for p in slow) > sum(p.estimated_seconds for p in normal)


def test_fewer_cues_speak_fewer_words_but_keep_the_silence():
    for _, _, _, item in ITEMS:
        more, fewer = render(item), render(item, prefs=Prefs(cues="fewer"))
        words = lambda pages: sum(p.words for p in pages)  # noqa: E731
        assert words(fewer) <= words(more)
        if item.hold_seconds:
            assert hold_silence(item, Prefs(cues="fewer")) == hold_silence(item, Prefs())


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


@pytest.mark.parametrize("seconds,said", [
    (170, "3"), (200, "3 and a half"), (225, "4"), (60, "1"), (10, "1"), (590, "10"),
    (612, "10"), (660, "11"), (1050, "18"),
])
def test_spoken_minutes(seconds, said):
    assert spoken_minutes(seconds) == said


# --- paging -----------------------------------------------------------------------------
def test_pathological_exercise_splits_into_pages_with_all_its_silence():
    sided = next(ex for ex in CONTENT.exercises.values() if ex.sides and ex.hold_seconds)
    ex = dataclasses.replace(sided, hold_seconds=30, repetitions=40)
    item = RoutineItem(ex, hold_seconds=30, repetitions=40)
    for prefs in (Prefs(), Prefs("longer", "slow", "more")):
        pages = render(item, 3, 7, prefs)
        assert len(pages) > 2
        hold = effective_hold(item, prefs)
        found = holds(schedule(CONTENT, item, 3, 7, prefs))
        assert len(found) == 80 and all(s >= hold for _, s in found)
        assert sum(p.silence_seconds for p in pages) >= hold * 40 * 2
        said = sentences(pages)
        assert said.count(v("other_side")) == 1
        for page in pages:
            assert len(page) < PAGE_MAX_CHARS
            seq = sequence(page.ssml())
            assert all(not (a[0] == b[0] == "break") for a, b in zip(seq, seq[1:]))
        for page in pages[1:]:  # cut at a repetition or side, announced as a continuation
            first, second = [value for kind, value in sequence(page.ssml()) if kind == "s"][:2]
            assert first == v("continued", name=ex.name)
            assert second == v("other_side") or second.startswith("Repetition")


def test_one_huge_hold_still_fits_pages():
    ex = next(ex for ex in CONTENT.exercises.values() if ex.hold_seconds and ex.cues)
    item = RoutineItem(dataclasses.replace(ex, sides=False, switch=None), hold_seconds=900,
                       repetitions=1)
    pages = render(item)
    assert len(pages) > 1 and all(len(p) < PAGE_MAX_CHARS for p in pages)
    assert all(p.estimated_seconds <= PAGE_MAX_SECONDS for p in pages)
    assert sum(p.silence_seconds for p in pages) >= 900


def test_render_is_fast():
    import time
    start = time.perf_counter()
    for _, routine, index, _ in ITEMS:
        routine_pages(CONTENT, routine, index, Prefs())
    assert (time.perf_counter() - start) / len(ITEMS) < 0.05


def test_module_constants_documented():
    assert coach.PAGE_MAX_CHARS == 7000
    assert coach.PAGE_MAX_SECONDS + 10 <= coach.RESPONSE_MAX_SECONDS
    assert set(coach.STEP_PAUSE_SECONDS) == set(RATES) == set(coach.MOVE_PAUSE_SECONDS)
