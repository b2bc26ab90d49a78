"""The coach: one exercise, as used in a routine, plus the user's preferences -> speech pages.

A page is a `Speech` for one response; the conversation adds the closing question. A page:

    Stretch 2 of 5: bridge.  [You will need a chair.]  [We will do one side first, then ...]
    <step> [pause to move]  <step> [pause to move] ...
    for each side, for each repetition:
        [Repetition 2 of 3.]  [Ease back into the stretch. [pause]]
        Hold for 20 seconds. [silence] cue [silence] 10 seconds left. [silence]
        And release. <the exercise's release>  [rest]
        (between sides) Now the other side. <switch> [pause to move]

Holds. The silence of a hold is at least the effective hold (a hold is never shorter than
its content says, SPEC §4). It is cut into breaks of at most 10 s so that a time-left cue
falls on every multiple of 10 s still to go ("20 seconds left."); with cues "more" each
10 s stretch of silence is halved again by one of the exercise's own cues (taken in
turn). With cues "fewer" only the shortest time-left cue ("20 left.") is spoken -- still
something between two breaks, since some speech engines merge adjacent breaks.

Moving stretches (hold 0, tempo > 0) are counted: "1." <cue> [tempo seconds] "2." ... A
moving stretch's cues say how to move, so each is spoken at least once per side.

Paging. A page stays under `PAGE_MAX_CHARS` of SSML (Alexa allows 8000; the rest is left
for the conversation's lead-in and closing question). A stretch too long for one page is
split between repetitions or sides, never inside a hold (unless one repetition alone is too
long, then between its cues); later pages start with "<name>, continued.".
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from .ssml import MAX_BREAK_SECONDS, Speech, count_words

PAGE_MAX_CHARS = 7000

HOLD_CHOICES = ("shorter", "normal", "longer")
PACE_CHOICES = ("slow", "normal")
CUE_CHOICES = ("more", "fewer")

LONGER_FACTOR = 1.5
SHORTER_FACTOR = 0.75
HOLD_STEP_SECONDS = 5
SHORTEST_HOLD_SECONDS = 10

#: Pause after a positioning step, by pace; a long step (more than LONG_STEP_WORDS) gets
#: one second more. So 2-3 s at normal pace and 3-4 s at slow pace.
STEP_PAUSE_SECONDS = {"normal": 2, "slow": 3}
LONG_STEP_WORDS = 10
#: Rest after each release, before the next repetition or side (and at a page's end).
REST_SECONDS = {"normal": 3, "slow": 4}
#: Time to ease back into the stretch before the 2nd, 3rd... repetition.
REENTER_SECONDS = {"normal": 3, "slow": 4}
#: Time-left cues fall on multiples of this many seconds still to go.
TIME_LEFT_EVERY = 10
#: With cues "more", silences at least this long are halved by one of the exercise's cues.
#: (TIME_LEFT_EVERY <= MAX_BREAK_SECONDS, so a hold never needs any other filler.)
SPLIT_FOR_CUE_SECONDS = 8

#: Every key of content/voice.yaml the coach speaks, with the placeholders it fills.
VOICE_KEYS: dict[str, set[str]] = {
    "stretch_intro": {"number", "total", "name"},
    "continued": {"name"},
    "equipment": {"equipment"},
    "sides_intro": set(),
    "repetition": {"number", "total"},
    "reenter": set(),
    "hold_start": {"seconds"},
    "time_left": {"seconds"},
    "time_left_short": {"seconds"},
    "release": set(),
    "other_side": set(),
    "moving_start": {"count"},
    "count": {"number"},
    "keep_moving": set(),
}


@dataclass(frozen=True)
class Prefs:
    """A user's coaching preferences (persistent attributes "prefs")."""
    hold: str = "normal"    # shorter | normal | longer
    pace: str = "normal"    # slow | normal
    cues: str = "more"      # more | fewer

    @classmethod
    def from_dict(cls, d: Any) -> "Prefs":
        """Tolerant: anything unknown, missing or malformed falls back to the default."""
        d = d if isinstance(d, dict) else {}

        def pick(key: str, choices: tuple[str, ...], default: str) -> str:
            value = d.get(key)
            value = value.strip().lower() if isinstance(value, str) else None
            return value if value in choices else default

        return cls(hold=pick("hold", HOLD_CHOICES, "normal"),
                   pace=pick("pace", PACE_CHOICES, "normal"),
                   cues=pick("cues", CUE_CHOICES, "more"))

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


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


# --------------------------------------------------------------------------- rendering

