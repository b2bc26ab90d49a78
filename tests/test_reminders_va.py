"""The reminder phrases through virtual-alexa (our interaction model, the real server): what a
person says reaches the reminder intents, with the time slot, and gets a sensible answer.
virtual-alexa passes a time slot on as the words heard ("seven"), where Alexa would send
"07:00"; the skill reads both."""
from __future__ import annotations

from skill import constants as C
from tests.test_virtual_alexa import converse, server  # noqa: F401  (the module's server)


def test_set_ask_and_cancel_by_voice(server):  # noqa: F811
    turns = converse(server, [
        {"launch": True},
        {"say": "remind me to stretch every day at seven"},
        {"say": "no"},
        {"say": "at six thirty p m"},
        {"say": "what time is my reminder"},
        {"say": "set a stretch reminder"},
        {"say": "at seven a m"},
        {"say": "cancel my reminder"},
        {"say": "do i have a reminder"},
        {"say": "turn off my reminder"},
    ])
    (_, set_at_seven, other, half_six, status, set_, seven_am, cancel, status2,
     cancel2) = turns
    assert set_at_seven["request"]["intent"] == C.SET_REMINDER
    assert set_at_seven["request"]["slots"][C.SLOT_TIME]["value"] == "seven"
    assert set_at_seven["text"] == ("I'll remind you to stretch at 7 a.m. every day. "
                                    "Shall I set that up?")
    assert other["request"]["intent"] == "AMAZON.NoIntent"
    assert "What time would suit you better?" in other["text"]
    assert half_six["request"]["intent"] == C.SET_REMINDER
    assert "at 6:30 p.m. every day" in half_six["text"]
    # Moving on (asking the time) drops the question; nothing was set.
    assert status["request"]["intent"] == C.REMINDER_STATUS
    assert status["text"].startswith("You don't have a stretch reminder at the moment.")
    assert set_["request"]["intent"] == C.SET_REMINDER and not set_["request"]["slots"]
    assert set_["text"].startswith("What time of day suits you?")
    assert "at 7 a.m. every day" in seven_am["text"]
    for t in (cancel, cancel2):
        assert t["request"]["intent"] == C.CANCEL_REMINDER
        assert t["text"].startswith("You don't have a stretch reminder to cancel.")
    assert status2["request"]["intent"] == C.REMINDER_STATUS
    assert all(t["response"]["open"] for t in turns)
