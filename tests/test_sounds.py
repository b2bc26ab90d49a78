"""Sounds (issue 13): a chime when a hold starts, a bell when it ends, a sound at the switch of
sides, from Alexa's own sound library; never more in one response than Alexa plays (5 tags,
240 s); all of them gone when the user says "turn off the sounds", and back on request."""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import shutil
from pathlib import Path

import pytest

from skill import constants as C
from skill.config import Config
from skill.content import ContentError, default_content_dir, load_content
from skill.dialog import playback
from skill.dialog.state import fresh_state
from skill.dialog.turn import Memory, Turn
from skill.voice import coach
from skill.voice.coach import (CUE_CHOICES, HOLD_CHOICES, PACE_CHOICES, SOUND_MOMENTS, Prefs,
                               kept_sounds, pages_of, speech_of)
from skill.voice.ssml import (MAX_AUDIO_SECONDS, MAX_AUDIO_TAGS, SENTENCE_GAP_SECONDS, Audio,
                              is_soundbank_url)
from skill.web.app import create_app
from tests.client import AlexaClient, flask_poster
from tests.conftest import SECRET, checked
from tests import test_virtual_alexa as va
from tests.test_conversation import NEXT, REPEAT, start, stretch_number
from tests.test_virtual_alexa import server  # noqa: F401  (the fixture: a real server)

CONTENT = load_content()
SOUNDS = CONTENT.sounds
START, END, SWITCH = (SOUNDS[m] for m in ("hold_start", "hold_end", "switch_sides"))
#: Every preference a user can set that changes what a stretch says.
ALL_PREFS = [Prefs(h, p, c, s) for h, p, c, s in
             itertools.product(HOLD_CHOICES, PACE_CHOICES, CUE_CHOICES, ("on", "off"))]


def turn_with(memory: dict | None = None, version: str = "") -> Turn:
    state = fresh_state()
    state["version"] = version
    return Turn(CONTENT, state, Memory(dict(memory or {})), dt.date.today())


def every_response_page():
    """(label, Speech) for every page of every stretch of every routine, as the skill sends it
    (with the room it leaves for the introduction), at every preference, in the automatic,
    short and full versions and the gentler one after mild pain."""
    for prefs in ALL_PREFS:
        for detail in (None, "short", "full"):
            memory = {"prefs": {**prefs.as_dict(), **({"detail": detail} if detail else {})}}
            for version in ("", "gentle"):
                turn = turn_with(memory, version)
                for routine in CONTENT.routines.values():
                    for index in range(len(routine.items)):
                        for n, page in enumerate(playback.pages(turn, routine, index)):
                            yield (f"{routine.id}[{index}] p{n + 1} {prefs} {detail} {version}",
                                   page)


# --------------------------------------------------------------------------- content

def test_the_shipped_sounds_mark_each_moment_with_a_distinct_library_sound():
    assert set(SOUNDS) == set(SOUND_MOMENTS)
    for sound in SOUNDS.values():
        assert is_soundbank_url(sound.url) and sound.url.startswith("soundbank://soundlibrary/")
        assert 0 < sound.seconds <= 5          # an earcon, not a jingle
    assert len({s.url for s in SOUNDS.values()}) == len(SOUNDS)   # start and end are distinct
    assert END.name == "hold ends" and START.name == "hold starts"


def sounds_copy(tmp_path: Path, old: str, new: str) -> Path:
    directory = tmp_path / "content"
    shutil.copytree(default_content_dir(), directory)
    path = directory / "sounds.yaml"
    text = path.read_text()
    assert old in text, f"test fixture out of date: {old!r} not in sounds.yaml"
    path.write_text(text.replace(old, new, 1))
    return directory


