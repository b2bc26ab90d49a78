"""Free words: a sentence no sample matches, sent after a carrier word as one of the free
intents' AMAZON.SearchQuery slot, read by the skill (skill/language/reader.py) instead of
lost to AMAZON.FallbackIntent. What a user notices: the skill does what they asked; at the
safety question, unknown words, doubt or a "but" are never a "no"; something else entirely
is answered like fallback; and the carriers never take a sentence our samples match."""
from __future__ import annotations

import random
import re

import pytest

from skill import constants as C
from skill.language import model as M
from skill.language import reader as R
from tests.client import AlexaClient, flask_poster

STRETCH = re.compile(r"Stretch \d+ of \d+")


@pytest.fixture(scope="module")
def lm():
    return M.load_model()["interactionModel"]["languageModel"]


def free(alexa, intent, words):
    return alexa.intent(intent, **{C.SLOT_WORDS: (words, None)})


def at_screening(alexa, routine="lower_back"):
    alexa.launch()
    r = alexa.intent(C.START_ROUTINE, routine=routine)
    assert not STRETCH.search(r.text)
    return r


# ------------------------------------------------------------------ the model

def test_the_free_intents_are_last_with_one_search_query_slot(lm):
    names = [i["name"] for i in lm["intents"]]
    n = sum(C.is_free(name) for name in names)
    assert all(C.is_free(name) for name in names[-n:])   # an exact matcher keeps ours on a tie
    assert set(C.FREE_INTENTS) <= set(names[-n:])
    for intent in lm["intents"][-n:]:
        assert intent["slots"] == [{"name": C.SLOT_WORDS, "type": C.TYPE_WORDS}]
        assert intent["samples"]
        for sample in intent["samples"]:            # a carrier word, then the free words
            shape = r"\{words\} [a-z']+" if intent["name"] == C.FREE_TAIL else r"[a-z']+ \{words\}"
            assert re.fullmatch(shape, sample), sample
    carriers = {i["name"]: {s.split()[0] for s in i["samples"]} for i in lm["intents"][-n:]}
    assert {"please", "now", "thanks"} <= {s.split()[-1] for i in lm["intents"]
                                           if i["name"] == C.FREE_TAIL for s in i["samples"]}
    assert {"yes", "yeah", "yep"} <= carriers[C.FREE_YES]
    assert {"no", "nope", "nah"} <= carriers[C.FREE_NO]
    assert {"i", "um", "my", "the", "so", "okay"} <= carriers[C.FREE_WORDS]
    assert not (carriers[C.FREE_WORDS] & (carriers[C.FREE_YES] | carriers[C.FREE_NO]))
    # a kept word carries alone, in the intent named after it, and in no other
    kept = {name: words for name, words in carriers.items() if name not in C.FREE_INTENTS}
    assert all(len(words) == 1 and name == C.free_kept_intent(next(iter(words)))
               for name, words in kept.items())
    said = set().union(*kept.values())
    assert {"not", "don't", "just", "like", "lower", "upper", "sharp", "turn", "what", "how"} <= said
    assert not said & set().union(*(carriers[name] for name in C.FREE_INTENTS))


def test_no_carrier_outranks_a_sample_of_ours_but_the_most_common_first_words(lm):
    """virtual-alexa (and any exact matcher) ranks a match by its own words: a carrier word
    is never longer than the words of a sample whose sentence it could begin, unless it is
    one of the most common first words and the sample has one slot (read back exactly)."""
    carriers = {s.split()[0] for i in lm["intents"] if i["name"] == C.FREE_WORDS
                for s in i["samples"]}
    firsts: dict[str, int] = {}
    for intent in lm["intents"]:
        if not C.is_free(intent["name"]):
            for sample in intent["samples"]:
                firsts[sample.split()[0]] = firsts.get(sample.split()[0], 0) + 1
    types = {t["name"]: t for t in lm["types"]}
    for intent in lm["intents"]:
        slot_types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent["samples"]:
            m = re.match(r"\{(\w+)\}", sample)
            if not m or m.group(1) == C.SLOT_ANSWER or slot_types[m.group(1)] not in types:
                continue
            own = R.own_letters(sample)
            for phrase in M._phrases(types[slot_types[m.group(1)]]):
                first = phrase.split()[0]
                if first in carriers and len(first) > own:
                    assert sample.count("{") == 1 and firsts[first] >= M.COMMON_CARRIER, \
                        (intent["name"], sample, phrase)


