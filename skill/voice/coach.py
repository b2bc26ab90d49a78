"""The coach: one exercise, as used in a routine, plus the user's preferences -> a schedule of
beats, cut into pages; a page is a `Speech` for one response (the conversation adds the
closing question).

The schedule is plain data (`Beat`: what kind of moment it is, the words, the silence after
them, the side and repetition it belongs to), so a sound layer or a screen can read the same
moments the voice speaks. One stretch, in order:

    intro        "Stretch 2 of 5: bridge."
    check        the exercise's check, before anything else ("Only do this one if ...")
    equipment    "Use a foam roller for this one."
    move         getting there from the previous stretch's position, one move per sentence,
                 each with time to do it (lying <-> hands and knees <-> sitting <-> standing)
    sides        "We'll do one side, then the other."
    step         the positioning steps (the short version once the stretch is known), one
                 instruction each, each with a pause to move
    for each side:
      held stretch, long holds (over COMPACT_MAX_HOLD s, or few repetitions):
        [repetition  "Repetition 2 of 2." + the exercise's own way back in, with time for it]
        hold         "Hold for 30 seconds." silence, a time-left cue on each multiple of
                     10 s still to go, an exercise cue in some silences (each once a side)
        [rest        "Ease off, and rest." between repetitions]
      held stretch, short holds repeated (compact counting):
        reps "We'll do 8, holding each for 5 seconds."  hold ... then for each next one
        rest "And relax, that's 1."  count "2." (+ the way back in, the first time) ...
      moving stretch: moving "{count} slow rounds ...", then one whole cycle per count: the
        cycle's movements in full for the first GUIDED_CYCLES, then the count alone
      release      "And release." + the exercise's release (once a side, at its end)
      other_side   "Now the other side." + the switch, one instruction per sentence

Sounds (content/sounds.yaml, with preference sounds "on"): a hold's start (after "Hold for
30 seconds.", so the silence starts with it), each hold's end (before the rest or release
line, so the user knows at once) and the switch of sides (before "Now the other side.") are
marked by a beat's `sound`. A compact repetition's silence is the way back in and the hold
together, so it has no start of its own to mark: its end is marked. Alexa plays at most
MAX_AUDIO_TAGS sounds in one response, so each page keeps the ends first (a set's release
before the rests inside it), then the starts, then the switches, each in the order they come
(`kept_sounds`); the page's length counts the sounds it keeps.

Holds. The silence of a hold is at least the effective hold (a hold is never shorter than
its content says, SPEC §4), cut into breaks of at most 10 s by spoken cues, because some
speech engines merge adjacent breaks.

Paging. A page stays under `PAGE_MAX_CHARS` of SSML and `PAGE_MAX_SECONDS` of estimated
time, so no response runs much past 150 s with the conversation's lead-in and question. It
is cut where a side, repetition or cycle starts (a boundary beat), never inside a hold unless
one repetition alone is too long; later pages start with "<name>, continued.".
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass
from typing import Any

from .ssml import (MAX_AUDIO_SECONDS, MAX_AUDIO_TAGS, MAX_BREAK_SECONDS, Speech, count_words,
                   split_sentences)

PAGE_MAX_CHARS = 7000
#: A page's estimated length. Every response adds a closing question (a few seconds), so a
#: response stays within RESPONSE_MAX_SECONDS. A stretch's first page also leaves room for
#: the routine's introduction (`lead_seconds`), which comes before it when a routine starts
#: or resumes there.
PAGE_MAX_SECONDS = 135
RESPONSE_MAX_SECONDS = 150
#: Pages of one stretch are evened out in steps of this many seconds.
BALANCE_STEP_SECONDS = 5
#: However long a routine's introduction, a stretch's first page may hold this much.
FIRST_PAGE_MIN_SECONDS = 60

HOLD_CHOICES = ("shorter", "normal", "longer")
PACE_CHOICES = ("slow", "normal")
CUE_CHOICES = ("more", "fewer")
SOUND_CHOICES = ("on", "off")

#: The moments a sound marks (content/sounds.yaml ids, checked at start-up), in the order
#: they are kept when a page has more than one response may play: hold ends, hold starts,
#: side switches.
SOUND_MOMENTS = ("hold_end", "hold_start", "switch_sides")
#: Sounds that follow their beat's words (the others come before them).
SOUND_AFTER_WORDS = frozenset({"hold_start"})

LONGER_FACTOR = 1.5
SHORTER_FACTOR = 0.75
HOLD_STEP_SECONDS = 5
SHORTEST_HOLD_SECONDS = 10

#: Pause after a positioning step, by pace; a long step (more than LONG_STEP_WORDS) gets
#: one second more, and the first step of a stretch (a new starting position) FIRST_STEP_EXTRA.
STEP_PAUSE_SECONDS = {"normal": 2, "slow": 3}
LONG_STEP_WORDS = 10
FIRST_STEP_EXTRA = 2
#: Pause after each sentence of a change of position (roll onto your side, push up...).
MOVE_PAUSE_SECONDS = {"normal": 4, "slow": 5}
#: Pause after an exercise's check, so there is time to say "Alexa, skip".
CHECK_PAUSE_SECONDS = {"normal": 2, "slow": 3}
#: Rest after each release, before the next repetition or side.
REST_SECONDS = {"normal": 3, "slow": 4}
#: Time to go back into a held stretch for the next repetition.
REENTER_SECONDS = {"normal": 3, "slow": 4}
#: Time-left cues fall on multiples of this many seconds still to go.
TIME_LEFT_EVERY = 10
#: With cues "more", silences at least this long are halved by one of the exercise's cues.
SPLIT_FOR_CUE_SECONDS = 8
#: Holds this short, repeated at least COMPACT_MIN_REPS times, are counted compactly.
COMPACT_MAX_HOLD = 10
COMPACT_MIN_REPS = 3
#: A moving stretch's movements are said in full for this many cycles, then only counted.
GUIDED_CYCLES = 3

POSITION_IDS = ("floor", "chair", "standing", "hands_and_knees")

#: Every key of content/voice.yaml the coach speaks, with the placeholders it fills.
VOICE_KEYS: dict[str, set[str]] = {
    "stretch_intro": {"number", "total", "name"},
    "continued": {"name"},
    "equipment": {"equipment"},
    "sides_intro": set(),
    "repetition": {"number", "total"},
    "rest": set(),
    "reps_intro": {"count", "seconds"},
    "relax_count": {"number"},
    "hold_start": {"seconds"},
    "time_left": {"seconds"},
    "time_left_short": {"seconds"},
    "release": set(),
    "other_side": set(),
    "moving_start": {"count"},
    "count": {"number"},
    "keep_going": set(),
    "keep_moving": set(),
    **{f"get_to_{p}": set() for p in POSITION_IDS},
    **{f"move_{a}_to_{b}": set() for a in POSITION_IDS for b in POSITION_IDS if a != b},
}


@dataclass(frozen=True)
class Prefs:
    """A user's coaching preferences (persistent attributes "prefs")."""
    hold: str = "normal"    # shorter | normal | longer
    pace: str = "normal"    # slow | normal
    cues: str = "more"      # more | fewer
    sounds: str = "on"      # on | off: the sounds that mark holds and sides

    @classmethod
    def from_dict(cls, d: Any) -> "Prefs":
        """Tolerant: anything unknown, missing or malformed falls back to the default.
        One shared (frozen) Prefs per stored value: the dialogue asks for the user's
        preferences many times a request, and a user's stored value rarely changes."""
        if not isinstance(d, dict):
            return _prefs_of(cls, (None, None, None, None))
        values = (d.get("hold"), d.get("pace"), d.get("cues"), d.get("sounds"))
        try:
            return _prefs_of(cls, values)
        except TypeError:                     # an unhashable value (a list): not a choice
            return _prefs_of(cls, tuple(v if isinstance(v, str) else None for v in values))

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


