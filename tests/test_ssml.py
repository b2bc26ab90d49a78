"""The SSML builder: escaping, tag whitelist, break rules, estimate, console rendering."""

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings, strategies as st

from skill.voice import ssml
from skill.voice.ssml import (MAX_AUDIO_SECONDS, MAX_AUDIO_TAGS, MAX_BREAK_SECONDS,
                              MAX_SSML_CHARS, Speech)

BREAK_RE = re.compile(r'<break time="(\d+)(ms|s)"/>')


def parse(speech_or_ssml):
    text = speech_or_ssml.ssml() if isinstance(speech_or_ssml, Speech) else speech_or_ssml
    root = ET.fromstring(text)
    assert root.tag == "speak"
    return root


def tags(root):
    return {el.tag for el in root.iter()}


def break_seconds(el):
    m = re.fullmatch(r"(\d+)(ms|s)", el.get("time"))
    assert m, el.get("time")
    return int(m.group(1)) / (1000 if m.group(2) == "ms" else 1)


def sequence(root):
    """Children of the speak/prosody wrapper as ('s', text) / ('break', seconds) /
    ('audio', src)."""
    out = []
    for el in root.iter():
        if el.tag == "s":
            out.append(("s", el.text or ""))
        elif el.tag == "break":
            out.append(("break", break_seconds(el)))
        elif el.tag == "audio":
            out.append(("audio", el.get("src")))
    return out


def test_constants():
    assert MAX_SSML_CHARS == 8000
    assert MAX_BREAK_SECONDS == 10
    assert MAX_AUDIO_TAGS == 5 and MAX_AUDIO_SECONDS == 240
    assert ssml.MAX_REPROMPT_AUDIO_SECONDS == 90
    assert ssml.WORDS_PER_MINUTE["normal"] == ssml.DEFAULT_WPM * ssml.RATES["normal"] / 100
    # both paces are slower than Alexa's default, slow slower than normal
    assert 100 > ssml.RATES["normal"] > ssml.RATES["slow"]


@pytest.mark.parametrize("text", [
    'Tom & Jerry say "hi" <b>bold</b> it\'s > 3 < 4.',
    "A & B. C < D! E > F? \"G\" 'H'",
    "&amp; is not an entity here.",
    "]]> <![CDATA[ x ]]>",
])
def test_escaping_round_trips(text):
    speech = Speech().say(text)
    out = speech.ssml()
    body = re.sub(r"</?(speak|prosody|s)\b[^<>]*>", "", out)
    assert not set(body) & set("<>\"'")  # no raw markup or quotes left in the text
    assert re.sub(r"&(amp|lt|gt|quot|apos);", "", body).count("&") == 0
    root = parse(out)
    assert tags(root) <= {"speak", "prosody", "s"}
    spoken = " ".join(el.text for el in root.iter("s"))
    assert spoken == " ".join(text.split())


def test_escape_all_five_characters():
    assert ssml.escape("&<>\"'") == "&amp;&lt;&gt;&quot;&apos;"


def test_text_without_words_is_not_a_sentence():
    speech = Speech().say("Hold.").pause(5).say("... - !").pause(5)
    assert speech.ssml().count("<break") == 1  # merged: nothing was said between
    assert speech.silence_seconds == 10
    assert Speech().say(" ... ").is_empty
    assert [el.text for el in parse(Speech().say("Hold. ! Breathe.")).iter("s")] == ["Hold.", "Breathe."]


def test_control_characters_are_dropped():
    root = parse(Speech().say("bad\x00char\x1b here."))
    assert [el.text for el in root.iter("s")] == ["badchar here."]


def test_each_sentence_its_own_s_and_empty_text_ignored():
    speech = Speech().say("Lie down. Bend your knees!  Ready?").say("").say("   ").say(None)
    root = parse(speech)
    assert [el.text for el in root.iter("s")] == ["Lie down.", "Bend your knees!", "Ready?"]
    assert Speech().say("").is_empty
    assert not speech.is_empty


def test_only_alexa_tags_and_prosody_rate():
    speech = Speech("slow").say("One.").pause(2).say("Two.")
    root = parse(speech)
    assert tags(root) <= ssml.ALLOWED_TAGS
    assert tags(root) == {"speak", "prosody", "s", "break"}
    assert root.find("prosody").get("rate") == "80%"
    assert parse(Speech().say("x.")).find("prosody").get("rate") == "90%"


