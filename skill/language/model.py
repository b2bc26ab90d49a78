"""Generate the Alexa interaction model (`python -m skill model [--check|--stats|--sample T]`).

Inputs:
- `interaction_model/source/<locale>/*.yaml`: the hand-written language as sentence
  templates in Home Assistant's template language, parsed and expanded by `hassil`
  (alternatives `(a|b)`, optional words `[x]`, slots `{routine}`, shared rules `<back>`).
  `_common.yaml` holds the shared vocabulary (expansion rules) and the slot lists; every
  other file holds the templates of one area of the conversation, one block per intent.
- `content/` (through `skill.content.load_content()`): the slot values for routines, body
  areas, positions and FAQ topics, and the FAQ topics themselves: each topic is an intent of
  its own (`constants.faq_intent(id)`), so a question resolves to its topic by meaning.

Locales: `interaction_model/source/en-US/` is the shared base of every locale
(skill.constants.LOCALES). Another locale's folder beside it (`source/en-GB/`) holds an
overlay, only what differs there: `replace` swaps an alternative of the shared templates for
the locale's words ("the er" -> "a and e", wherever it is one of `(a|b)` or `[a|b]`), or
drops one nobody says there (`naw: ~`), `intents` adds templates to a shared intent, `lists`
adds slot values. An overlay that names
something the base no longer has is refused, so a reworded base cannot leave it silently
doing nothing.

Output: `interaction_model/interactionModels/custom/<locale>.json` (ASK CLI v2 layout), one
per locale, written deterministically so that `--check` can tell whether a committed file is
stale.

Checks (a `ModelError` names the file, intent and template): intent names come from
`skill.constants` or the FAQ ids only, and every one has templates; a sample belongs to one
intent only, also after its slots are filled with every value (and against Amazon's own
phrases for the built-in intents); Alexa's limits (see LIMITS below) hold.
"""
from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import yaml
from hassil import parse_sentence
from hassil.errors import HassilError
from hassil.expression import ListReference, Sentence
from hassil.intents import WildcardSlotList
from hassil.sample import sample_expression

from skill import constants as C

from skill.config import REPO_ROOT as ROOT
from skill.language.reader import (MODELS_DIR, meaning, own_letters, slot_first_sentences,
                                   value_phrases)
SOURCE_ROOT = ROOT / "interaction_model" / "source"
SOURCE_DIR = SOURCE_ROOT / C.LOCALE          # the shared base of every locale's templates
COMMON_FILE = "_common.yaml"
MODEL_PATH = MODELS_DIR / f"{C.LOCALE}.json"
MANIFEST_PATH = ROOT / "interaction_model" / "skill.json"

# Which slots each intent carries (name, type). Intents not listed have none. The list a
# template names in braces is the slot: `{part}` fills the slot `part`.
INTENT_SLOTS: dict[str, tuple[tuple[str, str], ...]] = {
    C.START_ROUTINE: (
        (C.SLOT_ROUTINE, C.TYPE_ROUTINE),
        (C.SLOT_AREA, C.TYPE_AREA),
        (C.SLOT_POSITION, C.TYPE_POSITION),
        (C.SLOT_SCENE, C.TYPE_SCENE),
    ),
    C.QUESTION: ((C.SLOT_TOPIC, C.TYPE_TOPIC),),
    C.SET_PREFERENCE: ((C.SLOT_PREFERENCE, C.TYPE_PREFERENCE),),
    C.SET_REMINDER: ((C.SLOT_TIME, C.TYPE_TIME),),
    C.PAIN: ((C.SLOT_PAIN, C.TYPE_PAIN), (C.SLOT_PART, C.TYPE_PART), (C.SLOT_WHEN, C.TYPE_WHEN)),
    C.SYMPTOM: ((C.SLOT_ANSWER, C.TYPE_ANSWER), (C.SLOT_SIGN, C.TYPE_SIGN),
                (C.SLOT_PAIN, C.TYPE_PAIN), (C.SLOT_PART, C.TYPE_PART), (C.SLOT_WHEN, C.TYPE_WHEN)),
    **{name: ((C.SLOT_WORDS, C.TYPE_WORDS),) for name in C.FREE_INTENTS},
}
# A FAQ topic's intent may say where, when and for what ("why does my {part} crack {when}",
# "is heat good for {trouble}"), and who, with what or with which condition ("can {someone}
# crack my back", "should i use {remedy}", "can i use {tool}", "with {condition}", "should i
# see {doctor}", "i {habit}", and the word for the noise, "is {cracking} bad": cracking,
# popping, clicking): the parts of a question that vary apart from its meaning, so one
# template covers the ways people say them within Alexa's 1.5 MB (a value list costs its
# bytes once; alternatives in a template multiply its samples). The answer ignores them.
FAQ_SLOTS: tuple[tuple[str, str], ...] = (
    (C.SLOT_PART, C.TYPE_PART), (C.SLOT_WHEN, C.TYPE_WHEN), (C.SLOT_TROUBLE, C.TYPE_TROUBLE),
    (C.SLOT_PERSON, C.TYPE_PERSON), (C.SLOT_REMEDY, C.TYPE_REMEDY), (C.SLOT_TOOL, C.TYPE_TOOL),
    (C.SLOT_CONDITION, C.TYPE_CONDITION), (C.SLOT_CLINICIAN, C.TYPE_CLINICIAN),
    (C.SLOT_HABIT, C.TYPE_HABIT), (C.SLOT_CRACK, C.TYPE_CRACK),
    (C.SLOT_CRACKING, C.TYPE_CRACKING))
SLOT_TYPE = {slot: type_ for slots in [*INTENT_SLOTS.values(), FAQ_SLOTS] for slot, type_ in slots}


def intent_slots(name: str) -> tuple[tuple[str, str], ...]:
    """The slots an intent may carry (name, type)."""
    if name.startswith(C.FAQ_INTENT_PREFIX):
        return FAQ_SLOTS
    if C.is_free(name):
        return ((C.SLOT_WORDS, C.TYPE_WORDS),)
    return INTENT_SLOTS.get(name, ())

