"""Every shortcut the skill takes for speed gives exactly what the plain way gives: the
routines' minutes and introductions computed once per process, for every routine, preference
and memory a user can have; the user's Prefs for any stored value; the session MACs from a
keyed copy; the screens' documents written from text made once; the envelope check that
searches only non-ASCII text for surrogates (docs/performance.md: where the time per request
goes, and why each of these was worth doing)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import itertools
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.content import load_content
from skill.dialog import playback, state
from skill.web import envelope as envelope_check
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


# --------------------------------------------------------------------------- F3: Prefs

def prefs_afresh(d) -> Prefs:
    """Prefs.from_dict as it was before one Prefs was kept per stored value."""
    d = d if isinstance(d, dict) else {}

    def pick(key, choices, default):
        value = d.get(key)
        value = value.strip().lower() if isinstance(value, str) else None
        return value if value in choices else default

    return Prefs(hold=pick("hold", HOLD_CHOICES, "normal"), pace=pick("pace", PACE_CHOICES, "normal"),
                 cues=pick("cues", CUE_CHOICES, "more"), sounds=pick("sounds", SOUND_CHOICES, "on"))


STORED_VALUES = st.one_of(
    st.sampled_from(HOLD_CHOICES + PACE_CHOICES + CUE_CHOICES + SOUND_CHOICES),
    st.sampled_from(HOLD_CHOICES + PACE_CHOICES).map(lambda v: f" {v.upper()} "),
    st.text(max_size=8), st.none(), st.booleans(), st.integers(), st.floats(),
    st.lists(st.text(max_size=3), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(),
                                                               max_size=2))


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.dictionaries(st.sampled_from(["hold", "pace", "cues", "sounds", "detail", "other"]),
                    STORED_VALUES, max_size=6),
    st.none(), st.text(max_size=5), st.lists(st.integers(), max_size=2)))
def test_prefs_from_a_stored_value_are_what_they_were(stored):
    assert Prefs.from_dict(stored) == prefs_afresh(stored)
    assert Prefs.from_dict(stored) == prefs_afresh(stored)        # and again, from the cache


def test_one_prefs_per_stored_value():
    a = Prefs.from_dict({"hold": "longer", "pace": "slow", "detail": "short"})
    b = Prefs.from_dict({"pace": "slow", "hold": "longer"})
    assert a is b and a == Prefs(hold="longer", pace="slow")
    assert Prefs.from_dict({"hold": "shorter"}) is not a
    with pytest.raises(dataclasses.FrozenInstanceError):          # shared, so it must not change
        a.hold = "normal"


# --------------------------------------------------------------------------- F2: keyed HMAC

@settings(max_examples=300, deadline=None)
@given(secret=st.binary(min_size=16, max_size=100), session_id=st.text(max_size=80),
       text=st.text(max_size=2500))
def test_the_keyed_macs_are_the_one_shot_macs(secret, session_id, text):
    assert state._mac(secret, session_id, text) == hmac.digest(
        secret, (session_id + "\n" + text).encode(), "sha256").hex()
    assert state.session_ref(session_id, secret) == hmac.digest(
        secret, b"gate\n" + session_id.encode(), "sha256").hex()[:16]


def test_sealed_state_opens_only_with_its_secret_and_session():
    sealed = state.seal(fresh_state(), "session-1", b"k" * 32)
    assert sealed["sig"] == hmac.digest(b"k" * 32, ("session-1\n" + sealed["bsc"]).encode(),
                                        "sha256").hex()
    sealed = state.seal(dict(fresh_state(), taught=True), "session-1", b"k" * 32)
    assert state.unseal(sealed, "session-1", b"k" * 32, CONTENT)["taught"] is True
    assert state.unseal(sealed, "session-2", b"k" * 32, CONTENT) == fresh_state()
    assert state.unseal(sealed, "session-1", b"j" * 32, CONTENT) == fresh_state()


def test_macs_made_at_once_on_many_threads_are_right():
    secret = b"shared-secret-of-one-server-0001"
    jobs = [(f"amzn1.echo-api.session.{i}", "x" * (i % 300)) for i in range(4000)]
    want = [hmac.digest(secret, (s + "\n" + t).encode(), "sha256").hex() for s, t in jobs]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda job: state._mac(secret, *job), jobs))
    assert got == want


# --------------------------------------------------------------------------- response text

@pytest.mark.parametrize("device", [None, "Alexa.Presentation.APL", "Alexa.Presentation.APLT"])
def test_responses_are_written_as_json_dumps_writes_them(device, store, monkeypatch):
    """The screens' shared documents are written from text made once; the whole response is
    the same text as json.dumps gives, every time."""
    from ask_sdk_model import ResponseEnvelope

    from skill.config import Config
    from skill.web import app as webapp
    from skill.web.serialize import EnvelopeSerializer, dumps
    from tests.client import AlexaClient, flask_poster
    from tests.conftest import SECRET
    payloads = []

    class Spy(EnvelopeSerializer):
        def serialize(self, obj):
            out = super().serialize(obj)
            if isinstance(obj, ResponseEnvelope):
                payloads.append(out)
            return out
    monkeypatch.setattr(webapp, "envelope_serializer", Spy)
    app = webapp.create_app(Config.local(session_secret=SECRET), store=store, content=CONTENT)
    interfaces = {device: {"runtime": {"maxVersion": "2023.3"}}} if device else {}
    alexa = AlexaClient(flask_poster(app), device={"supportedInterfaces": interfaces})
    sent = [alexa.launch(), alexa.intent("ListRoutinesIntent"),
            alexa.intent("StartRoutineIntent", routine="lower_back"), alexa.intent("AMAZON.NoIntent"),
            alexa.intent("AMAZON.NextIntent"), alexa.intent("QuestionIntent", topic="why_backs_crack"),
            alexa.intent("AMAZON.PauseIntent"), alexa.intent("AMAZON.StopIntent")]
    assert len(payloads) == len(sent)
    for payload, resp in zip(payloads, sent):
        before = json.dumps(payload, ensure_ascii=False)
        assert dumps(payload) == before == dumps(payload)          # and from the cached text
        assert json.dumps(payload, ensure_ascii=False) == before    # nothing changed in it
        assert resp.raw.decode() == before                          # what the endpoint sent
    shown = sum("directives" in p["response"] for p in payloads)
    assert shown == {None: 0, "Alexa.Presentation.APL": 6, "Alexa.Presentation.APLT": 3}[device]


def test_json_ready_text_is_spliced_only_where_it_belongs():
    from skill.voice.screens import JsonReady
    from skill.web.serialize import _MARK, dumps
    doc = JsonReady(type="APL", items=[{"text": "é \" \\ \x00 \u2028"}], n=[1, 2.5, None, True])
    other = JsonReady(payload={"title": "Knee to chest"})
    payload = {"response": {"directives": [{"type": "Render", "document": doc,
                                            "datasources": other},
                                           {"document": doc}]},
               "sessionAttributes": {"bsc": '{"state":"menu"}', "sig": "\x00json-ready-0:0",
                                     "near": _MARK[:-1] + ":0"},
               "version": "1.0", "list": [doc, [other], "x"]}
    expected = json.dumps(payload, ensure_ascii=False)
    assert dumps(payload) == expected == dumps(payload)
    assert payload["response"]["directives"][0]["document"] is doc   # the payload is untouched


# --------------------------------------------------------------------------- envelope check

def walk_plain(envelope):
    """skill.web.envelope._walk as it was: every key and string searched."""
    import re
    lone = re.compile("[\ud800-\udfff]")
    stack = [(envelope, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > envelope_check.MAX_DEPTH:
            return f"nested more than {envelope_check.MAX_DEPTH} levels deep"
        if isinstance(node, dict):
            for key, value in node.items():
                if lone.search(key):
                    return "text that is not valid Unicode"
                stack.append((value, depth + 1))
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)
        elif isinstance(node, str) and lone.search(node):
            return "text that is not valid Unicode"
    return None


TEXT = st.one_of(st.text(max_size=6), st.text(st.characters(min_codepoint=0xD700,
                                                             max_codepoint=0xE000), max_size=3),
                 st.sampled_from(["a\ud800", "\udfff", "é", "\U0001f600", "plain"]))
TREES = st.recursive(st.one_of(TEXT, st.integers(), st.none(), st.booleans()),
                     lambda kids: st.one_of(st.lists(kids, max_size=3),
                                            st.dictionaries(TEXT, kids, max_size=3)),
                     max_leaves=40)


def nested(depth: int, leaf) -> object:
    node = leaf
    for i in range(depth):
        node = {"k": node} if i % 2 else [node]
    return node


@settings(max_examples=500, deadline=None)
@given(tree=TREES, depth=st.integers(0, 34))
def test_the_envelope_walk_finds_what_the_plain_walk_finds(tree, depth):
    for doc in (tree, nested(depth, tree), {"request": tree, "context": nested(depth, "x")}):
        assert envelope_check._walk(doc) == walk_plain(doc)


# --------------------------------------------------------------------------- lazy menu screen

@pytest.mark.parametrize("device, timed", [(None, 0), ("Alexa.Presentation.APLT", 0),
                                           ("Alexa.Presentation.APL", 7)])
def test_the_menus_minutes_are_timed_only_for_a_device_that_shows_them(device, timed, app,
                                                                         monkeypatch):
    """A speaker (or a clock, which shows no menu) hears the same launch and list without
    the minutes of every routine being worked out for a screen it cannot show."""
    from tests.client import AlexaClient, flask_poster
    calls = []
    real = playback.minutes
    monkeypatch.setattr(playback, "minutes",
                        lambda *a, **k: calls.append(a[1].id) or real(*a, **k))
    interfaces = {device: {"runtime": {"maxVersion": "2023.3"}}} if device else {}
    alexa = AlexaClient(flask_poster(app), device={"supportedInterfaces": interfaces})
    r = alexa.launch()
    assert r.status == 200 and len(calls) == timed
    if timed:
        shown = [(x["name"].lower(), x["minutes"]) for x in r.screen["routines"]]
        assert [name for name, _ in shown] == [x.name for x in CONTENT.routines.values()]
        for (name, minutes), routine_id in zip(shown, calls):
            said = real(turn_of({"disclaimer_heard": True}, taught=False),
                        CONTENT.routines[routine_id])
            assert minutes == CONTENT.text("screens", "menu_minutes", minutes=said)
    else:
        assert not r.directives or all("APL" not in d["type"] or "APLT" in d["type"]
                                       for d in r.directives)
    calls.clear()
    r = alexa.intent("ListRoutinesIntent")                  # the list says every routine's
    assert len(calls) == len(CONTENT.routines) + timed       # minutes, on every device
