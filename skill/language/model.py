"""Generate the Alexa interaction model (`python -m skill model [--check]`).

Inputs:
- `interaction_model/source/en-US.yaml`: the hand-written language (sample utterances per
  intent, the values of the PreferenceChange slot type, a few extra synonyms);
- `content/` (through `skill.content.load_content()`): the slot values for routines, body
  areas, positions and FAQ topics, so a routine added to the content is speakable at once.

Output: `interaction_model/interactionModels/custom/en-US.json` (ASK CLI v2 skill package
layout), written deterministically (sorted keys, stable order, trailing newline) so that
`--check` can tell whether the committed file is stale.

Intent, slot and slot-type names come from `skill.constants` only; the source file may not
declare any other intent, and must declare every one of them.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import yaml

from skill import constants as C

from skill.config import REPO_ROOT as ROOT
SOURCE_PATH = ROOT / "interaction_model" / "source" / f"{C.LOCALE}.yaml"
MODEL_PATH = ROOT / "interaction_model" / "interactionModels" / "custom" / f"{C.LOCALE}.json"
MANIFEST_PATH = ROOT / "interaction_model" / "skill.json"

# Which slots each intent carries (name, type). Intents not listed have none.
INTENT_SLOTS: dict[str, tuple[tuple[str, str], ...]] = {
    C.START_ROUTINE: (
        (C.SLOT_ROUTINE, C.TYPE_ROUTINE),
        (C.SLOT_AREA, C.TYPE_AREA),
        (C.SLOT_POSITION, C.TYPE_POSITION),
    ),
    C.QUESTION: ((C.SLOT_TOPIC, C.TYPE_TOPIC),),
    C.SET_PREFERENCE: ((C.SLOT_PREFERENCE, C.TYPE_PREFERENCE),),
    C.SET_REMINDER: ((C.SLOT_TIME, C.TYPE_TIME),),
}

ALL_INTENTS: tuple[str, ...] = tuple(C.CUSTOM_INTENTS) + tuple(C.BUILTIN_INTENTS)

# Alexa refuses sample utterances on AMAZON.FallbackIntent.
NO_SAMPLES = frozenset({C.FALLBACK})

# Slot types whose values come from the content, and which the source may extend with
# extra synonyms keyed by the content id.
CONTENT_TYPES = (C.TYPE_ROUTINE, C.TYPE_AREA, C.TYPE_POSITION, C.TYPE_TOPIC)

MIN_CUSTOM_SAMPLES = 25
MAX_SAMPLE_CHARS = 200
MAX_SLOT_VALUE_CHARS = 140


class ModelError(Exception):
    """The model source (or the content it draws on) cannot make a valid model."""


# --------------------------------------------------------------------------- text rules

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    """Spell 0..9999 the way people say it ("twenty one", "one hundred and five")."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ONES[hundreds] + " hundred" + ("" if rest == 0 else " and " + number_words(rest))
    if n < 10000:
        thousands, rest = divmod(n, 1000)
        tail = "" if rest == 0 else (" and " if rest < 100 else " ") + number_words(rest)
        return _ONES[thousands] + " thousand" + tail
    raise ValueError(f"number too large to spell: {n}")


_ABBREV = re.compile(r"^(?:[a-z]\.){2,}$")


def spoken_form(text: str) -> str:
    """Turn a content string into what Alexa accepts as a slot value or sample.

    Lower case, numbers spelled out, '&' -> 'and', hyphens, slashes and underscores become
    spaces, other punctuation is dropped (apostrophes stay; periods only in abbreviations
    such as "p.t."), whitespace collapsed.
    """
    text = str(text).lower().replace("\u2019", "'").replace("&", " and ")
    text = re.sub(r"\d+", lambda m: " " + number_words(int(m.group())) + " ", text)
    text = re.sub(r"[-/_]", " ", text)
    text = re.sub(r"[^a-z'. ]", " ", text)
    words = []
    for word in text.split():
        if "." in word and not _ABBREV.match(word):
            word = word.replace(".", "")
        word = word.strip("'")
        if word:
            words.append(word)
    return " ".join(words)


