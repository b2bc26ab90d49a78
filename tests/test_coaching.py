"""Coaching like a good physiotherapist (issue 12), through the HTTP endpoint: every caution
heard before it matters, every red flag reaching the right advice, pain of both kinds,
nothing droning, the short version once a stretch is known, honest minutes."""
from __future__ import annotations

import functools

import collections
import re
import xml.etree.ElementTree as ET

import pytest

from skill.voice.coach import RESPONSE_MAX_SECONDS
from skill.voice.ssml import RATES, Speech, split_sentences
from tests.client import AlexaClient, flask_poster, sound_seconds
from tests.conftest import checked
from tests.test_conversation import (NEXT, NO, PAUSE, PREV, REPEAT, RESUME, START_OVER, STOP, YES,
                                     HELP, FALLBACK, announced_minutes, cleared, forward, start,
                                     stretch_number)

COUNT = re.compile(r"\d")


def speech_of(ssml: str) -> Speech:
    """The response rebuilt as a Speech, for the builder's duration estimate."""
    root = ET.fromstring(ssml)
    prosody = root.find("prosody")
    pace = next(p for p, rate in RATES.items() if prosody is not None and prosody.get("rate") == f"{rate}%")
    sp = Speech(pace)
    for el in root.iter():
        if el.tag == "s":
            sp.say(el.text)
        elif el.tag == "break":
            t = el.get("time")
            sp.pause(float(t[:-2]) / 1000 if t.endswith("ms") else float(t[:-1]))
        elif el.tag == "audio":                 # a sound, at its known length
            sp.audio(el.get("src"), sound_seconds()[el.get("src")], "sound")
    return sp


def sentences_of(ssml: str) -> list[str]:
    return [el.text for el in ET.fromstring(ssml).iter("s")]


@functools.cache
def _offer_reprompt() -> str:
    from skill.content import load_content
    return load_content().text("reminders", "offer_reprompt")


def over(r) -> bool:
    """The routine is over: the session ended, or it stays open only for the one-time offer
    of a daily reminder after a user's first finished routine (tests/test_reminders.py)."""
    return r.ends or r.reprompt == _offer_reprompt()


def play_whole(app, routine, user="whole-routine-user"):
    """Every response from the routine's start to its summary, as (request, response)."""
    alexa = AlexaClient(checked(flask_poster(app)), user_id=user)
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine=routine.id)
    responses = [alexa.intent(NO)]
    while not over(responses[-1]):
        responses.append(alexa.intent(NEXT))
        assert len(responses) < 60
    return alexa, responses


# ---------------------------------------------------------------- whole routines

def test_every_routine_end_to_end(app, content):
    for routine in content.routines.values():
        alexa, responses = play_whole(app, routine, user=f"user-{routine.id}")
        first = responses[0].text
        said = " ".join(r.text for r in responses)
        # equipment and warnings before the routine starts
        start_of_stretch_1 = said.index("Stretch 1 of")
        for thing in routine.equipment:
            assert f"need {thing}" in said[:start_of_stretch_1] or thing in said[:start_of_stretch_1]
        for warning in routine.warnings:
            assert warning in said[:start_of_stretch_1], routine.id
        # how to interrupt, before the first stretch
        assert content.text("prompts", "how_to_interrupt") in first
        # each exercise's check before its first step
        for i, item in enumerate(routine.items):
            here = said.index(f"Stretch {i + 1} of {len(routine.items)}: {item.exercise.name}")
            step = said.index(split_sentences(item.exercise.steps[0])[0], here)
            for check in item.exercise.check:
                assert here < said.index(check, here) < step, (routine.id, check)
        # no response over the length limit
        for r in responses:
            seconds = speech_of(r.ssml).estimated_seconds
            assert seconds <= RESPONSE_MAX_SECONDS, (routine.id, seconds, r.text[:80])
        # the summary repeats the announced minutes
        assert content.text("prompts", "summary", routine=routine.name, count=len(routine.items),
                            minutes=announced_minutes(content, routine)) in responses[-1].text


def test_no_sentence_more_than_three_times_in_one_stretch_response(app, content):
    worst = 0
    for routine in content.routines.values():
        _, responses = play_whole(app, routine, user=f"rep-{routine.id}")
        for r in responses:
            counts = collections.Counter(s for s in sentences_of(r.ssml) if not COUNT.search(s))
            if counts:
                sentence, n = counts.most_common(1)[0]
                worst = max(worst, n)
                assert n <= 3, (routine.id, sentence, n)
    assert worst >= 1


