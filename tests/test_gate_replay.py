"""The screening gate cannot be replayed (issue 15, SPEC §3): an older state of a session never
plays a stretch after a later screening answer in that session, and "no routine this session"
survives every request of that session, a LaunchRequest included. What makes it so is kept in
the user's stored memory (a random token per session, never the answers); see docs/design.md."""
from __future__ import annotations

import json
import re

import pytest

from tests.client import AlexaClient, flask_poster, intent_request
from tests.conftest import checked

NO, YES, NEXT, REPEAT, RESUME = ("AMAZON.NoIntent", "AMAZON.YesIntent", "AMAZON.NextIntent",
                                 "AMAZON.RepeatIntent", "AMAZON.ResumeIntent")


def stretch(r) -> int | None:
    m = re.search(r"Stretch (\d+) of", r.text)
    return int(m.group(1)) if m else None


def see_a_doctor(alexa):
    """Yes to the screening, no to the follow-up (blocked), no to "today?": see one soon."""
    alexa.intent(YES)
    alexa.intent(NO)
    return alexa.intent(NO)


def forward(alexa):
    """"Next" until the next stretch starts (a stretch may take more than one response)."""
    for _ in range(20):
        r = alexa.intent(NEXT)
        if r.ends or stretch(r) is not None:
            return r
    raise AssertionError("no next stretch")


def relaunch(alexa):
    """A LaunchRequest inside the open session (session.new false), as Alexa sends when the
    user says "open back stretch coach" while the skill is still listening."""
    assert alexa.session_id is not None
    return alexa.send(alexa.envelope({"type": "LaunchRequest"}))


def test_an_older_cleared_state_does_not_play_after_a_later_see_a_doctor_answer(alexa, content):
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    assert stretch(alexa.intent(NO)) == 1
    cleared = dict(alexa.attributes)                    # kept by whoever replays it
    alexa.intent("StartRoutineIntent", routine="quick_release")
    r = see_a_doctor(alexa)                             # follow-up "no": see a doctor
    assert content.text("screening", "see_doctor_soon") in r.text
    alexa.attributes = cleared
    for intent in (REPEAT, NEXT, RESUME, NO, YES):
        r = alexa.intent(intent)
        assert r.status == 200 and stretch(r) is None, (intent, r.text[:200])
        if r.ends:
            break


def test_an_older_open_question_cannot_be_answered_no_after_a_later_answer(alexa, content):
    alexa.launch()
    r = alexa.intent("StartRoutineIntent", routine="lower_back")
    assert content.text("screening", "question") in r.text
    question_open = dict(alexa.attributes)
    alexa.intent(YES)
    alexa.intent(NO)                                    # blocked for this session
    session = alexa.session_id
    alexa.attributes = question_open
    r = alexa.intent(NO)
    assert stretch(r) is None
    alexa.session_id, alexa.attributes = session, question_open
    r = alexa.intent("StartRoutineIntent", routine="quick_release")
    assert stretch(r) is None and content.text("screening", "blocked") in r.text


def test_an_older_cleared_state_does_not_play_while_a_newer_question_is_open(alexa, content):
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    alexa.intent(NO)
    cleared = dict(alexa.attributes)
    alexa.intent("StartRoutineIntent", routine="quick_release")     # asked again
    alexa.attributes = cleared
    assert stretch(alexa.intent(NEXT)) is None


def test_a_state_from_the_same_screening_still_plays(alexa):
    """Replay protection is about screenings: going back within one cleared routine is fine."""
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    alexa.intent(NO)
    first = dict(alexa.attributes)
    assert stretch(forward(alexa)) == 2
    alexa.attributes = first
    assert stretch(alexa.intent(REPEAT)) == 1


def test_a_relaunch_inside_the_session_keeps_the_block(alexa, content):
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    assert stretch(alexa.intent(NO)) == 1
    alexa.intent("StartRoutineIntent", routine="quick_release")
    alexa.intent(YES)
    alexa.intent(NO)                                    # see a doctor: blocked
    r = relaunch(alexa)
    assert r.status == 200 and not r.ends
    assert content.text("prompts", "offer_resume_reprompt",
                        routine=content.routines["lower_back"].name) not in r.text
    for intent, slots in ((YES, {}), (RESUME, {}), ("StartRoutineIntent", {"routine": "lower_back"}),
                          (NO, {}), (NEXT, {})):
        r = alexa.intent(intent, **slots)
        assert stretch(r) is None, (intent, r.text[:200])
        assert content.text("screening", "question") not in r.text
        if r.ends:
            break