def test_an_exact_command_stays_with_its_intent(lm):
    """What a sample says word for word keeps its intent through virtual-alexa-style
    ranking: "turn off the sounds" is SetPreferenceIntent, not free words after "turn"."""
    carriers = {s.split()[0] for i in lm["intents"] if i["name"] == C.FREE_WORDS
                for s in i["samples"]}
    assert not {"turn", "switch", "skip", "stop", "hold", "speak", "talk"} & carriers


def test_a_sentence_of_one_slot_said_after_its_carrier_is_read_back_exactly(lm):
    """"the desk one" (a sample "{routine}") reaches the skill as the free words "desk one"
    after the carrier "the" only if no other carrier leaves the same words; "lower back" (a
    sample "{area}") comes whole, in the intent that keeps "lower". Either is read back as
    the sample says."""
    carriers = {s.split()[0]: i["name"] for i in lm["intents"]
                if i["name"] == C.FREE_WORDS or i["name"].startswith(C.FREE_KEPT_PREFIX)
                for s in i["samples"]}
    assert len({"lower", "upper", "mid"} & {w for w, i in carriers.items()
                                            if i == C.FREE_WORDS}) <= 1
    types = {t["name"]: t for t in lm["types"]}
    meant: dict[str, set] = {}                    # sentence -> what our samples mean by it
    for intent in lm["intents"]:
        slot_types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent["samples"]:
            m = re.match(r"\{(\w+)\}", sample)
            if not m or sample.count("{") != 1 or slot_types[m.group(1)] not in types:
                continue
            for value, phrase in ((v, p) for v in types[slot_types[m.group(1)]]["values"]
                                  for p in [v["name"]["value"], *v["name"].get("synonyms", [])]):
                sentence = sample.replace(m.group(0), phrase)
                first = sentence.split()[0]
                if first in carriers and len(first) > R.own_letters(sample):
                    meant.setdefault(sentence, set()).add(R.meaning(intent["name"], value["id"]))
    for sentence, meanings in meant.items():      # (a sample that outranks stays exact)
        first, _, rest = sentence.partition(" ")
        reading = R.read(carriers[first], rest, answering=False)
        got = R.meaning(reading.intent, next(iter(reading.slots.values()), ("", ("",)))[1][0])
        assert got in meanings, (sentence, reading, meanings)
    assert len(meant) > 500


def test_the_model_check_keeps_the_free_intents_out_of_the_clash_check(content):
    """A free intent's sentence is in no other intent's samples by design; the clash check
    (a sentence in two intents) covers ours, and is not switched off for them."""
    src = M.load_source()
    src["intents"][C.THANKS] = list(src["intents"][C.THANKS]) + ["stop"]
    with pytest.raises(M.ModelError, match="two intents"):
        M.build_model(content, src)


# ------------------------------------------------------------------ the reader