ALL_INTENTS: tuple[str, ...] = tuple(C.CUSTOM_INTENTS) + tuple(C.BUILTIN_INTENTS)

# Alexa refuses sample utterances on AMAZON.FallbackIntent.
NO_SAMPLES = frozenset({C.FALLBACK})

# Slot types whose values come from the content (name and synonyms of each entry); the
# source's list of the same slot may add spoken variants, keyed by content id (`out`).
CONTENT_TYPES = (C.TYPE_ROUTINE, C.TYPE_AREA, C.TYPE_POSITION, C.TYPE_TOPIC)

# Phrases Amazon's built-in intents understand without samples of ours (the ones Amazon
# lists and virtual-alexa adds, node_modules/virtual-alexa/lib/src/model/BuiltinUtterances.js).
# No other intent may claim them: Alexa would not know which one is meant.
AMAZON_PHRASES: dict[str, tuple[str, ...]] = {
    C.CANCEL: ("cancel", "never mind"),
    C.HELP: ("help", "help me"),
    C.NAVIGATE_HOME: ("home", "go home"),
    C.NEXT: ("next", "skip", "skip forward"),
    C.NO: ("no", "no thanks"),
    C.PAUSE: ("pause", "pause that"),
    C.PREVIOUS: ("go back", "previous", "skip back", "back up"),
    C.REPEAT: ("repeat", "say that again", "repeat that"),
    C.RESUME: ("resume", "continue", "keep going"),
    C.START_OVER: ("start over", "restart", "start again"),
    C.STOP: ("stop", "off", "shut up"),
    C.YES: ("yes", "yes please", "sure"),
}

# ----------------------------------------------------------------------------- limits
# Documented (developer.amazon.com, "Create the Interaction Model for Your Skill",
# section "Interaction model limits"): the whole model 1.5 MB, 250 intents, 350 intents
# and slot types together, 140 characters per slot value and per synonym. We count
# 1.5 MB as 1,500,000 bytes of the committed JSON text, the smaller reading.
MAX_MODEL_BYTES = 1_500_000
MAX_INTENTS = 250
MAX_INTENTS_AND_TYPES = 350
MAX_SLOT_VALUE_CHARS = 140
# Not documented as numbers; conservative bounds of our own:
MAX_SAMPLE_CHARS = 200            # no sample is near this; a runaway template would be
MAX_SAMPLES_PER_INTENT = 3000     # Amazon publishes none; tools stop at 2000 "to stay
                                  # within ASK limits", so we stay within 1.5 times that
MAX_EXPANSIONS_PER_TEMPLATE = 1500   # one template line; beyond it, write two templates
MIN_CUSTOM_SAMPLES = 25           # Amazon's advice for a custom intent: many varied samples

LIMITS = {
    "model bytes": MAX_MODEL_BYTES, "intents": MAX_INTENTS,
    "intents and slot types": MAX_INTENTS_AND_TYPES, "slot value characters": MAX_SLOT_VALUE_CHARS,
    "sample characters": MAX_SAMPLE_CHARS, "samples per intent": MAX_SAMPLES_PER_INTENT,
}


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
    """What is wrong with a sample utterance for the Alexa model builder (empty: fine).

    Alexa takes letters, spaces, apostrophes, periods in abbreviations and {slots}; no
    numerals (spelled out), no other punctuation."""
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
    if re.search(r"\}\s+\{", sample):
        problems.append("two slots side by side (virtual-alexa matches a sample as a regular "
                        "expression and cannot tell where the first slot ends)")
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
    if seen_slots and len(seen_slots) == len(sample.split()) > 1:
        problems.append("only slots, no words")
    return problems


def sample_key(sample: str, slot_types: Mapping[str, str]) -> str:
    """Case/space-insensitive identity of a sample, with slot names replaced by types."""
    def repl(m: re.Match) -> str:
        return "{" + slot_types.get(m.group(1), m.group(1)) + "}"
    return " ".join(re.sub(r"\{([^}]*)\}", repl, sample).lower().split())


# --------------------------------------------------------------------------- source

def load_source(path: Path | str = SOURCE_DIR) -> dict:
    """The template files of one locale, merged: {"language", "intents": {name: [template]},
    "expansion_rules": {name: template}, "lists": {slot: {"values": [...]}}, "where": {...}}.
    `where` says which file declared each intent, rule and list (for error messages)."""
    directory = Path(path)
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ModelError(f"{_shown(directory)}: no template files (*.yaml)")
    merged: dict[str, Any] = {"language": None, "intents": {}, "expansion_rules": {},
                              "lists": {}, "where": {}}
    for file in files:
        name, data = _shown(file), _read_yaml(file)
        if not isinstance(data, dict):
            raise ModelError(f"{name}: expected a mapping at the top level")
        unknown = set(data) - {"language", "intents", "expansion_rules", "lists"}
        if unknown:
            raise ModelError(f"{name}: unknown top-level keys: {', '.join(sorted(unknown))}")
        if data.get("language") != "en":
            raise ModelError(f"{name}: 'language' must be en")
        merged["language"] = "en"
        for rule, text in (data.get("expansion_rules") or {}).items():
            _claim(merged, f"rule <{rule}>", name)
            merged["expansion_rules"][rule] = text
        _merge_intents_and_lists(merged, data, name)
    return merged


def _read_yaml(file: Path) -> Any:
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ModelError(f"{_shown(file)}: not valid YAML: {exc}") from None


def _merge_intents_and_lists(merged: dict, data: Mapping[str, Any], name: str) -> None:
    """A template file's intents and lists, each claimed by the file `name` in `merged`."""
    for intent, body in (data.get("intents") or {}).items():
        blocks = body.get("data") if isinstance(body, dict) else None
        if not isinstance(blocks, list) or not all(
                isinstance(b, dict) and set(b) == {"sentences"}
                and isinstance(b["sentences"], list) for b in blocks):
            raise ModelError(f"{name}: intents.{intent} must be "
                             "{data: [{sentences: [template, ...]}, ...]} ([] for none)")
        _claim(merged, f"intent {intent}", name)
        merged["intents"][intent] = [t for b in blocks for t in b["sentences"]]
    for slot, body in (data.get("lists") or {}).items():
        if not isinstance(body, dict) or not isinstance(body.get("values"), list):
            raise ModelError(f"{name}: lists.{slot} must be {{values: [...]}}")
        _claim(merged, f"list {{{slot}}}", name)
        merged["lists"][slot] = body


