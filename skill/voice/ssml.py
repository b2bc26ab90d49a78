"""The one SSML builder (SPEC §4). Handlers and the coach never paste SSML.

A `Speech` is a flat list of parts: sentences of text, breaks and sounds. The rules of the
platform are enforced when a part is added, so they cannot be broken when it is emitted:

- text is split into sentences, each its own ``<s>``, and XML-escaped (& < > " ');
  characters XML cannot carry (control characters) are dropped;
- a break lasts at most ``MAX_BREAK_SECONDS`` (Alexa's limit). Two pauses with nothing
  said between them merge into one break; if the merged break would exceed the limit,
  ``pause()`` raises ``ValueError`` and the speech is left unchanged. Callers split long
  silences with short spoken cues, because some speech engines (espeak-ng among them)
  merge adjacent breaks into the longest one;
- a sound is an ``<audio>`` from Alexa's own sound library (a ``soundbank://`` URL, checked
  and escaped) with its known length in seconds. A sound sits between the breaks around it:
  they never merge across it (Alexa plays the silence, the sound, the silence). Alexa allows
  at most ``MAX_AUDIO_TAGS`` sounds and ``MAX_AUDIO_SECONDS`` of them in one response: those
  are limits of a whole response, so ``ssml()`` refuses (``ValueError``) a Speech over them,
  while a Speech that joins many pages only to be measured (a routine's timing) may hold more;
- a number to call ("Call 999 now", "dial 112") is said digit by digit, ``<say-as
  interpret-as="digits">``: "nine nine nine", never "nine hundred and ninety-nine", in every
  English voice;
- the only tags emitted are ``speak``, ``prosody``, ``s``, ``break``, ``say-as`` and
  ``audio``, all Alexa tags.

Pace: everything is spoken slower than Alexa's default, for a body moving into position.
The whole response is wrapped in ``<prosody rate="N%">`` and the duration estimate uses
``WORDS_PER_MINUTE[pace]`` = ``DEFAULT_WPM`` x rate. Breaks are absolute on Alexa
(prosody does not stretch them), so they count at face value; so do sounds, at their
known length.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from ..constants import SOUNDBANK_URL

MAX_SSML_CHARS = 8000
MAX_BREAK_SECONDS = 10
#: Alexa's limits on <audio> in one response (SPEC §4; Alexa's SSML reference, "audio", and
#: its request and response JSON reference): at most this many tags, at most this much audio
#: in the outputSpeech, and in a reprompt (our reprompts carry no sound).
MAX_AUDIO_TAGS = 5
MAX_AUDIO_SECONDS = 240
MAX_REPROMPT_AUDIO_SECONDS = 90

#: Alexa's default speaking rate, in words per minute (the stated basis of the estimate).
DEFAULT_WPM = 160
#: Prosody rate, in percent of Alexa's default, for each pace.
RATES = {"normal": 90, "slow": 80}
#: Words per minute for each pace: DEFAULT_WPM x RATES[pace] / 100 (normal 144, slow 128).
WORDS_PER_MINUTE = {pace: DEFAULT_WPM * rate / 100 for pace, rate in RATES.items()}
#: The short silence a voice leaves after a sentence, in seconds; a break that follows the
#: sentence replaces it (espeak-ng folds it into the break). tests/test_espeak_timing.py
#: holds the whole estimate to espeak-ng's audio.
SENTENCE_GAP_SECONDS = 0.4

#: Alexa's SSML tags (SPEC §4). The builder emits only speak, prosody, s, break and audio.
ALLOWED_TAGS = frozenset({
    "speak", "break", "emphasis", "lang", "p", "phoneme", "prosody", "s", "say-as",
    "sub", "voice", "w", "audio", "amazon:effect", "amazon:domain", "amazon:emotion",
})

# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) and space.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+")
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
# Characters XML 1.0 cannot carry.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"})
_SPACE = re.compile(r"\s+")
_SOUNDBANK = re.compile(SOUNDBANK_URL)
# A phone number after "call" (or dial, ring): the emergency numbers of content/locales/.
_NUMBER_TO_CALL = re.compile(r"\b((?i:call|dial|ring)(?:ing)? )([0-9]{2,4})(?![0-9A-Za-z])")


def escape(text: str) -> str:
    """XML-escape text for SSML: & < > " ' become entities; control characters go."""
    # Chained replace() gives exactly what translate(_ESCAPES) gives ("&" first), at a
    # third of the cost; it runs for every sentence of every response (docs/performance.md).
    return (_NOT_XML.sub("", text).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;").replace("'", "&apos;"))


def count_words(text: str) -> int:
    """Spoken words in a text, as the estimate counts them ("don't" is one word)."""
    return len(_WORD.findall(text))


def split_sentences(text: str) -> list[str]:
    """One or more sentences of text -> list of sentences, whitespace normalised. A
    "sentence" with no word in it ("...", "-") is dropped: it would say nothing."""
    return list(_sentences(text))


# Speech is made of a bounded set of texts (the content, with a few numbers and names put
# in), so splitting and escaping are remembered per text (docs/performance.md). Bounded, so
# unusual text costs the work again but never memory; the results are immutable.
@functools.lru_cache(maxsize=8192)
def _sentences(text: str) -> tuple[str, ...]:
    text = _SPACE.sub(" ", _NOT_XML.sub("", text)).strip()
    if not text:
        return ()
    return tuple(s for s in (p.strip() for p in _SENTENCE_END.split(text)) if _WORD.search(s))


@dataclass(frozen=True)
class Audio:
    """A sound part of a Speech: where Alexa finds it, how long it plays, what it is called
    (the console shows "[sound: <name>]")."""
    src: str
    seconds: float
    name: str


def is_soundbank_url(url: object) -> bool:
    """A URL of Alexa's sound library: soundbank://soundlibrary/<category>/.../<name>."""
    return isinstance(url, str) and _SOUNDBANK.fullmatch(url) is not None


@functools.lru_cache(maxsize=16384)
def _fragment(part: str | int | Audio) -> str:
    """One part of a Speech as SSML: a break (int, milliseconds), an escaped <s>, a sound."""
    if type(part) is int:
        return _break_tag(part)
    if type(part) is str:
        return f"<s>{_NUMBER_TO_CALL.sub(_DIGITS, escape(part))}</s>"
    return f'<audio src="{escape(part.src)}"/>'


_DIGITS = r'\1<say-as interpret-as="digits">\2</say-as>'


def _break_ms(seconds: float) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ValueError(f"pause takes a number of seconds, got {seconds!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"pause takes a finite number of seconds >= 0, got {seconds!r}")
    return round(seconds * 1000)


def _break_tag(ms: int) -> str:
    return f'<break time="{ms // 1000}s"/>' if ms % 1000 == 0 else f'<break time="{ms}ms"/>'


def _fmt_seconds(ms: int) -> str:
    return f"{ms / 1000:g}"


class Speech:
    """Spoken text, pauses and sounds, built step by step; see the module docstring for the
    rules.

    Parts are kept as a list of ``str`` (one sentence, unescaped), ``int`` (a break in
    milliseconds) or ``Audio``; an ``int`` is never next to another ``int``.
    """

    __slots__ = ("pace", "_parts")

    def __init__(self, pace: str = "normal"):
        if pace not in RATES:
            raise ValueError(f"pace must be one of {sorted(RATES)}, got {pace!r}")
        self.pace = pace
        self._parts: list[str | int] = []

    # -- building -------------------------------------------------------------------
    def say(self, text: str) -> "Speech":
        """Add one or more sentences; each becomes its own <s>. Text with no words is ignored."""
        if text is None:
            return self
        if not isinstance(text, str):
            raise TypeError(f"say() takes text, got {type(text).__name__}")
        self._parts.extend(_sentences(text))
        return self

    def pause(self, seconds: float) -> "Speech":
        """Add silence. Merges with a pause just before it; > 10 s in one break -> ValueError."""
        self._add_break(_break_ms(seconds))
        return self

    def audio(self, src: str, seconds: float, name: str) -> "Speech":
        """Play a sound of Alexa's sound library: `src` a soundbank:// URL, `seconds` its known
        length (the estimate counts it), `name` what the console shows. A pause before it and
        one after it stay two breaks. ValueError, leaving the speech unchanged, for any other
        URL, a length not in (0, MAX_AUDIO_SECONDS], or a name without words."""
        if not is_soundbank_url(src):
            raise ValueError(f"a sound must be a soundbank://soundlibrary/... URL, got {src!r}")
        if (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
                or not math.isfinite(seconds) or not 0 < seconds <= MAX_AUDIO_SECONDS):
            raise ValueError(f"a sound lasts more than 0 and at most {MAX_AUDIO_SECONDS} s, "
                             f"got {seconds!r}")
        if not isinstance(name, str) or not _WORD.search(name):
            raise ValueError(f"a sound needs a name to show, got {name!r}")
        self._parts.append(Audio(src, float(seconds), _SPACE.sub(" ", name).strip()))
        return self

    def _add_break(self, ms: int) -> None:
        if ms == 0:
            return
        parts = self._parts
        merged = ms + parts[-1] if parts and isinstance(parts[-1], int) else ms
        if merged > MAX_BREAK_SECONDS * 1000:
            raise ValueError(
                f"a break may not exceed {MAX_BREAK_SECONDS} s (would be {_fmt_seconds(merged)} s"
                f"); split the silence with a spoken cue"
            )
        if merged != ms:
            parts[-1] = merged
        else:
            parts.append(ms)

    def extend(self, other: "Speech") -> "Speech":
        """Append another Speech (its pace is ignored); a trailing and a leading pause merge
        by the rule of pause(). Raises ValueError, leaving self unchanged, if they can't."""
        if not isinstance(other, Speech):
            raise TypeError(f"extend() takes a Speech, got {type(other).__name__}")
        rest = other._parts
        if rest and isinstance(rest[0], int):
            self._add_break(rest[0])
            rest = rest[1:]
        self._parts.extend(rest)
        return self

    def copy(self) -> "Speech":
        new = Speech(self.pace)
        new._parts = list(self._parts)
        return new

    # -- output ---------------------------------------------------------------------
    def ssml(self) -> str:
        """The whole response: <speak><prosody rate="N%">...</prosody></speak>. ValueError if
        it holds more sounds than one response may (MAX_AUDIO_TAGS, MAX_AUDIO_SECONDS)."""
        if self.audio_count > MAX_AUDIO_TAGS or self.audio_seconds > MAX_AUDIO_SECONDS:
            raise ValueError(
                f"one response may play at most {MAX_AUDIO_TAGS} sounds and "
                f"{MAX_AUDIO_SECONDS} s of them, this one has {self.audio_count} "
                f"({self.audio_seconds:g} s)")
        if not self._parts:
            return "<speak></speak>"
        body = "".join(map(_fragment, self._parts))
        return f'<speak><prosody rate="{RATES[self.pace]}%">{body}</prosody></speak>'

    def plain(self) -> str:
        """For the console: the sentences, with pauses shown as "[pause 10 s]" and sounds as
        "[sound: hold ends]"."""
        return " ".join(
            f"[pause {_fmt_seconds(p)} s]" if type(p) is int
            else p if type(p) is str else f"[sound: {p.name}]" for p in self._parts
        )

    @property
    def words(self) -> int:
        return sum(count_words(p) for p in self._parts if type(p) is str)

    @property
    def sentences(self) -> int:
        return sum(1 for p in self._parts if type(p) is str)

    @property
    def silence_seconds(self) -> float:
        """Sum of all breaks, in seconds."""
        return sum(p for p in self._parts if type(p) is int) / 1000

    @property
    def sounds(self) -> list[Audio]:
        """The sounds, in the order they play."""
        return [p for p in self._parts if type(p) is Audio]

    @property
    def audio_count(self) -> int:
        return sum(1 for p in self._parts if type(p) is Audio)

    @property
    def audio_seconds(self) -> float:
        """Sum of the sounds' known lengths, in seconds."""
        return sum(p.seconds for p in self._parts if type(p) is Audio)

    @property
    def estimated_seconds(self) -> float:
        """Words at WORDS_PER_MINUTE[pace], plus SENTENCE_GAP_SECONDS after each sentence
        followed by another sentence (or by nothing: a break or a sound takes the gap's
        place), plus the breaks, plus the sounds at their known length."""
        parts = self._parts
        gaps = sum(
            1 for i, p in enumerate(parts)
            if type(p) is str and not (i + 1 < len(parts) and type(parts[i + 1]) is not str)
        )
        speech = self.words * 60 / WORDS_PER_MINUTE[self.pace]
        return speech + gaps * SENTENCE_GAP_SECONDS + self.silence_seconds + self.audio_seconds

    @property
    def is_empty(self) -> bool:
        return not self._parts

    def __len__(self) -> int:
        return len(self.ssml())

    def __bool__(self) -> bool:
        return True  # a Speech object is always truthy; use is_empty

    def __repr__(self) -> str:
        return f"Speech({self.pace!r}: {self.plain()!r})"
