"""Reading free words: what a sentence no sample matches most likely means.

Alexa matches a sentence to the intent whose samples it resembles; a sentence too far from
all of them goes to AMAZON.FallbackIntent, which carries no words, and the skill can only
ask again. So the model has intents that take the rest of a sentence as free words (one
AMAZON.SearchQuery slot, after a carrier word, or before a closing word such as "please";
a word that matters, such as "not" or "lower", in an intent of its own that says it again;
skill/language/model.py makes them): the skill then reads those words here, against the
same samples and slot values the model is made of, the way Alexa's own model would have
read them had it been wider: the nearest samples by the words they share, rarer words
weighing more (tf-idf, cosine), the slot values named in the words filled in as Alexa
would resolve them.

Safety comes before understanding. The reading never turns doubt or unknown words into a
"no": free words are a "no" only when said as one and every warning sign in them is denied
("no numbness or tingling", `_plain_no`); doubt, a "but", a hedge or a word we do not know
keep it from counting. Warning signs and feelings named in free words are read as the
describing answer they are (SymptomIntent); doubt that still names a sign is a cautious
yes; in a routine, a pain told is the pain question.

Where the skill is matters: in a routine, words near a routine start another only when sure
of it; at the menu, a stretch's command gives way to the routine a sentence names.

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
# Intents that mean little without the thing they name (a routine, a setting, a topic)
NAMES_A_THING = frozenset({C.START_ROUTINE, C.SET_PREFERENCE, C.QUESTION})
# Intents free words are never read as: "no" (see above), Alexa's own navigation (a device
# sends those on its own phrases only), and the free intents themselves.
NEVER = frozenset({C.NO, C.FALLBACK, C.NAVIGATE_HOME, *FREE_KINDS})
# Words that put an answer in doubt (with the doubt the samples of UnsureIntent hold), and
# words that take back what came before: after a "no", either keeps it from counting.
DOUBT = frozenset("maybe perhaps possibly probably might guess unsure dunno kinda sorta "
                  "not_sure don't_know i_think think_so can't_remember not_really not_exactly "
                  "no_idea could_be might_be".split())
# Doubt that still says a sign was there ("kinda numb", "i think i had a fall", "probably
# a fall"): with a sign named and not denied, a cautious yes ("not sure if it was sharp"
# stays doubt)
ASSERTING = frozenset("kinda sorta i_think probably".split())
# "i don't know why" says what is not known about a sign ("i've lost weight and i don't know
# why"), not whether there was one: no doubt of the answer
KNOWN_UNKNOWN = frozenset({"why"})
TAKE_BACK = frozenset("but though although except apart besides".split())
# Words that turn a "yes" said first into a question of what was meant ("yeah no, all good").
NEGATIONS = frozenset("no nope nah not none nothing never fine".split())
# A plain "no" at a question (`_plain_no`): words that deny what follows them, as an answer
# ("no numbness", "nothing like that", "none of those") or inside a sentence ("not sharp",
# "haven't had any falls"); the words a denial reaches across ("no numbness or tingling in
# my legs"); words that say all is well, unless denied ("i'm fine", "all good"; "not fine");
# and words that make the answer uncertain, partial or about another time ("not that i
# know of", "not anymore", "never until last week"): with them it is asked again.
ANSWER_NO = frozenset("no nope nah naw nay none nothing negative neither nor nowt".split())
DENY = frozenset("not never without haven't hasn't hadn't don't doesn't didn't isn't wasn't "
                 "aren't weren't won't".split())
REACH = frozenset("or nor and any of the my a an in at all really that those these them kind "
                  "sort had have has got felt noticed been feel feeling either real anything"
                  .split())
FINE = frozenset("fine alright good great healthy".split())
HEDGE = frozenset("sure know remember think guess tell say recall certain idea until till "
                  "since anymore used lately recently sometimes occasionally".split())
SAID_YES = frozenset("yes yeah yep yup yea aye affirmative".split())
# The word a meaning's carrier stands for, weighed with the rest: "stop reminding me to
# stretch" is near "stop reminding me", not "remind me to stretch".
# (Only where every carrier word means the same: "done for today" is no "next".)
SAID_FOR = {C.STOP: "stop", C.REPEAT: "repeat", C.PAUSE: "pause", C.THANKS: "thanks",
            C.PAIN: "ow"}
# Values of several words that hide the values inside them ("cracking my back", "my lower
# back"): the second look at a sentence (`_Index.segments`) sees their parts instead
PARTED = frozenset({C.TYPE_TOPIC, C.TYPE_TROUBLE})
# Commands said of the stretch under way: at the menu, with a routine, area, place or
# scene named, a routine is what is asked for
IN_A_ROUTINE = frozenset({C.TOO_HARD, C.REPEAT, C.NEXT, C.PREVIOUS, C.PAUSE, C.EXPLAIN_STRETCH,
                          C.TELL_ME_MORE, C.START_OVER})
NAMES_A_ROUTINE = frozenset({C.TYPE_ROUTINE, C.TYPE_AREA, C.TYPE_POSITION, C.TYPE_SCENE})
# A question's topic named in this many words or more ("why does my back crack") is the
# question asked, when the sentence is near some question
TOPIC_WORDS = 4
# Words that, between two settings or routines, take back the first ("longer no shorter")
TAKE_BACK_WORDS = frozenset("no not sorry nope actually".split())
# Words with which people take back what they just said and say it again ("the desk one no
# wait the upper back one"): what they meant is what follows the last of them.
CORRECTIONS = ("no wait", "wait no", "oh wait", "i mean", "i meant", "sorry i mean",
               "scratch that", "or rather", "make that", "no sorry", "sorry no", "let me rephrase",
               "no actually", "actually no", "let me think", "let me see", "lemme think")
# A "not" that is an answer whole ("not at all, that felt lovely")
NOT_ANSWERS = ("not at all", "not one", "not a thing", "not any", "not in the slightest",
               "not really")
# Words of a question about the question: with them a "no" is no answer ("no, i don't
# understand", "no what do you mean"); the question is asked again.
ABOUT = frozenset("understand mean meant catch caught hear heard repeat again pardon explain "
                  "clarify question questions confused what what's why how said missed "
                  "unclear".split())
# What a denial alone ("i didn't", "don't") must reach to be an answer: a sign, or the
# question's own "any of those" ("i haven't had any of those"; not "i didn't understand").
ASKED = frozenset("any those these them anything".split())
# The values that may be said with one word more inside them (`_Index.segments`).
GAPPED = frozenset({C.TYPE_PREFERENCE, C.TYPE_ROUTINE, C.TYPE_SCENE, C.TYPE_POSITION})
# Sounds and words that say nothing at all ("what good does stretching even do honestly"):
# left out when a sentence is weighed against the samples
NOISE = frozenset("um uh er erm hmm literally honestly basically ngl".split())
# Words as a speech recogniser may write them, and spoken contractions, as our samples
# spell them ("the desk brake", "i wanna stop")
SAID_AS = {"brake": ("break",), "brakes": ("breaks",), "nex": ("next",),
           "wanna": ("want", "to"), "gonna": ("going", "to"), "gotta": ("got", "to"),
           "lemme": ("let", "me"), "gimme": ("give", "me"), "cuz": ("because",),
           "cos": ("because",), "coz": ("because",), "u": ("you",), "ur": ("your",),
           "grand": ("fine",)}             # Irish "i'm grand", "is it grand to..."
# What a word passed over leaves (`_unparticled`): a pause, which ends a denial
PAUSE = ","
# Words people put before or inside an answer that change nothing of it ("like no it was
# literally fine", "um yeah", "honestly no"): passed over to find the yes or no said first;
# inside a denial they end it ("no, um, numbness").
FILLERS = frozenset("um uh er erm hmm oh ah so well okay ok like literally honestly basically "
                    "actually really just yo right alright look listen hey".split()) | {PAUSE}
# Feelings that are no warning sign (PainKind ids), as in skill/dialog/answers.py.
MILD = frozenset({"mild"})
# Words of regional English that close or open a sentence and change nothing of it ("no po",
# "no lah none", "nope none of those eh", "repeat abeg", "ngl i crack my back a lot"),
# wherever they are said; and the words people call each other, after a yes or no or at the
# end ("nah love, nowt like that", "no mate"): passed over as a pause (`_unparticled`).
PARTICLES = frozenset("po lah la leh lor o eh abeg sha ngl innit".split())
VOCATIVES = frozenset("love pet hun dear mate bro dude man sir maam ma'am madam luv babe "
                      "darling son lad lass boss".split())
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
        self.untopical = {k: kinds for k, v in self.values.items()
                          if (kinds := [x for x in v if x[0] not in PARTED])}
        self.carriers = {name: {x.split()[0] for x in intent["samples"]}
                         for intent in lm["intents"] if (name := intent["name"]) in FREE_KINDS}
        self.answers = self.carriers.get(C.FREE_YES, set()) | self.carriers.get(C.FREE_NO, set())
        # the word each kept-word intent stands for (C.free_kept_intent)
        self.kept = {intent["name"]: intent["samples"][0].split()[0] for intent in lm["intents"]
                     if intent["name"].startswith(C.FREE_KEPT_PREFIX) and intent["samples"]}
        self.whole = slot_first_sentences(
            {i["name"]: i["samples"] for i in lm["intents"] if not C.is_free(i["name"])},
            lambda name: {s["name"]: s["type"] for s in lm_intents[name].get("slots", [])},
            lambda type_: pairs.get(type_, ()),
            set().union(*self.carriers.values(), self.kept.values()))
        self.slot_types: dict[str, dict[str, str]] = {}
        docs: list[tuple[str, list[str]]] = []
        self.fixed: dict[int, dict] = {}   # a document's own slots (a routine's description)
        # Every word our samples and values use: a word beyond them keeps a "no" from counting
        self.known: set[str] = {w for key in self.values for w in key}
        for intent in lm["intents"]:
            name = intent["name"]
            types = {s["name"]: s["type"] for s in intent.get("slots", [])}
            self.slot_types[name] = types
            if (name in NEVER and name != C.NO) or C.is_free(name):
                continue
            for sample in intent["samples"]:
                docs.append((name, self._features(sample, types)))
                self.known.update(w for w in sample.split() if "{" not in w)
        for name, text, fixed in _content_documents(content):
            self.fixed[len(docs)] = fixed
            docs.append((name, _grams(self.spot(words_of(text))[0])))
            self.known.update(words_of(text))
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

    @staticmethod
    def _features(sample: str, types: dict[str, str]) -> list[str]:
        tokens = []
        for part in sample.split():
            m = re.fullmatch(r"\{(\w+)\}", part)
            tokens.append("§" + types.get(m.group(1), m.group(1)) if m else part)
        return _grams(tokens)

    def _vector(self, feats: list[str]) -> dict[str, float]:
        """A document's features weighed and normalised."""
        vec = self._raw(feats)
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        return {f: w / norm for f, w in vec.items() if w}

    def segments(self, words: list[str], plain_topics: bool = False
                 ) -> list[tuple[str, list[tuple[str, str]]]]:
        """The words in order, each slot value in them as one piece: (words, [(type, id)]),
        a word no value begins as (word, []); longest values first, left to right. A value
        of a setting, routine or place may have one word more inside it ("turn off the
        chime sounds"), as Alexa's own slot resolution allows; a sign or feeling never.
        `plain_topics`: a question's topic or a complaint is no value ("should i avoid
        cracking my back": "cracking", "my", "back"), for a second look at the words."""
        values = self.untopical if plain_topics else self.values
        out, i = [], 0
        while i < len(words):
            for n in range(min(self.longest, len(words) - i), 0, -1):
                key = tuple(words[i:i + n])
                if key in values:
                    gap = self._gapped(words, i, n)
                    if gap:
                        out.append(gap)
                        i += len(gap[0].split())
                    else:
                        out.append((" ".join(key), values[key]))
                        i += n
                    break
            else:
                gap = self._gapped(words, i, 0)
                out.append(gap or (words[i], []))
                i += len(gap[0].split()) if gap else 1
        return out

    def names_pain(self, words: list[str]) -> bool:
        """Whether a feeling that is no mild one is named anywhere in the words, inside a
        longer value too ("my back's really sore", a scene, says "really sore")."""
        return any(t == C.TYPE_PAIN and id_ not in MILD
                   for i in range(len(words))
                   for n in range(1, min(self.longest, len(words) - i) + 1)
                   for t, id_ in self.values.get(tuple(words[i:i + n]), ()))

    def _gapped(self, words: list[str], i: int, exact: int):
        """A value of GAPPED type said from words[i] with one word more inside, longer than
        the `exact` words a value matched there: (words, [(type, id)]) or None."""
        for n in range(min(self.longest, len(words) - i - 1), max(exact, 1), -1):
            span = words[i:i + n + 1]
            for skip in range(1, n):
                if span[skip] in DENY or span[skip] in ANSWER_NO:
                    continue
                key = tuple(span[:skip] + span[skip + 1:])
                kinds = [k for k in self.values.get(key, ()) if k[0] in GAPPED]
                if kinds:
                    return " ".join(span), kinds
        return None

    def spot(self, words: list[str], segments=None
             ) -> tuple[list[str], list[tuple[str, str, str]]]:
        """The words with each slot value in them replaced by its types' tokens, and the
        values found: (type, id, words), longest first, left to right (from `segments`,
        the words' own, if already made). A question's topic is also a token of its own
        ("QuestionTopic:stenosis"): a sentence naming it is nearest that question's names,
        not every question's."""
        out, found = [], []
        for text, kinds in segments if segments is not None else self.segments(words):
            if kinds:
                found.extend((type_, id_, text) for type_, id_ in kinds)
                types = {t for t, _ in kinds} | {f"{t}:{i}" for t, i in kinds
                                                 if t == C.TYPE_TOPIC}
                out.append("§" + "|".join(sorted(types)))
            else:
                out.append(text)
        return out, found

    def scores(self, words: list[str], tokens: list[str] | None = None,
               *more: list[str]) -> dict[int, float]:
        """Each document's nearness to the words (cosine), for those sharing a feature
        (`tokens`: the words spotted, if already done; `more`: other ways of spotting)."""
        # The words as said, and with the slot values in them as their types: a sample is
        # as near as the closest of them ("stenosis" in its words, or "with {condition}").
        if tokens is None:
            tokens, _ = self.spot(words)
        # A word none of our samples or values has counts against every sample (as rare as a
        # word can be): a sentence mostly about something else is near none.
        queries = [{f: w for f, w in self._raw(_grams(ts)).items()
                    if f in self.idf or " " not in f} for ts in (words, tokens, *more)]
        norms = [math.sqrt(sum(w * w for w in q.values())) or 1.0 for q in queries]
        # the features all share are summed once (most of them: the common words)
        shared = {f: w for f, w in queries[0].items()
                  if all(q.get(f) == w for q in queries[1:])}
        common = self._dot(shared)
        own = [self._dot({f: w for f, w in q.items() if f not in shared}) for q in queries]
        scores: dict[int, float] = {}
        for i in set(common).union(*own):
            c = common.get(i, 0.0)
            scores[i] = max((c + o.get(i, 0.0)) / n for o, n in zip(own, norms))
        return scores

    def _raw(self, feats: list[str]) -> dict[str, float]:
        """A sentence's features weighed (tf-idf), not yet normalised."""
        tf: dict[str, float] = defaultdict(float)
        for f in feats:
            tf[f] += 1.0
        return {f: c * self.idf.get(f, self.unseen) for f, c in tf.items()}

    def _dot(self, q: dict[str, float]) -> dict[int, float]:
        """Each document's dot product with the weighed features `q`."""
        out: dict[int, float] = defaultdict(float)
        postings = self.postings
        for f, w in q.items():
            ids, weights = postings.get(f, ((), ()))
            for i, dw in zip(ids, weights):
                out[i] += w * dw
        return out

    def nearest(self, scores: dict[int, float], allowed=None) -> tuple[str | None, float, dict]:
        """The nearest document's intent, nearness and own slots (of `allowed` intents)."""
        best, best_score = None, 0.0
        for i, s in scores.items():
            if s > best_score and (allowed is None or self.intents[i] in allowed):
                best, best_score = i, s
        if best is None:
            return None, 0.0, {}
        return self.intents[best], best_score, self.fixed.get(best, {})