@pytest.mark.parametrize("intent,words,answering,want", [
    # choosing, asking, everyday phrases the samples do not have word for word
    (C.FREE_WORDS, "think i'd like to do the lower back routine tonight if that's ok",
     False, C.START_ROUTINE),
    (C.FREE_WORDS, "cracking your back put your spine back in place", False,
     C.faq_intent("realign_spine")),
    (C.FREE_WORDS, "have osteoporosis should i avoid cracking my back", False,
     C.faq_intent("who_should_not")),
    # a first word that means something: that, unless the rest clearly says otherwise
    (C.FREE_AFTER[C.REPEAT], "the bit about the knees", False, C.REPEAT),
    (C.FREE_AFTER[C.THANKS], "that helps", False, C.THANKS),
    (C.FREE_AFTER[C.NEXT], "for today", False, C.STOP),
    (C.FREE_WORDS, "the lower no wait yeah the lower back routine", False, C.START_ROUTINE),
    # a meaning's word weighs with the rest: "stop reminding me to stretch" stops reminders
    (C.FREE_AFTER[C.STOP], "reminding me to stretch eh", False, C.CANCEL_REMINDER),
    (C.FREE_AFTER[C.REPEAT], "abeg", False, C.REPEAT),               # the word alone
    # a question's topic named in full is the question asked, beside its neighbours'
    (C.free_kept_intent("why"), "does my back crack when i twist round", False,
     C.faq_intent("why_backs_crack")),
    (C.FREE_WORDS, "good does stretching even do honestly", False,
     C.faq_intent("stretching_benefits")),
    # a topic named is that question's, not any question's ("stenosis" is no how-often)
    (C.free_kept_intent("stenosis"), "stretches okay", False, C.faq_intent("stenosis")),
    # "my lower back" and "cracking my back" are also seen as their parts
    (C.FREE_WORDS, "quick for my lower back lying down", False, C.START_ROUTINE),
    (C.free_kept_intent("is"), "it ok to let my husband crack my back", False,
     C.faq_intent("someone_else")),
    # a thing said first, as terse speech does ("lacrosse ball any good"), is kept
    (C.free_kept_intent("lacrosse"), "ball any good", False, C.faq_intent("foam_rollers")),
    # something else entirely: as Alexa would, not understood
    (C.FREE_WORDS, "the weather like in leeds tomorrow", False, C.FALLBACK),
    (C.FREE_WORDS, "dog ate my homework", False, C.FALLBACK),
    (C.FREE_WORDS, "tall is mount everest", False, C.FALLBACK),
])
def test_free_words_are_read_by_their_meaning(intent, words, answering, want, content):
    assert R.read(intent, words, answering=answering, content=content).intent == want