def test_announced_minutes_follow_the_preferences(alexa, content):
    routine = content.routines["lower_back"]
    normal = announced_minutes(content, routine)
    slow = announced_minutes(content, routine, {"prefs": {"pace": "slow", "hold": "longer"}})
    assert float(slow.replace(" and a half", ".5")) > float(normal.replace(" and a half", ".5"))
    alexa.launch()
    alexa.intent("SetPreferenceIntent", preference="pace_slow")
    alexa.intent("SetPreferenceIntent", preference="holds_longer")
    r = alexa.intent("ListRoutinesIntent")
    assert f"The {routine.name}, about {slow} minutes" in r.text


def test_the_first_routine_of_a_session_teaches_how_to_interrupt_once(alexa, content):
    r = start(alexa, "quick_release")
    teach = content.text("prompts", "how_to_interrupt")
    assert teach in r.text
    r = alexa.intent("StartRoutineIntent", routine="quick_release")
    r = cleared(alexa)
    assert teach not in r.text and stretch_number(r.text) == 1


def test_resuming_repeats_equipment_and_warnings_within_the_length_limit(app, content):
    """A routine resumed at any stretch hears its introduction first, in the same response."""
    for routine in content.routines.values():
        for index in range(1, len(routine.items)):
            alexa = AlexaClient(checked(flask_poster(app)), user_id=f"resume-{routine.id}-{index}")
            start(alexa, routine.id)
            for _ in range(index):
                forward(alexa)
            alexa.end()
            alexa.launch()
            r = alexa.intent(YES)                          # pick up where I left off
            assert content.text("screening", "intro_resume", routine=routine.name) in r.text
            r = alexa.intent(NO)
            assert stretch_number(r.text) == index + 1
            for warning in routine.warnings:
                assert warning in r.text
            for thing in routine.equipment:
                assert thing in r.text
            assert content.text("prompts", "how_to_interrupt") in r.text
            assert speech_of(r.ssml).estimated_seconds <= RESPONSE_MAX_SECONDS


# ---------------------------------------------------------------- the screening gate

QUESTION, FOLLOWUP, TRIAGE = "question", "followup", "triage"
#: Every red flag of SPEC §3, where it is asked, the answers a person with it gives, and
#: the advice they must get.
RED_FLAGS = [
    ("groin", [QUESTION, FOLLOWUP], [YES, YES], "emergency"),
    ("genitals", [QUESTION, FOLLOWUP], [YES, YES], "emergency"),
    ("buttocks", [QUESTION, FOLLOWUP], [YES, YES], "emergency"),
    ("inner thighs", [QUESTION, FOLLOWUP], [YES, YES], "emergency"),
    ("tingling around your groin", [QUESTION, FOLLOWUP], [YES, YES], "emergency"),
    ("passing urine", [QUESTION, FOLLOWUP], [YES, YES], "emergency"),
    ("bladder or bowels", [QUESTION, FOLLOWUP], [YES, YES], "emergency"),
    ("weak", [QUESTION, FOLLOWUP], [YES, YES], "emergency"),          # legs getting weaker
    ("One leg or both", [FOLLOWUP], [YES, YES], "emergency"),
    ("weakness in your legs or arms", [QUESTION], [YES, NO, NO], "see_doctor_soon"),
    ("Numbness, tingling", [QUESTION], [YES, NO, NO], "see_doctor_soon"),
    ("fever or chills", [QUESTION, TRIAGE], [YES, NO, YES], "see_doctor_today"),
    ("Weight loss you can't explain", [QUESTION, TRIAGE], [YES, NO, YES], "see_doctor_today"),
    ("history of cancer", [QUESTION, TRIAGE], [YES, NO, YES], "see_doctor_today"),
    ("constant", [QUESTION, TRIAGE], [YES, NO, YES], "see_doctor_today"),
    ("doesn't ease when you rest", [QUESTION, TRIAGE], [YES, NO, YES], "see_doctor_today"),
    ("fall, accident or injury", [QUESTION, TRIAGE], [YES, NO, YES], "see_doctor_today"),
]