#: (stored key, the choices, the default) of each preference, in Prefs' field order.
_PREF_FIELDS = (("hold", HOLD_CHOICES, "normal"), ("pace", PACE_CHOICES, "normal"),
                ("cues", CUE_CHOICES, "more"), ("sounds", SOUND_CHOICES, "on"))


@functools.lru_cache(maxsize=256)
def _prefs_of(cls: type, values: tuple) -> Prefs:
    """The Prefs of the stored values (in _PREF_FIELDS order; anything but text is not a
    choice, so every such value gives the default); cached."""
    def pick(value: Any, choices: tuple[str, ...], default: str) -> str:
        value = value.strip().lower() if isinstance(value, str) else None
        return value if value in choices else default

    return cls(**{name: pick(value, choices, default)
                  for (name, choices, default), value in zip(_PREF_FIELDS, values)})


def effective_hold(item, prefs: Prefs) -> int:
    """The hold, in seconds, for this item and these preferences.

    "normal": the content's hold (with the routine's override). "longer": 1.5 x, rounded UP
    to whole 5 s. "shorter": 0.75 x rounded to the nearest 5 s (halves up), but never below
    10 s and never above the content's hold. A user's explicit choice of shorter holds is
    the only thing that may make a hold shorter than the content says. 0 stays 0 (a moving
    stretch)."""
    base = int(item.hold_seconds)
    if base <= 0:
        return 0
    if prefs.hold == "longer":
        return int(math.ceil(base * LONGER_FACTOR / HOLD_STEP_SECONDS) * HOLD_STEP_SECONDS)
    if prefs.hold == "shorter":
        rounded = int(math.floor(base * SHORTER_FACTOR / HOLD_STEP_SECONDS + 0.5)) * HOLD_STEP_SECONDS
        return min(base, max(SHORTEST_HOLD_SECONDS, rounded))
    return base