_SLOT_TOKEN = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_WORD = re.compile(r"^[a-z]+(?:'[a-z]+)*$")


def sample_problems(sample: str, slot_names: Iterable[str] = ()) -> list[str]:
    """What is wrong with a sample utterance for the Alexa model builder (empty: fine)."""
    problems: list[str] = []
    allowed = set(slot_names)
    if not isinstance(sample, str) or not sample:
        return ["empty sample"]
    if sample != sample.strip() or "  " in sample:
        problems.append("leading, trailing or double spaces")
    if len(sample) > MAX_SAMPLE_CHARS:
        problems.append(f"longer than {MAX_SAMPLE_CHARS} characters")
    if re.search(r"\d", sample):
        problems.append("numerals (spell numbers out)")
    seen_slots: set[str] = set()
    for token in sample.split():
        slot = _SLOT_TOKEN.match(token)
        if slot:
            name = slot.group(1)
            if name not in allowed:
                problems.append(f"slot {{{name}}} is not a slot of this intent")
            if name in seen_slots:
                problems.append(f"slot {{{name}}} used twice")
            seen_slots.add(name)
        elif "{" in token or "}" in token:
            problems.append(f"malformed slot reference {token!r}")
        elif "." in token:
            if not _ABBREV.match(token):
                problems.append(f"period outside an abbreviation in {token!r}")
        elif not _WORD.match(token):
            problems.append(f"word {token!r} has characters other than lower-case letters "
                            "and inner apostrophes")
    return problems


def sample_key(sample: str, slot_types: Mapping[str, str]) -> str:
    """Case/space-insensitive identity of a sample, with slot names replaced by types."""
    def repl(m: re.Match) -> str:
        return "{" + slot_types.get(m.group(1), m.group(1)) + "}"
    return " ".join(re.sub(r"\{([^}]*)\}", repl, sample).lower().split())


# --------------------------------------------------------------------------- source

def load_source(path: Path | str = SOURCE_PATH) -> dict:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ModelError(f"{path}: expected a mapping at the top level")
    return data


def _intent_slot_types(intent: str) -> dict[str, str]:
    return dict(INTENT_SLOTS.get(intent, ()))


def _check_source(source: Mapping[str, Any]) -> None:
    where = "interaction_model/source/en-US.yaml"
    intents = source.get("intents")
    if not isinstance(intents, dict):
        raise ModelError(f"{where}: 'intents' must map intent names to lists of samples")
    unknown = sorted(set(intents) - set(ALL_INTENTS))
    if unknown:
        raise ModelError(f"{where}: intents not in skill.constants: {', '.join(unknown)}")
    missing = [name for name in ALL_INTENTS if name not in intents]
    if missing:
        raise ModelError(f"{where}: intents missing (declare them, with [] if no samples): "
                         + ", ".join(missing))
    owner: dict[str, str] = {}
    for intent in ALL_INTENTS:
        samples = intents[intent] or []
        if not isinstance(samples, list):
            raise ModelError(f"{where}: intents.{intent} must be a list of samples")
        if intent in NO_SAMPLES and samples:
            raise ModelError(f"{where}: intents.{intent}: Alexa allows no samples here")
        if intent in C.CUSTOM_INTENTS and len(set(samples)) < MIN_CUSTOM_SAMPLES:
            raise ModelError(f"{where}: intents.{intent} has {len(set(samples))} samples; "
                             f"a custom intent needs at least {MIN_CUSTOM_SAMPLES}")
        slot_types = _intent_slot_types(intent)
        for sample in samples:
            problems = sample_problems(sample, slot_types)
            if problems:
                raise ModelError(f"{where}: intents.{intent}: sample {sample!r}: "
                                 + "; ".join(problems))
            key = sample_key(sample, slot_types)
            if key in owner and owner[key] != intent:
                raise ModelError(f"{where}: sample {sample!r} is in both {owner[key]} and "
                                 f"{intent}; Alexa needs each utterance in one intent only")
            owner[key] = intent
    prefs = source.get("preference_values")
    if not isinstance(prefs, dict) or set(prefs) != set(C.PREFERENCE_VALUES):
        have = sorted(prefs) if isinstance(prefs, dict) else []
        raise ModelError(f"{where}: 'preference_values' must define exactly "
                         f"{', '.join(C.PREFERENCE_VALUES)} (has {', '.join(have) or 'none'})")
    for pid, entry in prefs.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ModelError(f"{where}: preference_values.{pid} needs a 'name' string")
        if not isinstance(entry.get("synonyms", []) or [], list):
            raise ModelError(f"{where}: preference_values.{pid}.synonyms must be a list")
    extra = source.get("extra_synonyms") or {}
    if not isinstance(extra, dict):
        raise ModelError(f"{where}: 'extra_synonyms' must map slot type -> id -> list")
    for type_name, by_id in extra.items():
        if type_name not in CONTENT_TYPES:
            raise ModelError(f"{where}: extra_synonyms.{type_name}: only "
                             f"{', '.join(CONTENT_TYPES)} take extra synonyms")
        if not isinstance(by_id, dict):
            raise ModelError(f"{where}: extra_synonyms.{type_name} must map ids to lists")