@pytest.mark.parametrize("old, new, field, words", [
    ("url: soundbank://soundlibrary/musical/amzn_sfx_bell_med_chime_02",
     "url: https://example.com/bell.mp3", "url", "is not a sound of Alexa's library"),
    ("url: soundbank://soundlibrary/musical/amzn_sfx_bell_med_chime_02",
     "url: soundbank://soundlibrary/musical/amzn_sfx_bell_short_chime_01", "url",
     "already sound 'hold_start'"),
    ("seconds: 0.89", "seconds: 0", "seconds", "must be more than 0"),
    ("seconds: 0.89", "seconds: -1", "seconds", "must be more than 0"),
    ("seconds: 0.89", "seconds: 300", "seconds", "at most 240"),
    ("seconds: 0.89", 'seconds: "0.89"', "seconds", "expected a number of seconds, got text"),
    ("seconds: 0.89", "seconds: .nan", "seconds", "expected a number of seconds"),
    ("seconds: 0.89", "secs: 0.89", "secs", "did you mean 'seconds'?"),
    ("name: hold ends", "name: hold starts", "name", "already sound 'hold_start'"),
])
def test_a_broken_sound_is_refused_naming_file_entry_and_field(tmp_path, old, new, field, words):
    with pytest.raises(ContentError) as err:
        load_content(sounds_copy(tmp_path, old, new))
    assert any(line.startswith(f"content/sounds.yaml: sound 'hold_end': field '{field}': ")
               and words in line for line in err.value.problems), str(err.value)


def test_the_skill_refuses_to_start_without_a_sound_for_each_moment(tmp_path, store):
    directory = sounds_copy(tmp_path, "- id: hold_end ", "- id: hold_ends ")
    content = load_content(directory)           # it loads: the file itself is well formed
    with pytest.raises(ContentError) as err:
        create_app(Config.local(session_secret=SECRET), store=store, content=content)
    assert err.value.problems == [
        "content/sounds.yaml: sound 'hold_end': missing",
        "content/sounds.yaml: sound 'hold_ends': no such moment (did you mean 'hold_end'?) "
        "(the code plays: hold_end, hold_start, switch_sides)"]


# --------------------------------------------------------------------------- the coach

def test_no_response_page_goes_over_alexas_audio_limits_at_any_preference():
    most, longest, pages, with_sounds = 0, 0.0, 0, 0
    for label, page in every_response_page():
        ssml = page.ssml()                     # refuses more than one response may play
        count = ssml.count("<audio ")
        assert count == page.audio_count <= MAX_AUDIO_TAGS, label
        assert page.audio_seconds <= MAX_AUDIO_SECONDS, label
        most, longest = max(most, count), max(longest, page.audio_seconds)
        pages, with_sounds = pages + 1, with_sounds + bool(count)
    print(f"\n{pages} pages, {with_sounds} with sounds; at most {most} sounds, "
          f"{longest:.2f} s of them, in one response")
    assert most == MAX_AUDIO_TAGS              # the limit is reached, and held
    assert with_sounds > pages / 3


def test_sounds_off_removes_every_sound():
    for label, page in every_response_page():
        prefs_off = "sounds='off'" in label
        if prefs_off:
            assert page.audio_count == 0 and "<audio" not in page.ssml(), label
            assert "[sound:" not in page.plain(), label


def test_sounds_off_says_the_same_words():
    for prefs in ALL_PREFS[::2]:
        off = dataclasses.replace(prefs, sounds="off")
        for routine in CONTENT.routines.values():
            for index, item in enumerate(routine.items):
                previous = routine.items[index - 1].exercise.position if index else None
                on_beats = coach.schedule(CONTENT, item, index + 1, 9, prefs, previous=previous)
                off_beats = coach.schedule(CONTENT, item, index + 1, 9, off, previous=previous)
                assert [dataclasses.replace(b, sound=None) for b in on_beats] == off_beats
                assert not any(b.sound for b in off_beats)


def marks(page) -> list[tuple[str, str]]:
    """The page as [(kind, what)]: ("sound", name) or ("s", sentence), breaks left out."""
    out = []
    for part in page._parts:
        if type(part) is str:
            out.append(("s", part))
        elif type(part) is not int:
            out.append(("sound", part.name))
    return out


def test_each_sound_sits_at_its_moment():
    """The start chime right after "Hold for N seconds.", the end bell right before the line
    that ends a hold, the switch right before "Now the other side."."""
    hold = CONTENT.text("voice", "hold_start", seconds=0).split("0")[0]    # "Hold for "
    ends = (CONTENT.text("voice", "release"), CONTENT.text("voice", "rest"),
            CONTENT.text("voice", "relax_count", number=0).split("0")[0])
    other = CONTENT.text("voice", "other_side")
    seen = set()
    for label, page in every_response_page():
        m = marks(page)
        for i, (kind, what) in enumerate(m):
            if kind != "sound":
                continue
            seen.add(what)
            if what == START.name:
                assert m[i - 1][1].startswith(hold), (label, m[i - 1])
            elif what == END.name:
                assert m[i + 1][1].startswith(ends), (label, m[i + 1])
            else:
                assert what == SWITCH.name and m[i + 1][1] == other, (label, m[i + 1])
    assert seen == {START.name, END.name, SWITCH.name}


