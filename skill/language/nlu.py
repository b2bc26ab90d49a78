"""The console's stand-in for Alexa's language understanding: the same sentence templates
(interaction_model/source/<locale>/, through hassil's recognizer) and the same slot values
(from the generated model), so the console understands what the model has, and no more.

Order:
1. the templates, exactly (case, punctuation and spacing do not matter); slots resolve to
   the value ids of the model (ER_SUCCESS_MATCH), and Amazon's own phrases for built-ins;
2. for choosing a routine, a question or a setting, a template with three or more words of
   its own whose one slot holds words that are no value ("start the yoga routine"): the slot
   keeps the words, unresolved (ER_SUCCESS_NO_MATCH), as Alexa does, and the skill says what
   it does not have;
3. typed words with typos, each replaced by the closest word the model knows, then 1 again;
   never to a "no" (nor to SymptomIntent, which may be read as one): a typo must not answer
   the safety question (skill/dialog/gate.py);
4. a sentence that begins with a carrier word of the free-words intents, or ends with a
   closing word ("please"): the rest as their AMAZON.SearchQuery slot, as Alexa sends it
   (the skill reads it: skill/language/reader.py);
5. otherwise AMAZON.FallbackIntent, as a device sends for what the model cannot match.

Used by `python -m skill chat` and its tests.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from hassil import Intents, recognize_all
from hassil.intents import TextSlotList

from skill import constants as C
from skill.language.model import (AMAZON_PHRASES, MODEL_PATH, SOURCE_DIR, load_model,
                                  load_source, locale_source, model_path, spoken_form)

# Step 2: at most this many words may fill a slot with no known value, in a template with at
# least this many words of its own, for intents whose answer says what was not found
# ("I don't have a routine called yoga").
MAX_UNKNOWN_SLOT_WORDS = 5
MIN_KNOWN_WORDS = 3
UNKNOWN_SLOT_INTENTS = frozenset({C.START_ROUTINE, C.QUESTION, C.SET_PREFERENCE})
# Typo correction: words this long or longer, one slip (a letter wrong, missing, extra, or
# two swapped) from a known word; two slips from words of eight letters or more.
TYPO_MIN_LETTERS = 4
# Intents a typo never becomes: a "no", and an answer that describes, which the safety
# question reads as a no when it says "no" and names only mild things (dialog/answers.py).
MAY_BE_NO = frozenset({C.NO, C.SYMPTOM})


def normalize(text: str) -> str:
    """Lower-case words as Alexa would transcribe them (see `skill.language.model.spoken_form`)."""
    return spoken_form(text or "")


_HOURS = ("twelve one two three four five six seven eight nine ten eleven").split()
_MINUTES = {"": 0, "o'clock": 0, "fifteen": 15, "thirty": 30, "forty five": 45}


@lru_cache(maxsize=1)
def time_phrases() -> tuple[tuple[str, str], ...]:
    """Spoken times and what AMAZON.TIME makes of them ("seven p m" -> "19:00"; a bare
    "seven" is 07:00, as Alexa sends it; parts of the day are "MO", "AF", "EV", "NI")."""
    out: dict[str, str] = {"noon": "12:00", "midday": "12:00", "midnight": "00:00",
                           "morning": "MO", "the morning": "MO", "afternoon": "AF",
                           "the afternoon": "AF", "evening": "EV", "the evening": "EV",
                           "night": "NI", "tonight": "NI", "this evening": "EV",
                           "this morning": "MO", "this afternoon": "AF"}
    for h, word in enumerate(_HOURS):
        for said, minute in _MINUTES.items():
            base = f"{word} {said}".strip()
            for tail, shift in (("", 0), (" a m", 0), (" in the morning", 0), (" p m", 12),
                                (" in the evening", 12), (" in the afternoon", 12),
                                (" at night", 12)):
                out.setdefault(base + tail, f"{(h + shift) % 24:02d}:{minute:02d}")
        out.setdefault(f"half past {word}", f"{h:02d}:30")
        out.setdefault(f"quarter past {word}", f"{h:02d}:15")
    return tuple(out.items())


# Amazon's slot types the console understands, as (phrase, value) pairs.
BUILTIN_VALUES = {C.TYPE_TIME: time_phrases}


@dataclass(frozen=True)
class SlotValue:
    name: str                  # slot name
    type: str                  # slot type
    value: str                 # the words heard
    id: str | None = None      # resolved value id (None: ER_SUCCESS_NO_MATCH)
    canonical: str | None = None  # the value's name

    def to_alexa(self, authority_prefix: str = "amzn1.er-authority.echo-sdk.local") -> dict:
        """The slot as it appears in an Alexa IntentRequest (Amazon's own slot types carry
        their resolved value, "19:00", and no entity resolution)."""
        if self.type.startswith("AMAZON."):
            return {"name": self.name, "value": self.id or self.value,
                    "confirmationStatus": "NONE", "source": "USER"}
        authority = f"{authority_prefix}.{self.type}"
        if self.id is not None:
            resolution = {"authority": authority, "status": {"code": "ER_SUCCESS_MATCH"},
                          "values": [{"value": {"name": self.canonical, "id": self.id}}]}
        else:
            resolution = {"authority": authority, "status": {"code": "ER_SUCCESS_NO_MATCH"}}
        return {"name": self.name, "value": self.value, "confirmationStatus": "NONE",
                "source": "USER", "resolutions": {"resolutionsPerAuthority": [resolution]}}


@dataclass
class Match:
    intent: str
    slots: dict[str, SlotValue] = field(default_factory=dict)
    kind: str = "fallback"      # exact | unknown-slot | typo | free | fallback
    sample: str | None = None   # the template that matched

    @property
    def slot_ids(self) -> dict[str, str | None]:
        return {name: s.id for name, s in self.slots.items()}


class Matcher:
    """Templates and slot values of one locale, matched with hassil."""

    def __init__(self, model: Mapping[str, Any], source: Mapping[str, Any] | None = None):
        lm = model["interactionModel"]["languageModel"]
        self.invocation_name = lm["invocationName"]
        source = source if source is not None else load_source(SOURCE_DIR)
        self.intent_slots: dict[str, dict[str, str]] = {
            i["name"]: {s["name"]: s["type"] for s in i.get("slots", [])} for i in lm["intents"]}
        types = {t["name"]: t for t in lm["types"]}
        self.canonical: dict[tuple[str, str], str] = {}
        lists: dict[str, TextSlotList] = {}
        for slot, type_name in {s: t for i in self.intent_slots.values()
                                for s, t in i.items()}.items():
            if type_name in BUILTIN_VALUES:           # Amazon's own type: what Alexa resolves
                lists[slot] = TextSlotList.from_tuples(BUILTIN_VALUES[type_name](),
                                                       allow_template=False, name=slot)
                continue
            pairs = []
            for v in types.get(type_name, {}).get("values", []):
                self.canonical[(type_name, v["id"])] = v["name"]["value"]
                for phrase in [v["name"]["value"], *v["name"].get("synonyms", [])]:
                    pairs.append((phrase, v["id"]))
            lists[slot] = TextSlotList.from_tuples(pairs, allow_template=False, name=slot)
        intents: dict[str, Any] = {}
        for name in self.intent_slots:
            data = []
            templates = list(source["intents"].get(name) or [])
            if templates:
                data.append({"sentences": templates})
            if AMAZON_PHRASES.get(name):
                data.append({"sentences": list(AMAZON_PHRASES[name])})
            if data:
                intents[name] = {"data": data}
        self.intents = Intents.from_dict({
            "language": "en", "intents": intents, "lists": {},
            "expansion_rules": dict(source["expansion_rules"])})
        self.lists = lists
        counts: dict[str, int] = {}
        for words in ([w for s in i["samples"] for w in s.split() if "{" not in w]
                      for i in lm["intents"]):
            for w in words:
                counts[w] = counts.get(w, 0) + 1
        for t in lm["types"]:
            for v in t["values"]:
                for p in [v["name"]["value"], *v["name"].get("synonyms", [])]:
                    for w in p.split():
                        counts[w] = counts.get(w, 0) + 1
        for w in (w for phrases in AMAZON_PHRASES.values() for p in phrases for w in p.split()):
            counts[w] = counts.get(w, 0) + 1
        self.word_counts = counts
        self.free_carriers = {s.split()[0]: i["name"] for i in lm["intents"]
                              if C.is_free(i["name"]) for s in i["samples"]
                              if not s.startswith("{")}
        self.free_closers = {s.split()[-1]: i["name"] for i in lm["intents"]
                             if C.is_free(i["name"]) for s in i["samples"]
                             if s.startswith("{")}
        # a word typed without its apostrophe ("dont") is that word, whatever else is near
        self.unapostrophed = {w.replace("'", ""): w for w in counts if "'" in w}

    @classmethod
    def from_file(cls, path: Path | str = MODEL_PATH, source: Mapping[str, Any] | None = None
                  ) -> "Matcher":
        return cls(load_model(path), source)

    # ------------------------------------------------------------------ matching
    def _slots(self, intent: str, result) -> dict[str, SlotValue]:
        slots = {}
        types = self.intent_slots.get(intent, {})
        for name, entity in result.entities.items():
            if name in types:
                canonical = self.canonical.get((types[name], entity.value))
                slots[name] = SlotValue(name, types[name], entity.text.strip() or str(entity.value),
                                        entity.value, canonical)
        for name, entity in result.unmatched_entities.items():
            if name in types:
                slots[name] = SlotValue(name, types[name], entity.text.strip())
        return slots

    def _exact(self, text: str) -> Match | None:
        for result in recognize_all(text, self.intents, slot_lists=self.lists):
            name = result.intent.name
            return Match(name, self._slots(name, result), "exact",
                         getattr(result.intent_sentence, "text", None))
        return None

    def _unknown_slot(self, text: str) -> Match | None:
        """A template whose own words are all there, with other words in its slot."""
        best = None
        for result in recognize_all(text, self.intents, slot_lists=self.lists,
                                    allow_unmatched_entities=True):
            if (len(result.unmatched_entities) != 1
                    or result.intent.name not in UNKNOWN_SLOT_INTENTS):
                continue
            unknown = " ".join(e.text.strip() for e in result.unmatched_entities.values())
            known_words = len(text.split()) - len(unknown.split())
            if (not unknown or len(unknown.split()) > MAX_UNKNOWN_SLOT_WORDS
                    or known_words < MIN_KNOWN_WORDS):
                continue
            name = result.intent.name
            order = list(self.intent_slots.get(name, {}))
            first = min((order.index(n) for n in result.unmatched_entities if n in order),
                        default=len(order))
            key = (known_words, -first)        # more words of its own; the first slot
            if best is None or key > best[0]:
                best = (key, Match(name, self._slots(name, result), "unknown-slot",
                                   getattr(result.intent_sentence, "text", None)))
        return best[1] if best else None

    def _corrected(self, text: str) -> str:
        """Typed text: each word the model never uses becomes the closest word it does (the
        most used one on a tie)."""
        out = []
        for word in text.split():
            if word in self.word_counts or len(word) < TYPO_MIN_LETTERS:
                out.append(word)
                continue
            if word in self.unapostrophed:
                out.append(self.unapostrophed[word])
                continue
            allowed = 2 if len(word) >= 8 else 1
            best = min(((slips(word, known), -n, known) for known, n in self.word_counts.items()
                        if abs(len(known) - len(word)) <= allowed), default=None)
            out.append(best[2] if best and best[0] <= allowed else word)
        return " ".join(out)

    def match(self, text: str) -> Match:
        norm = normalize(text)
        if not norm:
            return Match(C.FALLBACK)
        exact = self._exact(norm)
        if exact:
            return exact
        corrected = self._corrected(norm)
        if corrected != norm:
            typo = self._exact(corrected)
            if typo and typo.intent not in MAY_BE_NO:   # never a "no" the model did not hear
                typo.kind = "typo"
                return typo
        return self._unknown_slot(norm) or self._free(norm) or Match(C.FALLBACK)

    def _free(self, text: str) -> Match | None:
        """A sentence no template matches, after a carrier word of a free-words intent: the
        rest as its free words (AMAZON.SearchQuery), as Alexa sends it; the skill reads them
        (skill/language/reader.py). Typed as it came: a typo fixed here could make a "no"."""
        first, _, rest = text.partition(" ")
        before, _, last = text.rpartition(" ")
        lead = self.free_carriers.get(first) if rest else None
        tail = self.free_closers.get(last) if before else None
        # as an exact matcher ranks them: the longer carrier word, the leading one on a tie
        if tail and (lead is None or len(last) > len(first)):
            return Match(tail, {C.SLOT_WORDS: SlotValue(C.SLOT_WORDS, C.TYPE_WORDS, before)},
                         "free", f"{{{C.SLOT_WORDS}}} {last}")
        if lead is None:
            return None
        return Match(lead, {C.SLOT_WORDS: SlotValue(C.SLOT_WORDS, C.TYPE_WORDS, rest)}, "free",
                     f"{first} {{{C.SLOT_WORDS}}}")

    # ------------------------------------------------------------------ invocation
    def parse_invocation(self, text: str) -> tuple[bool, str]:
        """Is this a launch phrase? "open back stretch coach" -> (True, "");
        "ask back stretch coach to start the lower back routine" -> (True, "start the lower
        back routine"); anything else -> (False, text)."""
        norm = re.sub(r"^alexa ", "", normalize(text))
        name = re.escape(self.invocation_name)
        if re.match(rf"^(?:(?:open|launch|start|begin|load|play|run|use|talk to) )?{name}$", norm):
            return True, ""
        m = re.match(rf"^(?:ask|tell|open|launch|start|use|have) {name} "
                     r"(?:(?:to|for|about) )?(.+)$", norm)
        if m:
            return True, m.group(1)
        return False, text


def slips(a: str, b: str) -> int:
    """Typing slips between two words: letters wrong, missing or extra, and neighbours
    swapped (the optimal string alignment distance)."""
    prev2, prev = [], list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            d = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                d = min(d, prev2[j - 2] + 1)
            row.append(d)
        prev2, prev = prev, row
    return prev[-1]


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float, locale: str) -> Matcher:
    return Matcher.from_file(path, locale_source(locale))


def default_matcher(path: Path | str | None = None, locale: str = C.LOCALE) -> Matcher:
    """A matcher over a locale's committed model and its templates (the shared ones with the
    locale's overlay), rebuilt when the model file changes."""
    p = Path(path) if path is not None else model_path(locale)
    return _cached(str(p), p.stat().st_mtime, locale)
