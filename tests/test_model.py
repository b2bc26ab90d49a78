"""The interaction model: generated from its source and the content, and valid for Alexa."""
from __future__ import annotations

import copy
import json
import re

import pytest

from skill import constants as C
from skill.language import model as M
from skill.content import load_content
from skill.language.nlu import Matcher


@pytest.fixture(scope="module")
def content():
    return load_content()


@pytest.fixture(scope="module")
def source():
    return M.load_source()


@pytest.fixture(scope="module")
def committed():
    return M.load_model()


@pytest.fixture(scope="module")
def lm(committed):
    return committed["interactionModel"]["languageModel"]


def _intents(lm):
    return {i["name"]: i for i in lm["intents"]}


def _types(lm):
    return {t["name"]: t for t in lm["types"]}


# Independent of skill.language.model's own checker: what the Alexa model builder accepts.
SAMPLE_RE = re.compile(r"^(?:[a-z]+(?:'[a-z]+)*|(?:[a-z]\.){2,}|\{[A-Za-z_]+\})"
                       r"(?: (?:[a-z]+(?:'[a-z]+)*|(?:[a-z]\.){2,}|\{[A-Za-z_]+\}))*$")
VALUE_RE = re.compile(r"^[a-z]+(?:'[a-z]+)*(?: [a-z]+(?:'[a-z]+)*)*$")


def _key(sample: str, slot_types: dict[str, str]) -> str:
    return " ".join(re.sub(r"\{(\w+)\}", lambda m: "{" + slot_types[m.group(1)] + "}",
                           sample).lower().split())


# --------------------------------------------------------------------------- freshness

def test_committed_model_is_not_stale(content, source):
    expected = M.render(M.build_model(content, source))
    actual = M.MODEL_PATH.read_text(encoding="utf-8")
    assert actual == expected, (
        "interaction_model/interactionModels/custom/en-US.json is stale: "
        "run `python -m skill model` and commit it")


def test_generation_is_deterministic(content, source):
    a = M.render(M.build_model(content, copy.deepcopy(source)))
    b = M.render(M.build_model(content, copy.deepcopy(source)))
    assert a == b and a.endswith("}\n") and not a.endswith("\n\n")
    assert json.loads(a) == json.loads(M.MODEL_PATH.read_text(encoding="utf-8"))


