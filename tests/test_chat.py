"""`python -m skill chat`: the console client, driven with scripted input."""
from __future__ import annotations

import io
import json
import re

import pytest

from skill import chat
from skill import constants as C
from skill.content import load_content


@pytest.fixture(scope="module")
def texts():
    return load_content().texts


def run_chat(lines: list[str], *args: str) -> str:
    out = io.StringIO()
    code = chat.main(["--temp", *args], stdin=io.StringIO("".join(l + "\n" for l in lines)),
                     stdout=out)
    assert code == 0
    return out.getvalue()


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_a_scripted_session(texts):
    transcript = run_chat(["open back stretch coach", "start the lower back routine", "no",
                           "next", "next", "stop"])              # stretch 1 takes two pages
    screening = texts["screening"]["question"]
    assert _plain(screening)[:60] in transcript             # the red-flag question
    assert "[StartRoutineIntent routine=lower_back]" in transcript
    assert re.search(r"alexa> .*Stretch 1 of \d+.*\[pause \d+(\.\d)? s\]", transcript)
    assert re.search(r"alexa> .*Stretch 2 of \d+", transcript)
    assert "(listening…)" in transcript and "(reprompt, if you say nothing:" in transcript
    assert texts["prompts"]["stop_saved"] in transcript      # the goodbye
    assert transcript.rstrip().endswith("(session ended)\nbye")


def test_screening_yes_yes_never_plays_a_stretch(texts):
    transcript = run_chat(["", "the quick release", "yes", "yes"])
    assert "Stretch 1 of" not in transcript
    assert _plain(texts["screening"]["emergency"])[:50] in transcript
    assert "(session ended)" in transcript


def test_silence_replays_the_reprompt_then_ends(texts):
    transcript = run_chat(["open back stretch coach", "", ""])
    reprompt = texts["prompts"]["menu_reprompt"]
    assert transcript.count(reprompt) >= 2       # shown as the reprompt, then spoken
    assert "EXCEEDED_MAX_REPROMPTS" in transcript


def test_one_shot_and_unmatched_words(texts):
    transcript = run_chat(["ask back stretch coach to start the desk break",
                           "blah blah blah", "exit"])
    assert "[StartRoutineIntent routine=desk_break]" in transcript
    assert "Stretch 1 of" not in transcript
    assert "[AMAZON.FallbackIntent]" in transcript
    assert "(session ended by the user)" in transcript


class Spy:
    """Records the envelopes the console posts."""

    def __init__(self, console: chat.Console):
        self.sent: list[dict] = []
        real = console.client.post

        def post(path, json=None, **kw):
            self.sent.append(json)
            return real(path, json=json, **kw)

        console.client.post = post


@pytest.fixture
def console(tmp_path):
    from skill.config import Config
    from skill.language.nlu import default_matcher
    from skill.web.app import create_app

    app = create_app(Config.local(data_dir=tmp_path, database_url=None))
    c = chat.Console(app, default_matcher(), io.StringIO())
    c.spy = Spy(c)
    return c


def test_envelopes_are_alexa_shaped(console):
    console.line("open back stretch coach")
    console.line("start the lower back routine")
    console.line("exit")
    launch, intent, ended = console.spy.sent
    assert launch["request"]["type"] == "LaunchRequest" and launch["session"]["new"] is True
    assert intent["session"]["new"] is False
    assert intent["session"]["sessionId"] == launch["session"]["sessionId"]
    assert intent["session"]["attributes"], "session attributes must come back"
    req = intent["request"]
    assert req["type"] == "IntentRequest" and req["locale"] == C.LOCALE
    assert req["intent"]["name"] == C.START_ROUTINE
    slots = req["intent"]["slots"]
    assert set(slots) == {C.SLOT_ROUTINE, C.SLOT_AREA, C.SLOT_POSITION, C.SLOT_SCENE}
    routine = slots[C.SLOT_ROUTINE]
    res = routine["resolutions"]["resolutionsPerAuthority"][0]
    assert routine["value"] == "lower back routine"
    assert res["status"]["code"] == "ER_SUCCESS_MATCH"
    assert res["values"][0]["value"]["id"] == "lower_back"
    assert "value" not in slots[C.SLOT_AREA]
    assert ended["request"] == {**ended["request"], "type": "SessionEndedRequest",
                                "reason": "USER_INITIATED"}
    for env in console.spy.sent:
        assert env["version"] == "1.0"
        assert env["context"]["System"]["user"]["userId"] == chat.DEFAULT_USER
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", env["request"]["timestamp"])