def is_compact(item, prefs: Prefs) -> bool:
    """Short holds repeated many times are counted compactly (see the module docstring)."""
    hold = effective_hold(item, prefs)
    return 0 < hold <= COMPACT_MAX_HOLD and item.repetitions >= COMPACT_MIN_REPS


# --------------------------------------------------------------------------- the schedule

@dataclass(frozen=True)
class Beat:
    """One moment of a stretch: words, then `pause` seconds of silence. `kind` names the
    moment (see the module docstring); `side` is 0 or 1; `rep` the repetition or cycle it
    belongs to (0 while setting up); `seconds` the hold's length on a "hold" beat;
    `boundary` marks where a page may start (SIDE, REPETITION, or 0); `sound` the sound
    (content.Sound) that marks the moment, or None."""
    kind: str
    text: str
    pause: float = 0
    side: int = 0
    rep: int = 0
    seconds: int = 0
    boundary: int = 0
    sound: Any = None


#: Where a page may start (Beat.boundary): a new side, or a new repetition or cycle.
SIDE, REPETITION = 2, 1


class _Builder:
    def __init__(self, content, item, prefs: Prefs):
        self.content, self.item, self.ex, self.prefs = content, item, item.exercise, prefs
        self.pace = prefs.pace
        self.beats: list[Beat] = []
        self.side = 0
        self.rep = 0
        self._cues_said = 0

    def v(self, key: str, **fields: Any) -> str:
        return self.content.text("voice", key, **fields)

    def sound(self, moment: str) -> dict[str, Any]:
        """The beat field that marks `moment` with its sound (none with sounds "off")."""
        return {"sound": self.content.sounds[moment]} if self.prefs.sounds == "on" else {}

    def add(self, kind: str, text: str, pause: float = 0, **extra: Any) -> None:
        """A beat; a pause over one break is carried by a spoken cue (the caller's job)."""
        assert pause <= MAX_BREAK_SECONDS, (kind, pause)
        self.beats.append(Beat(kind, text, pause, self.side, self.rep, **extra))

    def sentences(self, kind: str, text: str, pause: float) -> None:
        """One beat per sentence, each with its own pause: one instruction behind each pause."""
        for sentence in split_sentences(text):
            self.add(kind, sentence, pause)

    def exercise_cue(self) -> str | None:
        """The exercise's cues in turn, each at most once a side, with cues "more"."""
        cues = self.ex.cues
        if self.prefs.cues != "more" or self._cues_said >= len(cues):
            return None
        self._cues_said += 1
        return cues[self._cues_said - 1]

    def step_pause(self, text: str, first: bool = False) -> int:
        return (STEP_PAUSE_SECONDS[self.pace] + (count_words(text) > LONG_STEP_WORDS)
                + (FIRST_STEP_EXTRA if first else 0))

    # -- parts of a stretch
    def setup(self, number: int, total: int, previous: str | None, short: bool) -> None:
        ex = self.ex
        self.add("intro", self.v("stretch_intro", number=number, total=total, name=ex.name))
        for i, line in enumerate(ex.check):
            self.add("check", line, CHECK_PAUSE_SECONDS[self.pace] if i == len(ex.check) - 1 else 0)
        if ex.equipment:
            self.add("equipment", self.v("equipment", equipment=ex.equipment),
                     STEP_PAUSE_SECONDS[self.pace])
        if previous != ex.position:
            key = f"get_to_{ex.position}" if previous is None else f"move_{previous}_to_{ex.position}"
            self.sentences("move", self.v(key), MOVE_PAUSE_SECONDS[self.pace])
        if ex.sides:
            self.add("sides", self.v("sides_intro"))
        steps = ex.short if short and ex.short else ex.steps
        for i, step in enumerate(steps):
            for sentence in split_sentences(step):
                self.add("step", sentence, self.step_pause(sentence, first=i == 0))

    def hold(self, seconds: int) -> None:
        """Hold start cue, then the silence: a time-left cue on each multiple of 10 s still
        to go, and with cues "more" an exercise cue halving some longer silences."""
        time_left = "time_left" if self.prefs.cues == "more" else "time_left_short"
        kind, text, remaining = "hold", self.v("hold_start", seconds=seconds), seconds
        while remaining > 0:
            stop = (remaining - 1) // TIME_LEFT_EVERY * TIME_LEFT_EVERY
            span = remaining - stop                 # 1..10 s: one break, or two with a cue
            cue = self.exercise_cue() if span >= SPLIT_FOR_CUE_SECONDS else None
            extra = {"seconds": seconds, **self.sound("hold_start")} if kind == "hold" else {}
            if cue is None:
                self.add(kind, text, span, **extra)
            else:
                self.add(kind, text, span // 2, **extra)
                self.add("cue", cue, span - span // 2)
            remaining = stop
            kind, text = "time_left", self.v(time_left, seconds=remaining)

    def release(self) -> None:
        self.add("release", self.v("release") + " " + self.ex.release, REST_SECONDS[self.pace],
                 **self.sound("hold_end"))

    def held(self, hold: int, reps: int) -> None:
        ex, pace = self.ex, self.pace
        if is_compact(self.item, self.prefs):
            self.add("reps", self.v("reps_intro", count=reps, seconds=hold))
            for k in range(1, reps + 1):
                self.rep = k
                if k > 1:
                    text = self.v("count", number=k) + (" " + ex.reenter if k == 2 else "")
                    back_in = REENTER_SECONDS[pace]
                    if back_in + hold <= MAX_BREAK_SECONDS:   # the silence is the way in and the hold
                        self.add("count", text, back_in + hold, seconds=hold, boundary=REPETITION)
                    else:
                        self.add("count", text, back_in, boundary=REPETITION)
                        self.hold(hold)
                else:
                    self.hold(hold)
                if k < reps:
                    self.add("rest", self.v("relax_count", number=k), REST_SECONDS[pace],
                             **self.sound("hold_end"))
            self.release()
            return
        for k in range(1, reps + 1):
            self.rep = k
            if k > 1:
                self.add("repetition", self.v("repetition", number=k, total=reps) + " " + ex.reenter,
                         REENTER_SECONDS[pace], boundary=REPETITION)
            self.hold(hold)
            if k < reps:
                self.add("rest", self.v("rest"), REST_SECONDS[pace], **self.sound("hold_end"))
        self.release()

    def moving(self, cycles: int) -> None:
        ex = self.ex
        tempo = max(1, int(ex.tempo_seconds))
        n = len(ex.cycle)
        spans = [tempo * (j + 1) // n - tempo * j // n for j in range(n)]
        self.add("moving", self.v("moving_start", count=cycles))
        for k in range(1, cycles + 1):
            self.rep = k
            if k > 1:
                cue = self.exercise_cue()
                if cue:
                    self.add("cue", cue, boundary=REPETITION)
            if k <= GUIDED_CYCLES:
                for j, movement in enumerate(ex.cycle):
                    text = (self.v("count", number=k) + " " + movement) if j == 0 else movement
                    self.add("cycle" if j == 0 else "movement", text, spans[j],
                             boundary=REPETITION if j == 0 and k > 1 and self.beats[-1].kind != "cue" else 0)
                continue
            if k == GUIDED_CYCLES + 1:
                self.add("keep_going", self.v("keep_going"))
            pieces = -(-tempo // MAX_BREAK_SECONDS)
            for i in range(pieces):
                span = tempo * (i + 1) // pieces - tempo * i // pieces
                if i:
                    self.add("keep_moving", self.v("keep_moving"), span)
                else:
                    self.add("count", self.v("count", number=k), span, boundary=REPETITION)
        self.release()

    def body(self) -> None:
        ex, item = self.ex, self.item
        hold = effective_hold(item, self.prefs)
        reps = max(1, int(item.repetitions))
        for side in range(2 if ex.sides else 1):
            self.side, self.rep, self._cues_said = side, 0, 0
            if side:
                self.add("other_side", self.v("other_side"), boundary=SIDE,
                         **self.sound("switch_sides"))
                if ex.switch:
                    for sentence in split_sentences(ex.switch):
                        self.add("switch", sentence, self.step_pause(sentence))
            if hold <= 0:
                self.moving(reps)
            else:
                self.held(hold, reps)


def schedule(content, item, number: int, total: int, prefs: Prefs, *,
             previous: str | None = None, short: bool = False) -> list[Beat]:
    """The whole stretch as beats (see the module docstring). `previous` is the position the
    user is in (the previous stretch's; None at the start of a routine); `short` asks for
    the short version of the steps (checks, equipment and moves are never dropped)."""
    b = _Builder(content, item, prefs)
    b.setup(number, total, previous, short)
    b.body()
    return b.beats


# --------------------------------------------------------------------------- speech and pages

def kept_sounds(beats) -> set[int]:
    """Which of these beats (one page) play their sound: as many as one response may play
    (MAX_AUDIO_TAGS, MAX_AUDIO_SECONDS), hold ends first (a set's final release before the
    rests between its repetitions), then hold starts, then switches (SOUND_MOMENTS), each in
    the order they come."""
    marked = sorted((SOUND_MOMENTS.index(beat.sound.id), beat.kind != "release", i)
                    for i, beat in enumerate(beats) if beat.sound is not None)
    kept: set[int] = set()
    seconds = 0.0
    for *_, i in marked:
        length = beats[i].sound.seconds
        if len(kept) < MAX_AUDIO_TAGS and seconds + length <= MAX_AUDIO_SECONDS:
            kept.add(i)
            seconds += length
    return kept


def speech_of(beats, pace: str) -> Speech:
    """One page's Speech: each beat's words and silence, with the sounds it keeps."""
    sp = Speech(pace)
    kept = kept_sounds(beats)
    for i, beat in enumerate(beats):
        sound = beat.sound if i in kept else None
        after = sound is not None and sound.id in SOUND_AFTER_WORDS
        if sound is not None and not after:
            sp.audio(sound.url, sound.seconds, sound.name)
        sp.say(beat.text)
        if after:
            sp.audio(sound.url, sound.seconds, sound.name)
        sp.pause(beat.pause)
    return sp


def _units(beats: list[Beat], level: int) -> list[list[Beat]]:
    """Beats grouped into runs that each start at a boundary of at least `level`."""
    units: list[list[Beat]] = []
    for beat in beats:
        if beat.boundary >= level or not units:
            units.append([beat])
        else:
            units[-1].append(beat)
    return units


def _paginate(beats: list[Beat], continued: Beat, pace: str, lead: float = 0) -> list[list[Beat]]:
    """As few pages as `_greedy` makes, as evenly filled as it can make them without cutting
    anywhere worse (a stretch of 140 s is two pages of about 70 s, not 125 s and 15 s)."""
    pages = _greedy(beats, continued, pace, PAGE_MAX_SECONDS, lead, beat_cuts=True)
    limit = PAGE_MAX_SECONDS

    def weakest_cut(pages: list[list[Beat]]) -> int:
        return min((page[1].boundary for page in pages[1:] if len(page) > 1), default=SIDE)

    while len(pages) > 1 and limit > BALANCE_STEP_SECONDS:
        tighter = _greedy(beats, continued, pace, limit - BALANCE_STEP_SECONDS, lead,
                          beat_cuts=False)
        if tighter is None or len(tighter) > len(pages) or weakest_cut(tighter) < weakest_cut(pages):
            break                           # never trade a cut between sides for a worse one
        pages, limit = tighter, limit - BALANCE_STEP_SECONDS
    return pages


def _greedy(beats: list[Beat], continued: Beat, pace: str, seconds: float, lead: float,
            beat_cuts: bool) -> list[list[Beat]] | None:
    """Whole sides per page where they fit (the first page `lead` seconds shorter, but never
    under FIRST_PAGE_MIN_SECONDS); a side too long for a page is cut between its repetitions
    (or cycles), and a repetition too long between its beats (never inside a break), only
    if `beat_cuts` (else None). Later pages start with `continued`."""
    first_page = max(FIRST_PAGE_MIN_SECONDS, min(seconds, PAGE_MAX_SECONDS - lead))

    def fits(page: list[Beat], new: bool = False) -> bool:
        """Would `page` fit as the last page (or, `new`, as one more page)?"""
        sp = speech_of(page, pace)
        limit = first_page if len(pages) == 1 and not new else seconds
        return len(sp) < PAGE_MAX_CHARS and sp.estimated_seconds <= limit

    pages: list[list[Beat]] = [[]]

    def has_body(page: list[Beat]) -> bool:
        return bool(page) and page != [continued]

    def place(chunk: list[Beat], level: int) -> None:
        if fits(pages[-1] + chunk):
            pages[-1].extend(chunk)
        elif has_body(pages[-1]) and fits([continued] + chunk, new=True):
            pages.append([continued] + chunk)
        elif level > 0:
            for unit in _units(chunk, level):
                place(unit, level - 1)
        elif not beat_cuts:
            raise _NoCut
        else:                                   # beat by beat
            for beat in chunk:
                if has_body(pages[-1]) and not fits(pages[-1] + [beat]):
                    pages.append([continued])
                pages[-1].append(beat)

    try:
        for side in _units(beats, SIDE):
            place(side, REPETITION)
    except _NoCut:
        return None
    return pages


class _NoCut(Exception):
    """A page would have to be cut inside a repetition."""


def pages_of(content, item, number: int, total: int, prefs: Prefs, *,
             previous: str | None = None, short: bool = False,
             lead_seconds: float = 0) -> list[list[Beat]]:
    """The stretch's beats cut into pages (one page per response); the first page leaves
    `lead_seconds` for what the conversation may say before it."""
    beats = schedule(content, item, number, total, prefs, previous=previous, short=short)
    continued = Beat("continued", content.text("voice", "continued", name=item.exercise.name))
    return _paginate(beats, continued, prefs.pace, lead_seconds)


def render_stretch(content, item, number: int, total: int, prefs: Prefs, *,
                   previous: str | None = None, short: bool = False,
                   lead_seconds: float = 0) -> list[Speech]:
    """Speech pages for stretch `number` of `total` (see the module docstring). The
    closing question is left to the conversation."""
    return [speech_of(page, prefs.pace)
            for page in pages_of(content, item, number, total, prefs, previous=previous,
                                 short=short, lead_seconds=lead_seconds)]


# --------------------------------------------------------------------------- whole routines

def routine_pages(content, routine, index: int, prefs: Prefs, short: bool = False,
                  lead_seconds: float = 0) -> list[Speech]:
    """Stretch `index` of a routine, coming from the previous stretch's position."""
    previous = routine.items[index - 1].exercise.position if index else None
    return render_stretch(content, routine.items[index], index + 1, len(routine.items), prefs,
                          previous=previous, short=short, lead_seconds=lead_seconds)


def spoken_minutes(seconds: float) -> str:
    """How long, as said in "about {minutes} minutes": to the half minute under ten minutes
    (so a three-minute routine is not off by a sixth), whole minutes from ten on."""
    minutes = seconds / 60
    if minutes >= 10:
        return str(int(minutes + 0.5))
    halves = max(2, int(minutes * 2 + 0.5))
    whole, half = divmod(halves, 2)
    return f"{whole} and a half" if half else str(whole)