@pytest.mark.parametrize("intent,words,want", [
    (C.FREE_NO, "i'm just stiff from sitting at my desk", C.NO),     # described, mild: no
    (C.FREE_NO, "i'm fine just a bit achy after gardening", C.NO),
    (C.FREE_NO, "but my left leg feels weird", None),               # take it back
    (C.FREE_NO, "purple elephants", None),                          # words we do not know
    (C.FREE_NO, "i'm not sure actually", C.UNSURE),                 # doubt
    (C.FREE_NO, "numbness in my legs but", C.YES),                   # a sign named: a yes
    (C.FREE_NO, "sharp pain", C.NO),                                # the question's words,
    (C.FREE_NO, "pain at all", C.NO),                               # denied
    (C.FREE_NO, "sharp pain but my leg is numb", C.YES),
    (C.FREE_NO, "fever but some numbness", C.YES),
    (C.FREE_YES, "no i'm fine", C.NO),                              # "yeah no": a no
    (C.FREE_YES, "nah but i did fall", C.YES),
    (C.FREE_TAIL, "um it was just an ache no actually it's going down my leg", C.YES),
    (C.FREE_YES, "i fell off my bike on sunday", C.YES),
    (C.FREE_YES, "that shot down my leg", C.YES),
    (C.FREE_WORDS, "pain's been getting worse every day", C.YES),
    (C.FREE_WORDS, "fell down the stairs last week", C.YES),
    (C.FREE_WORDS, "had a temperature and chills since yesterday", C.YES),
    (C.FREE_WORDS, "none of that", C.NO),           # a first word lost could not change it
    (C.FREE_NO, "no tingling no numbness nothing", C.NO),           # each sign denied
    (C.FREE_NO, "numbness or tingling in my legs", C.NO),
    (C.FREE_NO, "not sharp just a gentle pull", C.NO),
    (C.FREE_NO, "nothing sharp", C.NO),
    (C.FREE_WORDS, "fine no problems", C.NO),                       # "i'm fine no problems"
    (C.free_kept_intent("don't"), "have any of those", C.NO),
    (C.FREE_NO, "my leg is numb", C.YES),                           # "is" ends the denial
    (C.FREE_NO, "not that i know of", None),                        # hedged
    (C.free_kept_intent("never"), "had numbness until last week", C.YES),
    (C.free_kept_intent("not"), "fine", None),                      # "fine" denied
    (C.free_kept_intent("not"), "feeling great", None),
    (C.free_kept_intent("not"), "sure if that was sharp", C.UNSURE),
    (C.free_kept_intent("not"), "numb", C.NO),
    (C.free_kept_intent("sharp"), "pain yeah", C.YES),
    (C.FREE_NO, "i don't understand", None),           # about the question: asked again
    (C.free_kept_intent("didn't"), "understand", None),
    (C.free_kept_intent("don't"), "ask", None),         # a denial that reaches nothing asked
    (C.FREE_TAIL, "good question", C.UNSURE),           # "good" is no "fine"
    (C.FREE_NO, "i'm absolutely fine thank you for asking", C.NO),
    (C.free_kept_intent("not"), "at all that felt lovely", C.NO),
    (C.FREE_NO, "what do you mean", None),
    (C.FREE_NO, "i mean i did fall last month", C.YES),            # corrected: what follows
    (C.FREE_YES, "i fell no wait that was years ago", C.YES),       # a yes said stays a yes
    (C.FREE_TAIL, "nah all good", C.NO),                            # "... thanks": whole
    (C.FREE_TAIL, "maybe a little", C.UNSURE),
    (C.FREE_TAIL, "yeah i slipped on the stairs", C.YES),
    (C.FREE_WORDS, "might have had a slight fever not sure", C.UNSURE),   # doubt first
    (C.FREE_WORDS, "do you mean by shooting", None),                  # asked again
    (C.FREE_WORDS, "possibly a little", C.UNSURE),
    # regional particles and names called change nothing of a no, and end a denial
    (C.FREE_NO, "po", C.NO),
    (C.FREE_NO, "lah none", C.NO),
    (C.FREE_NO, "love none of them", C.NO),
    (C.FREE_NO, "none of those eh", C.NO),
    (C.FREE_NO, "ma'am tingly", C.YES),                  # a pause: "tingly" is not denied
    (C.FREE_NO, "lah numb", C.YES),
    # "not really" with a mild feeling is a no; alone, doubt
    (C.free_kept_intent("not"), "really it's just tight", C.NO),
    (C.free_kept_intent("not"), "really", C.UNSURE),
    # doubt that still says a sign was there: a cautious yes; "don't know why": no doubt
    (C.FREE_WORDS, "left leg has been kinda numb lately", C.YES),
    (C.FREE_WORDS, "think i had a fall last month", C.YES),
    (C.FREE_WORDS, "lost some weight lately and i don't know why", C.YES),
    (C.FREE_WORDS, "let me think no none of those", C.NO),       # thinking aloud, then a no
    (C.FREE_NO, "just a bit of a niggle", C.NO),
    (C.FREE_WORDS, "don't know how to describe it", C.UNSURE),    # only "why" is no doubt
    (C.FREE_NO, "it's eased off now", C.NO),
    (C.FREE_NO, "i'm grand", C.NO),                                 # Irish "fine"
])
def test_at_the_safety_question_free_words_are_never_a_no_unless_plainly(intent, words, want,
                                                                         content):
    """How the gate reads what the reader makes of free words (answers.reading): None is
    asked again (neither yes nor no)."""
    reading = R.read(intent, words, answering=True, content=content)
    got = {C.NO: C.NO, C.YES: C.YES, C.UNSURE: C.UNSURE}.get(reading.intent)
    if reading.intent == C.SYMPTOM:       # a describing answer: a yes unless mild after a no
        kinds = [set(ids) for n, (_, ids) in reading.slots.items() if n in (C.SLOT_SIGN, C.SLOT_PAIN)]
        said_no = reading.slots.get(C.SLOT_ANSWER, ("", ()))[1] == ("no",)
        mild = bool(kinds) and all(k <= {"mild"} for k in kinds)
        got = C.NO if (mild and said_no) else (C.YES if not mild else None)
    assert got == want, reading