@pytest.mark.parametrize("flag,asked_in,answers,outcome", RED_FLAGS, ids=[f[0] for f in RED_FLAGS])
def test_each_red_flag_reaches_the_right_advice(alexa, content, store, flag, asked_in, answers, outcome):
    texts = content.texts["screening"]
    for where in asked_in:
        assert flag.lower() in texts[where].lower(), (flag, where)
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    for answer in answers:
        r = alexa.intent(answer)
        assert stretch_number(r.text) is None
    assert texts[outcome] in r.text
    if outcome == "emergency":
        assert r.ends
        assert "911" in r.text and "Don't drive yourself" in r.text and "can't make the call" in r.text
    else:                                  # no routine for the rest of this session
        assert not r.ends
        r = alexa.intent("StartRoutineIntent", routine="quick_release")
        assert content.text("screening", "blocked") in r.text
        for intent in (NEXT, RESUME, YES, NO):
            r = alexa.intent(intent)
            assert stretch_number(r.text) is None
            if r.ends:
                break
    assert "screen" not in repr(store.get(alexa.user_id))


def test_the_first_question_is_told_in_short_sentences(content):
    question = content.text("screening", "question")
    assert question.startswith("I'll name a few warning signs. Say yes if you've had any of them")
    assert max(len(s.split()) for s in split_sentences(question)) <= 14


def test_the_emergency_answer_says_the_number_plainly(content):
    emergency = content.text("screening", "emergency")
    assert "Call 911" in emergency and "cauda equina" in emergency


@pytest.mark.parametrize("unclear", [FALLBACK, NEXT, "QuestionIntent"])
def test_triage_in_doubt_is_a_doctor_today(alexa, content, unclear):
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    alexa.intent(YES)
    alexa.intent(NO)
    r = alexa.intent(HELP)
    assert content.text("screening", "triage_help") in r.text
    assert content.text("screening", "triage") in r.text
    r = alexa.intent(unclear)
    assert content.text("screening", "triage_unclear") in r.text and stretch_number(r.text) is None


# ---------------------------------------------------------------- pain

def test_pain_words_of_both_kinds_are_pain():
    from skill.language.nlu import default_matcher
    matcher = default_matcher()
    for words in ("sharp pain", "shooting pain down my leg", "my leg is tingling",
                  "my leg went numb", "ouch", "it hurts", "that's too much", "ouch that's sore"):
        assert matcher.match(words).intent == "PainIntent", words


def test_sharp_shooting_numb_or_tingling_stops_for_today(alexa, content, store):
    start(alexa)
    r = forward(alexa)
    assert stretch_number(r.text) == 2
    r = alexa.intent("PainIntent")
    assert content.text("prompts", "pain") in r.text and content.text("prompts", "pain_check") in r.text
    assert r.silence == 0 and not r.ends
    r = alexa.intent(YES)
    assert content.text("prompts", "pain_stop") in r.text and r.ends
    assert "say next" not in r.text.lower() and "skip" not in r.text.lower()
    assert store.get(alexa.user_id)["resume"] == {"routine": "lower_back", "index": 1}


def test_no_clear_answer_about_the_pain_stops_too(alexa, content):
    start(alexa)
    alexa.intent("PainIntent")
    r = alexa.intent(NEXT)                                 # "keep going" is not an answer
    assert content.text("prompts", "pain_check_unclear") in r.text and stretch_number(r.text) is None
    r = alexa.intent(RESUME)
    assert content.text("prompts", "pain_stop") in r.text and r.ends


@pytest.mark.parametrize("keep_going", [RESUME, NEXT, REPEAT, START_OVER, PREV, "TellMeMoreIntent", PAUSE])
def test_mild_pain_never_replays_the_stretch_without_a_yes(alexa, content, keep_going):
    start(alexa)
    forward(alexa)                                         # on stretch 2
    alexa.intent("PainIntent")
    r = alexa.intent(NO)                                   # mild
    assert content.text("prompts", "pain_mild") in r.text
    assert content.text("prompts", "pain_offer") in r.text and not r.ends
    r = alexa.intent(keep_going)
    if keep_going == NEXT:                                 # "skip" moves on, as offered
        assert stretch_number(r.text) == 3
        return
    if keep_going == PREV:                                 # the one before, not this one
        assert stretch_number(r.text) == 1
        return
    assert stretch_number(r.text) is None
    if keep_going == PAUSE:
        r = alexa.intent(RESUME)
        assert stretch_number(r.text) is None
    assert "gently" in r.text or content.text("prompts", "pain_offer") in r.text
    r = alexa.intent(YES)                                  # the confirmation
    assert content.text("prompts", "pain_gentle") in r.text and stretch_number(r.text) == 2


