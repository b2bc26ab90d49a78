"""Reading free words: what a sentence no sample matches most likely means.

Alexa matches a sentence to the intent whose samples it resembles; a sentence too far from
all of them goes to AMAZON.FallbackIntent, which carries no words, and the skill can only
ask again. So the model has four intents that take the rest of a sentence as free words
(one AMAZON.SearchQuery slot, after a carrier word, or before a closing word such as
"please"; skill/language/model.py makes them): the skill then reads
those words here, against the same samples and slot values the model is made of, the way
Alexa's own model would have read them had it been wider: the nearest samples by the words
they share, rarer words weighing more (tf-idf, cosine), the slot values named in the words
filled in as Alexa would resolve them.

Safety comes before understanding. The reading never turns doubt or unknown words into a
"no": free words are a "no" only after a "no" word ("nah, all good"), when every word is one
our samples of a plain no or a mild feeling use, and none is doubt. Warning signs and
feelings named in free words are read as the describing answer they are (SymptomIntent).

Runtime only: the standard library and the committed model JSON (no hassil), built once per
locale on the first free words (about a second) and kept.
"""
from __future__ import annotations

import json
import math
import re
import threading
from array import array
from collections import defaultdict
from dataclasses import dataclass

from skill import constants as C
from skill.config import REPO_ROOT

MODELS_DIR = REPO_ROOT / "interaction_model" / "interactionModels" / "custom"

# The free-words intents and the word each stands for: a yes word, a no word, or none.
FREE_KINDS = {C.FREE_WORDS: "", C.FREE_YES: "yes", C.FREE_NO: "no", C.FREE_TAIL: "",
              **{name: "" for name in C.FREE_AFTER.values()}}
# A sentence is read as the nearest sample's intent only this close (cosine of tf-idf
# vectors, 0..1): below it, as Alexa would, the skill says it did not understand.
MIN_SCORE = 0.43
# At a question, free words this near a question about the question ("what do you mean",
# "say that again") are that, before any word in them is read as an answer.
ABOUT_THE_QUESTION = frozenset({C.WHY_ASK, C.REPEAT, C.HELP})
SURE_SCORE = 0.6
# Intents free words are never read as: "no" (see above), Alexa's own navigation (a device
# sends those on its own phrases only), and the free intents themselves.
NEVER = frozenset({C.NO, C.FALLBACK, C.NAVIGATE_HOME, *FREE_KINDS})
# Words that put an answer in doubt (with the doubt the samples of UnsureIntent hold), and
# words that take back what came before: after a "no", either keeps it from counting.
DOUBT = frozenset("maybe perhaps possibly probably might guess unsure dunno kinda sorta "
                  "not_sure don't_know i_think think_so can't_remember".split())
TAKE_BACK = frozenset("but though although except apart besides".split())
# Words that turn a "yes" said first into a question of what was meant ("yeah no, all good").
NEGATIONS = frozenset("no nope nah not none nothing never fine".split())
# Feelings that are no warning sign (PainKind ids), as in skill/dialog/answers.py.
MILD = frozenset({"mild"})
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")


def words_of(text: str) -> list[str]:
    return _TOKEN.findall((text or "").lower())


def value_phrases(type_entry: dict) -> list[tuple[str, str]]:
    """(phrase, value id) for every value and synonym of a slot type of the model."""
    return [(p, v["id"]) for v in type_entry["values"]
            for p in [v["name"]["value"], *v["name"].get("synonyms", [])]]


def own_letters(sample: str) -> int:
    """How many characters of a sample are its own words when it matches: what an exact
    matcher such as virtual-alexa ranks matches by (the more wins; the first on a tie)."""
    return len(re.sub(r"\s*\{\w+\}\s*", "", sample))


def slot_first_sentences(samples, slot_types, values, firsts=None) -> dict[str, set]:
    """The sentences of the samples with one slot that begin with it ("{routine}", "{routine}
    for me": "lower back", "something gentle for me") whose first word, as a carrier, would
    outrank the sample's own words, keyed by their words after the first: {rest: {(first,
    intent, slot, id, value)}}. Said so, such a sentence reaches the skill as free words
    without its first word ("back", "gentle for me"): it is read back when one value only
    fits (`read`), and a word that would leave two ("lower back", "upper back") is no
    carrier (model.py). `slot_types(intent)` -> {slot: type}; `values(type)` -> [(phrase,
    id)]; `firsts`: only sentences beginning with one of these words."""
    out: dict[str, set] = defaultdict(set)
    for intent, intent_samples in samples.items():
        types = slot_types(intent)
        for sample in intent_samples:
            m = re.match(r"\{(\w+)\}", sample)
            if not m or m.group(1) not in types or sample.count("{") != 1:
                continue
            tail, own = sample[m.end():], own_letters(sample)
            for phrase, id_ in values(types[m.group(1)]):
                first, _, rest = (phrase + tail).partition(" ")
                if len(first) > own and (firsts is None or first in firsts):
                    out[rest].add((first, intent, m.group(1), id_, phrase))
    return out


