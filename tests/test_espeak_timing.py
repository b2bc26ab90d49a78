"""The builder's duration estimate, held against a real speech engine (espeak-ng).

Every stretch page of the content is spoken by espeak-ng into a WAV and its length measured
with sox. The estimate (words at the stated words-per-minute of the pace + sentence gaps +
breaks, skill.voice.ssml) must be within 15 % of it, and the audio must be at least as long as
the page's silence (so a hold is never shorter than its content says).

How espeak is made to speak at our stated rate: espeak-ng stretches <break>s inside a
<prosody rate> (a 10 s break at rate 90 % lasts about 12 s) while Alexa keeps break times
absolute, so the test takes the prosody wrapper off (after checking its rate) and gives
the pace to espeak with `-s`. espeak's `-s` is nominal: measured on our content (our word
count, a 0.4 s gap after a sentence not followed by a break), espeak-ng's en-us voice says
about ESPEAK_WORDS_PER_NOMINAL_WPM x `-s` words per minute, so -s = stated wpm / that factor.
Pages are mostly silence, so the speech alone (audio minus breaks) is also checked, summed
over all pages of a pace, against the words at the stated rate: that holds the wpm constant.

Sounds: espeak-ng cannot play Alexa's soundbank:// audio (it skips an <audio> tag and makes
no sound for it), so each <audio> is replaced by a BREAK of the sound's known length
(content/sounds.yaml), summed with the breaks right before and after it into one break:
espeak-ng merges adjacent breaks into the longest one, while Alexa plays the silence, the
sound and the silence one after another (`audio_as_silence`). So a sound counts here at its
known length, as it does in the estimate and in the announced minutes.

Whole routines: every routine is played through the endpoint from the "no" to the summary,
every response is spoken by espeak-ng, and the sum must be within 10 % of the minutes the
skill announces (and of the coach's own estimate): the announced time is honest. No response
may run over RESPONSE_MAX_SECONDS (with 10 % for espeak's own pace).

espeak-ng and sox are required (the Makefile's `sysdeps` installs them): missing tools FAIL.
"""

import html
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest

from skill.voice.coach import RESPONSE_MAX_SECONDS, Prefs, routine_pages
from skill.content import load_content
from skill.voice.ssml import RATES, WORDS_PER_MINUTE, Speech

TOLERANCE = 0.15
WHOLE_ROUTINE_TOLERANCE = 0.10
#: Our words per minute per unit of espeak's nominal `-s`, measured on the content.
ESPEAK_WORDS_PER_NOMINAL_WPM = 1.085
ESPEAK_SPEED = {pace: round(wpm / ESPEAK_WORDS_PER_NOMINAL_WPM)
                for pace, wpm in WORDS_PER_MINUTE.items()}     # normal 133, slow 118
WORKERS = 2

CONTENT = load_content()
SOUND_SECONDS = {sound.url: sound.seconds for sound in CONTENT.sounds.values()}


def _cases():
    seen, out = set(), []
    for routine in CONTENT.routines.values():
        for index, item in enumerate(routine.items):
            previous = routine.items[index - 1].exercise.position if index else None
            key = (item.exercise.id, item.hold_seconds, item.repetitions, previous)
            if key in seen:
                continue
            seen.add(key)
            for pace in RATES:
                pages = routine_pages(CONTENT, routine, index, Prefs(pace=pace))
                for n, page in enumerate(pages):
                    name = (f"{item.exercise.id}-{item.hold_seconds}x{item.repetitions}"
                            f"-from-{previous}-{pace}")
                    out.append((name + (f"-p{n + 1}" if len(pages) > 1 else ""), pace, page))
    return out


CASES = _cases()


def require_tools():
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not installed: the timing tests need them "
                    "(run `make sysdeps`, or apt-get install espeak-ng sox)", pytrace=False)


_SILENCE = re.compile(r'(?:<break time="[^"]+"/>|<audio src="[^"]+"/>)+')
_TAG = re.compile(r'<(break) time="(\d+)(ms|s)"/>|<(audio) src="([^"]+)"/>')


def audio_as_silence(ssml_text: str) -> str:
    """Each run of breaks and sounds becomes one break as long as all of them together,
    a sound counting at its known length (see the module docstring)."""
    def one(run: re.Match) -> str:
        ms = 0
        for tag in _TAG.finditer(run.group(0)):
            if tag.group(1):
                ms += int(tag.group(2)) * (1 if tag.group(3) == "ms" else 1000)
            else:
                src = html.unescape(tag.group(5))
                assert src in SOUND_SECONDS, f"a sound not in content/sounds.yaml: {src}"
                ms += round(SOUND_SECONDS[src] * 1000)
        return f'<break time="{ms}ms"/>'
    return _SILENCE.sub(one, ssml_text)