def test_the_gentler_version_has_shorter_holds(alexa, content):
    routine = content.routines["lower_back"]
    hold = routine.items[1].hold_seconds
    start(alexa)
    r = forward(alexa)
    assert content.text("voice", "hold_start", seconds=hold) in r.text
    alexa.intent("PainIntent")
    alexa.intent(NO)
    r = alexa.intent(YES)
    assert stretch_number(r.text) == 2
    assert content.text("voice", "hold_start", seconds=hold - 5) in r.text
    assert content.text("voice", "hold_start", seconds=hold) not in r.text
    r = forward(alexa)
    assert stretch_number(r.text) == 3
    assert content.text("voice", "hold_start", seconds=routine.items[2].hold_seconds) in r.text


def test_no_to_the_gentler_version_offers_skip_or_stop(alexa, content):
    start(alexa)
    alexa.intent("PainIntent")
    alexa.intent(NO)
    r = alexa.intent(NO)
    assert content.text("prompts", "pain_no") in r.text and not r.ends and stretch_number(r.text) is None
    r = alexa.intent(STOP)
    assert r.ends


# ---------------------------------------------------------------- talking less

def finish(alexa, routine_id):
    start(alexa, routine_id)
    r = alexa.last
    while not over(r):
        r = alexa.intent(NEXT)
    return r


def test_short_version_once_learned_and_tell_me_more(alexa, content, store):
    routine = content.routines["quick_release"]
    first = routine.items[0].exercise
    full_step = split_sentences(first.steps[-1])[0]
    for _ in range(3):
        r = finish(alexa, routine.id)
    assert store.get(alexa.user_id)["seen"] == {item.exercise.id: 3 for item in routine.items}
    r = start(alexa, routine.id)
    assert content.text("prompts", "short_hint") in r.text
    assert full_step not in r.text and split_sentences(first.short[0])[0] in r.text
    for check in first.check:
        assert check in r.text
    r = alexa.intent("TellMeMoreIntent")
    assert full_step in r.text and stretch_number(r.text) == 1
    r = forward(alexa)
    assert stretch_number(r.text) == 2
    assert split_sentences(routine.items[1].exercise.steps[-1])[0] not in r.text


def test_detail_preference_by_voice(alexa, content, store):
    routine = content.routines["quick_release"]
    first = routine.items[0].exercise
    alexa.launch()
    r = alexa.intent("SetPreferenceIntent", preference="detail_short")
    assert content.text("prompts", "pref_detail_short") in r.text
    assert store.get(alexa.user_id)["prefs"] == {"detail": "short"}
    r = start(alexa, routine.id)
    assert split_sentences(first.short[0])[0] in r.text
    alexa.intent("SetPreferenceIntent", preference="detail_full")
    r = alexa.intent(REPEAT)
    assert split_sentences(first.steps[-1])[0] in r.text


def test_tell_me_more_outside_a_stretch(alexa, content):
    alexa.launch()
    r = alexa.intent("TellMeMoreIntent")
    assert content.text("prompts", "tell_more_none") in r.text and not r.ends


# ---------------------------------------------------------------- history

def test_history_says_one_session(alexa, content):
    finish(alexa, "quick_release")
    alexa.launch()
    r = alexa.intent("HistoryIntent")
    assert content.text("prompts", "history_week_one") in r.text and "1 sessions" not in r.text


def test_how_am_i_doing_right_after_finishing(alexa, content):
    finish(alexa, "quick_release")
    r = alexa.intent("ProgressIntent")                   # a new session, one shot
    assert content.text("prompts", "progress_none") not in r.text
    assert content.routines["quick_release"].name in r.text


def test_a_question_while_in_pain_is_answered_and_the_pain_question_asked_again(alexa, content):
    """"Should I see a doctor?" at "is the pain sharp?": the answer, then the same question,
    not counted as unclear (a second real doubt still stops for today)."""
    from skill.constants import faq_intent
    start(alexa, "lower_back")
    alexa.intent("PainIntent")
    r = alexa.intent(faq_intent("see_a_doctor"))
    assert content.faq["see_a_doctor"].answer[0] in r.text
    assert r.text.endswith(content.text("prompts", "pain_check")) and not r.ends
    r = alexa.intent("AMAZON.FallbackIntent")                 # one unclear answer: asked again
    assert not r.ends and content.text("prompts", "pain_check") in r.text
    r = alexa.intent("AMAZON.NoIntent")                       # mild: carry on, gently
    assert content.text("prompts", "pain_mild") in r.text and not r.ends