# --------------------------------------------------------------------------- building

def _values_from(entries: Iterable[tuple[str, str, Iterable[str]]], type_name: str,
                 warnings: list[str]) -> list[dict]:
    """Slot type values from (id, name, synonyms); phrases unique within the type."""
    used: dict[str, str] = {}
    values = []
    for value_id, name, synonyms in entries:
        spoken = spoken_form(name)
        if not spoken:
            raise ModelError(f"{type_name}: value {value_id!r} has no speakable name")
        if spoken in used and used[spoken] != value_id:
            warnings.append(f"{type_name}: name {spoken!r} of {value_id!r} is already used by "
                            f"{used[spoken]!r}")
        used.setdefault(spoken, value_id)
        syns: list[str] = []
        for syn in synonyms or ():
            s = spoken_form(syn)
            if not s or s == spoken or s in syns:
                continue
            if s in used and used[s] != value_id:
                warnings.append(f"{type_name}: synonym {s!r} of {value_id!r} is already used "
                                f"by {used[s]!r}; dropped")
                continue
            used[s] = value_id
            syns.append(s)
        for phrase in [spoken, *syns]:
            if len(phrase) > MAX_SLOT_VALUE_CHARS:
                warnings.append(f"{type_name}: {phrase!r} is longer than "
                                f"{MAX_SLOT_VALUE_CHARS} characters")
        value: dict[str, Any] = {"id": value_id, "name": {"value": spoken}}
        if syns:
            value["name"]["synonyms"] = syns
        values.append(value)
    return values


def _content_entries(content: Any, source: Mapping[str, Any]) -> dict[str, list]:
    extra = source.get("extra_synonyms") or {}

    def with_extra(type_name: str, rows: list[tuple[str, str, list]]) -> list:
        more = extra.get(type_name) or {}
        ids = {row[0] for row in rows}
        dangling = sorted(set(more) - ids)
        if dangling:
            raise ModelError(f"interaction_model/source/en-US.yaml: extra_synonyms."
                             f"{type_name}: no such id in the content: {', '.join(dangling)}")
        return [(i, n, list(s) + list(more.get(i) or ())) for i, n, s in rows]

    routines = [(r.id, r.name, list(r.synonyms or ())) for r in content.routines.values()]
    areas = [(a.id, a.name, list(a.synonyms or ())) for a in content.areas.values()]
    positions = [(p.id, p.name, list(p.synonyms or ())) for p in content.positions.values()]
    topics = [(f.id, f.topic, list(f.synonyms or ())) for f in content.faq.values()]
    return {
        C.TYPE_ROUTINE: with_extra(C.TYPE_ROUTINE, routines),
        C.TYPE_AREA: with_extra(C.TYPE_AREA, areas),
        C.TYPE_POSITION: with_extra(C.TYPE_POSITION, positions),
        C.TYPE_TOPIC: with_extra(C.TYPE_TOPIC, topics),
    }