def test_unknown_pace_rejected():
    with pytest.raises(ValueError):
        Speech("fast")


def test_pause_formats_and_merges():
    speech = Speech().say("Hold.").pause(3).pause(2.5).say("Release.").pause(0.25)
    out = speech.ssml()
    assert '<break time="5500ms"/>' in out
    assert '<break time="250ms"/>' in out
    assert len(BREAK_RE.findall(out)) == 2
    assert speech.silence_seconds == 5.75
    assert Speech().say("a.").pause(4).pause(6).ssml().count("<break") == 1
    assert '<break time="10s"/>' in Speech().say("a.").pause(4).pause(6).ssml()


def test_zero_pause_ignored():
    assert Speech().pause(0).is_empty


@pytest.mark.parametrize("bad", [10.001, 11, 60, -1, float("nan"), float("inf"), "3", None, True])
def test_bad_pause_raises(bad):
    with pytest.raises(ValueError):
        Speech().say("x.").pause(bad)


def test_merged_pause_over_limit_raises_and_leaves_speech_unchanged():
    speech = Speech().say("Hold.").pause(6)
    before = speech.ssml()
    with pytest.raises(ValueError):
        speech.pause(5)
    assert speech.ssml() == before
    speech.say("Five seconds left.").pause(5)  # with a cue between, fine
    assert speech.silence_seconds == 11


def test_extend_merges_pauses_and_keeps_own_pace():
    a = Speech("slow").say("One.").pause(2)
    b = Speech("normal").pause(3).say("Two.")
    a.extend(b)
    assert a.ssml() == ('<speak><prosody rate="80%"><s>One.</s><break time="5s"/><s>Two.</s>'
                        "</prosody></speak>")
    assert b.ssml().count("<break") == 1  # other not modified
    c = Speech().say("x.").pause(6)
    with pytest.raises(ValueError):
        c.extend(Speech().pause(5).say("y."))
    assert c.plain() == "x. [pause 6 s]"
    with pytest.raises(TypeError):
        c.extend("<break/>")


def test_plain():
    speech = Speech().say("Hold for 20 seconds.").pause(10).say("10 seconds left.").pause(2.5)
    assert speech.plain() == "Hold for 20 seconds. [pause 10 s] 10 seconds left. [pause 2.5 s]"


def test_estimate_is_words_at_stated_wpm_plus_gaps_plus_breaks():
    for pace in ("normal", "slow"):
        wpm = ssml.WORDS_PER_MINUTE[pace]
        speech = Speech(pace).say("one two three four five six.").pause(4)
        assert speech.estimated_seconds == pytest.approx(6 * 60 / wpm + 4)
        # a sentence not followed by a break adds the sentence gap
        speech.say("seven eight.")
        assert speech.estimated_seconds == pytest.approx(
            8 * 60 / wpm + 4 + ssml.SENTENCE_GAP_SECONDS)
    assert Speech().estimated_seconds == 0
    assert Speech("slow").say("a b c.").estimated_seconds > Speech().say("a b c.").estimated_seconds


def test_count_words():
    assert ssml.count_words("Don't stop: 10 seconds left, OK?") == 6
    assert ssml.count_words("  ") == 0


def test_len_is_ssml_length_and_empty():
    speech = Speech().say("Hi.")
    assert len(speech) == len(speech.ssml())
    assert Speech().ssml() == "<speak></speak>"
    assert Speech().is_empty and Speech().plain() == ""


# --- the audio part ------------------------------------------------------------------
CHIME = ("soundbank://soundlibrary/musical/amzn_sfx_bell_short_chime_01", 0.71, "hold starts")
BELL = ("soundbank://soundlibrary/musical/amzn_sfx_bell_med_chime_02", 0.89, "hold ends")