def test_each_hold_is_marked_by_its_end_and_its_start_where_room_allows():
    """Per page: every hold end keeps its sound unless five other ends already have one; the
    starts get what room is left, then the switches. Over the content and all preferences,
    nearly every end and most starts are marked."""
    total = {m: 0 for m in SOUND_MOMENTS}
    marked = {m: 0 for m in SOUND_MOMENTS}
    for prefs in ALL_PREFS:
        if prefs.sounds == "off":
            continue
        for routine in CONTENT.routines.values():
            for index, item in enumerate(routine.items):
                previous = routine.items[index - 1].exercise.position if index else None
                for page in pages_of(CONTENT, item, index + 1, len(routine.items), prefs,
                                     previous=previous):
                    kept = kept_sounds(page)
                    wanted = {m: [i for i, b in enumerate(page) if b.sound and b.sound.id == m]
                              for m in SOUND_MOMENTS}
                    room = MAX_AUDIO_TAGS
                    for moment in SOUND_MOMENTS:           # ends, then starts, then switches
                        got = [i for i in wanted[moment] if i in kept]
                        assert len(got) == min(len(wanted[moment]), room), (routine.id, index)
                        room -= len(got)
                    # a set's release is never the end that goes without its bell
                    releases = [i for i in wanted["hold_end"] if page[i].kind == "release"]
                    assert all(i in kept for i in releases[:MAX_AUDIO_TAGS])
                    # every hold end on the page follows a hold (or a moving set)
                    for i in wanted["hold_end"]:
                        assert page[i].kind in ("rest", "release")
                    for moment, beats in wanted.items():
                        total[moment] += len(beats)
                        marked[moment] += len(set(beats) & kept)
    share = {m: marked[m] / total[m] for m in SOUND_MOMENTS}
    print("\nmarked:", ", ".join(f"{m} {marked[m]}/{total[m]} ({share[m]:.0%})" for m in share))
    assert share["hold_end"] > 0.9 and share["hold_start"] > 0.7 and share["switch_sides"] > 0.7


def test_a_stretch_with_few_holds_marks_every_one():
    """The knee to chest stretch: both sides, each hold with its chime and its bell, and the
    switch of sides."""
    routine = CONTENT.routines["lower_back"]
    index = next(i for i, it in enumerate(routine.items) if it.exercise.id == "knee_to_chest")
    heard = [what for page in coach.routine_pages(CONTENT, routine, index, Prefs())
             for kind, what in marks(page) if kind == "sound"]
    assert heard == [START.name, END.name, SWITCH.name, START.name, END.name]


def test_the_choice_is_deterministic():
    one = [page.ssml() for _, page in itertools.islice(every_response_page(), 300)]
    playback._rendered.cache_clear()
    two = [page.ssml() for _, page in itertools.islice(every_response_page(), 300)]
    assert one == two


def test_a_page_counts_the_sounds_it_keeps():
    """The estimate counts each sound kept at its known length; a sound between two
    sentences takes the place of the short gap after the first (as a break does)."""
    for routine in CONTENT.routines.values():
        for index, item in enumerate(routine.items):
            for beats in pages_of(CONTENT, item, index + 1, 6, Prefs()):
                with_sounds = speech_of(beats, "normal")
                without = speech_of([dataclasses.replace(b, sound=None) for b in beats], "normal")
                parts = with_sounds._parts + [None]
                replaced = sum(1 for a, b, c in zip(parts, parts[1:], parts[2:])
                               if type(a) is str and isinstance(b, Audio)
                               and (c is None or type(c) is str))
                assert with_sounds.estimated_seconds == pytest.approx(
                    without.estimated_seconds + with_sounds.audio_seconds
                    - replaced * SENTENCE_GAP_SECONDS)
                assert with_sounds.audio_seconds == sum(
                    beats[i].sound.seconds for i in kept_sounds(beats))