class _Builder:
    """Speech in segments, each starting with speech, so joining two never puts two breaks
    side by side. A segment marked `boundary` starts a repetition or a side: a page may be
    cut there."""

    def __init__(self, content, item, prefs: Prefs):
        self.content = content
        self.ex = item.exercise
        self.prefs = prefs
        self.segments: list[tuple[Speech, bool]] = []
        self._cue = 0

    def v(self, key: str, **fields: Any) -> str:
        return self.content.text("voice", key, **fields)

    def new(self, boundary: bool = False) -> Speech:
        sp = Speech(self.prefs.pace)
        self.segments.append((sp, boundary))
        return sp

    @property
    def last(self) -> Speech:
        return self.segments[-1][0]

    def exercise_cue(self) -> str | None:
        """The exercise's cues in turn, with cues "more"; None otherwise."""
        cues = self.ex.cues
        if self.prefs.cues != "more" or not cues:
            return None
        cue = cues[self._cue % len(cues)]
        self._cue += 1
        return cue

    def step_pause(self, text: str) -> int:
        return STEP_PAUSE_SECONDS[self.prefs.pace] + (count_words(text) > LONG_STEP_WORDS)

    def hold(self, seconds: int) -> None:
        """Hold start cue, then the silence: a time-left cue on each multiple of 10 s still
        to go, and with cues "more" an exercise cue halving each longer silence."""
        self.last.say(self.v("hold_start", seconds=seconds))
        time_left = "time_left" if self.prefs.cues == "more" else "time_left_short"
        remaining = seconds
        while remaining > 0:
            stop = (remaining - 1) // TIME_LEFT_EVERY * TIME_LEFT_EVERY
            span = remaining - stop                 # 1..10 s: one break, or two with a cue
            cue = self.exercise_cue() if span >= SPLIT_FOR_CUE_SECONDS else None
            if cue is None:
                self.last.pause(span)
            else:
                self.last.pause(span // 2)
                self.new().say(cue).pause(span - span // 2)
            remaining = stop
            if remaining:
                self.new().say(self.v(time_left, seconds=remaining))

    def moving(self, count: int, tempo: int) -> None:
        """Counted movements with `tempo` seconds of silence each. A moving stretch's cues
        say how to move, so on odd counts they are spoken in turn: each once whatever the
        preference, then again and again with cues "more". A tempo longer than one break
        is split evenly around a "keep moving" cue."""
        self.last.say(self.v("moving_start", count=count))
        cues = self.ex.cues
        pieces = -(-tempo // MAX_BREAK_SECONDS) if tempo > 0 else 0
        for n in range(1, count + 1):
            sp = self.new() if n > 1 else self.last
            sp.say(self.v("count", number=n))
            said = n // 2  # cues said so far on this side
            if n % 2 and cues and (self.prefs.cues == "more" or said < len(cues)):
                sp.say(cues[said % len(cues)])
            for i in range(pieces):
                if i:
                    self.new().say(self.v("keep_moving"))
                self.last.pause(tempo * (i + 1) // pieces - tempo * i // pieces)

    def release(self) -> None:
        self.last.say(self.v("release")).say(self.ex.release).pause(REST_SECONDS[self.prefs.pace])


def _segments(content, item, number: int, total: int, prefs: Prefs) -> _Builder:
    b = _Builder(content, item, prefs)
    ex = item.exercise
    sp = b.new()
    sp.say(b.v("stretch_intro", number=number, total=total, name=ex.name))
    if ex.equipment:
        sp.say(b.v("equipment", equipment=ex.equipment))
    if ex.sides:
        sp.say(b.v("sides_intro"))
    for step in ex.steps:
        sp.say(step).pause(b.step_pause(step))

    hold = effective_hold(item, prefs)
    reps = max(1, int(item.repetitions))
    tempo = max(0, int(ex.tempo_seconds or 0))
    for side in range(2 if ex.sides else 1):
        if side:
            sp = b.new(boundary=True).say(b.v("other_side"))
            if ex.switch:
                sp.say(ex.switch)
            sp.pause(STEP_PAUSE_SECONDS[prefs.pace] + 1)
        if hold <= 0:
            b.moving(reps, tempo)
            b.release()
            continue
        for rep in range(1, reps + 1):
            if reps > 1:
                sp = b.new(boundary=rep > 1).say(b.v("repetition", number=rep, total=reps))
                if rep > 1:
                    sp.say(b.v("reenter")).pause(min(MAX_BREAK_SECONDS, max(tempo, REENTER_SECONDS[prefs.pace])))
            b.hold(hold)
            b.release()
    return b


def _join(page: Speech, segments) -> Speech:
    out = page.copy()
    for sp in segments:
        out.extend(sp)
    return out


def _paginate(b: _Builder, name: str) -> list[Speech]:
    """Greedy: whole repetitions/sides per page; a repetition too long for a page of its
    own is cut between its segments (between cues, never inside a break)."""
    units: list[list[Speech]] = []
    for sp, boundary in b.segments:
        if boundary or not units:
            units.append([sp])
        else:
            units[-1].append(sp)

    def continued() -> Speech:
        return Speech(b.prefs.pace).say(b.v("continued", name=name))

    pages: list[Speech] = []
    page, has_body = Speech(b.prefs.pace), False
    for unit in units:
        candidate = _join(page, unit)
        if has_body and len(candidate) >= PAGE_MAX_CHARS:
            pages.append(page)
            page, has_body = continued(), False
            candidate = _join(page, unit)
        if len(candidate) < PAGE_MAX_CHARS or len(unit) == 1:
            page, has_body = candidate, True
            continue
        for sp in unit:  # a unit alone is too long
            candidate = _join(page, [sp])
            if has_body and len(candidate) >= PAGE_MAX_CHARS:
                pages.append(page)
                candidate = _join(continued(), [sp])
            page, has_body = candidate, True
    pages.append(page)
    return pages


def render_stretch(content, item, number: int, total: int, prefs: Prefs) -> list[Speech]:
    """Speech pages for stretch `number` of `total` (see the module docstring). The
    closing question is left to the conversation."""
    b = _segments(content, item, number, total, prefs)
    return _paginate(b, item.exercise.name)