def meaning(intent: str, value_id: str) -> tuple:
    """What a sentence of one slot means: a question's topic is its intent (its slots only
    say how it was asked); otherwise the intent and the value."""
    return (intent,) if intent.startswith(C.FAQ_INTENT_PREFIX) else (intent, value_id)


@dataclass(frozen=True)
class Reading:
    intent: str
    slots: dict          # slot name -> (words heard, (value id,))
    score: float


class _Index:
    """The samples of one locale's model as tf-idf vectors, with an inverted index."""

    def __init__(self, model: dict, content=None):
        lm = model["interactionModel"]["languageModel"]
        lm_intents = {i["name"]: i for i in lm["intents"]}
        pairs = {t["name"]: value_phrases(t) for t in lm["types"]}
        self.values: dict[tuple[str, ...], list[tuple[str, str]]] = defaultdict(list)
        for type_name, phrases in pairs.items():
            for phrase, id_ in phrases:
                key = tuple(words_of(phrase))
                if key and (type_name, id_) not in self.values[key]:
                    self.values[key].append((type_name, id_))
        self.longest = max((len(k) for k in self.values), default=1)
        self.carriers = {name: {x.split()[0] for x in intent["samples"]}
                         for intent in lm["intents"] if (name := intent["name"]) in FREE_KINDS}
        self.whole = slot_first_sentences(
            {i["name"]: i["samples"] for i in lm["intents"] if i["name"] not in FREE_KINDS},
            lambda name: {s["name"]: s["type"] for s in lm_intents[name].get("slots", [])},
            lambda type_: pairs.get(type_, ()), set().union(*self.carriers.values()))
        self.slot_types: dict[str, dict[str, str]] = {}
        docs: list[tuple[str, list[str]]] = []
        self.fixed: dict[int, dict] = {}   # a document's own slots (a routine's description)
        for intent in lm["intents"]:
            name = intent["name"]
            types = {s["name"]: s["type"] for s in intent.get("slots", [])}
            self.slot_types[name] = types
            if name in NEVER and name != C.NO:
                continue
            for sample in intent["samples"]:
                docs.append((name, self._features(sample, types)))
        for name, text, fixed in _content_documents(content):
            self.fixed[len(docs)] = fixed
            docs.append((name, _grams(self.spot(words_of(text))[0])))
        # A word weighs by how few intents use it (not samples: an intent of many samples,
        # such as choosing a routine, would make its own words look common).
        used_by: dict[str, set] = defaultdict(set)
        for name, feats in docs:
            for f in feats:
                used_by[f].add(name)
        n = len({name for name, _ in docs})
        self.idf = {f: math.log((n + 1) / (len(c) + 1)) + 1.0 for f, c in used_by.items()}
        self.unseen = math.log(n + 1) + 1.0
        self.intents = [name for name, _ in docs]
        lists: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
        for i, (_, feats) in enumerate(docs):
            for f, w in self._vector(feats).items():
                lists[f][0].append(i)
                lists[f][1].append(w)
        # (documents, weights) per feature, as packed arrays: a fraction of the memory
        self.postings = {f: (array("I", ids), array("f", ws)) for f, (ids, ws) in lists.items()}
        # Words a plain "no" or a mild answer may carry: those of the samples of a no, a
        # thanks and a describing answer, and of the values that say where, when, at what
        # and how mildly it is felt (a warning sign is a value of its own, never here).
        self.no_words = {w for name, feats in docs if name in (C.NO, C.SYMPTOM, C.THANKS)
                         for w in feats if " " not in w and not w.startswith("§")}
        for type_name in (C.TYPE_PART, C.TYPE_WHEN, C.TYPE_HABIT, C.TYPE_TROUBLE, C.TYPE_PAIN):
            for phrase, id_ in pairs.get(type_name, ()):
                if type_name != C.TYPE_PAIN or id_ in MILD:
                    self.no_words.update(words_of(phrase))

    @staticmethod
    def _features(sample: str, types: dict[str, str]) -> list[str]:
        tokens = []
        for part in sample.split():
            m = re.fullmatch(r"\{(\w+)\}", part)
            tokens.append("§" + types.get(m.group(1), m.group(1)) if m else part)
        return _grams(tokens)

    def _vector(self, feats: list[str]) -> dict[str, float]:
        tf: dict[str, float] = defaultdict(float)
        for f in feats:
            tf[f] += 1.0
        vec = {f: c * self.idf.get(f, self.unseen) for f, c in tf.items()}
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        return {f: w / norm for f, w in vec.items() if w}

    def spot(self, words: list[str]) -> tuple[list[str], list[tuple[str, str, str]]]:
        """The words with each slot value in them replaced by its types' tokens, and the
        values found: (type, id, words), longest first, left to right."""
        out, found, i = [], [], 0
        while i < len(words):
            for n in range(min(self.longest, len(words) - i), 0, -1):
                key = tuple(words[i:i + n])
                if key in self.values:
                    for type_, id_ in self.values[key]:
                        found.append((type_, id_, " ".join(key)))
                    out.append("§" + "|".join(sorted({t for t, _ in self.values[key]})))
                    i += n
                    break
            else:
                out.append(words[i])
                i += 1
        return out, found

    def scores(self, words: list[str]) -> dict[int, float]:
        """Each document's nearness to the words (cosine), for those sharing a feature."""
        # The words as said, and with the slot values in them as their types: a sample is
        # as near as the closer of the two ("stenosis" in its words, or "with {condition}").
        tokens, _ = self.spot(words)
        scores: dict[int, float] = defaultdict(float)
        for feats in {tuple(_grams(words)), tuple(_grams(tokens))}:
            # A word none of our samples or values has counts against every sample (as rare
            # as a word can be): a sentence mostly about something else is near none.
            q = self._vector([f for f in feats if f in self.idf or " " not in f])
            these: dict[int, float] = defaultdict(float)
            for f, w in q.items():
                ids, weights = self.postings.get(f, ((), ()))
                for i, dw in zip(ids, weights):
                    these[i] += w * dw
            for i, v in these.items():
                scores[i] = max(scores[i], v)
        return scores

    def nearest(self, scores: dict[int, float], allowed=None) -> tuple[str | None, float, dict]:
        """The nearest document's intent, nearness and own slots (of `allowed` intents)."""
        best, best_score = None, 0.0
        for i, s in scores.items():
            if s > best_score and (allowed is None or self.intents[i] in allowed):
                best, best_score = i, s
        if best is None:
            return None, 0.0, {}
        return self.intents[best], best_score, self.fixed.get(best, {})