def test_announced_minutes_count_the_sounds():
    for routine in CONTENT.routines.values():
        on = playback.routine_seconds(turn_with(), routine)
        off = playback.routine_seconds(turn_with({"prefs": {"sounds": "off"}}), routine)
        heard = sum(page.audio_seconds for index in range(len(routine.items))
                    for page in playback.pages(turn_with(), routine, index))
        assert heard > 0
        assert on - off == pytest.approx(heard, abs=0.41 * len(routine.items)), routine.id


# --------------------------------------------------------------------------- by voice

def test_prefs_default_to_sounds_on_and_tolerate_junk():
    assert Prefs().sounds == "on"
    assert Prefs.from_dict({"sounds": "OFF "}).sounds == "off"
    for junk in ("loud", 1, None, ["off"]):
        assert Prefs.from_dict({"sounds": junk}).sounds == "on"


def test_a_user_hears_the_sounds_then_turns_them_off_and_back_on(app, content, store):
    alexa = AlexaClient(checked(flask_poster(app)), user_id="amzn1.ask.account.SOUNDS")
    r = start(alexa, "lower_back")
    assert stretch_number(r.text) == 1
    assert END.url in r.sounds and START.url in r.sounds          # by default: sounds
    r = alexa.intent("SetPreferenceIntent", preference="sounds_off")
    assert content.text("prompts", "pref_sounds_off") in r.text and not r.ends
    assert store.get(alexa.user_id)["prefs"] == {"sounds": "off"}
    r = alexa.intent(NEXT)
    while stretch_number(r.text) is None and not r.ends:          # on to the next stretch
        r = alexa.intent(NEXT)
    assert stretch_number(r.text) == 2 and r.sounds == []
    assert "Hold for" in r.text                                    # still coached by voice
    # remembered in a new session
    again = AlexaClient(checked(flask_poster(app)), user_id=alexa.user_id)
    r = start(again, "quick_release")
    assert stretch_number(r.text) == 1 and r.sounds == []
    r = again.intent("SetPreferenceIntent", preference="sounds_on")
    assert content.text("prompts", "pref_sounds_on") in r.text
    assert store.get(alexa.user_id)["prefs"] == {"sounds": "on"}
    r = again.intent(REPEAT)
    assert END.url in r.sounds


def test_the_words_people_say_reach_the_preference():
    from skill.language.nlu import default_matcher
    matcher = default_matcher()
    for said, value in [("turn off the sounds", "sounds_off"), ("no more chimes please", "sounds_off"),
                        ("turn the chimes back on", "sounds_on"), ("turn on the sounds", "sounds_on")]:
        match = matcher.match(said)
        assert (match.intent, match.slot_ids) == ("SetPreferenceIntent", {"preference": value}), said


def test_reprompts_never_play_a_sound(app):
    alexa = AlexaClient(checked(flask_poster(app)), user_id="amzn1.ask.account.REPROMPT")
    r = start(alexa, "quick_release")
    while not r.ends and stretch_number(r.text) is not None:
        assert r.sounds and "<audio" not in r.reprompt_ssml
        r = alexa.intent(NEXT)


def test_said_to_a_virtual_alexa_the_sounds_go_off_and_stay_off(server):
    """Through the real server and virtual-alexa's matching of our interaction model: the
    first stretch plays its sounds, "turn off the sounds" is understood and stored, and the
    next stretch (and the next session's first) plays none."""
    begin = [{"launch": True}, {"say": "start the quick release"}, {"say": "no"}]
    turns = va.converse(server, [
        *begin, {"say": "turn off the sounds"},
        {"say": "next", "until_closed": 10, "until_said": "Stretch 2 of"},
        {"end": "USER_INITIATED"}, *begin])
    cleared, off = turns[2], turns[3]
    after = [t for t in turns[4:] if t["request"]["type"] != "SessionEndedRequest"]
    assert stretch_number(cleared["text"]) == 1 and "<audio src=" in cleared["response"]["ssml"]
    # understood: said word for word it is either the setting's sample or, after the kept
    # word "turn", free words the skill reads back exactly (reader.py)
    assert off["request"]["intent"] in (C.SET_PREFERENCE, C.free_kept_intent("turn"))
    assert CONTENT.text("prompts", "pref_sounds_off") in off["text"]
    assert any("Stretch 2 of" in t["text"] for t in after)
    assert stretch_number(after[-1]["text"]) == 1          # a new session, the first stretch
    assert not any("<audio" in t["response"]["ssml"] for t in after)