def model_path(locale: str) -> Path:
    """Where the generated model of `locale` is committed."""
    return MODELS_DIR / f"{locale}.json"


def locale_source(locale: str, base: Path | str = SOURCE_DIR,
                  overlays: Path | str = SOURCE_ROOT) -> dict:
    """The templates of one locale: the shared base (`load_source`), with the locale's overlay
    (`<overlays>/<locale>/*.yaml`) applied; the default locale is the base itself."""
    if locale not in C.LOCALES:
        raise ModelError(f"{locale}: not a published locale ({', '.join(C.LOCALES)}; "
                         "skill.constants.LOCALES)")
    source = load_source(base)
    if locale == C.LOCALE:
        return source
    return apply_overlay(source, load_overlay(Path(overlays) / locale))


OVERLAY_KEYS = ("language", "replace", "intents", "lists")


def load_overlay(path: Path | str) -> dict:
    """A locale's overlay files, merged: {"replace": {en-US words: the locale's}, "intents":
    {name: [template]}, "lists": {slot: {"values": [...]}}, "where": {what: file}}."""
    directory = Path(path)
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ModelError(f"{_shown(directory)}: no overlay (*.yaml): every locale but "
                         f"{C.LOCALE} has one, holding what differs from "
                         f"{_shown(SOURCE_DIR)}/ (an empty mapping if nothing does)")
    merged: dict[str, Any] = {"replace": {}, "intents": {}, "lists": {}, "where": {}}
    for file in files:
        name, data = _shown(file), _read_yaml(file)
        data = {} if data is None else data
        if not isinstance(data, dict):
            raise ModelError(f"{name}: expected a mapping at the top level")
        unknown = set(data) - set(OVERLAY_KEYS)
        if unknown:
            raise ModelError(f"{name}: unknown top-level keys: {', '.join(sorted(unknown))} "
                             f"(an overlay has {', '.join(OVERLAY_KEYS)}; to change a rule of "
                             "the shared templates, replace its words)")
        if data.get("language", "en") != "en":
            raise ModelError(f"{name}: 'language' must be en")
        replace = data.get("replace") or {}
        if not isinstance(replace, dict):
            raise ModelError(f"{name}: replace must map en-US words to this locale's")
        for old, new in replace.items():
            if not (isinstance(old, str) and old.strip()
                    and (new is None or isinstance(new, str) and new.strip())):
                raise ModelError(f"{name}: replace {old!r}: {new!r}: both must be words "
                                 "(the locale's may use template syntax: (a|b), [x]), or ~ "
                                 "to drop the alternative")
            _claim(merged, f"replace {old!r}", name)
            merged["replace"][old] = new
        _merge_intents_and_lists(merged, data, name)
    return merged


