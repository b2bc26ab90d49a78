"""Load and validate the spoken content in `content/*.yaml` into frozen dataclasses.

`exercises.yaml`, `routines.yaml`, `faq.yaml` and `sounds.yaml` follow the schema in
docs/design.md; every other `*.yaml` in the directory is a flat map of key -> string (prompts,
screening, voice...).

What differs between countries lives in `locales/<locale>.yaml`, one overlay per published
locale (skill.constants.LOCALES) and `locales/fallback.yaml` for any other: the emergency
number, where emergency care is, what the professionals are called (LOCALE_WORDS). The texts
and FAQ answers name them as placeholders (`Call {emergency_number} now`), filled once per
locale (`Content.for_locale`); `load_content()` returns the default locale's content.

Every problem found is reported at once in one `ContentError`, one line per problem, each
naming the file, the entry (id, or index when the id is unusable) and the field, e.g.

    content/routines.yaml: routine 'lower_back', field 'exercises[2]': unknown exercise 'brige' (did you mean 'bridge'?)

Files are named `content/<file>` whichever directory was loaded: "content" here means the
content directory, which `validate_main` prints in full.
"""
from __future__ import annotations

import argparse
import dataclasses
import difflib
import math
import re
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from skill.constants import LOCALE, LOCALES, POSITIONS, SOUNDBANK_URL

EXERCISES_FILE = "exercises.yaml"
ROUTINES_FILE = "routines.yaml"
FAQ_FILE = "faq.yaml"
STRUCTURED_FILES = (EXERCISES_FILE, ROUTINES_FILE, FAQ_FILE)
#: The coach's sounds: structured too, but optional here; the moments the coach plays are
#: required at start-up (Content.require_sounds).
SOUNDS_FILE = "sounds.yaml"
#: Alexa plays at most this many seconds of one sound file (SSML reference, "audio").
MAX_SOUND_SECONDS = 240

#: The per-locale overlays: `content/locales/<locale>.yaml`, and the one for a locale we do
#: not publish (an English locale we have no words for, e.g. en-NZ).
LOCALES_DIR = "locales"
FALLBACK = "fallback"
#: The words every locale's overlay must give (and no others), with what each is. Texts in
#: content/*.yaml and FAQ answers use them as {placeholders}; each is filled from the
#: request's locale.
LOCALE_WORDS: dict[str, str] = {
    "emergency_number": "the number to call for an ambulance, in digits (911, 999, 000, 112; "
                        "the fallback's in words)",
    "emergency_place": "where someone takes you for emergency care, with its article "
                       "(an emergency room, A&E)",
    "doctor": "the doctor to see first, without an article (doctor, GP)",
    "professional": "the therapist for backs, without an article (physical therapist, "
                    "physiotherapist)",
}
#: The fallback overlay gives these, and takes every other word from the default locale
#: (en-US): a number of one country is wrong everywhere else.
FALLBACK_WORDS = ("emergency_number",)

FAQ_SENTENCES = (2, 4)
PURPOSE_SENTENCES = (1, 2)

_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u2019\u201d)\]]*(?=\s|$)")
_ENDS_SENTENCE = re.compile(r"[.!?][\"'\u2019\u201d)\]]*$")


class ContentError(Exception):
    """Content is invalid. `problems` holds one line per problem; str() lists them all."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


# --------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class Named:
    """A body area or a stretching position: an id, a spoken name and its synonyms."""
    id: str
    name: str
    synonyms: tuple[str, ...]


Area = Position = Named


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    synonyms: tuple[str, ...]
    areas: tuple[str, ...]
    position: str
    equipment: str | None
    purpose: str
    steps: tuple[str, ...]
    hold_seconds: int
    tempo_seconds: int
    sides: bool
    switch: str | None
    repetitions: int
    cues: tuple[str, ...]
    release: str
    cautions: tuple[str, ...]
    # Spoken during the stretch (skill/voice/coach.py): a check before the first step, the
    # line that brings the body back into a held stretch for the next repetition, the short
    # version of the steps once the stretch is known, and a moving stretch's cycle.
    check: tuple[str, ...] = ()
    reenter: str | None = None
    short: tuple[str, ...] = ()
    cycle: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoutineItem:
    """An exercise as used in one routine, with that routine's overrides applied."""
    exercise: Exercise
    hold_seconds: int
    repetitions: int


@dataclass(frozen=True)
class Routine:
    id: str
    name: str
    synonyms: tuple[str, ...]
    description: str
    areas: tuple[str, ...]
    positions: tuple[str, ...]
    items: tuple[RoutineItem, ...]
    # Spoken before the routine starts (with the equipment its exercises need).
    warnings: tuple[str, ...] = ()

    @property
    def equipment(self) -> tuple[str, ...]:
        """What the routine's exercises need, each once, in order of first use."""
        return tuple(dict.fromkeys(i.exercise.equipment for i in self.items if i.exercise.equipment))


@dataclass(frozen=True)
class FaqEntry:
    id: str
    topic: str
    synonyms: tuple[str, ...]
    answer: tuple[str, ...]