def test_check_command_reports_stale_and_fresh(tmp_path, capsys):
    stale = tmp_path / "en-US.json"
    stale.write_text("{}\n", encoding="utf-8")
    assert M.main(["--check", "--output", str(stale)]) == 1
    err = capsys.readouterr().err
    assert "stale" in err and "python -m skill model" in err
    missing = tmp_path / "missing.json"
    assert M.main(["--check", "--output", str(missing)]) == 1
    assert "missing" in capsys.readouterr().err
    assert M.main(["--output", str(stale)]) == 0
    assert M.main(["--check", "--output", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == M.MODEL_PATH.read_text(encoding="utf-8")


def test_no_warnings_from_content(content, source):
    warnings: list[str] = []
    M.build_model(content, source, warnings)
    assert warnings == []


# --------------------------------------------------------------------------- intents

def test_invocation_name(lm):
    name = lm["invocationName"]
    assert name == C.INVOCATION_NAME
    assert VALUE_RE.match(name) and len(name.split()) >= 2


def test_exactly_the_intents_of_constants_and_one_per_faq_topic(lm, content):
    names = [i["name"] for i in lm["intents"]]
    assert len(names) == len(set(names))
    faq = {C.faq_intent(i) for i in content.faq}
    assert len(faq) == len(content.faq)
    kept = {n for n in names if n.startswith(C.FREE_KEPT_PREFIX)}   # generated: one per word
    assert set(names) == (set(C.CUSTOM_INTENTS) | set(C.BUILTIN_INTENTS) | faq
                          | set(C.FREE_INTENTS) | kept)
    assert all(re.fullmatch(r"[A-Za-z_.]+", n) for n in names)


def test_every_custom_intent_has_many_varied_samples(lm, content):
    intents = _intents(lm)
    for name in (*C.CUSTOM_INTENTS, *(C.faq_intent(i) for i in content.faq)):
        samples = intents[name]["samples"]
        assert len(set(samples)) >= 25, f"{name} has only {len(set(samples))} samples"
        assert len({s.split()[0] for s in samples}) >= 3, f"{name}: samples all start alike"


def test_builtins_that_need_samples_have_them(lm):
    intents = _intents(lm)
    assert intents[C.FALLBACK]["samples"] == []
    assert {"skip", "skip this one", "next stretch"} <= set(intents[C.NEXT]["samples"])
    assert {"resume my routine", "carry on"} <= set(intents[C.RESUME]["samples"])
    assert "go back" in intents[C.PREVIOUS]["samples"]
    assert "say that again" in intents[C.REPEAT]["samples"]


def test_no_sample_in_two_intents(lm):
    owner: dict[str, str] = {}
    for intent in lm["intents"]:
        slot_types = {s["name"]: s["type"] for s in intent.get("slots", [])}
        seen = set()
        for sample in intent["samples"]:
            key = _key(sample, slot_types)
            assert key not in seen, f"duplicate sample {sample!r} in {intent['name']}"
            seen.add(key)
            assert owner.setdefault(key, intent["name"]) == intent["name"], (
                f"{sample!r} is in {owner[key]} and {intent['name']}")


def test_samples_obey_alexa_character_rules(lm):
    for intent in lm["intents"]:
        slot_names = {s["name"] for s in intent.get("slots", [])}
        for sample in intent["samples"]:
            assert SAMPLE_RE.match(sample), f"{intent['name']}: {sample!r}"
            assert not re.search(r"\d", sample)
            assert len(sample) <= 200
            used = re.findall(r"\{(\w+)\}", sample)
            assert set(used) <= slot_names, f"{intent['name']}: {sample!r} uses undeclared slot"
            assert len(used) == len(set(used)), f"{sample!r} repeats a slot"
            assert M.sample_problems(sample, slot_names) == []


def test_slots_as_specified(lm):
    intents = _intents(lm)

    def slots(name):
        return {s["name"]: s["type"] for s in intents[name].get("slots", [])}

    assert slots(C.START_ROUTINE) == {C.SLOT_ROUTINE: C.TYPE_ROUTINE, C.SLOT_AREA: C.TYPE_AREA,
                                      C.SLOT_POSITION: C.TYPE_POSITION,
                                      C.SLOT_SCENE: C.TYPE_SCENE}
    assert slots(C.QUESTION) == {C.SLOT_TOPIC: C.TYPE_TOPIC}
    assert slots(C.SET_PREFERENCE) == {C.SLOT_PREFERENCE: C.TYPE_PREFERENCE}
    assert slots(C.SET_REMINDER) == {C.SLOT_TIME: "AMAZON.TIME"}
    assert slots(C.PAIN) == {C.SLOT_PAIN: C.TYPE_PAIN, C.SLOT_PART: C.TYPE_PART,
                             C.SLOT_WHEN: C.TYPE_WHEN}
    assert slots(C.SYMPTOM) == {C.SLOT_ANSWER: C.TYPE_ANSWER, C.SLOT_SIGN: C.TYPE_SIGN,
                                C.SLOT_PAIN: C.TYPE_PAIN, C.SLOT_PART: C.TYPE_PART,
                                C.SLOT_WHEN: C.TYPE_WHEN}
    faq_slots = {C.SLOT_PART: C.TYPE_PART, C.SLOT_WHEN: C.TYPE_WHEN,
                 C.SLOT_TROUBLE: C.TYPE_TROUBLE, C.SLOT_PERSON: C.TYPE_PERSON,
                 C.SLOT_REMEDY: C.TYPE_REMEDY, C.SLOT_TOOL: C.TYPE_TOOL,
                 C.SLOT_CONDITION: C.TYPE_CONDITION, C.SLOT_CLINICIAN: C.TYPE_CLINICIAN,
                 C.SLOT_HABIT: C.TYPE_HABIT, C.SLOT_CRACK: C.TYPE_CRACK,
                 C.SLOT_CRACKING: C.TYPE_CRACKING}
    with_slots = {C.START_ROUTINE, C.QUESTION, C.SET_PREFERENCE, C.PAIN, C.SET_REMINDER,
                  C.SYMPTOM, *C.FREE_INTENTS}
    for name in {n for n in intents if not C.is_free(n)} - with_slots:
        used = {s for s in faq_slots if any("{" + s + "}" in x for x in intents[name]["samples"])}
        expected = ({s: faq_slots[s] for s in used} if name.startswith(C.FAQ_INTENT_PREFIX)
                    else {})
        assert slots(name) == expected, name
    # every slot is used by at least one sample
    for name in intents:
        for slot in slots(name):
            assert any("{" + slot + "}" in s for s in intents[name]["samples"]), (name, slot)


# --------------------------------------------------------------------------- slot types

def test_every_slot_type_used_is_defined_and_every_defined_is_used(lm):
    used = {s["type"] for i in lm["intents"] for s in i.get("slots", [])
            if not s["type"].startswith("AMAZON.")}    # Alexa's built-in types
    defined = set(_types(lm))
    assert used <= defined
    assert defined <= used
    assert defined == {C.TYPE_ROUTINE, C.TYPE_AREA, C.TYPE_POSITION, C.TYPE_TOPIC,
                       C.TYPE_PREFERENCE, C.TYPE_PAIN, C.TYPE_PART, C.TYPE_WHEN, C.TYPE_TROUBLE,
                       C.TYPE_SIGN, C.TYPE_ANSWER, C.TYPE_PERSON, C.TYPE_REMEDY, C.TYPE_TOOL,
                       C.TYPE_CONDITION, C.TYPE_CLINICIAN, C.TYPE_HABIT, C.TYPE_SCENE,
                       C.TYPE_CRACK, C.TYPE_CRACKING}


def test_every_content_id_is_a_slot_value(lm, content):
    types = _types(lm)

    def ids(type_name):
        return [v["id"] for v in types[type_name]["values"]]

    assert ids(C.TYPE_ROUTINE) == list(content.routines)
    assert ids(C.TYPE_AREA) == list(content.areas)
    assert ids(C.TYPE_POSITION) == list(content.positions)
    assert ids(C.TYPE_TOPIC) == list(content.faq)
    assert ids(C.TYPE_PREFERENCE) == list(C.PREFERENCE_VALUES)
    assert set(ids(C.TYPE_PAIN)) == {"sharp", "numb", "mild", "pain"}
    assert set(ids(C.TYPE_ANSWER)) == {"yes", "no"}
    # a scene points to a routine, an area or a position (menu.choose_routine)
    assert set(ids(C.TYPE_SCENE)) <= {*content.routines, *content.areas, *content.positions}
    assert set(ids(C.TYPE_POSITION)) <= set(C.POSITIONS)


def _phrases_of(lm, type_name, value_id):
    v = next(v for v in _types(lm)[type_name]["values"] if v["id"] == value_id)
    return [v["name"]["value"], *v["name"].get("synonyms", [])]


def test_a_mild_feeling_names_no_warning_sign(lm):
    """The safety question takes "no" with nothing but mild words as a no
    (skill/dialog/gate.py `reading`): no mild phrase may name a warning kind."""
    warning = re.compile(r"numb|tingl|pins|needle|shoot|sharp|stab|spread|radiat|burn|weak|"
                         r"electric|sever|down|leg|foot|feet|groin|bladder|fever|fall|"
                         r"\bgo(es|ing)?\b|runs?\b|moves?\b")
    mild = _phrases_of(lm, C.TYPE_PAIN, "mild")
    assert len(mild) >= 50
    assert [p for p in mild if warning.search(p) and not p.startswith(("doesn't", "isn't", "not "))] == []


def test_a_said_no_holds_no_doubt(lm):
    """Only a plain no word is the "no" of an answer that describes; doubt never is."""
    doubt = re.compile(r"not really|maybe|think|not sure|guess|probably|perhaps|dunno|know|"
                       r"kind of|sort of")
    said_no = _phrases_of(lm, C.TYPE_ANSWER, "no")
    assert "no" in said_no and "no but" in said_no
    assert [p for p in said_no if doubt.search(p)] == []
    assert [p for p in _phrases_of(lm, C.TYPE_ANSWER, "yes") if doubt.search(p)] == []


def test_content_names_and_synonyms_are_slot_phrases(lm, content):
    types = _types(lm)

    def phrases(type_name, value_id):
        v = next(v for v in types[type_name]["values"] if v["id"] == value_id)
        return {v["name"]["value"], *v["name"].get("synonyms", [])}

    for r in content.routines.values():
        assert {M.spoken_form(p) for p in (r.name, *r.synonyms)} <= phrases(C.TYPE_ROUTINE, r.id)
    for a in content.areas.values():
        assert {M.spoken_form(p) for p in (a.name, *a.synonyms)} <= phrases(C.TYPE_AREA, a.id)
    for p in content.positions.values():
        assert {M.spoken_form(x) for x in (p.name, *p.synonyms)} <= phrases(C.TYPE_POSITION, p.id)
    for f in content.faq.values():
        assert {M.spoken_form(x) for x in (f.topic, *f.synonyms)} <= phrases(C.TYPE_TOPIC, f.id)


def test_slot_values_are_speakable_and_unambiguous(lm):
    for t in lm["types"]:
        seen: dict[str, str] = {}
        ids = set()
        for v in t["values"]:
            assert v["id"] not in ids
            ids.add(v["id"])
            for phrase in [v["name"]["value"], *v["name"].get("synonyms", [])]:
                assert VALUE_RE.match(phrase), f"{t['name']}: {phrase!r}"
                assert len(phrase) <= 140
                assert seen.setdefault(phrase, v["id"]) == v["id"], (
                    f"{t['name']}: {phrase!r} belongs to {seen[phrase]} and {v['id']}")


def test_filled_samples_do_not_collide_with_other_intents(lm):
    """A sample with its slot filled by any value must not be another intent's sample."""
    literal: dict[str, str] = {}
    for intent in lm["intents"]:
        for s in intent["samples"]:
            if "{" not in s:
                literal[s] = intent["name"]
    clashes = []
    for intent, sample, _, _, filled in M.filled_samples(lm, synonyms=True):
        other = literal.get(filled)
        if other and other != intent:
            clashes.append(f"{filled!r}: {intent} ({sample}) and {other}")
    assert clashes == []


# --------------------------------------------------------------------------- the source is checked

def _add(intent, *templates):
    return lambda s: s["intents"][intent].extend(templates)


@pytest.mark.parametrize("mutate, message", [
    (lambda s: s["intents"].__setitem__("MadeUpIntent", ["hello there"]), "not in skill.constants"),
    (lambda s: s["intents"].__setitem__("FaqMadeUpIntent", ["tell me a joke"]),
     "unknown FAQ topic"),
    (lambda s: s["intents"].pop(C.faq_intent("heat_or_cold")), "FAQ topic heat_or_cold"),
    (lambda s: s["intents"].pop(C.HISTORY), "without templates"),
    # a sample in two intents: as written, with a slot filled in, or one of Amazon's phrases
    (_add(C.PAIN, "[i think ]i have a question"), "in two intents"),
    (_add(C.PAIN, "my lower back please"), "in two intents"),
    (_add(C.PAIN, "(go|come) back"), "Amazon's 'go back'"),
    (_add(C.PAIN, "it hurts 2 much"), "numerals"),
    (_add(C.PAIN, "it hurts!"), "characters"),
    (_add(C.PAIN, "it hurts {topic}"), "not a slot of this intent"),
    (_add(C.PAIN, "{pain} {part}"), "only slots"),
    (_add(C.PAIN, "oh {pain} {part}"), "two slots side by side"),
    (_add(C.PAIN, "(it hurts"), "cannot parse"),
    (_add(C.PAIN, "it <no_such_rule>"), "no_such_rule"),
    (_add(C.PAIN, "(a|b|c|d|e|f) (a|b|c|d|e|f) (a|b|c|d|e|f) (a|b|c|d|e|f) (a|b|c|d|e|f)"),
     "expands to more than"),
    (lambda s: s["intents"][C.FALLBACK].append("whatever"), "no samples"),
    (lambda s: s["intents"].__setitem__(C.DELETE_DATA, ["delete my data"]), "at least 25"),
    (_add(C.PAIN, "my {part} please"), "in two intents"),
    (lambda s: s["lists"]["preference"]["values"].__setitem__(
        slice(None), [v for v in s["lists"]["preference"]["values"] if v["out"] != "pace_slow"]),
     "must define exactly"),
    (lambda s: s["lists"]["topic"]["values"].append({"in": "x", "out": "no_such_faq"}),
     "no such id"),
    (lambda s: s["lists"].__setitem__("colour", {"values": ["red"]}), "no intent has a slot"),
])
def test_bad_source_is_refused_with_a_clear_message(content, source, mutate, message):
    bad = copy.deepcopy(source)
    mutate(bad)
    with pytest.raises(M.ModelError, match=re.escape(message)):
        M.build_model(content, bad)


@pytest.mark.parametrize("limit, value, message", [
    ("MAX_MODEL_BYTES", 1_000_000, "Alexa's limit is 1000000"),
    ("MAX_SAMPLES_PER_INTENT", 500, "our bound is 500"),
    ("MAX_SAMPLE_CHARS", 40, "longer than 40 characters"),
])
def test_an_over_limit_model_is_refused(content, source, monkeypatch, limit, value, message):
    monkeypatch.setattr(M, limit, value)
    with pytest.raises(M.ModelError, match=re.escape(message)):
        M.build_model(content, copy.deepcopy(source))


def test_a_slot_value_over_alexas_limit_is_refused(content, source):
    bad = copy.deepcopy(source)
    bad["lists"]["part"]["values"].append("very " * 30 + "long")
    with pytest.raises(M.ModelError, match="longer than 140 characters"):
        M.build_model(content, bad)


def test_the_model_fits_alexas_limits_with_room(committed):
    text = M.MODEL_PATH.read_text(encoding="utf-8")
    assert M.limit_problems(committed, text) == []
    assert len(text.encode("utf-8")) <= 0.95 * M.MAX_MODEL_BYTES   # room for a few more intents


def test_sample_command_shows_what_a_template_gives(capsys):
    assert M.main(["--sample", "(why|how come) [does] my <back> pop"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "why does my lower back pop" in out and "how come my neck pop" in out
    assert len(out) == len(set(out)) == 2 * 2 * 5


def test_stats_command_reports_the_limits(capsys):
    assert M.main(["--stats"]) == 0
    out = capsys.readouterr().out
    assert "limit 1500000" in out and "limit 250" in out and "PainIntent" in out


def test_spoken_form():
    assert M.spoken_form("Quick-Release (3 min)") == "quick release three min"
    assert M.spoken_form("What's that?") == "what's that"
    assert M.spoken_form("P.T. & you") == "p.t. and you"
    assert M.spoken_form("21 stretches") == "twenty one stretches"


# --------------------------------------------------------------------------- the manifest

def test_skill_manifest():
    manifest = json.loads(M.MANIFEST_PATH.read_text(encoding="utf-8"))["manifest"]
    assert manifest["manifestVersion"] == "1.0"
    pub = manifest["publishingInformation"]
    assert pub["category"] == "HEALTH_AND_FITNESS"
    assert pub["isAvailableWorldwide"] is False
    assert pub["distributionCountries"] == ["US", "GB", "CA", "AU", "IN"]   # ISO: GB, not UK
    loc = pub["locales"][C.LOCALE]
    assert loc["name"] == "Back Stretch Coach"
    assert loc["summary"] and loc["description"]
    assert len(loc["summary"]) <= 160 and len(loc["description"]) <= 4000
    phrases = loc["examplePhrases"]
    assert 1 <= len(phrases) <= 3
    assert phrases[0] == f"Alexa, open {C.INVOCATION_NAME}"
    pc = manifest["privacyAndCompliance"]
    assert (pc["containsAds"], pc["isChildDirected"], pc["usesPersonalInfo"],
            pc["allowsPurchases"], pc["isExportCompliant"]) == (False, False, False, False, True)
    endpoint = manifest["apis"]["custom"]["endpoint"]
    assert endpoint == {"uri": "https://example.com/alexa", "sslCertificateType": "Wildcard"}
    assert manifest["events"]["endpoint"] == endpoint
    assert {"eventName": "SKILL_DISABLED"} in manifest["events"]["subscriptions"]


def test_example_phrases_are_sample_utterances(committed):
    """Certification wants every example phrase to be one of the model's utterances."""
    manifest = json.loads(M.MANIFEST_PATH.read_text(encoding="utf-8"))["manifest"]
    matcher = Matcher(committed)
    for phrase in manifest["publishingInformation"]["locales"][C.LOCALE]["examplePhrases"][1:]:
        launch, rest = matcher.parse_invocation(phrase)
        assert launch and rest, phrase
        match = matcher.match(rest)
        assert match.kind == "exact" and match.intent != C.FALLBACK, (phrase, match)
        assert rest in {i_s for i in committed["interactionModel"]["languageModel"]["intents"]
                        for s in i["samples"] for i_s in [s]} or match.slots, phrase
        assert all(s.id for s in match.slots.values()), (phrase, match)


HEDGES = ("maybe", "not sure", "i think", "i guess", "probably", "perhaps", "possibly",
          "not really", "kind of", "sort of", "don't know", "dunno", "don't think", "might")


def test_a_no_never_holds_doubt(lm):
    """Safety: AMAZON.NoIntent clears the red-flag question, so no hedge may be in it
    (doubt belongs to UnsureIntent, which the gate never takes as a no)."""
    intents = _intents(lm)
    doubtful = [s for s in intents[C.NO]["samples"] if any(h in f" {s} " for h in HEDGES)]
    assert doubtful == []
    unsure = intents[C.UNSURE]["samples"]
    for hedge in ("maybe", "not sure", "i think so", "i don't think so", "not really"):
        assert hedge in unsure, hedge