def _grams(tokens: list[str]) -> list[str]:
    """Words and pairs of words (a slot's tokens as `§Type`; a value of several types
    counts as each of them)."""
    options = [t[1:].split("|") if t.startswith("§") else [t] for t in tokens]
    options = [["§" + o for o in opts] if t.startswith("§") else opts
               for t, opts in zip(tokens, options)]
    feats = [o for opts in options for o in opts]
    for a, b in zip(options, options[1:]):
        feats.extend(f"{x} {y}" for x in a for y in b)
    return feats


def _content_documents(content) -> list[tuple[str, str, dict]]:
    """What the content says of each routine and question, read like samples: a routine by
    its name, description and stretches ("the one where you hug your knees"), a topic by
    its names. (intent, text, the slots it fills)."""
    if content is None:
        return []
    out = []
    for r in content.routines.values():
        fills = {C.SLOT_ROUTINE: (r.name, (r.id,))}
        texts = {r.description, *(w for item in r.items
                                  for w in (item.exercise.name, *item.exercise.synonyms))}
        out.extend((C.START_ROUTINE, text, fills) for text in sorted(texts))
    for topic_id, faq in content.faq.items():
        out.extend((C.faq_intent(topic_id), text, {}) for text in (faq.topic, *faq.synonyms))
    return out


_LOCK = threading.Lock()
_INDEXES: dict[tuple, _Index] = {}


def index_for(locale: str | None, content=None) -> _Index:
    """The index of a locale's model (and of `content`, the skill's, if given), built on
    first use and kept."""
    path = MODELS_DIR / f"{locale}.json"
    if not locale or not path.is_file():
        path = MODELS_DIR / f"{C.LOCALE}.json"
    # the content by what it is (its directory and locale), not by the object's identity,
    # which Python may give a later object once this one is gone
    key = (str(path), getattr(content, "directory", None), getattr(content, "locale", None))
    with _LOCK:
        if key not in _INDEXES:
            with open(path, encoding="utf-8") as fh:
                _INDEXES[key] = _Index(json.load(fh), content)
        return _INDEXES[key]