def test_a_session_marked_new_again_keeps_the_block(alexa, content):
    """The same session id sent again with session.new = true is still that session."""
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    alexa.intent(YES)
    alexa.intent(NO)
    r = alexa.send(alexa.envelope({"type": "LaunchRequest"}, new=True))
    assert r.status == 200
    alexa.intent("StartRoutineIntent", routine="lower_back")
    r = alexa.intent(NO)
    assert stretch(r) is None


def test_a_block_from_distrust_is_a_step_no_older_state_outlives(alexa, content):
    """Found by the gate's property test: the question asked, the session id sent again as
    new (distrusted: blocked), then the state from before that replayed and answered "no".
    The block is a step of the gate with a token of its own, so the older state is refused."""
    alexa.intent("StartRoutineIntent", routine="lower_back")
    asked = dict(alexa.attributes)
    r = alexa.send(alexa.envelope(intent_request("StartRoutineIntent"), new=True))
    assert r.status == 200 and stretch(r) is None and not r.ends
    alexa.attributes = asked
    r = alexa.intent(NO)
    assert r.status == 200 and stretch(r) is None, r.text[:200]


def test_a_relaunch_without_a_block_is_an_ordinary_launch(alexa, content):
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    alexa.intent(NO)
    forward(alexa)
    r = relaunch(alexa)                                 # offered to resume, screened again
    assert content.text("prompts", "offer_resume", number=2,
                        total=len(content.routines["lower_back"].items),
                        routine=content.routines["lower_back"].name) in r.text
    r = alexa.intent(YES)
    assert content.text("screening", "question") in r.text and stretch(r) is None
    assert stretch(alexa.intent(NO)) == 2


def test_what_is_stored_for_this_is_no_health_information(alexa, store):
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    alexa.intent(YES)
    alexa.intent(NO)
    stored = store.get(alexa.user_id)
    gate = stored["gate"]
    assert set(stored) <= {"gate", "disclaimer_heard"}
    assert len(gate) == 1
    (ref, token), = gate.items()
    assert re.fullmatch(r"[0-9a-f]{16}", ref) and ref not in alexa.session_id
    assert re.fullmatch(r"[0-9a-f]{12}", token)
    text = json.dumps(stored).lower()
    for word in ("yes", "no\"", "block", "doctor", "screen", "clear", "emergency"):
        assert word not in text


def test_replay_after_delete_my_data_is_refused_but_the_session_goes_on(alexa, content, store):
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    alexa.intent(NO)
    before = dict(alexa.attributes)
    alexa.intent("StartRoutineIntent", routine="quick_release")
    see_a_doctor(alexa)                                  # blocked
    alexa.intent("DeleteDataIntent")
    alexa.intent(YES)                                    # deleted
    assert store.get(alexa.user_id) == {}
    r = alexa.intent("ListRoutinesIntent")               # the session goes on
    assert r.status == 200 and not r.ends
    alexa.attributes = before
    assert stretch(alexa.intent(REPEAT)) is None


def test_without_memory_the_gate_still_holds_for_the_current_state(content, store, monkeypatch):
    """The database is down: replays cannot be told apart, but the sealed state still needs
    a "no" to the latest question it knows of, and the conversation goes on."""
    from skill.config import Config
    from skill.store import StorageUnavailable
    from skill.web.app import create_app
    from tests.conftest import SECRET
    app = create_app(Config.local(session_secret=SECRET), store=store, content=content)
    alexa = AlexaClient(checked(flask_poster(app)))

    def down(*args, **kwargs):
        raise StorageUnavailable("sqlite get failed: database is locked")
    monkeypatch.setattr(store, "get", down)
    monkeypatch.setattr(store, "save", down)
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    assert stretch(alexa.intent(YES)) is None
    assert stretch(alexa.intent(NO)) is None             # the follow-up: blocked
    assert stretch(alexa.intent(NO)) is None             # see a doctor soon
    r = alexa.intent("StartRoutineIntent", routine="lower_back")
    assert content.text("screening", "blocked") in r.text