def stem(word: str) -> str:
    """A word without the endings English adds to it ("realigns", "realigned", "realigning":
    "realign"; "popped", "pops": "pop"; "stretches": "stretch"), so a sentence is near the
    samples that say the same word another way. Crude, and the same for samples and
    sentences, which is all the nearness needs."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    for end, least in (("ing", 6), ("ed", 5)):
        if len(word) >= least and word.endswith(end):
            word = word[:-len(end)]
            if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "ls":
                word = word[:-1]           # "popped", "sitting"
            return word
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _grams(tokens: list[str]) -> list[str]:
    """Words (stemmed) and pairs of words (a slot's tokens as `§Type`; a value of several
    types counts as each of them)."""
    options = [t[1:].split("|") if t.startswith("§") else [stem(t)] for t in tokens]
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
         content=None, busy: bool = False) -> Reading:
    """What free words mean: `intent` is the free intent they came in (its kind: after a yes
    word, a no word, or another word), `answering` whether a yes/no question is open (the
    safety or the pain question), `busy` whether a routine is under way (another routine is
    started from free words only when they are sure of it and name it in more than a word:
    "you're going a bit fast" is no wish for the quick release); `content` adds what it
    says of routines and questions."""
    idx = index_for(locale, content)
    kind = FREE_KINDS.get(intent, "")
    heard = [x for w in words_of(words) for x in SAID_AS.get(w, (w,))]
    firsts = idx.carriers.get(intent, ())
    if intent in idx.kept:                  # "lower {words}": the sentence, its first word said
        firsts = {idx.kept[intent]}
        heard = [idx.kept[intent]] + heard
    # a sentence of ours said after its carrier word is read back exactly (below); a
    # correction in it leaves only what follows the correction
    heard = _unparticled(heard, idx.answers, after_answer=bool(kind))
    rest = heard[1:] if intent in idx.kept else heard
    corrected = _corrected(heard)
    if corrected is not heard:
        heard, rest = corrected, None
    meant = next((i for i, free in C.FREE_AFTER.items() if free == intent), None)
    if meant and not heard:                 # "repeat abeg", "stop lah": the word alone
        return Reading(meant, {}, 1.0)
    if answering and meant == C.UNSURE:     # "maybe...", "probably...": doubt, whatever else
        return Reading(C.UNSURE, {}, 1.0)
    # the yes or no said first, after fillers ("um", "like"), or after the carrier word
    lead = next((i for i, w in enumerate(heard) if w not in FILLERS), len(heard) - 1)
    said_first = heard[lead] if heard else ""
    if kind == "yes" and said_first in idx.carriers.get(C.FREE_NO, ()):
        kind, heard = "no", heard[lead + 1:]   # "yeah nah, none of those", "yeah no": a no
    elif not kind:                              # "ow, yes", "like no it was fine"
        for said_kind, free in (("yes", C.FREE_YES), ("no", C.FREE_NO)):
            if said_first in idx.carriers.get(free, ()):
                kind, heard = said_kind, heard[lead + 1:]
                break
    if kind == "no" and not answering and heard[:1] == ["more"]:
        kind, heard = "", ["no", *heard]      # "no more chime sounds": no answer, a wish
    whole = {(i, slot, id_, phrase) for first, i, slot, id_, phrase
             in idx.whole.get(" ".join(w for w in rest if w != PAUSE), ()) if first in firsts} \
        if rest is not None else set()
    if len({meaning(w[0], w[2]) for w in whole}) == 1:   # a sentence of ours, its first word
        i, slot, id_, phrase = min(whole)                # the carrier
        return Reading(i, {slot: (phrase, (id_,))}, 1.0)
    if kind and all(w == PAUSE for w in heard):
        return Reading(C.YES if kind == "yes" else C.NO, {}, 1.0)
    said = ([kind] if kind else [SAID_FOR[meant]] if meant in SAID_FOR and rest is not None
            else []) + _weighed(heard)
    segments = idx.segments(heard)
    tokens, found = idx.spot(heard, segments)
    # a second look, with topics and complaints as their parts, when the words name one
    plain = [_weighed(idx.spot(heard, idx.segments(heard, plain_topics=True))[0])] \
        if not kind and any(t in PARTED for t, _, _ in found) else []
    scores = idx.scores(said, None if kind else _weighed(tokens), *plain)
    signs = [(t, i, w) for t, i, w in found if t == C.TYPE_SIGN
             or (t == C.TYPE_PAIN and i not in MILD)]
    mild = [(t, i, w) for t, i, w in found if t == C.TYPE_PAIN and i in MILD]
    if answering:
        pairs = {f"{a}_{b}" for a, b, c in zip(heard, heard[1:], heard[2:] + [""])
                 if not (a == "don't" and b == "know" and c in KNOWN_UNKNOWN)}
        near, near_score, _ = idx.nearest(scores)
        if near in ABOUT_THE_QUESTION and near_score >= SURE_SCORE:
            return Reading(near, {}, near_score)    # "what do you mean by shooting": asked again
        doubts = DOUBT & (set(heard) | pairs)
        mildly = doubts == {"not_really"} and mild and not signs
        if doubts and doubts <= ASSERTING and signs and not _denies(heard):
            # "my leg's been kinda numb", "i think i had a fall": a cautious yes
            return Reading(C.SYMPTOM, _slots(idx, C.SYMPTOM, found, "yes"), 1.0)
        if not mildly and (doubts or (not kind and near == C.UNSURE
                                      and near_score >= MIN_SCORE)):
            return Reading(C.UNSURE, {}, 1.0)   # doubt, whatever else: an unclear answer;
                                                # but "not really, it's just tight" is a no
        if _plain_no(idx, heard, segments, kind,  # "nah, all good", "no sharp pain, just stiff"
                     near == C.NO and near_score >= MIN_SCORE):
            return Reading(C.SYMPTOM, _slots(idx, C.SYMPTOM, mild, "no"), 1.0) \
                if mild else Reading(C.NO, {}, 1.0)
        if signs:                               # a described yes, whatever word came first
            return Reading(C.SYMPTOM, _slots(idx, C.SYMPTOM, found, kind), 1.0)
        if kind == "no":
            return Reading(C.FALLBACK, {}, 0.0)
        if kind == "yes":
            if NEGATIONS & set(heard):          # "yeah, i'm fine": which is it?
                return Reading(C.FALLBACK, {}, 0.0)
            return Reading(C.YES, {}, 1.0)
    allowed = set(idx.slot_types) - NEVER
    best, score, fixed = idx.nearest(scores, allowed)
    asked = [i for t, i, w in found if t == C.TYPE_TOPIC and len(w.split()) >= TOPIC_WORDS]
    if asked and best and (best.startswith(C.FAQ_INTENT_PREFIX) or best == C.QUESTION) \
            and C.faq_intent(asked[0]) in allowed:
        best, fixed = C.faq_intent(asked[0]), {}  # "why does my back crack when i twist round":
                                                  # the question it names, not a neighbour's
    meant_found = _meant_last(segments, found)

    def fill(intent, own):          # the intent's slots: its document's own and those found
        return {**own, **_slots(idx, intent, meant_found, kind)} if intent else {}
    slots = fill(best, fixed)
    if meant and not answering and (best is None or score < SURE_SCORE
                                    or (best in NAMES_A_THING and not slots)):
        return Reading(meant, {}, 1.0)      # "repeat the bit about the knees": a repeat, unless
                                            # the rest clearly says otherwise ("done for today");
                                            # "pause it for a bit" names no routine to start
    if busy and best == C.START_ROUTINE and (
            score < SURE_SCORE or all(" " not in value for value, _ in slots.values())):
        # in a routine, "a bit fast" is not "the fast one": the nearest other meaning
        best, score, fixed = idx.nearest(scores, allowed - {C.START_ROUTINE})
        if score < SURE_SCORE:
            best = None
        slots = fill(best, fixed)
    if not busy and not answering and best in IN_A_ROUTINE and any(
            t in NAMES_A_ROUTINE for t, _, _ in found):
        # at the menu, "my upper back's pure stiff can we do that one", "a desk break please
        # i can't get down on the floor": a routine asked for, not a stretch's command
        alt, alt_score, alt_fixed = idx.nearest(scores, {C.START_ROUTINE})
        if alt and alt_score >= MIN_SCORE:
            best, score, slots = alt, alt_score, fill(alt, alt_fixed)
    if busy and not answering and (
            best is None or score < MIN_SCORE or best.startswith(C.FAQ_INTENT_PREFIX)
            or best == C.QUESTION) and idx.names_pain(heard):
        # in a routine, "my back's really sore now", "this is really hurting my lower back"
        # is said of the stretch (or asked of it: "is sharp pain normal"): the pain question
        return Reading(C.PAIN, _slots(idx, C.PAIN, found, kind), 1.0)
    if best is None or score < MIN_SCORE:
        return Reading(C.FALLBACK, {}, score)
    # At a question, an answer like the describing ones ("i hurt it lifting a box") is one
    # (skill/dialog/answers.py reads it: a yes unless all it names is mild after a no).
    return Reading(best, slots, score)


def _weighed(words: list[str]) -> list[str]:
    """The words (or tokens) a sentence is weighed by: no pause, no noise."""
    return [w for w in words if w != PAUSE and w not in NOISE]


def _denies(heard: list[str]) -> bool:
    """Whether a word in them denies, beside the "not" or "don't" of a doubt ("not sure",
    "don't know")."""
    return any((w in ANSWER_NO or w in DENY) and f"{w}_{nxt}" not in DOUBT
               for w, nxt in zip(heard, heard[1:] + [""]))


def _unparticled(heard: list[str], answers, after_answer: bool) -> list[str]:
    """The words with regional particles, and a name called after a yes or no word
    (`answers`; `after_answer`: the words follow one) or at the end, as a pause (PAUSE):
    dropped at the end, elsewhere kept as the pause they are, which ends a denial ("no
    love, none of them": "no , none of them"; "no ma'am, tingly" is no plain no)."""
    out: list[str] = []
    for i, w in enumerate(heard):
        if w in PARTICLES or (w in VOCATIVES and ((out and out[-1] in answers)
                                                  or (out and i == len(heard) - 1)
                                                  or (after_answer and not out))):
            if out[-1:] != [PAUSE]:
                out.append(PAUSE)
            continue
        out.append(w)
    while out and out[-1] == PAUSE:
        out.pop()
    return out


def _meant_last(segments: list, found: list) -> list:
    """The values found, a value said after a word that takes back ("no", "sorry", "not")
    first of its type: "make the holds longer no shorter" means shorter, "the lower no not
    the quick one the proper lower back routine" the lower back routine."""
    later, turned = [], False
    seen: set[str] = set()
    for text, kinds in segments:
        if text in TAKE_BACK_WORDS:
            turned = True
        for type_, _ in kinds:
            if turned and type_ in seen and type_ in GAPPED:
                later.extend(f for f in found if f[2] == text and f[0] == type_)
            seen.add(type_)
    if not later:
        return found
    last = {}
    for f in later:                 # the last said of each type
        last[f[0]] = f
    return [*last.values(), *(f for f in found if f not in last.values())]


def _corrected(heard: list[str]) -> list[str]:
    """The words after the last correction in them ("the lower no wait yeah the lower back
    routine": "yeah the lower back routine"), or all of them. (Said first, as in "uh no
    wait, actually yes", a correction may take back a "no" said before it, never add one.)"""
    joined = f" {' '.join(heard)} "
    cut = max((at + len(c) + 2 for c in CORRECTIONS
               if (at := joined.rfind(f" {c} ")) >= 0), default=0)
    after = joined[cut:].split()
    return after if cut and after else heard


def _plain_no(idx: _Index, heard: list[str], segments: list, kind: str,
              sounds_no: bool) -> bool:
    """Whether the words at a question are a plain "no": said as one (a no word first, as
    `kind`, or within: "none of those", "i'm fine no problems"; a denial that reaches the
    question's signs or its "any of those": "i haven't had any of those"; or all well said
    as our samples of a no say it, `sounds_no`: "i'm absolutely fine thank you"), every
    warning sign, sharp feeling or part of the body in them denied ("no numbness or
    tingling in my legs", "not sharp, just tight", "nothing sharp"), and nothing else in
    them we do not know. A "but", doubt, a hedge ("not that i know of", "not anymore"), a
    yes word, "fine" denied ("not fine"), a word of a question about the question ("no i
    don't understand") or a word beyond our samples keep it from counting: the question is
    asked again, or a sign named is the yes it is."""
    said = set(heard)
    if kind == "yes" or (TAKE_BACK | HEDGE | SAID_YES | DOUBT | ABOUT) & said:
        return False
    joined = f" {' '.join(heard)} "
    answered = (kind == "no" or bool(ANSWER_NO & said) or bool(FINE & said and sounds_no)
                or any(f" {a} " in joined for a in NOT_ANSWERS))
    reached = False                             # a denial reached a sign or "any of those"
    denying = "no" if kind == "no" else ""      # "no" (an answer) or "not" (a word's denial)
    for text, kinds in segments:             # `heard` with its slot values as pieces
        if text in ANSWER_NO or text in DENY:
            denying = "no" if text in ANSWER_NO else "not"
            continue
        sign = any(t in (C.TYPE_SIGN, C.TYPE_PART) or (t == C.TYPE_PAIN and i not in MILD)
                   for t, i in kinds)
        if sign:
            if not denying:                     # "no, but my leg is numb": "is" ended it
                return False
            reached = True
            continue
        if text in FINE and denying == "not":   # "not fine", "not feeling great"
            return False
        if text in REACH:
            reached = reached or (bool(denying) and text in ASKED)
            continue
        denying = ""
        if not kinds and text not in idx.known and text not in FILLERS:
            return False
    return answered or reached


def _slots(idx: _Index, intent: str, found, kind: str) -> dict:
    """The intent's slots filled from the values found, the first of each type; a feeling
    that is a warning sign before a mild one ("just an ache, no actually it's going down
    my leg" is a spreading pain)."""
    types = idx.slot_types.get(intent, {})
    out = {}
    found = sorted(found, key=lambda f: f[0] == C.TYPE_PAIN and f[1] in MILD)
    for slot, type_ in types.items():
        for t, id_, w in found:
            if t == type_ and slot not in out:
                out[slot] = (w, (id_,))
    if C.SLOT_ANSWER in types and kind and C.SLOT_ANSWER not in out:
        out[C.SLOT_ANSWER] = (kind, (kind,))
    return out