def test_random_words_after_a_no_are_never_a_no(lm):
    """A word none of our samples or values uses keeps a "no" from counting, wherever it
    stands; so do "but" and doubt; and so does a sign, unless a denial reaches it ("no
    fever", "not numb", "no numbness or tingling"): said after a word that ends the denial
    ("no, my leg is numb"), it is the yes it is."""
    types = {t["name"]: t for t in lm["types"]}
    plain = {w for i in lm["intents"] if i["name"] in (C.NO, C.THANKS, C.SYMPTOM)
             for s in i["samples"] for w in s.split() if "{" not in w}
    plain |= {w for p, id_ in R.value_phrases(types[C.TYPE_PAIN]) if id_ in R.MILD
              for w in R.words_of(p)}
    known = sorted(plain - R.SAID_YES - R.HEDGE - R.DOUBT - R.TAKE_BACK)
    enders = [w for w in known if w not in R.ANSWER_NO | R.DENY | R.REACH | R.FINE
              and not R.index_for(C.LOCALE).segments([w])[0][1]]
    rng = random.Random(7)
    strangers = ["purple", "bleeding", "collapsed", "elephant", "but", "maybe", "dizzy",
                 "swollen", "except", "until"]
    signs = ["cancer", "fever", "numb", "tingly", "getting worse", "a fall", "weak legs"]
    for _ in range(400):
        words = rng.sample(known, rng.randint(0, 5))
        words.insert(rng.randint(0, len(words)), rng.choice(strangers))
        assert R.read(C.FREE_NO, " ".join(words), answering=True).intent != C.NO, words
        words = rng.sample(known, rng.randint(0, 4))
        at = rng.randint(0, len(words))
        words[at:at] = [rng.choice(enders), rng.choice(signs)]
        assert R.read(C.FREE_NO, " ".join(words), answering=True).intent != C.NO, words
        said = [rng.choice(signs), *rng.sample(known, rng.randint(0, 3))]
        said.insert(rng.randint(1, len(said)), rng.choice(["but", "maybe", "except"]))
        assert R.read(C.FREE_NO, " ".join(said), answering=True).intent != C.NO, said
    assert len(enders) > 50


# ------------------------------------------------------------------ through the skill

def test_a_no_in_free_words_starts_the_routine_and_a_but_does_not(alexa, content):
    at_screening(alexa)
    r = free(alexa, C.FREE_NO, "i'm just stiff from sitting at my desk all week")
    assert STRETCH.search(r.text) or content.text("prompts", "first_stretch") in r.text \
        or not r.ends
    assert content.text("screening", "question") not in r.text
    at_screening(alexa)
    r = free(alexa, C.FREE_NO, "but my left leg feels weird")
    assert not STRETCH.search(r.text) and not r.ends
    assert content.text("screening", "question") in r.text


def test_a_fall_said_in_free_words_goes_to_the_follow_up_not_a_stretch(alexa, content):
    at_screening(alexa)
    r = free(alexa, C.FREE_WORDS, "slipped on the ice on tuesday and landed on my back")
    assert not STRETCH.search(r.text)
    assert content.text("screening", "followup") in r.text