def test_unknown_routine_is_no_match(console):
    console.line("open back stretch coach")
    console.line("start the yoga routine")
    slots = console.spy.sent[-1]["request"]["intent"]["slots"]
    (slot,) = [s for s in slots.values() if s.get("value")]   # routine or area: either way
    assert "yoga" in slot["value"]
    assert slot["resolutions"]["resolutionsPerAuthority"][0]["status"]["code"] == \
        "ER_SUCCESS_NO_MATCH"
    assert "routine called yoga" in console.out.getvalue()


def test_speak_pipes_ssml_to_espeak(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(chat.shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(chat.subprocess, "run",
                        lambda cmd, **kw: calls.append((cmd, kw.get("input"))))
    run_chat(["open back stretch coach", "stop"], "--speak")
    assert calls and all(cmd == ["espeak-ng", "-m"] for cmd, _ in calls)
    assert calls[0][1].startswith(b"<speak>")


def test_the_console_shows_each_sound_by_its_name(texts):
    transcript = run_chat(["open back stretch coach", "start the lower back routine", "no",
                           "turn off the sounds", "next", "stop"])
    first, rest = transcript.split("[SetPreferenceIntent preference=sounds_off]")
    heard = re.search(r"alexa> .*Stretch 1 of .*", first).group(0)
    assert "Hold for 5 seconds. [sound: hold starts] [pause 5 s] [sound: hold ends] And relax" \
        in heard
    assert "soundbank" not in transcript
    assert texts["prompts"]["pref_sounds_off"] in rest and "[sound:" not in rest


def test_speak_plays_a_stand_in_beep_as_long_as_each_sound(monkeypatch):
    calls = []
    monkeypatch.setattr(chat.shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(chat.subprocess, "run",
                        lambda cmd, **kw: calls.append((cmd, kw.get("input"))))
    run_chat(["open back stretch coach", "start the lower back routine", "no", "stop"], "--speak")
    beeps = [cmd for cmd, _ in calls if cmd[0] == "play"]
    assert ["play", "-q", "-n", "synth", "0.71", "sine", "880", "vol", "0.3"] in beeps
    assert ["play", "-q", "-n", "synth", "0.89", "sine", "880", "vol", "0.3"] in beeps
    spoken = [text.decode() for cmd, text in calls if cmd[0] == "espeak-ng"]
    assert all("<audio" not in text and text.startswith('<speak><prosody rate="90%">')
               and text.endswith("</prosody></speak>") for text in spoken)


def test_spoken_pieces_cut_the_response_at_each_sound():
    bell = "soundbank://soundlibrary/musical/amzn_sfx_bell_med_chime_02"
    ssml = (f'<speak><prosody rate="90%"><s>Hold.</s><break time="5s"/><audio src="{bell}"/>'
            '<s>And release.</s></prosody></speak>')
    assert chat.spoken_pieces(ssml) == [
        ("speech", '<speak><prosody rate="90%"><s>Hold.</s><break time="5s"/></prosody></speak>'),
        ("sound", bell),
        ("speech", '<speak><prosody rate="90%"><s>And release.</s></prosody></speak>')]
    assert chat.spoken_pieces("<speak><s>Hi.</s></speak>") == [("speech", "<speak><s>Hi.</s></speak>")]


@pytest.mark.parametrize("ssml, text", [
    ('<speak><s>Hold.</s><break time="10s"/><s>Ten more.</s></speak>',
     "Hold. [pause 10 s] Ten more."),
    ('<speak>a<break time="1500ms"/>b<break time="100ms"/>c</speak>', "a [pause 1.5 s] b c"),
    ("<speak><prosody rate=\"90%\">Let&apos;s &amp; go</prosody></speak>", "Let's & go"),
    ("", ""),
    ('<speak><s>Hold.</s><audio src="soundbank://soundlibrary/x/y"/><break time="5s"/></speak>',
     "Hold. [sound] [pause 5 s]"),
])
def test_ssml_to_text(ssml, text):
    assert chat.ssml_to_text(ssml) == text


def test_show_screen_prints_what_a_screen_would_show(texts):
    transcript = run_chat(["open back stretch coach", "start the quick release", "no", "stop"],
                          "--show-screen")
    assert "[screen: backstretch.menu]" in transcript
    assert "[screen: backstretch.stretch]" in transcript
    shown = transcript.split("[screen: backstretch.stretch]")[1].split("(listening…)")[0]
    payload = json.loads("".join(line.strip()[2:] for line in shown.strip().splitlines()))
    assert payload["payload"]["progress"].startswith("Stretch 1 of")
    assert texts["screens"]["button_next"] in [b["label"] for b in payload["payload"]["buttons"]]
    assert "[screen:" not in run_chat(["open back stretch coach", "stop"])   # not without it


def test_the_console_is_a_screen_device_only_with_show_screen(tmp_path):
    from skill.config import Config
    from skill.language.nlu import default_matcher
    from skill.web.app import create_app

    app = create_app(Config.local(data_dir=tmp_path, database_url=None))
    for flag in (False, True):
        c = chat.Console(app, default_matcher(), io.StringIO(), show_screen=flag)
        c.spy = Spy(c)
        c.line("open back stretch coach")
        interfaces = c.spy.sent[0]["context"]["System"]["device"]["supportedInterfaces"]
        assert ("Alexa.Presentation.APL" in interfaces) is flag
        assert ("Viewport" in c.spy.sent[0]["context"]) is flag
# ------------------------------------------------------------------- people as they talk

UNSURE = ["I don't know", "not sure", "maybe", "I think so", "hmm, I'm not sure", "possibly",
          "I don't think so", "kind of", "not really", "I dunno"]


@pytest.mark.parametrize("doubt", UNSURE)
def test_doubt_at_the_safety_question_never_starts_a_routine(texts, doubt):
    transcript = run_chat(["open back stretch coach", "start the quick release", doubt, doubt,
                           "next"])
    assert "[UnsureIntent]" in transcript
    assert "Stretch 1 of" not in transcript
    assert _plain(texts["screening"]["unsure"])[:40] in transcript
    assert _plain(texts["screening"]["unsure_end"])[:40] in transcript


def test_yes_and_no_as_people_say_them(texts):
    transcript = run_chat(["open back stretch coach", "start the quick release",
                           "what do you mean", "nah I'm fine"])
    assert "[WhyAskIntent]" in transcript and _plain(texts["screening"]["reason"]) in transcript
    assert "[AMAZON.NoIntent]" in transcript and "Stretch 1 of" in transcript
    transcript = run_chat(["open back stretch coach", "start the quick release",
                           "yeah some tingling in my legs"])
    # a sign said is a yes (SymptomIntent, read by the gate): the follow-up, no stretch
    assert re.search(r"\[(AMAZON\.YesIntent|SymptomIntent)\b", transcript)
    assert "Stretch 1 of" not in transcript
    assert _plain(texts["screening"]["followup"])[:40] in transcript


def test_thanks_and_speak_up_in_a_routine(texts):
    transcript = run_chat(["open back stretch coach", "start the quick release", "no",
                           "thanks", "speak up", "next", "exit"])
    assert "[ThanksIntent]" in transcript and texts["prompts"]["thanks"] in transcript
    assert "[VolumeIntent]" in transcript and _plain(texts["prompts"]["volume"]) in transcript
    assert "Stretch 2 of" in transcript                  # still in the routine after both
    assert "[SetPreferenceIntent" not in transcript      # "speak up" is never the pace
