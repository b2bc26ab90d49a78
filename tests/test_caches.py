"""What the skill computes once per process gives exactly what computing it afresh gives, for
every routine, preference and memory a user can have (docs/performance.md: where the time
per request goes, and why each of these is cached)."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from skill.content import load_content
from skill.dialog import playback
from skill.dialog.state import fresh_state
from skill.dialog.turn import Memory, Turn
from skill.voice.coach import CUE_CHOICES, HOLD_CHOICES, PACE_CHOICES, SOUND_CHOICES, Prefs
from skill.voice.ssml import Speech

CONTENT = load_content()
EVERY_PREFS = [dict(zip(("hold", "pace", "cues", "sounds"), combo)) for combo in
               itertools.product(HOLD_CHOICES, PACE_CHOICES, CUE_CHOICES, SOUND_CHOICES)]


def memories(routine, prefs: dict) -> list[dict]:
    """Memories that make different stretches of `routine` short: none, all (by experience
    and by choice), every other one, none by choice; with and without other things kept."""
    ids = [item.exercise.id for item in routine.items]
    return [
        {"prefs": prefs},
        {"prefs": prefs, "seen": {i: 3 for i in ids}},
        {"prefs": prefs, "seen": {i: 5 for i in ids[::2]}, "history": [
            {"routine": routine.id, "date": "2026-11-01"}], "disclaimer_heard": True},
        {"prefs": {**prefs, "detail": "short"}},
        {"prefs": {**prefs, "detail": "full"}, "seen": {i: 9 for i in ids},
         "resume": {"routine": routine.id, "index": 0}, "gate": {"0123456789abcdef": "a" * 12}},
    ]


def turn_of(memory: dict, *, taught: bool, in_routine: str | None = None) -> Turn:
    state = fresh_state()
    state["taught"] = taught
    if in_routine:
        state.update(state="routine", routine=in_routine, cleared=True, version="full")
    return Turn(CONTENT, state, Memory(memory), dt.date(2026, 11, 30))


def shorts_of(turn: Turn, routine, done: bool) -> tuple[bool, ...]:
    from skill.dialog import memory
    ids = [item.exercise.id for item in routine.items]
    return tuple(memory.is_short(turn, i, discount=ids.count(i) if done else 0) for i in ids)


def lead_afresh(turn: Turn, routine, pace: str) -> int:
    """The room a first page leaves for the introduction, as computed before it was cached."""
    sp = Speech(pace).say(turn.s("cleared"))
    for line in playback.intro_lines(turn, routine, teach=True, short=True):
        sp.say(line)
    sp.say(turn.t("lets_begin"))
    return int(sp.estimated_seconds) + 1


@pytest.mark.parametrize("routine_id", list(CONTENT.routines))
def test_cached_minutes_equal_uncached_for_every_preference_and_memory(routine_id):
    routine = CONTENT.routines[routine_id]
    playback._routine_seconds.cache_clear()
    playback._lead_seconds.cache_clear()
    for prefs in EVERY_PREFS:
        for memory in memories(routine, prefs):
            # Two users whose turns differ in everything but what the cache keys on: the
            # first fills the cache, the second must still hear its own figure.
            turns = [turn_of(dict(memory), taught=False),
                     turn_of(dict(memory), taught=True, in_routine=routine_id)]
            for done in (False, True):
                for turn in turns:
                    afresh = playback.timed_routine(turn, routine, shorts_of(turn, routine, done))
                    assert playback.routine_seconds(turn, routine, done) == afresh
                    assert playback.minutes(turn, routine, done) == \
                        playback.coach.spoken_minutes(afresh)
            for turn in turns:
                p = turn.memory.prefs
                assert playback._lead(turn, routine, p) == lead_afresh(turn, routine, p.pace)
    assert playback._routine_seconds.cache_info().hits > 0      # the second turn was cached


def test_minutes_follow_what_changes_them():
    """A preference, experience or choice of detail changes what is said; the cache never
    serves the figure of another."""
    routine = CONTENT.routines["lower_back"]
    ids = [item.exercise.id for item in routine.items]
    said = {
        "normal": playback.minutes(turn_of({}, taught=False), routine),
        "longer": playback.minutes(turn_of({"prefs": {"hold": "longer"}}, taught=False), routine),
        "slow": playback.minutes(turn_of({"prefs": {"pace": "slow"}}, taught=False), routine),
        "known": playback.minutes(turn_of({"seen": {i: 3 for i in ids}}, taught=False), routine),
    }
    assert said["longer"] != said["normal"] and said["slow"] != said["normal"]
    assert said["known"] != said["normal"]
    assert playback.minutes(turn_of({}, taught=True), routine) == said["normal"]


def test_the_caches_are_bounded():
    for cached in (playback._routine_seconds, playback._lead_seconds, playback._rendered):
        assert cached.cache_info().maxsize is not None


def test_prefs_are_the_same_as_their_cached_value():
    for prefs in EVERY_PREFS:
        assert playback._neutral_turn(CONTENT, Prefs(**prefs)).memory.prefs == Prefs(**prefs)