def apply_overlay(source: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict:
    """The shared source with a locale's overlay applied (see the module docstring); the
    source given is not changed."""
    out = copy.deepcopy(dict(source))
    where = out.setdefault("where", {})
    for old, new in overlay["replace"].items():
        # a whole alternative: between ( [ or | and | ) or ]; dropped with one of its bars
        word = re.escape(old)
        pattern = re.compile(rf"(?<=[(\[|]){word}(?=[|)\]])" if new is not None else
                             rf"\|{word}(?=[|)\]])|(?<=[(\[]){word}\|")
        new = new or ""
        found = 0

        def swap(text: Any) -> Any:
            nonlocal found
            if not isinstance(text, str):
                return text
            changed, n = pattern.subn(lambda _: new, text)
            found += n
            return changed
        for templates in out["intents"].values():
            templates[:] = [swap(t) for t in templates]
        out["expansion_rules"] = {k: swap(v) for k, v in out["expansion_rules"].items()}
        for body in out["lists"].values():
            found += body["values"].count(old)           # a plain value: the whole of it
            body["values"] = [{**v, "in": swap(v["in"])} if isinstance(v, dict) and "in" in v
                              else (new if v == old else v) for v in body["values"]
                              if new or v != old]
        if not found:
            raise ModelError(f"{overlay['where'][f'replace {old!r}']}: replace {old!r}: no "
                             f"alternative (a|b) of {_shown(SOURCE_DIR)}/ says it any more; "
                             "were the shared templates reworded?")
    for intent, templates in overlay["intents"].items():
        what = f"intent {intent}"
        if intent not in out["intents"]:
            raise ModelError(f"{overlay['where'][what]}: intents.{intent}: no such intent in "
                             f"{_shown(SOURCE_DIR)}/ (an overlay adds to the shared intents)")
        out["intents"][intent] = [*(out["intents"][intent] or []), *templates]
        where[what] = f"{where.get(what, _shown(SOURCE_DIR))} and {overlay['where'][what]}"
    for slot, body in overlay["lists"].items():
        what = f"list {{{slot}}}"
        if slot not in out["lists"]:
            raise ModelError(f"{overlay['where'][what]}: lists.{slot}: no such list in "
                             f"{_shown(SOURCE_DIR)}/ (an overlay adds to the shared lists)")
        out["lists"][slot] = {**out["lists"][slot],
                              "values": [*out["lists"][slot]["values"], *body["values"]]}
        where[what] = f"{where.get(what, _shown(SOURCE_DIR))} and {overlay['where'][what]}"
    return out


def _claim(merged: dict, what: str, file: str) -> None:
    if what in merged["where"]:
        raise ModelError(f"{file}: {what} is already declared in {merged['where'][what]}")
    merged["where"][what] = file


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _where(source: Mapping[str, Any], what: str) -> str:
    return source.get("where", {}).get(what, "interaction_model/source")


class _Expander:
    """hassil's parser and sampler over the source's rules; lists print as {slot}."""

    def __init__(self, source: Mapping[str, Any]):
        self.source = source
        self.rules: dict[str, Sentence] = {}
        for name, text in source["expansion_rules"].items():
            self.rules[name] = self._parse(str(text), f"rule <{name}>")
        self.wild = {slot: WildcardSlotList(name=slot) for slot in SLOT_TYPE}

    def _parse(self, text: str, what: str) -> Sentence:
        try:
            return parse_sentence(text, keep_text=True)
        except Exception as exc:        # hassil raises several kinds for bad syntax
            raise ModelError(f"{_where(self.source, what)}: {what}: cannot parse "
                             f"{text!r}: {exc}") from None

    def expand(self, template: str, what: str, limit: int = MAX_EXPANSIONS_PER_TEMPLATE,
               lists: Mapping[str, Any] | None = None) -> list[str]:
        """The sentences a template stands for, in order, without duplicates."""
        if not isinstance(template, str) or not template.strip():
            raise ModelError(f"{_where(self.source, what)}: {what}: empty template")
        sentence = self._parse(template, what)
        out: dict[str, None] = {}
        try:
            for text in sample_expression(sentence.expression, slot_lists=lists or self.wild,
                                          expansion_rules=self.rules):
                out[" ".join(text.split())] = None
                if len(out) > limit:
                    raise ModelError(
                        f"{_where(self.source, what)}: {what}: template {template!r} expands to "
                        f"more than {limit} sentences; split it into smaller templates")
        except HassilError as exc:
            raise ModelError(f"{_where(self.source, what)}: {what}: template {template!r}: "
                             f"{exc}") from None
        except RecursionError:
            raise ModelError(f"{_where(self.source, what)}: {what}: template {template!r}: "
                             "rules refer to each other in a circle") from None
        return list(out)

    def list_names(self, template: str) -> set[str]:
        sentence = self._parse(template, "template")
        return {ref.slot_name for ref in sentence.expression.list_references(self.rules)
                if isinstance(ref, ListReference)}


def intent_names(content: Any) -> tuple[str, ...]:
    """Every intent of the model, in model order: ours, one per FAQ topic, Amazon's, and
    last the free-words intents (made by `free_samples`, not from templates)."""
    return (tuple(C.CUSTOM_INTENTS) + tuple(C.faq_intent(i) for i in content.faq)
            + tuple(C.BUILTIN_INTENTS) + tuple(C.FREE_INTENTS))


# The free-words intents (skill/language/reader.py): a carrier word, then the rest of the
# sentence in one AMAZON.SearchQuery slot (Alexa wants a carrier phrase beside it, and one
# such slot per intent). The carriers of "yes" and "no" are the source's rules of those
# names; every other word a sample of ours begins with carries FreeWordsIntent. A sample of
# our intents is always the closer match (more of its words are its own), so free words
# catch only what no sample matches.
FREE_RULES = {C.FREE_YES: "yeah", C.FREE_NO: "nope"}
FREE_TAIL_RULE = "free_tail"       # the closing words of FreeTailIntent ("{words} please")
FREE_LEAD_RULE = "free_lead"       # more first words of FreeWordsIntent than our samples have
FREE_FILLER_RULE = "free_filler"   # whole sentences of ours that may still carry
FREE_KEPT_RULE = "free_kept"       # first words kept: each carries in an intent of its own


# A carrier word may outrank a sentence that is one of our samples with one slot, if it is
# this common a first word (of this many samples or more): "the", "i", "my", "it" begin
# so many sentences people say that without them free words would reach the skill for few.
# Such a sentence ("the desk one") is then read back exactly from the free words
# (reader.slot_first_sentences) and answered the same, only under another intent's name.
COMMON_CARRIER = 80


def _outranking(samples: Mapping[str, list[str]], types: Mapping[str, list], *,
                last: bool = False) -> tuple[set[str], set[str]]:
    """Words that, as carriers, would outrank a sentence of one of our samples that begins
    (`last`: ends) with a slot (their letters more than the sample's own; virtual-alexa, an
    exact matcher, ranks matches so): (for samples of one slot, for samples of several).
    The yes or no said first in a describing answer ("i'm afraid so, it hurts") is left
    out: free words at a question are read for the sign and feeling they name
    (reader.read), as that sample is."""
    one: set[str] = set()
    several: set[str] = set()
    edge = re.compile(r"\{(\w+)\}$" if last else r"^\{(\w+)\}")
    for name, intent_samples in samples.items():
        slot_types = dict(intent_slots(name))
        for sample in intent_samples:
            m = edge.search(sample)
            if not m or (not last and m.group(1) == C.SLOT_ANSWER):
                continue
            own = own_letters(sample)
            type_name = slot_types.get(m.group(1), "")
            phrases = [p for p, _ in types.get(type_name, ())] or \
                BUILTIN_SLOT_PHRASES.get(type_name, ())
            words = {w for w in (p.split()[-1 if last else 0] for p in phrases if p)
                     if len(w) > own}
            (one if sample.count("{") == 1 else several).update(words)
    return one, several


def _rule_words(expander: "_Expander", rule: str) -> list[str]:
    """The one-word phrases a rule of the source stands for."""
    return [w for w in expander.expand(f"<{rule}>", f"rule <{rule}>") if " " not in w]


def _unambiguous_carriers(candidates: list[str], samples: Mapping[str, list[str]],
                          types: Mapping[str, list]) -> list[str]:
    """Of `candidates` (most used first), those that may carry together: no two leave the
    same free words for sentences that mean different things ("lower back", "upper back";
    "just sore", "so sore"). The more used word keeps its place."""
    whole = slot_first_sentences(samples, lambda name: dict(intent_slots(name)),
                                 lambda type_: types.get(type_, ()), set(candidates))
    by_first: dict[str, list[tuple[str, tuple]]] = {}
    for rest, readings in whole.items():
        for r in readings:
            by_first.setdefault(r[0], []).append((rest, meaning(r[1], r[3])))
    kept: list[str] = []
    seen: dict[str, set] = {}                    # rest -> meanings of the kept words
    for w in candidates:
        mine: dict[str, set] = {}
        for rest, m in by_first.get(w, ()):
            mine.setdefault(rest, set()).add(m)
        if any(len(ms | seen.get(rest, set())) > 1 for rest, ms in mine.items()):
            continue
        kept.append(w)
        for rest, ms in mine.items():
            seen.setdefault(rest, set()).update(ms)
    return kept


def free_samples(samples: Mapping[str, list[str]], expander: "_Expander",
                 types: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The carrier samples of the free intents, from the other intents' samples and the
    values of the slot types (`types`: type name -> [(phrase, id)]). The yes and no words
    always carry: the skill knows which was said, and reads the rest as the describing
    answers it also has samples for."""
    slot = "{" + C.SLOT_WORDS + "}"
    out: dict[str, list[str]] = {}
    taken: set[str] = set()
    for name, rule in FREE_RULES.items():
        words = _rule_words(expander, rule)
        out[name] = [f"{w} {slot}" for w in words]
        taken.update(words)
    # A kept word is said again to the reader with the rest (C.free_kept_intent): it may
    # begin our own sentences ("lower back", "just stiff"), whose words all reach the skill.
    kept = [w for w in _rule_words(expander, FREE_KEPT_RULE) if w not in taken]
    for w in kept:
        out[C.free_kept_intent(w)] = [f"{w} {slot}"]
    taken.update(kept)
    firsts: dict[str, int] = {}
    for name, intent_samples in samples.items():
        if C.is_free(name):
            continue
        for sample in intent_samples:
            first = sample.split()[0]
            if not first.startswith("{"):
                firsts[first] = firsts.get(first, 0) + 1
    for w in _rule_words(expander, FREE_LEAD_RULE):
        firsts.setdefault(w, 0)
    one, several = _outranking(samples, types)
    # A word that is a whole sentence of ours means something: it carries the rest in the
    # free intent of its meaning (constants.FREE_AFTER; yes and no words in theirs), or not
    # at all; the fillers of `free_filler` carry as any word.
    fillers = set(_rule_words(expander, FREE_FILLER_RULE))
    alone: dict[str, set] = {}                  # word -> intents it is a whole sample of
    for name, intent_samples in samples.items():
        if not C.is_free(name):
            for s in [*intent_samples, *AMAZON_PHRASES.get(name, ())]:
                if " " not in s and not s.startswith("{") and s not in fillers:
                    alone.setdefault(s, set()).add(name)
    outranked = several | {w for w in one if firsts.get(w, 0) < COMMON_CARRIER}
    own_meaning = {C.YES: C.FREE_YES, C.NO: C.FREE_NO, **C.FREE_AFTER}
    for home in C.FREE_AFTER.values():
        out[home] = []
    for w, names in sorted(alone.items()):
        home = own_meaning.get(next(iter(names))) if len(names) == 1 else None
        if home and w not in taken and w not in outranked:
            out.setdefault(home, []).append(f"{w} {slot}")
    taken |= outranked | set(alone)
    ranked = sorted((w for w in firsts if w not in taken), key=lambda w: (-firsts[w], w))
    out[C.FREE_WORDS] = [f"{w} {slot}"
                         for w in sorted(_unambiguous_carriers(ranked, samples, types))]
    outranked_tails = set().union(*_outranking(samples, types, last=True))
    out[C.FREE_TAIL] = [f"{slot} {w}" for w in _rule_words(expander, FREE_TAIL_RULE)
                        if w not in outranked_tails]
    empty = [name for name, carriers in out.items() if not carriers]
    if empty:
        raise ModelError(f"free intents without a carrier word: {', '.join(empty)} (a word "
                         "that alone is a sample of the intent they stand for is one)")
    return {name: out[name] for name in [*C.FREE_INTENTS, *map(C.free_kept_intent, kept)]}


def expand_intents(source: Mapping[str, Any], content: Any) -> dict[str, list[str]]:
    """Every intent's samples (slots as {name}), checked one by one."""
    intents = source.get("intents")
    if not isinstance(intents, dict):
        raise ModelError("interaction_model/source: no intents")
    faq_names = {C.faq_intent(i): i for i in content.faq}
    names = intent_names(content)
    for name in sorted(set(intents) - set(names)):
        where = _where(source, f"intent {name}")
        if name.startswith(C.FAQ_INTENT_PREFIX):
            raise ModelError(f"{where}: {name} names an unknown FAQ topic (content/faq.yaml "
                             f"ids: {', '.join(content.faq)}); topic intents are "
                             f"constants.faq_intent(id)")
        raise ModelError(f"{where}: intent {name} is not in skill.constants "
                         "and is no FAQ topic")
    missing = [n for n in names if n not in intents and n not in C.FREE_INTENTS]
    if missing:
        faq = [f"{n} (FAQ topic {faq_names[n]})" for n in missing if n in faq_names]
        other = [n for n in missing if n not in faq_names]
        raise ModelError("interaction_model/source: intents without templates (declare them, "
                         "with {data: []} if Amazon's own phrases are enough): "
                         + ", ".join(other + faq))
    expander = _Expander(source)
    out: dict[str, list[str]] = {}
    for name in names:
        if name in C.FREE_INTENTS:
            continue
        where = _where(source, f"intent {name}")
        templates = intents[name] or []
        if not isinstance(templates, list):
            raise ModelError(f"{where}: intents.{name} must be a list of templates")
        if name in NO_SAMPLES and templates:
            raise ModelError(f"{where}: intents.{name}: Alexa allows no samples here")
        slots = dict(intent_slots(name))
        samples: dict[str, None] = {}
        for template in templates:
            for sample in expander.expand(template, f"intent {name}"):
                problems = sample_problems(sample, slots)
                if problems:
                    raise ModelError(f"{where}: intents.{name}: template {template!r} gives "
                                     f"{sample!r}: " + "; ".join(problems))
                samples[sample] = None
        custom = name in C.CUSTOM_INTENTS or name in faq_names
        if custom and len(samples) < MIN_CUSTOM_SAMPLES:
            raise ModelError(f"{where}: intents.{name} has {len(samples)} samples; a custom "
                             f"intent needs at least {MIN_CUSTOM_SAMPLES}")
        out[name] = list(samples)
    return out


# --------------------------------------------------------------------------- slot values

def _source_values(source: Mapping[str, Any], slot: str, expander: _Expander
                   ) -> list[tuple[str, list[str]]]:
    """(id, phrases) from the source's list for `slot`, in order of first mention. A plain
    string is its own id (spaces as underscores); {in: template, out: id} adds phrases."""
    body = source["lists"].get(slot) or {"values": []}
    what = f"list {{{slot}}}"
    by_id: dict[str, list[str]] = {}
    for entry in body["values"]:
        if isinstance(entry, str):
            value_id, template = entry.strip().replace(" ", "_"), entry
        elif isinstance(entry, dict) and set(entry) == {"in", "out"}:
            value_id, template = str(entry["out"]), str(entry["in"])
        else:
            raise ModelError(f"{_where(source, what)}: lists.{slot}: each value is a string or "
                             f"{{in: template, out: id}}, not {entry!r}")
        phrases = by_id.setdefault(value_id, [])
        for phrase in expander.expand(template, what, lists={}):
            if phrase not in phrases:
                phrases.append(phrase)
    return list(by_id.items())


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
        value: dict[str, Any] = {"id": value_id, "name": {"value": spoken}}
        if syns:
            value["name"]["synonyms"] = syns
        values.append(value)
    return values


def slot_type_entries(content: Any, source: Mapping[str, Any]
                      ) -> dict[str, list[tuple[str, str, list[str]]]]:
    """(id, name, synonyms) per slot type: content entries with the source's extra phrases,
    and the source's own lists."""
    expander = _Expander(source)
    for slot in sorted(set(source["lists"]) - set(SLOT_TYPE)):
        raise ModelError(f"{_where(source, f'list {{{slot}}}')}: lists.{slot}: no intent has "
                         f"a slot {slot!r} (skill/language/model.py INTENT_SLOTS)")
    rows = {
        C.TYPE_ROUTINE: [(r.id, r.name, list(r.synonyms or ())) for r in content.routines.values()],
        C.TYPE_AREA: [(a.id, a.name, list(a.synonyms or ())) for a in content.areas.values()],
        C.TYPE_POSITION: [(p.id, p.name, list(p.synonyms or ())) for p in content.positions.values()],
        C.TYPE_TOPIC: [(f.id, f.topic, list(f.synonyms or ())) for f in content.faq.values()],
    }
    out: dict[str, list[tuple[str, str, list[str]]]] = {}
    for slot, type_name in sorted(SLOT_TYPE.items(), key=lambda kv: kv[1]):
        if type_name.startswith("AMAZON."):      # Amazon's own slot types carry no values
            if slot in source["lists"]:
                raise ModelError(f"{_where(source, f'list {{{slot}}}')}: lists.{slot}: "
                                 f"{type_name} is Amazon's; it takes no values of ours")
            continue
        extra = _source_values(source, slot, expander)
        what = f"list {{{slot}}}"
        if type_name in rows:
            ids = {row[0] for row in rows[type_name]}
            dangling = sorted({i for i, _ in extra} - ids)
            if dangling:
                raise ModelError(f"{_where(source, what)}: lists.{slot}: no such id in the "
                                 f"content: {', '.join(dangling)}")
            more = dict(extra)
            out[type_name] = [(i, n, s + more.get(i, [])) for i, n, s in rows[type_name]]
            continue
        if type_name == C.TYPE_PREFERENCE and [i for i, _ in extra] != list(C.PREFERENCE_VALUES):
            raise ModelError(f"{_where(source, what)}: lists.{slot} must define exactly "
                             f"{', '.join(C.PREFERENCE_VALUES)} in that order (has "
                             f"{', '.join(i for i, _ in extra) or 'none'})")
        if not extra:
            raise ModelError(f"interaction_model/source: lists.{slot}: slot type {type_name} "
                             "has no values")
        out[type_name] = [(i, phrases[0], phrases[1:]) for i, phrases in extra]
    return out


# --------------------------------------------------------------------------- checks

def _phrases(type_entry: Mapping[str, Any]) -> list[str]:
    return [p for v in type_entry["values"]
            for p in [v["name"]["value"], *v["name"].get("synonyms", [])]]


class _Automaton:
    """All samples of one intent as one word automaton: a trie of their tokens (words, and
    slots standing for every phrase of their type). Two intents share a sentence exactly
    when their automata accept a common word sequence, found by walking both at once
    (`meet`), without listing every slot filling."""

    def __init__(self, intent: str, samples: Iterable[str], slot_types: Mapping[str, str],
                 tries: Mapping[str, dict]):
        self.intent, self.tries = intent, tries
        self.root: dict = {"words": {}, "slots": {}, "sample": None}
        for sample in samples:
            node = self.root
            for token in sample.split():
                slot = _SLOT_TOKEN.match(token)
                if slot:
                    edges, key = node["slots"], slot_types[slot.group(1)]
                else:
                    edges, key = node["words"], token
                node = edges.setdefault(key, {"words": {}, "slots": {}, "sample": None})
            node["sample"] = node["sample"] or sample

    def steps(self, state: tuple) -> dict[str, list[tuple]]:
        """The words allowed from a state, each with the states it leads to. A state is
        ("at", node) between tokens, or ("in", phrase trie node, node after the slot)."""
        out: dict[str, list[tuple]] = {}

        def enter(kids: dict, after: dict) -> None:
            for word, child in kids.items():
                targets = out.setdefault(word, [])
                if child["<kids>"]:
                    targets.append(("in", child, after))
                if child["<end>"]:
                    targets.append(("at", after))

        if state[0] == "in":
            enter(state[1]["<kids>"], state[2])
            return out
        node = state[1]
        for word, child in node["words"].items():
            out.setdefault(word, []).append(("at", child))
        for type_name, child in node["slots"].items():
            enter(self.tries[type_name]["<kids>"], child)
        return out

    def meet(self, other: "_Automaton", limit: int) -> list[tuple[str, str, str]]:
        """Sentences both intents accept: (sentence, our sample, their sample)."""
        found: list[tuple[str, str, str]] = []
        start = (("at", self.root), ("at", other.root))
        seen = {_state_key(start)}
        todo = [(start, ())]
        while todo and len(found) < limit:
            (a, b), words = todo.pop()
            if a[0] == "at" and b[0] == "at" and a[1]["sample"] and b[1]["sample"]:
                found.append((" ".join(words), a[1]["sample"], b[1]["sample"]))
            steps_a, steps_b = self.steps(a), other.steps(b)
            for word in steps_a.keys() & steps_b.keys():
                for na in steps_a[word]:
                    for nb in steps_b[word]:
                        key = _state_key((na, nb))
                        if key not in seen:
                            seen.add(key)
                            todo.append(((na, nb), words + (word,)))
        return found


def _state_key(pair: tuple) -> tuple:
    return tuple(x for state in pair for x in (state[0], *map(id, state[1:])))


def _tries(phrases: Mapping[str, list[str]]) -> dict[str, dict]:
    """A word trie per slot type."""
    out = {}
    for type_name, values in phrases.items():
        root: dict = {"<kids>": {}, "<end>": False}
        for phrase in values:
            node = root
            for word in phrase.split():
                node = node["<kids>"].setdefault(word, {"<kids>": {}, "<end>": False})
            node["<end>"] = True
        out[type_name] = root
    return out


# What Amazon's own slot types stand for in the check below: phrases Alexa fills them with
# (it has no value list of ours), so that "{time}" alone still clashes with "seven" elsewhere.
BUILTIN_SLOT_PHRASES: dict[str, tuple[str, ...]] = {
    C.TYPE_TIME: ("seven", "seven a m", "seven p m", "six thirty", "eight o'clock", "noon",
                  "midday", "midnight", "half past seven", "morning", "tonight", "this evening",
                  "in the morning", "in the evening", "at night", "seven in the morning"),
}


def check_unique(intents: Mapping[str, list[str]], types: Mapping[str, Any]) -> None:
    """No sentence belongs to two intents, with the slots filled by every value, and none
    claims a phrase of Amazon's built-in intents."""
    tries = _tries({**{name: list(p) for name, p in BUILTIN_SLOT_PHRASES.items()},
                    **{name: _phrases(t) for name, t in types.items()}})
    automata = [_Automaton(name, [*samples, *AMAZON_PHRASES.get(name, ())],
                           dict(intent_slots(name)), tries)
                for name, samples in intents.items() if not C.is_free(name)]
    amazon = {(name, p) for name in intents for p in AMAZON_PHRASES.get(name, ())}
    clashes = []
    for i, a in enumerate(automata):
        for b in automata[i + 1:]:
            for text, sa, sb in a.meet(b, limit=3):
                label_a = f"Amazon's {sa!r}" if (a.intent, sa) in amazon else repr(sa)
                label_b = f"Amazon's {sb!r}" if (b.intent, sb) in amazon else repr(sb)
                clashes.append(f"{text!r}: {a.intent} ({label_a}) and {b.intent} ({label_b})")
        if len(clashes) >= 40:
            break
    if clashes:
        raise ModelError("a sample is in two intents (Alexa needs each utterance in one "
                         "intent only; for slots, with every value filled in):\n  "
                         + "\n  ".join(clashes))


def limit_problems(model: Mapping[str, Any], text: str) -> list[str]:
    """Where the model breaks Alexa's limits (LIMITS); empty when it fits."""
    lm = model["interactionModel"]["languageModel"]
    problems = []
    size = len(text.encode("utf-8"))
    if size > MAX_MODEL_BYTES:
        problems.append(f"the model is {size} bytes; Alexa's limit is {MAX_MODEL_BYTES}")
    if len(lm["intents"]) > MAX_INTENTS:
        problems.append(f"{len(lm['intents'])} intents; Alexa's limit is {MAX_INTENTS}")
    if len(lm["intents"]) + len(lm["types"]) > MAX_INTENTS_AND_TYPES:
        problems.append(f"{len(lm['intents']) + len(lm['types'])} intents and slot types; "
                        f"Alexa's limit is {MAX_INTENTS_AND_TYPES}")
    for intent in lm["intents"]:
        n = len(intent["samples"])
        if n > MAX_SAMPLES_PER_INTENT:
            problems.append(f"{intent['name']} has {n} samples; our bound is "
                            f"{MAX_SAMPLES_PER_INTENT}")
        for s in intent["samples"]:
            if len(s) > MAX_SAMPLE_CHARS:
                problems.append(f"{intent['name']}: sample longer than {MAX_SAMPLE_CHARS} "
                                f"characters: {s!r}")
    for t in lm["types"]:
        for phrase in _phrases(t):
            if len(phrase) > MAX_SLOT_VALUE_CHARS:
                problems.append(f"{t['name']}: slot value longer than {MAX_SLOT_VALUE_CHARS} "
                                f"characters: {phrase!r}")
            elif sample_problems(phrase):
                problems.append(f"{t['name']}: slot value {phrase!r}: "
                                + "; ".join(sample_problems(phrase)))
    return problems


# --------------------------------------------------------------------------- building

def build_model(content: Any, source: Mapping[str, Any] | str | Path | None = None,
                warnings: list[str] | None = None) -> dict:
    """The interaction model (ASK CLI v2 JSON as a dict) for `content` and `source`.

    `source` is the merged template source (`load_source()`), or its directory (default:
    the committed one). Anything Alexa would refuse, or a sample in two intents, raises
    `ModelError`; softer problems (a synonym claimed by two values, kept for the first) are
    appended to `warnings`."""
    if source is None or isinstance(source, (str, Path)):
        source = load_source(source or SOURCE_DIR)
    if warnings is None:
        warnings = []
    samples = expand_intents(source, content)
    entries = slot_type_entries(content, source)
    types = []
    for type_name in sorted(entries):
        values = _values_from(entries[type_name], type_name, warnings)
        if not values:
            raise ModelError(f"slot type {type_name} has no values (is the content empty?)")
        types.append({"name": type_name, "values": values})
    check_unique(samples, {t["name"]: t for t in types})
    samples.update(free_samples(samples, _Expander(source),
                                {t["name"]: value_phrases(t) for t in types}))
    intents = []
    for name, intent_samples in samples.items():
        intent: dict[str, Any] = {"name": name, "samples": intent_samples}
        slots = [(s, t) for s, t in intent_slots(name)
                 if name in INTENT_SLOTS or any("{" + s + "}" in x for x in intent_samples)]
        if slots:
            intent["slots"] = [{"name": s, "type": t} for s, t in slots]
        intents.append(intent)
    model = {"interactionModel": {"languageModel": {
        "invocationName": C.INVOCATION_NAME, "intents": intents, "types": types}}}
    problems = limit_problems(model, render(model))
    if problems:
        raise ModelError("the model breaks Alexa's limits:\n  " + "\n  ".join(problems))
    return model


def render(model: Mapping[str, Any]) -> str:
    """The committed text of a model: sorted keys, one element per line (each sample and
    synonym on its own, for readable changes), no indentation, trailing newline: the bytes
    count against Alexa's 1.5 MB, and indentation cost a twentieth of them."""
    return json.dumps(model, indent=0, sort_keys=True, ensure_ascii=False) + "\n"


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


def stats(model: Mapping[str, Any], text: str) -> str:
    """Counts against the limits, for `--stats` and the report."""
    lm = model["interactionModel"]["languageModel"]
    counts = sorted(((len(i["samples"]), i["name"]) for i in lm["intents"]), reverse=True)
    total = sum(n for n, _ in counts)
    longest = max((len(s) for i in lm["intents"] for s in i["samples"]), default=0)
    longest_value = max((len(p) for t in lm["types"] for p in _phrases(t)), default=0)
    lines = [
        f"model bytes        {len(text.encode('utf-8')):>9}  limit {MAX_MODEL_BYTES}",
        f"intents            {len(lm['intents']):>9}  limit {MAX_INTENTS}",
        f"intents + types    {len(lm['intents']) + len(lm['types']):>9}  limit {MAX_INTENTS_AND_TYPES}",
        f"samples            {total:>9}",
        f"most per intent    {counts[0][0]:>9}  limit {MAX_SAMPLES_PER_INTENT} ({counts[0][1]})",
        f"longest sample     {longest:>9}  limit {MAX_SAMPLE_CHARS} characters",
        f"longest slot value {longest_value:>9}  limit {MAX_SLOT_VALUE_CHARS} characters",
        "samples per intent:",
    ]
    lines += [f"  {n:>6}  {name}" for n, name in counts]
    return "\n".join(lines)


# --------------------------------------------------------------------------- command

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m skill model",
        description="Generate the Alexa interaction model of every locale "
                    f"({', '.join(C.LOCALES)}) from the sentence templates in "
                    f"interaction_model/source/{C.LOCALE}/, each locale's overlay beside them, "
                    "and content/.")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a committed model is stale")
    parser.add_argument("--locale", choices=C.LOCALES, default=None,
                        help=f"only this locale (--stats, --sample, --intent: {C.LOCALE} "
                             "unless given)")
    parser.add_argument("--stats", action="store_true",
                        help="print sample counts and size against Alexa's limits")
    parser.add_argument("--sample", metavar="TEMPLATE",
                        help="print what one template expands to (with the source's rules)")
    parser.add_argument("--intent", metavar="NAME", help="print the samples of one intent")
    parser.add_argument("--source", default=str(SOURCE_DIR), help=argparse.SUPPRESS)
    parser.add_argument("--output", default=None, help=argparse.SUPPRESS)
    return parser


def _source_shown(locale: str) -> str:
    base = f"interaction_model/source/{C.LOCALE}/"
    return base if locale == C.LOCALE else f"{base} with interaction_model/source/{locale}/"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    one = args.locale or (C.LOCALE if (args.sample or args.intent or args.stats or args.output)
                          else None)
    locales = (one,) if one else C.LOCALES

    from skill.content import ContentError, load_content  # the loader validates on its own
    base = Path(args.source)
    try:
        sources = {locale: locale_source(locale, base, base.parent) for locale in locales}
        if args.sample:
            for sentence in _Expander(sources[one]).expand(args.sample, "--sample",
                                                            limit=100_000):
                print(sentence)
            return 0
    except ModelError as exc:
        print(f"model: error: {exc}", file=sys.stderr)
        return 1
    try:
        content = load_content()
    except ContentError as exc:
        print(f"model: error: the content is invalid, fix it first:\n{exc}", file=sys.stderr)
        return 1
    status = 0
    for locale in locales:
        output = Path(args.output) if args.output else model_path(locale)
        shown = _shown(output)
        warnings: list[str] = []
        try:
            model = build_model(content, sources[locale], warnings)
            text = render(model)
        except (ModelError, OSError) as exc:
            print(f"model: error: {locale}: {exc}", file=sys.stderr)
            status = 1
            continue
        for warning in warnings:
            print(f"model: warning: {locale}: {warning}", file=sys.stderr)
        if args.intent:
            intent = next((i for i in model["interactionModel"]["languageModel"]["intents"]
                           if i["name"] == args.intent), None)
            if intent is None:
                print(f"model: error: no intent {args.intent}", file=sys.stderr)
                return 1
            print("\n".join(intent["samples"]))
            return 0
        if args.stats:
            print(stats(model, text))
            return 0
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if current == text:
            print(f"model: {shown} is up to date")
        elif args.check:
            state = "missing" if current is None else "stale"
            print(f"model: {shown} is {state}: it does not match {_source_shown(locale)} and "
                  "content/. Run `python -m skill model` (or `make model`) and commit the result.",
                  file=sys.stderr)
            status = 1
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
            print(f"model: wrote {shown}")
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