def test_audio_is_an_alexa_audio_tag_with_the_soundbank_url():
    speech = Speech().say("Hold for 5 seconds.").audio(*CHIME).pause(5).audio(*BELL).say("Release.")
    root = parse(speech)
    assert tags(root) <= ssml.ALLOWED_TAGS
    assert sequence(root) == [("s", "Hold for 5 seconds."), ("audio", CHIME[0]), ("break", 5),
                              ("audio", BELL[0]), ("s", "Release.")]
    assert [el.attrib for el in root.iter("audio")] == [{"src": CHIME[0]}, {"src": BELL[0]}]
    assert speech.audio_count == 2 and speech.sounds[0].name == "hold starts"


def test_plain_shows_the_sound_by_name():
    speech = Speech().say("Hold.").audio(*CHIME).pause(5).audio(*BELL).say("And release.")
    assert speech.plain() == "Hold. [sound: hold starts] [pause 5 s] [sound: hold ends] And release."


@pytest.mark.parametrize("src", [
    "https://example.com/bell.mp3",                         # not Alexa's library
    "soundbank://soundlibrary/",                            # no sound named
    "soundbank://other/musical/bell",                       # not the sound library
    'soundbank://soundlibrary/musical/bell"/><audio src="x', # an attribute breaking out
    "soundbank://soundlibrary/musical/bell&amp;x",
    "soundbank://soundlibrary/musical/bell <x>",
    "SOUNDBANK://soundlibrary/musical/bell",
    None, 3,
])
def test_audio_only_takes_a_sound_library_url(src):
    speech = Speech().say("Hold.")
    with pytest.raises(ValueError):
        speech.audio(src, 1, "bell")
    assert speech.plain() == "Hold."        # refused: nothing added


@pytest.mark.parametrize("seconds", [0, -1, 240.5, float("nan"), float("inf"), "1", None, True])
def test_audio_needs_a_known_length(seconds):
    with pytest.raises(ValueError):
        Speech().audio(CHIME[0], seconds, "hold starts")


@pytest.mark.parametrize("name", ["", "  ", "...", None])
def test_audio_needs_a_name_for_the_console(name):
    with pytest.raises(ValueError):
        Speech().audio(CHIME[0], 0.71, name)


def test_src_is_escaped_in_the_attribute():
    """Only library URLs get in, and even so the attribute goes through the escaper."""
    assert ssml._fragment(ssml.Audio("a&b\"c<d", 1.0, "x")) == '<audio src="a&amp;b&quot;c&lt;d"/>'


def test_breaks_never_merge_across_a_sound():
    speech = Speech().say("Hold.").pause(6).audio(*BELL).pause(6).say("Rest.")
    assert sequence(parse(speech)) == [("s", "Hold."), ("break", 6), ("audio", BELL[0]),
                                       ("break", 6), ("s", "Rest.")]
    assert speech.silence_seconds == 12     # two breaks of 6 s, neither over the limit
    # and extend() keeps them apart too
    a = Speech().say("Hold.").pause(4).audio(*BELL)
    a.extend(Speech().pause(4).say("Rest."))
    assert sequence(parse(a))[1:4] == [("break", 4), ("audio", BELL[0]), ("break", 4)]
    # without the sound, the same two pauses merge (and 6 + 6 is refused)
    with pytest.raises(ValueError):
        Speech().say("Hold.").pause(6).pause(6)


def test_estimate_counts_sounds_at_their_length_and_no_gap_before_them():
    wpm = ssml.WORDS_PER_MINUTE["normal"]
    speech = Speech().say("one two three.").audio(*CHIME).pause(5).audio(*BELL).say("four five.")
    # "one two three." is followed by a sound (no gap); "four five." ends the speech (a gap)
    assert speech.estimated_seconds == pytest.approx(
        5 * 60 / wpm + ssml.SENTENCE_GAP_SECONDS + 5 + CHIME[1] + BELL[1])
    assert speech.audio_seconds == pytest.approx(CHIME[1] + BELL[1])
    assert speech.silence_seconds == 5


def test_one_response_holds_at_most_five_sounds_and_240_seconds():
    speech = Speech().say("Go.")
    for _ in range(MAX_AUDIO_TAGS):
        speech.audio(*BELL).say("Next.")
    assert speech.ssml().count("<audio ") == MAX_AUDIO_TAGS
    speech.audio(*BELL)                      # a sixth: fine to measure, refused to emit
    assert speech.audio_count == 6
    with pytest.raises(ValueError, match="at most 5 sounds"):
        speech.ssml()
    long = Speech().audio(CHIME[0], 200, "long").audio(BELL[0], 41, "longer")
    with pytest.raises(ValueError):
        long.ssml()
    assert Speech().audio(CHIME[0], 200, "long").audio(BELL[0], 40, "x").ssml()


