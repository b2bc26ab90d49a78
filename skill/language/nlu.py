"""A small, deterministic stand-in for Alexa's language understanding.

It reads the same interaction model JSON that Alexa gets
(`interaction_model/interactionModels/custom/en-US.json`) and turns typed or transcribed
text into an intent plus slots, resolved against the slot types' values and synonyms the
way Alexa's entity resolution does (ER_SUCCESS_MATCH with the value id, or
ER_SUCCESS_NO_MATCH for a slot filled with words that are not a known value).

Order of preference:
1. an exact sample match whose slots are filled by known values (most literal words wins);
   filler words ("uh", "please", "okay") at the ends are ignored if that makes it exact;
2. otherwise the best of
   - a sample whose literal words match exactly while a slot holds other words (the slot
     is resolved if those words contain a known value, else it is Alexa's "no match"),
     scored by the share of the words the sample explains, and
   - the most similar sample by weighted word overlap (words that tell intents apart
     weigh more; known slot values anywhere in the text count as their slot);
   if that score reaches FUZZY_THRESHOLD;
3. otherwise AMAZON.FallbackIntent.

Used by `python -m skill chat`, the golden-phrase tests and the bench.
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from skill import constants as C
from skill.language.model import MODEL_PATH, load_model, spoken_form

# Words people add that carry no meaning for matching.
FILLERS = frozenset("""
uh um er erm hmm ah oh okay ok so well like just please alexa hey now then actually
""".split())

# A few of the utterances Amazon's built-in intents come with (they need no samples in the
# model); used for built-in intents the model declares, after the model's own samples.
BUILTIN_SAMPLES: dict[str, tuple[str, ...]] = {
    C.NAVIGATE_HOME: ("home", "go home", "go to home", "take me home", "go to the home screen"),
    C.STOP: ("stop", "off", "shut up", "be quiet"),
    C.CANCEL: ("cancel", "never mind"),
    C.HELP: ("help", "help me"),
    C.NEXT: ("next", "skip", "skip forward"),
    C.PREVIOUS: ("previous", "go back", "skip back", "back up"),
    C.REPEAT: ("repeat", "say that again", "repeat that"),
    C.START_OVER: ("start over", "restart", "start again"),
    C.PAUSE: ("pause", "pause that"),
    C.RESUME: ("resume", "continue", "keep going"),
    C.YES: ("yes", "yes please", "sure"),
    C.NO: ("no", "no thanks"),
}

FUZZY_THRESHOLD = 0.55
MAX_UNKNOWN_SLOT_WORDS = 5
SLOT_WEIGHT = 1.5


def normalize(text: str) -> str:
    """Lower-case words as Alexa would transcribe them (see `skill.language.model.spoken_form`)."""
    return spoken_form(text or "")


def stem(word: str) -> str:
    """A crude stemmer, enough to make "cracks", "cracking" and "crack" meet."""
    if word.startswith("{") or len(word) <= 3:
        return word
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                return word
            return word[: -len(suffix)]
    return word


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
    kind: str = "fallback"      # exact | partial | fuzzy | fallback
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
    regex: re.Pattern | None         # slots as known values
    loose: re.Pattern | None         # slots as any words (None: too few literal words)
    slot_names: tuple[str, ...]
    shape: tuple[str, ...]           # stemmed words, slots as "{Type}", no fillers
    filled: dict[str, str] = field(default_factory=dict)  # pseudo-samples: slot -> phrase


class Matcher:
    def __init__(self, model: Mapping[str, Any]):
        lm = model["interactionModel"]["languageModel"]
        self.invocation_name = lm.get("invocationName", C.INVOCATION_NAME)
        self.intent_slots: dict[str, dict[str, str]] = {}
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
        self._by_first: dict[str, list[tuple[str, str, list[str]]]] = {}
        for type_name, table in self.values.items():
            for phrase in table:
                words = phrase.split()
                if words:
                    self._by_first.setdefault(words[0], []).append((type_name, phrase, words))
        self._type_alt = {
            name: "|".join(re.escape(p) for p in sorted(table, key=len, reverse=True) if p)
            for name, table in self.values.items()
        }
        self.samples: list[_Sample] = []
        self.exact_index: dict[str, _Sample] = {}
        for intent in lm["intents"]:
            name = intent["name"]
            slots = {s["name"]: s["type"] for s in intent.get("slots", [])}
            self.intent_slots[name] = slots
            for text in intent.get("samples", []):
                sample = self._compile(name, text, slots)
                self.samples.append(sample)
                if not sample.slot_names:
                    self.exact_index.setdefault(" ".join(sample.tokens), sample)
        literal_known = set(self.exact_index)
        for name, phrases in BUILTIN_SAMPLES.items():
            if name not in self.intent_slots:
                continue
            for phrase in phrases:
                if phrase not in literal_known:
                    sample = self._compile(name, phrase, {})
                    self.samples.append(sample)
                    self.exact_index.setdefault(phrase, sample)
        # A sample that is only a slot ("{topic}") stands for every value of its type: give
        # each value phrase its own entry for the similarity search.
        self.pseudo: list[_Sample] = []
        for s in self.samples:
            if len(s.tokens) == 1 and s.slot_names:
                slot = s.slot_names[0]
                for phrase in self.values.get(self.intent_slots[s.intent][slot], {}):
                    words = tuple(w for w in phrase.split() if w not in FILLERS)
                    self.pseudo.append(_Sample(
                        s.intent, phrase, tuple(phrase.split()), len(words), None, None, (),
                        tuple(stem(w) for w in words), {slot: phrase}))
        self._idf = self._weights()

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
                loose_parts.append(
                    f"(?P<{group}>\\S+(?: \\S+){{0,{MAX_UNKNOWN_SLOT_WORDS - 1}}}?)")
                names.append(slot)
                shape.append("{" + slot_type + "}")
            else:
                parts.append(re.escape(tok))
                loose_parts.append(re.escape(tok))
                literal += 1
                if tok not in FILLERS:
                    shape.append(stem(tok))
        regex = re.compile("^" + " ".join(parts) + "$")
        loose = (re.compile("^" + " ".join(loose_parts) + "$")
                 if names and literal >= 2 else None)
        return _Sample(intent, text, tokens, literal, regex, loose, tuple(names), tuple(shape))

    def _weights(self) -> dict[str, float]:
        """Words found in the samples of few intents weigh more (an inverse document
        frequency over intents)."""
        df: dict[str, set[str]] = {}
        for s in [*self.samples, *self.pseudo]:
            for tok in s.shape:
                df.setdefault(tok, set()).add(s.intent)
        n = max(2, len(self.intent_slots))
        return {tok: 0.3 + math.log(n / len(intents)) / math.log(n)
                for tok, intents in df.items()}

    def _weight(self, tok: str) -> float:
        if tok.startswith("{"):
            return SLOT_WEIGHT
        return self._idf.get(tok, 1.0)

    # ------------------------------------------------------------------ matching
    def _resolve(self, intent: str, slot: str, words: str) -> SlotValue:
        """A slot from the words heard: a known value, or a known value inside the words
        (Alexa's resolution is forgiving too), or no match."""
        slot_type = self.intent_slots[intent][slot]
        table = self.values.get(slot_type, {})
        hit = table.get(words)
        if hit:
            return SlotValue(slot, slot_type, words, hit[0], hit[1])
        padded = f" {words} "
        inside = [p for p in table if f" {p} " in padded]
        if inside:
            best = max(inside, key=len)
            vid, canonical = table[best]
            return SlotValue(slot, slot_type, words, vid, canonical)
        return SlotValue(slot, slot_type, words)

    def _exact(self, text: str) -> Match | None:
        plain = self.exact_index.get(text)
        if plain:
            return Match(plain.intent, {}, 1.0, "exact", plain.text)
        best = None
        for order, s in enumerate(self.samples):
            if not s.slot_names:
                continue
            m = s.regex.match(text)
            if m:
                key = (s.literal_count, -order)
                if best is None or key > best[0]:
                    best = (key, s, m)
        if best:
            _, s, m = best
            slots = {}
            for i, name in enumerate(s.slot_names):
                words = m.group(f"s{i}")
                slot_type = self.intent_slots[s.intent][name]
                vid, canonical = self.values[slot_type][words]
                slots[name] = SlotValue(name, slot_type, words, vid, canonical)
            return Match(s.intent, slots, 1.0, "exact", s.text)
        return None

    def _partial(self, text: str) -> Match | None:
        """Literal words exact, a slot holding other words."""
        n_words = len(text.split())
        best = None
        for order, s in enumerate(self.samples):
            if s.loose is None:
                continue
            m = s.loose.match(text)
            if not m:
                continue
            slots, explained = {}, s.literal_count
            for i, name in enumerate(s.slot_names):
                value = self._resolve(s.intent, name, m.group(f"s{i}"))
                slots[name] = value
                if value.id is not None:
                    known = max((p for p in self.values[value.type] if f" {p} " in f" {value.value} "),
                                key=len, default=value.value)
                    explained += len(known.split())
            score = explained / n_words
            if best is None or (score, -order) > best[0]:
                best = ((score, -order), Match(s.intent, slots, round(score, 3), "partial", s.text))
        return best[1] if best else None

    def _spans(self, words: list[str]) -> list[tuple[int, int, str, str]]:
        """Known slot values in the text: (start, end, type, phrase); longest first, and the
        same words may stand for several types."""
        n = len(words)
        candidates = []
        for i, word in enumerate(words):
            for type_name, phrase, pw in self._by_first.get(word, ()):
                k = len(pw)
                if words[i:i + k] == pw:
                    candidates.append((k, i, type_name, phrase))
        taken = [False] * n
        found: list[tuple[int, int, str, str]] = []
        for k, i, type_name, phrase in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
            if any(taken[i:i + k]):
                if any(f[0] == i and f[1] == i + k for f in found):
                    found.append((i, i + k, type_name, phrase))
                continue
            for j in range(i, i + k):
                taken[j] = True
            found.append((i, i + k, type_name, phrase))
        return found

    def _similarity(self, a: tuple[str, ...], b: tuple[str, ...]) -> float:
        ca: dict[str, int] = {}
        cb: dict[str, int] = {}
        for t in a:
            ca[t] = ca.get(t, 0) + 1
        for t in b:
            cb[t] = cb.get(t, 0) + 1
        w = self._weight
        common = sum(min(c, cb.get(t, 0)) * w(t) for t, c in ca.items())
        total = sum(c * w(t) for t, c in ca.items()) + sum(c * w(t) for t, c in cb.items())
        dice = 2 * common / total if total else 0.0
        if dice >= 0.85:
            return dice
        # typos count (a character-level likeness of 0.85 or more), vague likeness does not
        sm = difflib.SequenceMatcher(None, " ".join(a), " ".join(b))
        if sm.real_quick_ratio() >= 0.85 and sm.quick_ratio() >= 0.85 and sm.ratio() >= 0.85:
            return max(dice, sm.ratio())
        return dice

    def _readings(self, words: list[str], spans) -> list[tuple[tuple[str, ...], dict]]:
        """The text's words (stemmed), and versions with known slot values replaced by their
        type, with the phrase each type token stands for."""
        readings = [(tuple(stem(w) for w in words), {})]
        positions: dict[tuple[int, int], list[tuple[str, str]]] = {}
        for start, end, type_name, phrase in spans:
            positions.setdefault((start, end), []).append((type_name, phrase))
        choices: list[list] = [[]]
        for pos, types in sorted(positions.items()):
            choices = [c + [(pos, t)] for c in choices for t in types][:24]
        for choice in choices:
            if not choice:
                continue
            out, filled, i = [], {}, 0
            starts = {pos[0]: (pos, t) for pos, t in choice}
            while i < len(words):
                if i in starts:
                    (s, e), (type_name, phrase) = starts[i]
                    out.append("{" + type_name + "}")
                    filled.setdefault(type_name, phrase)
                    i = e
                else:
                    out.append(stem(words[i]))
                    i += 1
            readings.append((tuple(out), filled))
        return readings

    def _fuzzy(self, text: str) -> Match | None:
        words = [w for w in text.split() if w not in FILLERS] or text.split()
        readings = self._readings(words, self._spans(words))
        best = None
        for order, s in enumerate([*self.samples, *self.pseudo]):
            for reading, filled in readings:
                score = self._similarity(reading, s.shape)
                if best is None or (score, -order) > best[0]:
                    best = ((score, -order), s, filled)
        if best is None:
            return None
        (score, _), s, filled = best
        slots: dict[str, SlotValue] = {}
        for slot, phrase in s.filled.items():
            slots[slot] = self._resolve(s.intent, slot, phrase)
        by_type = {t: n for n, t in self.intent_slots[s.intent].items()}
        for type_name, phrase in filled.items():
            slot = by_type.get(type_name)
            if slot and slot not in slots:
                slots[slot] = self._resolve(s.intent, slot, phrase)
        return Match(s.intent, slots, round(score, 3), "fuzzy", s.text)

    def match(self, text: str) -> Match:
        norm = normalize(text)
        if not norm:
            return Match(C.FALLBACK)
        variants = _variants(norm)
        for candidate in variants:
            m = self._exact(candidate)
            if m:
                return m
        candidates = [m for m in (self._partial(variants[-1]), self._fuzzy(norm)) if m]
        corrected = self._correct(norm)
        if corrected != norm:                  # typed text with typos
            for candidate in _variants(corrected):
                m = self._exact(candidate)
                if m:
                    m.kind, m.score = "fuzzy", 0.95
                    return m
            for m in (self._partial(_variants(corrected)[-1]), self._fuzzy(corrected)):
                if m:
                    m.score = round(m.score * 0.97, 3)
                    candidates.append(m)
        if candidates:
            best = max(candidates, key=lambda m: m.score)
            if best.score >= FUZZY_THRESHOLD:
                return best
        return Match(C.FALLBACK, {}, 0.0, "fallback")

    def _correct(self, norm: str) -> str:
        """Typed text: replace words the model never uses by the closest word it does."""
        if not hasattr(self, "_vocab"):
            vocab = {w for s in self.samples for w in s.tokens if not w.startswith("{")}
            vocab |= {w for table in self.values.values() for p in table for w in p.split()}
            self._vocab = vocab
            self._vocab_list = sorted(vocab)
        out = []
        for word in norm.split():
            if word in self._vocab or len(word) < 4:
                out.append(word)
                continue
            close = difflib.get_close_matches(word, self._vocab_list, n=1, cutoff=0.75)
            out.append(close[0] if close else word)
        return " ".join(out)

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
    """The text; then without filler words at its ends; then without any filler words."""
    out = [norm]
    words = norm.split()
    trimmed = list(words)
    while trimmed and trimmed[0] in FILLERS:
        trimmed = trimmed[1:]
    while trimmed and trimmed[-1] in FILLERS:
        trimmed = trimmed[:-1]
    if trimmed and " ".join(trimmed) not in out:
        out.append(" ".join(trimmed))
    inner = " ".join(w for w in words if w not in FILLERS)
    if inner and inner not in out:
        out.append(inner)
    return out


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> Matcher:
    return Matcher.from_file(path)


def default_matcher(path: Path | str = MODEL_PATH) -> Matcher:
    """A matcher over the committed model (rebuilt when the file changes)."""
    p = Path(path)
    return _cached(str(p), p.stat().st_mtime)