def for_espeak(ssml_text: str, pace: str) -> str:
    """The page's SSML without its prosody wrapper (the rate goes to espeak's -s), with its
    sounds as silence of their known length."""
    root = ET.fromstring(ssml_text)
    prosody = root.find("prosody")
    assert prosody is not None and prosody.get("rate") == f"{RATES[pace]}%"
    return audio_as_silence(re.sub(r"</?prosody\b[^>]*>", "", ssml_text))


def speak(ssml_text: str, pace: str, directory, name: str) -> float:
    """Seconds of audio espeak-ng makes of this SSML."""
    src, wav = directory / f"{name}.xml", directory / f"{name}.wav"
    src.write_text(ssml_text, encoding="utf-8")
    run = subprocess.run(["espeak-ng", "-m", "-v", "en-us", "-s", str(ESPEAK_SPEED[pace]),
                          "-w", str(wav), "-f", str(src)], capture_output=True, text=True)
    assert run.returncode == 0, f"espeak-ng failed: {run.stderr}"
    out = subprocess.run(["sox", "--i", "-D", str(wav)], capture_output=True, text=True)
    assert out.returncode == 0, f"sox --i failed: {out.stderr}"
    return float(out.stdout)


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    require_tools()
    directory = tmp_path_factory.mktemp("espeak")

    def one(case):
        name, pace, page = case
        return name, speak(for_espeak(page.ssml(), pace), pace, directory, name)

    with ThreadPoolExecutor(WORKERS) as pool:
        return dict(pool.map(one, CASES))


def test_tools_are_installed():
    require_tools()


def test_espeak_honours_a_break(tmp_path):
    require_tools()
    speech = Speech().say("Hold.").pause(10).say("Release.")
    seconds = speak(for_espeak(speech.ssml(), "normal"), "normal", tmp_path, "one")
    assert 10 < seconds < 10 + 3


def test_a_sound_is_heard_as_silence_of_its_known_length(tmp_path):
    require_tools()
    bell = CONTENT.sounds["hold_end"]
    with_sounds = (Speech().say("Hold.").pause(6).audio(bell.url, bell.seconds, bell.name)
                   .pause(4).audio(bell.url, bell.seconds, bell.name).say("Release."))
    text = for_espeak(with_sounds.ssml(), "normal")
    assert "<audio" not in text and text.count("<break") == 1
    plain = Speech().say("Hold.").pause(10).say("Release.")
    seconds = speak(text, "normal", tmp_path, "sounds")
    without = speak(for_espeak(plain.ssml(), "normal"), "normal", tmp_path, "plain")
    assert seconds - without == pytest.approx(2 * bell.seconds, abs=0.1)
    assert seconds >= with_sounds.silence_seconds + with_sounds.audio_seconds


def test_pages_with_sounds_are_measured():
    """Default preferences play sounds, so the pages timed here carry them."""
    assert sum(page.audio_count for _, _, page in CASES) > len(CASES)


@pytest.mark.parametrize("name,pace,page", CASES, ids=[c[0] for c in CASES])
def test_estimate_within_tolerance_of_espeak(measured, name, pace, page):
    seconds = measured[name]
    estimate = page.estimated_seconds
    error = (estimate - seconds) / seconds
    assert abs(error) <= TOLERANCE, (
        f"{name}: estimated {estimate:.1f} s, espeak-ng {seconds:.1f} s ({error:+.1%})")
    assert seconds >= page.silence_seconds + page.audio_seconds, \
        "audio shorter than the page's own silence and sounds"


def test_error_range_summary(measured, capsys):
    errors = [(page.estimated_seconds - measured[name]) / measured[name]
              for name, _, page in CASES]
    with capsys.disabled():
        print(f"\nestimate vs espeak-ng over {len(errors)} pages: "
              f"{min(errors):+.1%} .. {max(errors):+.1%}")
    assert max(abs(e) for e in errors) <= TOLERANCE


