"""A small, deterministic stand-in for Alexa's language understanding.

It reads the same interaction model JSON that Alexa gets
(`interaction_model/interactionModels/custom/en-US.json`) and turns typed or transcribed
text into an intent plus slots, resolved against the slot types' values and synonyms the
way Alexa's entity resolution does (ER_SUCCESS_MATCH with the value id, or
ER_SUCCESS_NO_MATCH for a slot filled with words that are not a known value).

Order of preference:
1. an exact sample match whose slots are filled by known values (most literal words wins);
2. an exact sample match with a slot filled by unknown words (Alexa's "no match");
3. the most similar sample by word overlap (slot values found anywhere in the text count
   as their slot), above a threshold;
4. otherwise AMAZON.FallbackIntent.

Used by `python -m skill chat`, the golden-phrase tests and the bench.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from skill import constants as C
from skill.model import MODEL_PATH, load_model, spoken_form

# Words people add that carry no meaning for matching.
FILLERS = frozenset("""
uh um er erm hmm ah oh okay ok so well like just please alexa hey now then actually
""".split())
# Words that weigh less in the overlap score.
LIGHT = frozenset("the a an to of my me i it this that is for and in on do".split())

FUZZY_THRESHOLD = 0.62
MAX_UNKNOWN_SLOT_WORDS = 5


def normalize(text: str) -> str:
    """Lower-case words as Alexa would transcribe them (see `skill.model.spoken_form`)."""
    return spoken_form(text or "")


@dataclass(frozen=True)
class SlotValue:
    name: str                  # slot name
    type: str                  # slot type
    value: str                 # the words heard
    id: str | None = None      # resolved value id (None: ER_SUCCESS_NO_MATCH)
    canonical: str | None = None  # the value's name

    def to_alexa(self, authority_prefix: str = "amzn1.er-authority.echo-sdk.local") -> dict:
        """The slot as it appears in an Alexa IntentRequest."""
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
    score: float = 0.0
    kind: str = "fallback"      # exact | unresolved | fuzzy | fallback
    sample: str | None = None

    @property
    def slot_ids(self) -> dict[str, str | None]:
        return {name: s.id for name, s in self.slots.items()}


@dataclass
class _Sample:
    intent: str
    text: str
    tokens: tuple[str, ...]          # words and "{slot}" placeholders
    literal_count: int
    regex: re.Pattern               # slots as known values
    loose: re.Pattern | None        # slots as any words (None: too few literal words)
    slot_names: tuple[str, ...]
    shape: tuple[str, ...]          # tokens with slots replaced by "{Type}"


class Matcher:
    def __init__(self, model: Mapping[str, Any]):
        lm = model["interactionModel"]["languageModel"]
        self.invocation_name = lm.get("invocationName", C.INVOCATION_NAME)
        self.intent_slots: dict[str, dict[str, str]] = {}
        self.intent_order: list[str] = []
        # type -> phrase -> (id, canonical)
        self.values: dict[str, dict[str, tuple[str, str]]] = {}
        for t in lm.get("types", []):
            table: dict[str, tuple[str, str]] = {}
            for v in t.get("values", []):
                canonical = v["name"]["value"]
                vid = v.get("id") or canonical
                for phrase in [canonical, *v["name"].get("synonyms", [])]:
                    table.setdefault(normalize(phrase), (vid, canonical))
            self.values[t["name"]] = table
        self._type_alt = {
            name: "|".join(re.escape(p) for p in sorted(table, key=len, reverse=True) if p)
            for name, table in self.values.items()
        }
        self.samples: list[_Sample] = []
        self.exact_index: dict[str, list[_Sample]] = {}
        for intent in lm["intents"]:
            name = intent["name"]
            self.intent_order.append(name)
            slots = {s["name"]: s["type"] for s in intent.get("slots", [])}
            self.intent_slots[name] = slots
            for text in intent.get("samples", []):
                sample = self._compile(name, text, slots)
                self.samples.append(sample)
                if not sample.slot_names:
                    self.exact_index.setdefault(" ".join(sample.tokens), []).append(sample)

    @classmethod
    def from_file(cls, path: Path | str = MODEL_PATH) -> "Matcher":
        return cls(load_model(path))

    # ------------------------------------------------------------------ compiling
    def _compile(self, intent: str, text: str, slots: Mapping[str, str]) -> _Sample:
        tokens = tuple(normalize_sample(text).split())
        parts, loose_parts, names, shape = [], [], [], []
        literal = 0
        for tok in tokens:
            m = re.fullmatch(r"\{(\w+)\}", tok)
            if m:
                slot = m.group(1)
                slot_type = slots.get(slot, "")
                alt = self._type_alt.get(slot_type) or r"(?!x)x"
                group = f"s{len(names)}"
                parts.append(f"(?P<{group}>{alt})")
                loose_parts.append(f"(?P<{group}>\\S+(?: \\S+){{0,{MAX_UNKNOWN_SLOT_WORDS - 1}}}?)")
                names.append(slot)
                shape.append("{" + slot_type + "}")
            else:
                parts.append(re.escape(tok))
                loose_parts.append(re.escape(tok))
                literal += 1
                shape.append(tok)
        regex = re.compile("^" + " ".join(parts) + "$")
        loose = re.compile("^" + " ".join(loose_parts) + "$") if names and literal >= 2 else None
        return _Sample(intent, text, tokens, literal, regex, loose, tuple(names), tuple(shape))

    # ------------------------------------------------------------------ matching
    def _slot(self, intent: str, slot: str, words: str) -> SlotValue:
        slot_type = self.intent_slots[intent][slot]
        hit = self.values.get(slot_type, {}).get(words)
        if hit:
            return SlotValue(slot, slot_type, words, hit[0], hit[1])
        return SlotValue(slot, slot_type, words)

    def _from_regex(self, sample: _Sample, m: re.Match) -> dict[str, SlotValue]:
        return {name: self._slot(sample.intent, name, m.group(f"s{i}"))
                for i, name in enumerate(sample.slot_names)}

    def _exact(self, text: str) -> Match | None:
        plain = self.exact_index.get(text)
        if plain:
            s = plain[0]
            return Match(s.intent, {}, 1.0, "exact", s.text)
        best: tuple[int, int, _Sample, dict] | None = None
        for order, s in enumerate(self.samples):
            if not s.slot_names:
                continue
            m = s.regex.match(text)
            if m:
                key = (s.literal_count, -order)
                if best is None or key > best[:2]:
                    best = (s.literal_count, -order, s, self._from_regex(s, m))
        if best:
            return Match(best[2].intent, best[3], 1.0, "exact", best[2].text)
        return None

    def _unresolved(self, text: str) -> Match | None:
        best = None
        for order, s in enumerate(self.samples):
            if s.loose is None:
                continue
            m = s.loose.match(text)
            if m:
                key = (s.literal_count, -order)
                if best is None or key > best[:2]:
                    best = (s.literal_count, -order, s, self._from_regex(s, m))
        if best:
            return Match(best[2].intent, best[3], 0.9, "unresolved", best[2].text)
        return None

    def _spans(self, words: list[str]) -> list[tuple[int, int, str, str]]:
        """Known slot values in the text: (start, end, type, phrase), longest first."""
        found = []
        n = len(words)
        taken = [False] * n
        candidates = []
        for type_name, table in self.values.items():
            for phrase in table:
                pw = phrase.split()
                k = len(pw)
                for i in range(0, n - k + 1):
                    if words[i:i + k] == pw:
                        candidates.append((k, i, type_name, phrase))
        for k, i, type_name, phrase in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
            if any(taken[i:i + k]):
                # the same words may still count for another type at the same place
                if any(f[0] == i and f[1] == i + k for f in found):
                    found.append((i, i + k, type_name, phrase))
                continue
            for j in range(i, i + k):
                taken[j] = True
            found.append((i, i + k, type_name, phrase))
        return found

    @staticmethod
    def _weight(tok: str) -> float:
        if tok.startswith("{"):
            return 1.5
        if tok in LIGHT:
            return 0.4
        return 1.0

    def _similarity(self, a: list[str], b: tuple[str, ...]) -> float:
        ca, cb = {}, {}
        for t in a:
            ca[t] = ca.get(t, 0) + 1
        for t in b:
            cb[t] = cb.get(t, 0) + 1
        common = sum(min(ca[t], cb.get(t, 0)) * self._weight(t) for t in ca)
        total = sum(c * self._weight(t) for t, c in ca.items()) + \
            sum(c * self._weight(t) for t, c in cb.items())
        dice = 2 * common / total if total else 0.0
        ratio = difflib.SequenceMatcher(None, " ".join(a), " ".join(b)).ratio()
        return max(dice, ratio * 0.95)

    def _fuzzy(self, text: str) -> Match | None:
        words = [w for w in text.split() if w not in FILLERS] or text.split()
        spans = self._spans(words)
        best: tuple[float, int, _Sample, list[str]] | None = None
        # Try the text with each type reading of its slot-like words, and without.
        readings = self._readings(words, spans)
        for reading, used in readings:
            for order, s in enumerate(self.samples):
                shape = tuple(t for t in s.shape if t not in FILLERS)
                score = self._similarity(reading, shape)
                types_needed = {t for t in shape if t.startswith("{")}
                # a reading's slot types must exist in the sample's intent
                if any(t not in types_needed for t in used):
                    score -= 0.15 * sum(1 for t in used if t not in types_needed)
                key = (score, -order)
                if best is None or key > best[:2]:
                    best = (score, -order, s, reading)
        if best is None or best[0] < FUZZY_THRESHOLD:
            return None
        score, _, sample, _ = best
        slots: dict[str, SlotValue] = {}
        by_type = {t: n for n, t in self.intent_slots[sample.intent].items()}
        for start, end, type_name, phrase in spans:
            slot = by_type.get(type_name)
            if slot and slot not in slots:
                slots[slot] = self._slot(sample.intent, slot, phrase)
        return Match(sample.intent, slots, round(score, 3), "fuzzy", sample.text)

    def _readings(self, words, spans):
        """Versions of the text with known slot values replaced by their type token."""
        readings = [(list(words), ())]
        if not spans:
            return readings
        # group spans by position; one reading per choice of type at each position
        positions: dict[tuple[int, int], list[str]] = {}
        for start, end, type_name, _ in spans:
            positions.setdefault((start, end), []).append(type_name)
        choices = [[]]
        for pos, types in sorted(positions.items()):
            choices = [c + [(pos, t)] for c in choices for t in types][:16]
        for choice in choices:
            out, used, i = [], [], 0
            starts = {pos[0]: (pos, t) for pos, t in choice}
            while i < len(words):
                if i in starts:
                    (s, e), t = starts[i]
                    out.append("{" + t + "}")
                    used.append("{" + t + "}")
                    i = e
                else:
                    out.append(words[i])
                    i += 1
            readings.append((out, tuple(used)))
        return readings

    def match(self, text: str) -> Match:
        norm = normalize(text)
        if not norm:
            return Match(C.FALLBACK)
        for candidate in _variants(norm):
            m = self._exact(candidate)
            if m:
                return m
        for candidate in _variants(norm):
            m = self._unresolved(candidate)
            if m:
                return m
        m = self._fuzzy(norm)
        if m:
            return m
        return Match(C.FALLBACK, {}, 0.0, "fallback")

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


def normalize_sample(sample: str) -> str:
    """Normalise a sample but keep its {slot} tokens."""
    return " ".join(tok if tok.startswith("{") else normalize(tok) for tok in sample.split()
                    if tok.startswith("{") or normalize(tok))


def _variants(norm: str) -> list[str]:
    """The text, then without filler words at the start/end ("uh", "please", "okay")."""
    out = [norm]
    words = norm.split()
    trimmed = list(words)
    while trimmed and trimmed[0] in FILLERS:
        trimmed = trimmed[1:]
    while trimmed and trimmed[-1] in FILLERS:
        trimmed = trimmed[:-1]
    if trimmed and trimmed != words:
        out.append(" ".join(trimmed))
    inner = [w for w in words if w not in FILLERS]
    if inner and inner != words and inner != trimmed:
        out.append(" ".join(inner))
    return out


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> Matcher:
    return Matcher.from_file(path)


def default_matcher(path: Path | str = MODEL_PATH) -> Matcher:
    p = Path(path)
    return _cached(str(p), p.stat().st_mtime)