@dataclass(frozen=True)
class Sound:
    """A sound of Alexa's sound library for one moment of a stretch (content/sounds.yaml)."""
    id: str          # the moment it marks (skill/voice/coach.py SOUND_MOMENTS)
    name: str        # what the console shows where it plays: "[sound: hold ends]"
    url: str         # soundbank://soundlibrary/...
    seconds: float   # its length, as Amazon's sound library lists it


@dataclass(frozen=True)
class Content:
    directory: Path
    exercises: dict[str, Exercise]
    routines: dict[str, Routine]
    faq: dict[str, FaqEntry]
    areas: dict[str, Area]
    positions: dict[str, Position]
    texts: dict[str, dict[str, str]]
    sounds: dict[str, Sound] = field(default_factory=dict)
    #: whose words fill the texts: a locale of skill.constants.LOCALES, or FALLBACK
    locale: str = LOCALE
    _locales: "_Locales | None" = field(default=None, repr=False, compare=False)

    def for_locale(self, locale: str | None) -> "Content":
        """This content in the words of `locale`, a request's locale ("en-GB"): a published
        locale gets its own (content/locales/<locale>.yaml), any other the fallback words,
        none (no locale in the request) the default locale's. Each locale's content is built
        once, on first use, and then shared: a request costs a dictionary lookup."""
        return self if self._locales is None else self._locales.get(locale)

    @property
    def words(self) -> dict[str, str]:
        """The locale words that filled this content's texts (LOCALE_WORDS)."""
        return dict(self._locales.words[self.locale]) if self._locales else {}

    def text(self, group: str, key: str, **fields: Any) -> str:
        """The string `key` of `content/<group>.yaml`, formatted with `fields`.

        KeyError if the group or key is unknown (or a placeholder has no field)."""
        return self.texts[group][key].format(**fields)

    def require(self, group: str, keys: dict[str, set[str]]) -> None:
        """Check that the code's declared keys exist and use only the declared placeholders."""
        label = _label(f"{group}.yaml")
        table = self.texts.get(group)
        problems = []
        if table is None:
            problems.append(f"{label}: file is missing (keys needed: {', '.join(sorted(keys))})")
        else:
            for key in sorted(keys):
                if key not in table:
                    problems.append(f"{label}: key '{key}': missing")
                    continue
                extra = placeholders(table[key]) - set(keys[key])
                if extra:
                    allowed = ", ".join("{%s}" % p for p in sorted(keys[key])) or "none"
                    problems.append(
                        f"{label}: key '{key}': undeclared placeholder(s) "
                        f"{', '.join('{%s}' % p for p in sorted(extra))} (the code fills: {allowed})")
        if problems:
            raise ContentError(problems)

    def require_sounds(self, moments: Iterable[str]) -> None:
        """Check that sounds.yaml has a sound for each moment the code plays, and no other."""
        label = _label(SOUNDS_FILE)
        moments = tuple(moments)
        problems = [f"{label}: sound '{m}': missing" for m in moments if m not in self.sounds]
        problems += [f"{label}: sound '{s}': no such moment{_did_you_mean(s, moments)} "
                     f"(the code plays: {', '.join(moments)})"
                     for s in self.sounds if s not in moments]
        if problems:
            raise ContentError(problems)


# --------------------------------------------------------------------------- helpers


def default_content_dir() -> Path:
    """`<repo>/content`, located relative to this file."""
    return Path(__file__).resolve().parent.parent / "content"


def count_sentences(text: str) -> int:
    """Sentences counted by terminal punctuation (. ! ?) followed by a space or the end."""
    return len(_SENTENCE_END.findall(text.strip()))


def placeholders(text: str) -> set[str]:
    """The `{name}` fields of a format string (ValueError if its braces are malformed)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _label(filename: str) -> str:
    return f"content/{filename}"


def _norm(phrase: str) -> str:
    """How a spoken phrase compares for ambiguity: case, punctuation and spacing ignored."""
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", phrase.lower()).split())


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean (quote it if you meant text)"
    return {int: "a number", float: "a number", str: "text", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__)


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """yaml's safe loader, but a key repeated in one mapping is an error, not silently dropped,
    and a list item indented further than the one above it is an error, not silently joined
    to it ("- bridge" one space to the right becomes part of the text of the item above)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.lines = stream.splitlines() if isinstance(stream, str) else []

    def construct_scalar(self, node):
        if not node.style and node.end_mark.line > node.start_mark.line:     # plain, folded
            for number in range(node.start_mark.line + 1, node.end_mark.line + 1):
                line = self.lines[number].strip() if number < len(self.lines) else ""
                if line == "-" or line.startswith("- "):
                    raise yaml.constructor.ConstructorError(
                        None, None, "OVER_INDENTED", yaml.Mark("", 0, number, 0, None, None))
        return super().construct_scalar(node)

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class _Report:
    """Collects problems for one file."""

    def __init__(self, problems: list[str], filename: str):
        self.problems = problems
        self.label = _label(filename)

    def add(self, entry: str | None, field: str | None, message: str) -> None:
        parts = [self.label]
        if entry:
            parts.append(entry)
        if field:
            parts.append(f"field '{field}'")
        self.problems.append(": ".join(parts + [message]))