# --- property test ------------------------------------------------------------------
texts = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["Hold.", "Breathe out.", "A & B <c> \"d\" 'e'.", "", "  ", "One. Two!"]),
)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("say"), texts),
        st.tuples(st.just("pause"), st.floats(min_value=0, max_value=12, allow_nan=False)),
        st.tuples(st.just("audio"), st.sampled_from([CHIME, BELL, (CHIME[0], 0, "x"),
                                                     ("https://x.test/a.mp3", 1, "x")])),
        st.tuples(st.just("extend"), st.lists(
            st.one_of(st.tuples(st.just("say"), texts),
                      st.tuples(st.just("pause"), st.floats(min_value=0, max_value=12))),
            max_size=4)),
    ),
    max_size=30,
)


def apply(speech, op, arg):
    if op == "say":
        speech.say(arg)
    elif op == "pause":
        speech.pause(arg)
    elif op == "audio":
        speech.audio(*arg)
    else:
        other = Speech()
        for sub_op, sub_arg in arg:
            try:
                apply(other, sub_op, sub_arg)
            except ValueError:
                pass
        speech.extend(other)


@settings(max_examples=300, deadline=None)
@given(ops, st.sampled_from(["normal", "slow"]))
def test_property_never_adjacent_or_long_breaks_always_xml(operations, pace):
    speech = Speech(pace)
    for op, arg in operations:
        before = speech.plain()
        try:
            apply(speech, op, arg)
        except ValueError:
            assert speech.plain() == before  # a refused step changes nothing
    if speech.audio_count > MAX_AUDIO_TAGS:       # more than one response may play
        with pytest.raises(ValueError):
            speech.ssml()
        return
    out = speech.ssml()
    root = parse(out)
    assert tags(root) <= {"speak", "prosody", "s", "break", "audio", "say-as"}
    seq = sequence(root)
    for (kind_a, _), (kind_b, _) in zip(seq, seq[1:]):
        assert not (kind_a == "break" and kind_b == "break"), out
    for kind, value in seq:
        if kind == "break":
            assert 0 < value <= MAX_BREAK_SECONDS
        elif kind == "audio":
            assert value in (CHIME[0], BELL[0])        # only valid sounds got in
        else:
            assert ssml.count_words(value) > 0  # something is spoken between breaks
    assert sum(v for k, v in seq if k == "break") == pytest.approx(speech.silence_seconds)
    assert speech.audio_seconds == pytest.approx(
        sum(CHIME[1] if v == CHIME[0] else BELL[1] for k, v in seq if k == "audio"))
    assert speech.estimated_seconds >= speech.silence_seconds + speech.audio_seconds
    # raw text never leaks markup: every '<' in the output starts one of our tags
    assert re.sub(r"</?(speak|prosody|s|break|audio|say-as)\b[^<>]*>", "", out).count("<") == 0


@pytest.mark.parametrize("text, digits", [
    ("Call 999 now, or have someone take you to A&E.", ["999"]),
    ("Go to the nearest emergency department or call 000 straight away.", ["000"]),
    ("Dial 112, or ring 108 for an ambulance.", ["112", "108"]),
    ("Calling 911 is free.", ["911"]),
    ("Hold for 30 seconds. Stretch 2 of 5. Recall 123 times. Call 12345.", []),
    ("Call your local emergency number now.", []),
])
def test_a_number_to_call_is_said_digit_by_digit(text, digits):
    """ "Call 999" is "nine nine nine", never "nine hundred and ninety-nine"; every other
    number stays a number ("30 seconds")."""
    out = Speech().say(text).ssml()
    assert re.findall(r'<say-as interpret-as="digits">(\d+)</say-as>', out) == digits
    assert Speech().say(text).plain() == text            # the console shows the digits
    assert tags(parse(out)) <= {"speak", "prosody", "s", "say-as"}