def build_model(content: Any, source: Mapping[str, Any] | str | Path | None = None,
                warnings: list[str] | None = None) -> dict:
    """The interaction model (ASK CLI v2 JSON as a dict) for `content` and `source`.

    `source` is the parsed source YAML (or its path; default: the committed one).
    Problems that Alexa would refuse raise `ModelError`; softer ones (a synonym claimed by
    two values, which is then kept for the first) are appended to `warnings`.
    """
    if source is None or isinstance(source, (str, Path)):
        source = load_source(source or SOURCE_PATH)
    if warnings is None:
        warnings = []
    _check_source(source)

    intents = []
    for name in ALL_INTENTS:
        samples: list[str] = []
        for sample in source["intents"][name] or []:
            if sample not in samples:
                samples.append(sample)
        intent: dict[str, Any] = {"name": name, "samples": samples}
        slots = INTENT_SLOTS.get(name)
        if slots:
            intent["slots"] = [{"name": s, "type": t} for s, t in slots]
        intents.append(intent)

    entries = _content_entries(content, source)
    prefs = source["preference_values"]
    entries[C.TYPE_PREFERENCE] = [
        (pid, prefs[pid]["name"], prefs[pid].get("synonyms") or ())
        for pid in C.PREFERENCE_VALUES
    ]
    types = []
    for type_name in sorted(entries):
        values = _values_from(entries[type_name], type_name, warnings)
        if not values:
            raise ModelError(f"slot type {type_name} has no values (is the content empty?)")
        types.append({"name": type_name, "values": values})

    return {
        "interactionModel": {
            "languageModel": {
                "invocationName": C.INVOCATION_NAME,
                "intents": intents,
                "types": types,
            }
        }
    }


def render(model: Mapping[str, Any]) -> str:
    """The committed text of a model: sorted keys, two-space indent, trailing newline."""
    return json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_model(path: Path | str = MODEL_PATH) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def filled_samples(language_model: Mapping[str, Any], *, synonyms: bool = False
                   ) -> Iterator[tuple[str, str, str, Mapping[str, Any], str]]:
    """Every sample with exactly one slot, filled with each value of the slot's type (and
    each synonym too, if asked): (intent name, sample, slot name, value entry, utterance)."""
    types = {t["name"]: t for t in language_model["types"]}
    for intent in language_model["intents"]:
        slot_types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent["samples"]:
            used = re.findall(r"\{(\w+)\}", sample)
            if len(used) != 1 or slot_types[used[0]] not in types:   # built-in types
                continue
            for value in types[slot_types[used[0]]]["values"]:
                phrases = [value["name"]["value"]]
                if synonyms:
                    phrases += value["name"].get("synonyms", [])
                for phrase in phrases:
                    yield (intent["name"], sample, used[0], value,
                           sample.replace("{" + used[0] + "}", phrase))


# --------------------------------------------------------------------------- command

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m skill model",
        description="Generate the Alexa interaction model from "
                    "interaction_model/source/en-US.yaml and content/.")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the committed model is stale")
    parser.add_argument("--source", default=str(SOURCE_PATH), help=argparse.SUPPRESS)
    parser.add_argument("--output", default=str(MODEL_PATH), help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    from skill.content import load_content  # the content loader validates on its own
    output = Path(args.output)
    shown = output.relative_to(ROOT) if output.is_relative_to(ROOT) else output
    warnings: list[str] = []
    from skill.content import ContentError

    try:
        content = load_content()
    except ContentError as exc:
        print(f"model: error: the content is invalid, fix it first:\n{exc}", file=sys.stderr)
        return 1
    try:
        text = render(build_model(content, load_source(args.source), warnings))
    except (ModelError, OSError, yaml.YAMLError) as exc:
        print(f"model: error: {exc}", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"model: warning: {warning}", file=sys.stderr)

    current = output.read_text(encoding="utf-8") if output.exists() else None
    if args.check:
        if current != text:
            state = "missing" if current is None else "stale"
            print(f"model: {shown} is {state}: it does not match "
                  "interaction_model/source/en-US.yaml and content/. "
                  "Run `python -m skill model` (or `make model`) and commit the result.",
                  file=sys.stderr)
            return 1
        print(f"model: {shown} is up to date")
        return 0
    if current == text:
        print(f"model: {shown} is up to date")
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"model: wrote {shown}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