@pytest.mark.parametrize("pace", sorted(RATES))
def test_speech_alone_matches_the_stated_rate(measured, pace):
    cases = [(name, page) for name, p, page in CASES if p == pace]
    quiet = {name: page.silence_seconds + page.audio_seconds for name, page in cases}
    spoken = sum(measured[name] - quiet[name] for name, _ in cases)
    estimated = sum(page.estimated_seconds - quiet[name] for name, page in cases)
    assert abs(estimated - spoken) / spoken <= 0.10, (
        f"{pace}: speech estimated {estimated:.0f} s at {WORDS_PER_MINUTE[pace]:g} wpm, "
        f"espeak-ng spoke {spoken:.0f} s")


# --------------------------------------------------------------------------- whole routines

def _routine_responses():
    """{routine id: [SSML of every response from the "no" to the summary]} at default
    preferences, played through the endpoint like a user saying "next" each time."""
    import tempfile

    from skill.config import Config
    from skill.store import open_store
    from skill.web.app import create_app
    from tests.client import AlexaClient, flask_poster

    out = {}
    with tempfile.TemporaryDirectory() as directory:
        store = open_store(f"sqlite:///{directory}/timing.db")
        try:
            app = create_app(Config.local(session_secret=b"t" * 32), store=store, content=CONTENT)
            for routine in CONTENT.routines.values():
                alexa = AlexaClient(flask_poster(app), user_id=f"timing-{routine.id}")
                alexa.launch()
                alexa.intent("StartRoutineIntent", routine=routine.id)
                responses = [alexa.intent("AMAZON.NoIntent")]
                offer = CONTENT.text("reminders", "offer_reprompt")
                # to the summary (after a first routine, followed by the reminder offer)
                while not (responses[-1].ends or responses[-1].reprompt == offer):
                    responses.append(alexa.intent("AMAZON.NextIntent"))
                    assert len(responses) < 100, f"{routine.id} never reached its summary"
                out[routine.id] = [r.ssml for r in responses]
        finally:
            store.close()
    return out


def _announced_seconds(routine) -> tuple[float, float]:
    """(minutes announced, as seconds; the coach's own estimate in seconds)."""
    import datetime as dt

    from skill.dialog import playback
    from skill.dialog.state import fresh_state
    from skill.dialog.turn import Memory, Turn
    turn = Turn(CONTENT, fresh_state(), Memory(), dt.date.today())
    said = playback.minutes(turn, routine)
    minutes = float(said.replace(" and a half", ".5"))
    return minutes * 60, playback.routine_seconds(turn, routine)


@pytest.fixture(scope="module")
def whole_routines(tmp_path_factory):
    require_tools()
    directory = tmp_path_factory.mktemp("espeak-routines")
    jobs = [(rid, n, ssml) for rid, responses in _routine_responses().items()
            for n, ssml in enumerate(responses)]

    def one(job):
        rid, n, ssml = job
        return rid, n, speak(for_espeak(ssml, "normal"), "normal", directory, f"{rid}-{n}")

    measured: dict[str, list[float]] = {}
    with ThreadPoolExecutor(WORKERS) as pool:
        for rid, n, seconds in pool.map(one, jobs):
            measured.setdefault(rid, []).append(seconds)
    return measured


@pytest.mark.parametrize("routine_id", list(CONTENT.routines))
def test_announced_minutes_are_within_ten_percent_of_the_whole_routine(whole_routines, routine_id):
    routine = CONTENT.routines[routine_id]
    heard = sum(whole_routines[routine_id])
    announced, estimate = _announced_seconds(routine)
    assert abs(announced - heard) / heard <= WHOLE_ROUTINE_TOLERANCE, (
        f"{routine_id}: announced {announced / 60:g} min, espeak-ng {heard / 60:.1f} min")
    assert abs(estimate - heard) / heard <= WHOLE_ROUTINE_TOLERANCE, (
        f"{routine_id}: estimated {estimate / 60:.1f} min, espeak-ng {heard / 60:.1f} min")


def test_no_response_of_a_routine_runs_long(whole_routines):
    longest = max(max(seconds) for seconds in whole_routines.values())
    assert longest <= RESPONSE_MAX_SECONDS, longest


def test_whole_routine_summary(whole_routines, capsys):
    with capsys.disabled():
        print()
        for rid, seconds in whole_routines.items():
            announced, estimate = _announced_seconds(CONTENT.routines[rid])
            print(f"{rid:16} announced {announced / 60:5.1f} min  estimated {estimate / 60:5.1f} min"
                  f"  espeak-ng {sum(seconds) / 60:5.1f} min  longest response {max(seconds):5.1f} s")
    assert whole_routines