def _read_yaml(path: Path, report: _Report) -> tuple[bool, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        report.add(None, None, f"cannot read: {exc.strerror or exc}")
        return False, None
    except UnicodeDecodeError as exc:
        report.add(None, None, f"not UTF-8 text: {exc}")
        return False, None
    try:
        return True, yaml.load(text, Loader=_UniqueKeyLoader)  # safe: a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        if problem == "OVER_INDENTED":
            report.add(None, None, f"line {mark.line + 1}: this list item is indented further "
                                   f"than the item above it, so YAML reads it as more text of "
                                   f"that item; line its '-' up with the one above")
            return False, None
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        context = getattr(exc, "context", None)
        detail = f"{context}, {problem}" if context and problem else problem
        plain = next((words for clue, words in _YAML_IN_PLAIN_WORDS if clue in detail), None)
        report.add(None, None, f"{where}{plain} (YAML: {detail})" if plain else
                   f"{where}YAML syntax error: {detail}")
        return False, None


# What PyYAML's messages usually mean in a hand-edited content file.
_YAML_IN_PLAIN_WORDS = (
    ("tab character", "a tab used for indenting? YAML indents with spaces"),
    ("duplicate key", "a key appears twice in the same entry (the second would replace the first)"),
    ("mapping values are not allowed", "this line is indented differently from the line above "
     "it, or its text contains ': ' and needs quotes"),
    ("did not find expected key", "this line is not lined up with the lines of the same entry "
     "or list above it"),
    ("expected <block end>", "this line is not lined up with the lines of the same entry or "
     "list above it"),
    ("did not find expected '-' indicator", "this line is not lined up with the list items "
     "above it"),
    ("could not find expected ':'", "a line that is not 'key: value' where one was expected "
     "(a missing ':', or text that goes on to the next line without quotes)"),
    ("cannot start any token", "a character that cannot start a value here (a tab used for "
     "indenting? YAML indents with spaces; or a text starting with @ or ` that needs quotes)"),
    ("found unexpected end of stream", "a quotation mark is opened and never closed"),
    ("found unknown escape character", "a backslash in double quotes that YAML does not know "
     "(use single quotes, or write \\\\ for a backslash)"),
)


class _Entry:
    """Typed field access for one mapping entry, reporting against its file/entry/field."""

    def __init__(self, report: _Report, kind: str, index: int, data: Any, fields: dict[str, bool]):
        self.report = report
        self.data = data if isinstance(data, dict) else {}
        ident = self.data.get("id")
        if isinstance(ident, str) and _ID.match(ident):
            self.name = f"{kind} '{ident}'"
        else:
            self.name = f"{kind} at index {index}"
        if not isinstance(data, dict):
            self.error(None, f"expected a mapping of fields, got {_type_name(data)}")
            return
        for key in data:
            if key not in fields:
                hint = difflib.get_close_matches(str(key), list(fields), n=1)
                self.error(str(key), "unknown field" + (f" (did you mean '{hint[0]}'?)" if hint else
                                                        f" (allowed: {', '.join(fields)})"))
        for key, required in fields.items():
            if required and key not in data:
                self.error(key, "missing required field")

    def error(self, field: str | None, message: str) -> None:
        self.report.add(self.name, field, message)

    def text(self, field: str, *, optional: bool = False) -> str | None:
        if field not in self.data:
            return None
        value = self.data[field]
        if value is None and optional:
            return None
        if not isinstance(value, str):
            self.error(field, f"expected text, got {_type_name(value)}")
            return None
        if not value.strip():
            self.error(field, "must not be empty")
            return None
        return value.strip()

    def ident(self) -> str | None:
        value = self.text("id")
        if value is not None and not _ID.match(value):
            self.error("id", f"'{value}' is not a snake_case id (lower case letters, digits, _)")
            return None
        return value

    def integer(self, field: str, minimum: int, default: int | None = None) -> int | None:
        if field not in self.data:
            return default
        value = self.data[field]
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(field, f"expected a whole number, got {_type_name(value)}")
            return None
        if value < minimum:
            self.error(field, f"must be at least {minimum}, got {value}")
            return None
        return value

    def boolean(self, field: str, default: bool) -> bool:
        if field not in self.data:
            return default
        value = self.data[field]
        if not isinstance(value, bool):
            self.error(field, f"expected true or false, got {_type_name(value)}")
            return default
        return value

    def texts(self, field: str, *, non_empty: bool = False) -> tuple[str, ...]:
        if field not in self.data:
            return ()
        value = self.data[field]
        if value is None:
            value = []
        if not isinstance(value, list):
            self.error(field, f"expected a list, got {_type_name(value)}")
            return ()
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.error(f"{field}[{i}]", f"expected text, got {_type_name(item)}")
            elif not item.strip():
                self.error(f"{field}[{i}]", "must not be empty")
            else:
                out.append(item.strip())
        if non_empty and not value:
            self.error(field, "must have at least one item")
        return tuple(out)

    def references(self, field: str, known: dict[str, Any] | None, what: str) -> tuple[str, ...]:
        values = self.texts(field, non_empty=True)
        if known is None:  # the table itself failed to load; nothing to check against
            return values
        for i, value in enumerate(values):
            if value not in known:
                self.error(f"{field}[{i}]", f"unknown {what} '{value}'{_did_you_mean(value, known)}")
        return values

    def sentences(self, field: str, value: str | None, low: int, high: int) -> None:
        if value is None:
            return
        n = count_sentences(value)
        if not _ENDS_SENTENCE.search(value):
            self.error(field, "must end with . ! or ?")
        elif not low <= n <= high:
            self.error(field, f"has {n} sentence(s), expected {low} to {high}"
                       " (counted by . ! or ? followed by a space or the end)")


def _did_you_mean(value: str, known: Any) -> str:
    hint = difflib.get_close_matches(value, list(known), n=1)
    return f" (did you mean '{hint[0]}'?)" if hint else ""


def _entries(report: _Report, document: Any, key: str, kind: str,
             other_keys: tuple[str, ...] = ()) -> list[Any] | None:
    """The list under `key` of a file's top-level mapping (None if unusable)."""
    if not isinstance(document, dict):
        report.add(None, None, f"expected a mapping with '{key}' at the top, got {_type_name(document)}")
        return None
    for extra in document:
        if extra != key and extra not in other_keys:
            allowed = (key, *other_keys)
            hint = difflib.get_close_matches(str(extra), allowed, n=1)
            report.add(None, str(extra), "unknown top-level key" +
                       (f" (did you mean '{hint[0]}'?)" if hint else f" (allowed: {', '.join(allowed)})"))
    if key not in document:
        report.add(None, key, f"missing list of {kind}s")
        return None
    entries = document[key]
    if not isinstance(entries, list):
        report.add(None, key, f"expected a list of {kind}s, got {_type_name(entries)}")
        return None
    if not entries:
        report.add(None, key, f"has no {kind}s")
    return entries


def _add_unique(table: dict[str, Any], entry: _Entry, ident: str | None, value: Any) -> None:
    """Register an entry by id (even an invalid one, so references to it don't cascade)."""
    if ident is None:
        return
    if ident in table:
        entry.error("id", f"duplicate id '{ident}'")
        return
    table[ident] = value


class _Phrases:
    """Names and synonyms of one slot type: a phrase may belong to one entry only."""

    def __init__(self) -> None:
        self.owner: dict[str, str] = {}

    def read(self, entry: _Entry, name_field: str = "name"
             ) -> tuple[str | None, str | None, tuple[str, ...]]:
        """An entry's id, name (or topic) and synonyms, with its phrases claimed."""
        ident = entry.ident()
        name = entry.text(name_field)
        synonyms = entry.texts("synonyms")
        self.claim(entry, ident, name_field, name, synonyms)
        return ident, name, synonyms

    def claim(self, entry: _Entry, ident: str | None, name_field: str,
              name: str | None, synonyms: tuple[str, ...]) -> None:
        if ident is None:
            return
        mine: set[str] = set()
        for field, phrase in [(name_field, name)] + [(f"synonyms[{i}]", s) for i, s in enumerate(synonyms)]:
            if phrase is None:
                continue
            key = _norm(phrase)
            if not key:
                entry.error(field, f"'{phrase}' has no words")
            elif key in mine:
                entry.error(field, f"'{phrase}' is repeated in this entry")
            elif key in self.owner and self.owner[key] != ident:
                entry.error(field, f"'{phrase}' is also used by '{self.owner[key]}'; "
                                   "a spoken phrase must pick one entry")
            else:
                self.owner[key] = ident
            mine.add(key)


# --------------------------------------------------------------------------- per file


def _named_section(report: _Report, document: dict, key: str, kind: str,
                   allowed_ids: tuple[str, ...] | None, cls: type) -> dict[str, Any] | None:
    """`areas` / `positions` of routines.yaml: lists of {id, name, synonyms}."""
    raw = document.get(key)
    if not isinstance(raw, list) or not raw:
        report.add(None, key, f"expected a list of {kind}s, got {_type_name(raw)}"
                   if key in document else f"missing list of {kind}s")
        return None
    table: dict[str, Any] = {}
    phrases = _Phrases()
    for index, data in enumerate(raw):
        entry = _Entry(report, kind, index, data, {"id": True, "name": True, "synonyms": False})
        ident, name, synonyms = phrases.read(entry)
        if ident is not None and allowed_ids is not None and ident not in allowed_ids:
            entry.error("id", f"'{ident}' is not one of {', '.join(allowed_ids)} (skill.constants.POSITIONS)")
        _add_unique(table, entry, ident, cls(ident, name, synonyms))
    for missing in allowed_ids or ():
        if missing not in table:
            report.add(None, key, f"{kind} '{missing}' is not declared")
    return table


def _load_exercises(problems: list[str], document: Any, areas: dict[str, Area] | None) -> dict[str, Exercise]:
    report = _Report(problems, EXERCISES_FILE)
    raw = _entries(report, document, "exercises", "exercise")
    fields = {"id": True, "name": True, "synonyms": False, "areas": True, "position": True,
              "equipment": False, "purpose": True, "steps": True, "hold_seconds": True,
              "tempo_seconds": False, "sides": False, "switch": False, "repetitions": True,
              "cues": False, "release": True, "cautions": False, "check": False,
              "reenter": False, "short": False, "cycle": False}
    table: dict[str, Exercise] = {}
    phrases = _Phrases()
    for index, data in enumerate(raw or ()):
        e = _Entry(report, "exercise", index, data, fields)
        ident, name, synonyms = phrases.read(e)
        area_ids = e.references("areas", areas, "area")
        position = e.text("position")
        if position is not None and position not in POSITIONS:
            e.error("position", f"'{position}' is not one of {', '.join(POSITIONS)}"
                                f"{_did_you_mean(position, POSITIONS)}")
        equipment = e.text("equipment", optional=True)
        purpose = e.text("purpose")
        e.sentences("purpose", purpose, *PURPOSE_SENTENCES)
        steps = e.texts("steps", non_empty=True)
        for i, step in enumerate(steps):
            e.sentences(f"steps[{i}]", step, 1, 1)
        hold = e.integer("hold_seconds", 0)
        tempo = e.integer("tempo_seconds", 0, default=0)
        if hold == 0 and tempo == 0:
            e.error("hold_seconds", "hold_seconds and tempo_seconds are both 0; one must be above 0")
        sides = e.boolean("sides", False)
        switch = e.text("switch", optional=True)
        if switch is not None and not sides:
            e.error("switch", "given, but sides is false (there is no other side to switch to)")
        repetitions = e.integer("repetitions", 1)
        cues = e.texts("cues")
        release = e.text("release")
        cautions = e.texts("cautions")
        check = e.texts("check")
        reenter = e.text("reenter", optional=True)
        short = e.texts("short")
        cycle = e.texts("cycle")
        for field, lines in (("short", short), ("cycle", cycle)):
            for i, line in enumerate(lines):
                e.sentences(f"{field}[{i}]", line, 1, 1)
        if switch is not None:
            e.sentences("switch", switch, 1, 5)
        if hold and reenter is None:
            e.error("reenter", "missing: a held stretch says how to go back into it for the "
                               "next repetition")
        if hold == 0 and tempo and not cycle:
            e.error("cycle", "missing: a moving stretch says the movements of one cycle")
        if hold and cycle:
            e.error("cycle", "given, but hold_seconds is above 0 (only moving stretches cycle)")
        _add_unique(table, e, ident, Exercise(
            id=ident, name=name, synonyms=synonyms, areas=area_ids, position=position,
            equipment=equipment, purpose=purpose, steps=steps, hold_seconds=hold,
            tempo_seconds=tempo, sides=sides, switch=switch, repetitions=repetitions, cues=cues,
            release=release, cautions=cautions, check=check, reenter=reenter, short=short,
            cycle=cycle))
    return table


def _load_routines(problems: list[str], document: Any, exercises: dict[str, Exercise] | None,
                   areas: dict[str, Area] | None, positions: dict[str, Position] | None
                   ) -> dict[str, Routine]:
    report = _Report(problems, ROUTINES_FILE)
    raw = _entries(report, document, "routines", "routine", other_keys=("areas", "positions"))
    fields = {"id": True, "name": True, "synonyms": False, "description": True, "areas": True,
              "positions": True, "exercises": True, "warnings": False}
    table: dict[str, Routine] = {}
    phrases = _Phrases()
    for index, data in enumerate(raw or ()):
        e = _Entry(report, "routine", index, data, fields)
        ident, name, synonyms = phrases.read(e)
        description = e.text("description")
        if description is not None and "\n" in description:
            e.error("description", "must be one line")
        area_ids = e.references("areas", areas, "area")
        position_ids = e.references("positions", positions, "position")
        items = _routine_items(e, exercises, position_ids)
        worked = {area for item in items for area in item.exercise.areas}
        for i, area in enumerate(area_ids):
            if items and area not in worked:
                e.error(f"areas[{i}]", f"none of this routine's exercises works the area '{area}'")
        warnings = e.texts("warnings")
        _add_unique(table, e, ident, Routine(ident, name, synonyms, description, area_ids,
                                             position_ids, items, warnings))
    # A spoken area or position must lead somewhere.
    for kind, declared, attr in (("area", areas, "areas"), ("position", positions, "positions")):
        if not table:
            break
        covered = {value for routine in table.values() for value in getattr(routine, attr)}
        for ident in declared or ():
            if ident not in covered:
                report.add(f"{kind} '{ident}'", None, f"no routine lists it in its {attr}")
    return table


def _routine_items(e: _Entry, exercises: dict[str, Exercise] | None,
                   position_ids: tuple[str, ...]) -> tuple[RoutineItem, ...]:
    """The routine's exercise list, overrides applied; each must fit the routine's positions."""
    raw = e.data.get("exercises")
    if "exercises" not in e.data:
        return ()
    if not isinstance(raw, list) or not raw:
        e.error("exercises", "expected a non-empty list of exercise ids"
                + ("" if isinstance(raw, list) else f", got {_type_name(raw)}"))
        return ()
    items = []
    for i, ref in enumerate(raw):
        field = f"exercises[{i}]"
        overrides: dict[str, Any] = {}
        if isinstance(ref, dict):
            overrides = dict(ref)
            ref = overrides.pop("id", None)
            for key in overrides:
                if key not in ("hold_seconds", "repetitions"):
                    hint = difflib.get_close_matches(str(key), ["id", "hold_seconds", "repetitions"], n=1)
                    e.error(f"{field}.{key}", "unknown field (only id, hold_seconds and repetitions"
                            " may be set here)" + (f"; did you mean '{hint[0]}'?" if hint else ""))
            for key in ("hold_seconds", "repetitions"):
                value = overrides.get(key)
                if key in overrides and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                    e.error(f"{field}.{key}", f"override must be a positive whole number, got {value!r}")
                    overrides.pop(key)
            if ref is None:
                e.error(f"{field}.id", "missing required field")
                continue
        if not isinstance(ref, str):
            e.error(field, f"expected an exercise id, got {_type_name(ref)}")
            continue
        if exercises is None:
            continue
        exercise = exercises.get(ref)
        if exercise is None:
            e.error(field, f"unknown exercise '{ref}'{_did_you_mean(ref, exercises)}")
            continue
        if position_ids and exercise.position not in position_ids:
            e.error(field, f"'{ref}' is done in the position '{exercise.position}', which is not "
                           f"in this routine's positions ({', '.join(position_ids)})")
        if "hold_seconds" in overrides and exercise.hold_seconds == 0:
            e.error(f"{field}.hold_seconds", f"'{ref}' is a moving stretch with no hold to override")
            continue
        items.append(RoutineItem(exercise, overrides.get("hold_seconds", exercise.hold_seconds),
                                 overrides.get("repetitions", exercise.repetitions)))
    return tuple(items)


def _load_faq(problems: list[str], document: Any) -> dict[str, FaqEntry]:
    report = _Report(problems, FAQ_FILE)
    raw = _entries(report, document, "faq", "FAQ entry")
    fields = {"id": True, "topic": True, "synonyms": False, "answer": True}
    table: dict[str, FaqEntry] = {}
    phrases = _Phrases()
    for index, data in enumerate(raw or ()):
        e = _Entry(report, "FAQ entry", index, data, fields)
        ident, topic, synonyms = phrases.read(e, "topic")
        answer = e.texts("answer", non_empty=True)
        for i, part in enumerate(answer):
            if not _ENDS_SENTENCE.search(part):
                e.error(f"answer[{i}]", "must end with . ! or ?")
        if answer:
            e.sentences("answer", " ".join(answer), *FAQ_SENTENCES)
        _add_unique(table, e, ident, FaqEntry(ident, topic, synonyms, answer))
    return table


def _load_sounds(problems: list[str], document: Any) -> dict[str, Sound]:
    """sounds.yaml: each a soundbank:// URL with its length; distinct sounds, distinct names."""
    report = _Report(problems, SOUNDS_FILE)
    raw = _entries(report, document, "sounds", "sound")
    fields = {"id": True, "name": True, "url": True, "seconds": True}
    table: dict[str, Sound] = {}
    urls: dict[str, str] = {}
    names: dict[str, str] = {}
    for index, data in enumerate(raw or ()):
        e = _Entry(report, "sound", index, data, fields)
        ident, name, url = e.ident(), e.text("name"), e.text("url")
        if url is not None and not re.fullmatch(SOUNDBANK_URL, url):
            e.error("url", f"'{url}' is not a sound of Alexa's library "
                           "(soundbank://soundlibrary/<category>/<name>)")
            url = None
        seconds = e.data.get("seconds")
        if "seconds" in e.data and (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
                                    or not math.isfinite(seconds)):
            e.error("seconds", f"expected a number of seconds, got {_type_name(seconds)}")
            seconds = None
        elif "seconds" in e.data and not 0 < seconds <= MAX_SOUND_SECONDS:
            e.error("seconds", f"must be more than 0 and at most {MAX_SOUND_SECONDS}, got {seconds}")
            seconds = None
        for value, seen, what in ((url, urls, "url"), (name, names, "name")):
            if ident is not None and value is not None:
                if value in seen:
                    e.error(what, f"'{value}' is already sound '{seen[value]}'; each moment "
                                  "needs a sound of its own")
                seen.setdefault(value, ident)
        if None not in (ident, name, url, seconds):
            _add_unique(table, e, ident, Sound(ident, name, url, float(seconds)))
    return table


def _load_flat(problems: list[str], filename: str, document: Any) -> dict[str, str]:
    report = _Report(problems, filename)
    if document is None:
        return {}
    if not isinstance(document, dict):
        report.add(None, None, f"expected a flat mapping of key -> text, got {_type_name(document)}")
        return {}
    table = {}
    for key, value in document.items():
        if not isinstance(key, str) or not key.strip():
            report.add(f"key {key!r}", None, f"keys must be text, got {_type_name(key)}")
            continue
        where = f"key '{key}'"
        if not isinstance(value, str):
            report.add(where, None, f"expected text, got {_type_name(value)}")
            continue
        if not value.strip():
            report.add(where, None, "must not be empty")
            continue
        try:
            fields = placeholders(value)
        except ValueError as exc:
            report.add(where, None, f"bad braces ({exc}); write {{{{ or }}}} for a literal brace")
            continue
        bad = sorted(f for f in fields if not f.isidentifier())
        if bad:
            report.add(where, None, "placeholders must be {name} with a plain name, got "
                       + ", ".join("{%s}" % f for f in bad))
            continue
        table[key] = value.strip()
    return table


# --------------------------------------------------------------------------- locales


def locale_key(locale: str | None) -> str:
    """Which overlay serves a request's locale: a published locale (in any letter case, with
    '-' or '_'), LOCALE when the request names none, FALLBACK for any other."""
    if not locale:
        return LOCALE
    if locale in LOCALES:
        return locale
    wanted = str(locale).replace("_", "-").lower()
    return next((known for known in LOCALES if known.lower() == wanted), FALLBACK)


def fill_words(text: str, words: Mapping[str, str]) -> str:
    """A format string with its locale placeholders filled in by `words`; the code's own
    fields ({routine}) and escaped braces stay as they are, to be filled per request."""
    if "{" not in text:
        return text
    out = []
    for literal, name, spec, conversion in string.Formatter().parse(text):
        out.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is None:
            continue
        if name in words and not spec and not conversion:
            out.append(words[name].replace("{", "{{").replace("}", "}}"))
        else:
            out.append("{%s%s%s}" % (name, f"!{conversion}" if conversion else "",
                                     f":{spec}" if spec else ""))
    return "".join(out)


class _Locales:
    """Every locale's content, built once when the content is loaded: the texts and FAQ
    answers with their locale placeholders filled (the rest is shared, not copied)."""

    def __init__(self, base: Content, words: dict[str, dict[str, str]]):
        self.words = words
        self.built: dict[str, Content] = {}
        for key, these in words.items():
            texts = {group: {k: fill_words(v, these) for k, v in table.items()}
                     for group, table in base.texts.items()}
            faq = {i: dataclasses.replace(f, answer=tuple(a.format(**these) for a in f.answer))
                   for i, f in base.faq.items()}
            self.built[key] = dataclasses.replace(base, texts=texts, faq=faq, locale=key,
                                                  _locales=self)

    def get(self, locale: str | None) -> Content:
        found = self.built.get(locale)       # a published locale, as Alexa spells it
        return found if found is not None else self.built[locale_key(locale)]


def _locale_words(report: _Report, document: Any, key: str) -> dict[str, str]:
    """One overlay's words: every key it must give, no other, each one line of text."""
    required = FALLBACK_WORDS if key == FALLBACK else tuple(LOCALE_WORDS)
    document = {} if document is None else document
    if not isinstance(document, dict):
        report.add(None, None, f"expected a mapping of the locale words ({', '.join(required)}), "
                               f"got {_type_name(document)}")
        return {}
    words: dict[str, str] = {}
    for word in required:
        if word not in document:
            report.add(f"key '{word}'", None, f"missing: {LOCALE_WORDS[word]}")
    for word, value in document.items():
        where = f"key '{word}'"
        if word not in LOCALE_WORDS:
            report.add(where, None, f"unknown key{_did_you_mean(str(word), LOCALE_WORDS)}; an "
                                    f"overlay gives only {', '.join(LOCALE_WORDS)}")
        elif not isinstance(value, str):
            report.add(where, None, f"expected text, got {_type_name(value)}")
        elif not value.strip() or "\n" in value.strip():
            report.add(where, None, "must be one line of text")
        elif "{" in value or "}" in value:
            report.add(where, None, "must not hold braces (it is put into texts as it is)")
        elif (word == "emergency_number" and key != FALLBACK
              and not re.fullmatch(r"\d{2,4}", value.strip())):
            report.add(where, None, f"must be the number in digits (like 999), got '{value}'")
        else:
            words[word] = value.strip()
    return words


def _load_locales(problems: list[str], directory: Path, texts: dict[str, dict[str, str]],
                  faq: dict[str, FaqEntry]) -> dict[str, dict[str, str]]:
    """Every overlay's complete words (the fallback's completed from LOCALE's); checks that
    the texts use the emergency numbers only through {emergency_number}."""
    folder = directory / LOCALES_DIR
    expected = (*LOCALES, FALLBACK)
    if not folder.is_dir():
        problems.append(f"{_label(LOCALES_DIR)}/: folder is missing (one overlay per locale: "
                        + ", ".join(f"{k}.yaml" for k in expected) + ")")
        return {}
    raw: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.yaml")):
        report = _Report(problems, f"{LOCALES_DIR}/{path.name}")
        if path.stem not in expected:
            report.add(None, None, f"'{path.stem}' is not a published locale ("
                       f"{', '.join(LOCALES)}) or {FALLBACK}; add it to skill.constants.LOCALES "
                       "first (README, 'Adding a locale')")
            continue
        ok, document = _read_yaml(path, report)
        if ok:
            raw[path.stem] = _locale_words(report, document, path.stem)
    for key in expected:
        if not (folder / f"{key}.yaml").exists():
            problems.append(f"{_label(f'{LOCALES_DIR}/{key}.yaml')}: file is missing (every "
                            "published locale has one, and the fallback)")
    # A number written into a text would be said in every country: only the overlay says it.
    numbers = {w["emergency_number"] for k, w in raw.items()
               if k != FALLBACK and "emergency_number" in w}
    said = [(f"{group}.yaml", f"key '{k}'", v) for group, table in texts.items()
            for k, v in table.items()]
    said += [(FAQ_FILE, f"FAQ entry '{f.id}': field 'answer[{i}]'", a)
             for f in faq.values() for i, a in enumerate(f.answer)]
    for filename, where, text in said:
        for number in sorted(numbers):
            if re.search(rf"(?<!\d){number}(?!\d)", text):
                _Report(problems, filename).add(
                    where, None, f"says the emergency number {number} itself; write "
                                 "{emergency_number}, which each locale fills in")
    for f in faq.values():
        for i, answer in enumerate(f.answer):
            try:
                unknown = sorted(placeholders(answer) - set(LOCALE_WORDS))
            except ValueError as exc:
                unknown = [f"(bad braces: {exc})"]
            if unknown:
                _Report(problems, FAQ_FILE).add(
                    f"FAQ entry '{f.id}'", f"answer[{i}]",
                    f"placeholders may only be locale words ({', '.join(LOCALE_WORDS)}), got "
                    + ", ".join(u if u.startswith("(") else "{%s}" % u for u in unknown))
    words = {k: v for k, v in raw.items() if k != FALLBACK}
    if LOCALE in words and FALLBACK in raw:
        words[FALLBACK] = {**words[LOCALE], **raw[FALLBACK]}
    complete = all(set(words.get(k, {})) == set(LOCALE_WORDS) for k in expected)
    return words if complete else {}


# --------------------------------------------------------------------------- entry points


def load_content(directory: Path | None = None) -> Content:
    """Load and validate every `*.yaml` in `directory` (default: <repo>/content)."""
    directory = Path(directory) if directory is not None else default_content_dir()
    problems: list[str] = []
    if not directory.is_dir():
        raise ContentError(f"{directory}: content directory not found")

    documents: dict[str, Any] = {}
    readable: dict[str, bool] = {}
    for path in sorted(directory.glob("*.yaml")):
        readable[path.name], documents[path.name] = _read_yaml(path, _Report(problems, path.name))
    for name in STRUCTURED_FILES:
        if name not in readable:
            problems.append(f"{_label(name)}: file is missing")

    areas = positions = None
    exercises_ok = readable.get(EXERCISES_FILE, False)
    if readable.get(ROUTINES_FILE) and isinstance(documents[ROUTINES_FILE], dict):
        report = _Report(problems, ROUTINES_FILE)
        areas = _named_section(report, documents[ROUTINES_FILE], "areas", "area", None, Area)
        positions = _named_section(report, documents[ROUTINES_FILE], "positions", "position",
                                   POSITIONS, Position)
    exercises = _load_exercises(problems, documents[EXERCISES_FILE], areas) if exercises_ok else {}
    routines = (_load_routines(problems, documents[ROUTINES_FILE],
                               exercises if exercises_ok else None, areas, positions)
                if readable.get(ROUTINES_FILE) else {})
    faq = _load_faq(problems, documents[FAQ_FILE]) if readable.get(FAQ_FILE) else {}
    sounds = (_load_sounds(problems, documents[SOUNDS_FILE])
              if readable.get(SOUNDS_FILE) else {})
    texts = {Path(name).stem: _load_flat(problems, name, documents[name])
             for name in documents
             if name not in STRUCTURED_FILES and name != SOUNDS_FILE and readable[name]}
    words = _load_locales(problems, directory, texts, faq)

    if problems:
        raise ContentError(problems)
    base = Content(directory=directory, exercises=exercises, routines=routines, faq=faq,
                   areas=areas or {}, positions=positions or {}, texts=texts, sounds=sounds)
    return _Locales(base, words).get(LOCALE)


def print_problems(directory: Path, exc: ContentError) -> None:
    print(f"content errors in {directory}:", file=sys.stderr)
    for line in exc.problems:
        print(f"  {line}", file=sys.stderr)
    print(f"{len(exc.problems)} problem(s) found", file=sys.stderr)


def validate_main(argv: list[str] | None = None) -> int:
    """`python -m skill validate [DIR]`: 0 and a one-line summary, or 1 and every problem."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "validate":
        args = args[1:]
    parser = argparse.ArgumentParser(prog="python -m skill validate",
                                     description="Check the skill's content files.")
    parser.add_argument("directory", nargs="?", type=Path, default=None,
                        help="content directory (default: the repository's content/)")
    options = parser.parse_args(args)
    directory = options.directory or default_content_dir()
    try:
        content = load_content(directory)
    except ContentError as exc:
        print_problems(directory, exc)
        return 1
    print(f"content OK: {len(content.exercises)} exercises, {len(content.routines)} routines, "
          f"{len(content.faq)} FAQ answers")
    return 0