def test_a_routine_chosen_in_free_words_is_screened_for(alexa, content):
    alexa.launch()
    r = free(alexa, C.FREE_WORDS, "think i'd like to do the quick release tonight if that's ok")
    assert content.routines["quick_release"].name in r.text
    assert content.text("screening", "question") in r.text and not r.ends


def test_a_correction_mid_sentence_takes_what_follows_it(content):
    r = R.read(C.FREE_WORDS, "desk one no wait the upper back one", answering=False,
               content=content)
    assert r.intent == C.START_ROUTINE and r.slots[C.SLOT_ROUTINE][1] == ("upper_mid_back",)


def test_a_routine_named_by_its_area_with_a_place_it_is_not_done_in_is_the_one_done_there(
        alexa, content):
    """"Lower back stretches I can do without getting out of my chair": the lower back
    routine is done on the floor, the desk break is for the lower back in a chair."""
    alexa.launch()
    r = free(alexa, C.free_kept_intent("lower"),
             "back stretches i can do without getting out of my chair")
    assert content.routines["desk_break"].name in r.text and not r.ends
    alexa.launch()
    r = alexa.intent(C.START_ROUTINE, routine=("lower back", "lower_back"), position=("chair", "chair"))
    assert content.routines["desk_break"].name in r.text
    alexa.launch()                      # the routine's own name said: that routine
    r = alexa.intent(C.START_ROUTINE, routine=("the quick release", "quick_release"),
                     position=("chair", "chair"))
    assert content.routines["quick_release"].name in r.text


def test_free_words_in_a_routine_start_another_only_when_sure(content):
    """"You're going a bit fast for me" is no wish for the quick release; "switch to the desk
    break" is a routine asked for."""
    fast = R.read(C.free_kept_intent("you're"), "going a bit fast for me", answering=False,
                  content=content, busy=True)
    assert fast.intent != C.START_ROUTINE
    switch = R.read(C.FREE_WORDS, "want to switch to the desk break instead", answering=False,
                    content=content, busy=True)
    assert switch.intent == C.START_ROUTINE and switch.slots[C.SLOT_ROUTINE][1] == ("desk_break",)


def test_after_a_word_of_meaning_the_sentence_is_read_with_it(content):
    """"Pause it for a bit" reaches the skill as "it for a bit" after "pause"."""
    assert R.read(C.FREE_AFTER[C.PAUSE], "it for a bit", answering=False,
                  content=content).intent == C.PAUSE


def test_a_question_in_free_words_is_answered_from_the_content(alexa, content):
    alexa.launch()
    r = free(alexa, C.FREE_WORDS, "have osteoporosis should i avoid cracking my back")
    assert content.faq["who_should_not"].answer[0].split(",")[0] in r.text


def test_something_else_entirely_is_answered_like_fallback(alexa, content):
    alexa.launch()
    r = free(alexa, C.FREE_WORDS, "the weather like in leeds tomorrow")
    f = alexa.intent(C.FALLBACK)
    assert r.text == f.text and not r.ends


def test_a_reader_that_fails_is_fallback_not_an_error(content, store):
    from skill.config import Config
    from skill.web.app import create_app

    def broken(*a, **k):
        raise OSError("model file gone")
    import skill.web.app as web_app
    original = web_app.read_words
    web_app.read_words = broken
    try:
        app = create_app(Config.local(session_secret=b"x" * 32), content=content, store=store)
    finally:
        web_app.read_words = original
    alexa = AlexaClient(flask_poster(app))
    alexa.launch()
    r = free(alexa, C.FREE_WORDS, "want the lower back routine")
    assert r.status == 200 and not r.ends
    assert r.text == alexa.intent(C.FALLBACK).text