def read(intent: str, words: str, *, answering: bool, locale: str | None = None,
         content=None) -> Reading:
    """What free words mean: `intent` is the free intent they came in (its kind: after a yes
    word, a no word, or another word), `answering` whether a yes/no question is open (the
    safety or the pain question); `content` adds what it says of routines and questions."""
    idx = index_for(locale, content)
    kind = FREE_KINDS.get(intent, "")
    heard = words_of(words)
    meant = next((i for i, free in C.FREE_AFTER.items() if free == intent), None)
    if answering and meant == C.UNSURE:     # "maybe...", "probably...": doubt, whatever else
        return Reading(C.UNSURE, {}, 1.0)
    if (intent == C.FREE_TAIL or meant) and heard:   # the sentence from its start, or after
        for said_kind, free in (("yes", C.FREE_YES), ("no", C.FREE_NO)):  # "ow": its yes or no
            if heard[0] in idx.carriers.get(free, ()):
                kind, heard = said_kind, heard[1:]
                break
    whole = {(i, slot, id_, phrase) for first, i, slot, id_, phrase
             in idx.whole.get(" ".join(heard), ()) if first in idx.carriers.get(intent, ())}
    if len({meaning(w[0], w[2]) for w in whole}) == 1:   # a sentence of ours, its first word
        i, slot, id_, phrase = min(whole)                # the carrier
        return Reading(i, {slot: (phrase, (id_,))}, 1.0)
    said = ([kind] if kind else []) + heard
    if not heard and kind:
        return Reading(C.YES if kind == "yes" else C.NO, {}, 1.0)
    tokens, found = idx.spot(heard)
    scores = idx.scores(said)
    signs = [(t, i, w) for t, i, w in found if t == C.TYPE_SIGN
             or (t == C.TYPE_PAIN and i not in MILD)]
    mild = [(t, i, w) for t, i, w in found if t == C.TYPE_PAIN and i in MILD]
    if answering:
        pairs = {f"{a}_{b}" for a, b in zip(heard, heard[1:])}
        near, near_score, _ = idx.nearest(scores)
        if near in ABOUT_THE_QUESTION and near_score >= SURE_SCORE:
            return Reading(near, {}, near_score)    # "what do you mean by shooting": asked again
        if DOUBT & (set(heard) | pairs) or (not kind and near == C.UNSURE
                                            and near_score >= MIN_SCORE):
            return Reading(C.UNSURE, {}, 1.0)   # doubt, whatever else: an unclear answer
        if kind == "no" and _denied(idx, heard, tokens):  # "no sharp pain", "no pain at all": the
            return Reading(C.NO, {}, 1.0)          # question's own words, denied
        if signs:                               # a described yes, whatever word came first
            return Reading(C.SYMPTOM, _slots(idx, C.SYMPTOM, found, kind), 1.0)
        if kind == "no":
            if set(heard) <= idx.no_words and not TAKE_BACK & set(heard):
                # "nah, all good", "no, just stiff"
                return Reading(C.SYMPTOM, _slots(idx, C.SYMPTOM, found, kind), 1.0) \
                    if mild else Reading(C.NO, {}, 1.0)
            return Reading(C.FALLBACK, {}, 0.0)
        if kind == "yes":
            if NEGATIONS & set(heard):          # "yeah no, I'm fine": which is it?
                return Reading(C.FALLBACK, {}, 0.0)
            return Reading(C.YES, {}, 1.0)
    allowed = set(idx.slot_types) - NEVER
    best, score, fixed = idx.nearest(scores, allowed)
    if meant and not answering and (best is None or score < SURE_SCORE):
        return Reading(meant, {}, 1.0)      # "repeat the bit about the knees": a repeat, unless
                                            # the rest clearly says otherwise ("done for today")
    if best is None or score < MIN_SCORE:
        return Reading(C.FALLBACK, {}, score)
    # At a question, an answer like the describing ones ("i hurt it lifting a box") is one
    # (skill/dialog/answers.py reads it: a yes unless all it names is mild after a no).
    return Reading(best, {**fixed, **_slots(idx, best, found, kind)}, score)


def _denied(idx: _Index, heard: list[str], tokens: list[str]) -> bool:
    """After a "no": one warning sign or feeling named first and nothing else of note, as
    the safety question's samples have it ("no numbness"): "no sharp pain", "no pain at all".
    A second sign, a "but", doubt or a word we do not know keep it from counting. (`tokens`:
    `heard` with its slot values spotted.)"""
    first = tokens[0] if tokens else ""
    if not first.startswith("§") or not {C.TYPE_SIGN, C.TYPE_PAIN} & set(first[1:].split("|")):
        return False
    rest = tokens[1:]
    return (not any(t.startswith("§") and {C.TYPE_SIGN, C.TYPE_PAIN} & set(t[1:].split("|"))
                    for t in rest)
            and all(t.startswith("§") or t in idx.no_words for t in rest)
            and not (TAKE_BACK | DOUBT) & set(heard))


def _slots(idx: _Index, intent: str, found, kind: str) -> dict:
    types = idx.slot_types.get(intent, {})
    out = {}
    for slot, type_ in types.items():
        for t, id_, w in found:
            if t == type_ and slot not in out:
                out[slot] = (w, (id_,))
    if C.SLOT_ANSWER in types and kind and C.SLOT_ANSWER not in out:
        out[C.SLOT_ANSWER] = (kind, (kind,))
    return out