def test_a_setting_said_again_after_a_no_is_the_one_meant(content):
    """"Make the holds longer no shorter": shorter."""
    for intent, words in ((C.FREE_WORDS, "the holds longer no shorter sorry shorter"),
                          (C.free_kept_intent("hold"), "longer no shorter sorry")):
        r = R.read(intent, words, answering=False, content=content, busy=True)
        assert r.intent == C.SET_PREFERENCE
        assert r.slots[C.SLOT_PREFERENCE][1] == ("holds_shorter",)
    r = R.read(C.free_kept_intent("start"),
               "the lower um no not the quick one the proper lower back routine",
               answering=False, content=content)
    assert r.intent == C.START_ROUTINE and r.slots[C.SLOT_ROUTINE][1] == ("lower_back",)


def test_a_reminder_time_that_is_a_sentence_is_read_as_one(alexa, content):
    """virtual-alexa lets AMAZON.TIME take any words: "at what point should i see a doctor"
    arrives as a reminder at "what point should i see a doctor". The skill answers the
    question; a time it cannot read still asks for the time."""
    alexa.launch()
    r = alexa.intent(C.SET_REMINDER, **{C.SLOT_TIME: ("what point should i go and see a doctor",
                                                     None)})
    assert content.faq["see_a_doctor"].answer[0][:40] in r.text and not r.ends
    alexa.launch()
    r = alexa.intent(C.SET_REMINDER, **{C.SLOT_TIME: ("half past blurgh o'clock", None)})
    assert "time" in r.text.lower() and not r.ends


def test_in_a_routine_a_pain_told_is_the_pain_question(content):
    """"My back's really sore now" in a routine is said of the stretch: the pain question,
    not the answer about back tension; a pain asked about stays a question."""
    r = R.read(C.FREE_TAIL, "my back's really sore", answering=False, content=content,
               busy=True)
    assert r.intent == C.PAIN
    r = R.read(C.FREE_WORDS, "my legs are going numb", answering=False, content=content,
               busy=True)
    assert r.intent == C.PAIN and r.slots[C.SLOT_PAIN][1] == ("numb",)
    # its first word lost to the carrier ("this"), a pain told still is one
    assert R.read(C.FREE_WORDS, "is really hurting my lower back", answering=False,
                  content=content, busy=True).intent == C.PAIN
    # a pain word inside another meaning is that meaning: "the baby's asleep" is no numbness
    assert R.read(C.FREE_WORDS, "the baby's asleep let's carry on", answering=False,
                  content=content, busy=True).intent == C.RESUME


def test_in_a_routine_words_near_a_routine_are_read_for_their_other_meaning(content):
    """"You're going a bit fast for me": not the quick release; slower, if that is sure."""
    r = R.read(C.free_kept_intent("you're"), "going a bit fast for me", answering=False,
               content=content, busy=True)
    assert r.intent == C.SET_PREFERENCE and r.slots[C.SLOT_PREFERENCE][1] == ("pace_slow",)
    r = R.read(C.FREE_WORDS, "desk brake thing the one you do in the chair", answering=False,
               content=content)                   # "brake" as a recogniser may write it
    assert r.intent == C.START_ROUTINE and r.slots[C.SLOT_ROUTINE][1] == ("desk_break",)


def test_at_the_menu_a_routine_asked_for_is_no_stretch_command(alexa, content):
    """"A desk break please, I can't get down on the floor right now" at the menu asks for a
    routine ("can't" is no "too hard" there), and the floor ruled out is no floor wanted."""
    alexa.launch()
    r = free(alexa, C.FREE_WORDS, "desk break please i can't get down on the floor right now")
    assert content.routines["desk_break"].name in r.text and not r.ends
    alexa.launch()
    r = free(alexa, C.FREE_WORDS, "like to stretch my upper back but i can't get down on the floor")
    assert content.routines["upper_mid_back"].name in r.text and not r.ends
    assert R.read(C.FREE_WORDS, "desk break please i can't get down on the floor right now",
                  answering=False, content=content, busy=True).intent == C.TOO_HARD
