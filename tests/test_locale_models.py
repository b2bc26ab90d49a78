"""One interaction model per published locale (issue 14), each generated from the shared
templates in interaction_model/source/en-US/ and the locale's overlay beside them: only the
words that differ there. Every model is fresh, fits Alexa's limits with the project's
headroom, says the locale's words, and publishes example phrases it really understands."""
from __future__ import annotations

import copy
import json
import re
import shutil

import pytest

from skill import constants as C
from skill.content import load_content
from skill.language import model as M
from skill.language.nlu import Matcher, default_matcher

OTHER = C.LOCALES[1:]


@pytest.fixture(scope="module")
def content():
    return load_content()


@pytest.fixture(scope="module")
def built(content):
    """{locale: (source, model text)} as `python -m skill model` makes them."""
    out = {}
    for locale in C.LOCALES:
        source = M.locale_source(locale)
        out[locale] = (source, M.render(M.build_model(content, source)))
    return out


def _samples(text: str, intent: str) -> list[str]:
    lm = json.loads(text)["interactionModel"]["languageModel"]
    return next(i["samples"] for i in lm["intents"] if i["name"] == intent)


def _heard_as(text: str, said: str) -> dict[str, set[str]]:
    """{intent: {slot id, ...}} for each intent of the model `text` with a sample that says
    `said` exactly, as it is or with its slot filled with a value or synonym of its type (as
    an exact matcher such as virtual-alexa hears it); the ids are the values' ids."""
    lm = json.loads(text)["interactionModel"]["languageModel"]
    out: dict[str, set[str]] = {i["name"]: set() for i in lm["intents"] if said in i["samples"]}
    for intent, _, _, value, filled in M.filled_samples(lm, synonyms=True):
        if filled == said:
            out.setdefault(intent, set()).add(value.get("id") or value["name"]["value"])
    return out


def _all_samples(text: str) -> set[str]:
    lm = json.loads(text)["interactionModel"]["languageModel"]
    return {s for i in lm["intents"] for s in i["samples"]}


# --------------------------------------------------------------------------- committed models

@pytest.mark.parametrize("locale", C.LOCALES)
def test_every_locales_committed_model_is_not_stale(built, locale):
    assert M.model_path(locale).read_text(encoding="utf-8") == built[locale][1], (
        f"interaction_model/interactionModels/custom/{locale}.json is stale: run "
        "`python -m skill model` and commit it")


@pytest.mark.parametrize("locale", C.LOCALES)
def test_every_locales_model_fits_alexas_limits_with_room(built, locale):
    text = built[locale][1]
    assert M.limit_problems(json.loads(text), text) == []
    assert len(text.encode("utf-8")) <= 0.95 * M.MAX_MODEL_BYTES   # room for a few more intents


def test_the_overlays_replace_rather_than_add(built):
    """Each locale's words mostly replace the American words, so a locale model is at most a
    few KB bigger than the shared en-US one (and fits about wherever en-US fits)."""
    us = len(built[C.LOCALE][1].encode("utf-8"))
    sizes = {locale: len(built[locale][1].encode("utf-8")) for locale in OTHER}
    assert all(size <= us + 4096 for size in sizes.values()), (us, sizes)


def test_the_manifest_publishes_every_locale_and_only_those():
    manifest = json.loads(M.MANIFEST_PATH.read_text(encoding="utf-8"))["manifest"]
    pub = manifest["publishingInformation"]
    assert list(pub["locales"]) == sorted(C.LOCALES)
    assert pub["distributionCountries"] == ["US", "GB", "CA", "AU", "IN"]
    assert set(manifest["privacyAndCompliance"]["locales"]) == set(C.LOCALES)
    for locale, info in pub["locales"].items():
        assert info["name"] == "Back Stretch Coach", locale
        assert 0 < len(info["summary"]) <= 160 and 0 < len(info["description"]) <= 4000
        assert 1 <= len(info["keywords"]) <= 30
        assert M.model_path(locale).exists()
    assert "call 999" in pub["locales"]["en-GB"]["description"]
    assert "physiotherapist" in pub["locales"]["en-AU"]["description"]


@pytest.mark.parametrize("locale", C.LOCALES)
def test_every_locales_example_phrases_are_its_own_sample_utterances(built, locale):
    """Certification: every example phrase must be one of that locale's utterances."""
    manifest = json.loads(M.MANIFEST_PATH.read_text(encoding="utf-8"))["manifest"]
    phrases = manifest["publishingInformation"]["locales"][locale]["examplePhrases"]
    assert 1 <= len(phrases) <= 3 and phrases[0] == f"Alexa, open {C.INVOCATION_NAME}"
    source, text = built[locale]
    matcher = Matcher(json.loads(text), source)
    samples = _all_samples(text)
    for phrase in phrases:
        assert re.match(rf"^Alexa, (open|ask) {C.INVOCATION_NAME}\b", phrase), phrase
        launch, rest = matcher.parse_invocation(phrase)
        assert launch, phrase
        if rest:
            match = matcher.match(rest)
            assert match.kind == "exact" and match.intent != C.FALLBACK, (phrase, match)
            assert M.spoken_form(rest) in samples or match.slots, phrase


# --------------------------------------------------------------------------- the locale's words

@pytest.mark.parametrize("locale, said, intent, slot_id", [
    ("en-GB", "should i go to a and e", "FaqSeeADoctorIntent", None),
    ("en-GB", "yes trouble going to the loo", C.SYMPTOM, "bladder"),   # a sign: a yes
    ("en-AU", "should i go to emergency", "FaqSeeADoctorIntent", None),
    ("en-AU", "cheers mate", C.THANKS, None),
    ("en-CA", "should i go to emerg", "FaqSeeADoctorIntent", None),
    ("en-CA", "yes trouble going to the washroom", C.SYMPTOM, "bladder"),
    ("en-IN", "should i consult an ortho", "FaqSeeADoctorIntent", None),
    ("en-IN", "kindly repeat", C.REPEAT, None),
    ("en-IN", "should i go to casualty", "FaqSeeADoctorIntent", None),
])
def test_each_model_and_console_understand_the_locales_words(built, locale, said, intent,
                                                             slot_id):
    heard = _heard_as(built[locale][1], said)
    assert list(heard) == [intent], heard
    assert slot_id is None or slot_id in heard[intent]
    assert _heard_as(built[C.LOCALE][1], said) == {}       # en-US does not pay for them
    match = default_matcher(locale=locale).match(said)
    assert match.intent == intent
    assert default_matcher().match(said).intent != intent


@pytest.mark.parametrize("locale", OTHER)
def test_american_only_words_are_replaced_not_kept(built, locale):
    assert "FaqSeeADoctorIntent" in _heard_as(built[locale][1], "should i see a physiotherapist")
    assert _heard_as(built[locale][1], "should i see a physical therapist") == {}
    assert not any("physical therapist" in s for s in _all_samples(built[locale][1]))
    assert "FaqSeeADoctorIntent" in _heard_as(built[C.LOCALE][1],
                                              "should i see a physical therapist")


def test_a_locale_that_drops_a_no_word_still_never_hears_doubt_as_no(built):
    """en-IN drops the American "naw" (341 samples); what remains of no is still plain."""
    naw = re.compile(r"\bnaw\b")
    no = _samples(built["en-IN"][1], C.NO)
    assert not any(naw.search(s) for s in _all_samples(built["en-IN"][1]))
    assert {"nah", "nope", "nah i'm fine"} <= set(no)
    assert any(naw.search(s) for s in _samples(built[C.LOCALE][1], C.NO))
    assert default_matcher(locale="en-IN").match("naw").intent != C.NO


# --------------------------------------------------------------------------- the generator

def test_check_covers_every_locale_and_make_model_writes_each(tmp_path, monkeypatch, capsys):
    models = tmp_path / "custom"
    shutil.copytree(M.MODELS_DIR, models)
    monkeypatch.setattr(M, "MODELS_DIR", models)
    stale = models / "en-AU.json"
    stale.write_text(stale.read_text().replace('"should i go to emergency"',
                                               '"should i go to the er"'))
    (models / "en-IN.json").unlink()
    assert M.main(["--check"]) == 1
    captured = capsys.readouterr()
    assert "en-AU.json is stale: it does not match interaction_model/source/en-US/ with " \
           "interaction_model/source/en-AU/ and content/" in captured.err
    assert "en-IN.json is missing" in captured.err and "en-GB.json" not in captured.err
    for locale in ("en-US", "en-GB", "en-CA"):
        assert f"custom/{locale}.json is up to date" in captured.out
    assert M.main([]) == 0                                        # writes what was stale
    assert "wrote" in capsys.readouterr().out
    for locale in C.LOCALES:
        assert (models / f"{locale}.json").read_text() == M.model_path(locale).read_text()


def test_stats_and_samples_for_one_locale(capsys):
    assert M.main(["--locale", "en-GB", "--intent", "FaqSeeADoctorIntent"]) == 0
    assert "should i go to a and e" in capsys.readouterr().out.splitlines()
    assert M.main(["--locale", "en-IN", "--stats"]) == 0
    assert "limit 1500000" in capsys.readouterr().out


# --------------------------------------------------------------------------- overlays refused

def _overlay(**parts):
    return {"replace": {}, "intents": {}, "lists": {}, **parts,
            "where": {**{f"replace {k!r}": "interaction_model/source/en-XX/overlay.yaml"
                         for k in parts.get("replace", {})},
                      **{f"intent {k}": "interaction_model/source/en-XX/overlay.yaml"
                         for k in parts.get("intents", {})},
                      **{f"list {{{k}}}": "interaction_model/source/en-XX/overlay.yaml"
                         for k in parts.get("lists", {})}}}


@pytest.fixture(scope="module")
def base():
    return M.load_source()


@pytest.mark.parametrize("overlay, message", [
    (_overlay(replace={"the sidewalk": "the pavement"}),
     "interaction_model/source/en-XX/overlay.yaml: replace 'the sidewalk': no alternative"),
    (_overlay(replace={"physical": "physio"}), "replace 'physical': no alternative"),  # a whole one
    (_overlay(intents={"MadeUpIntent": ["hello"]}),
     "overlay.yaml: intents.MadeUpIntent: no such intent"),
    (_overlay(lists={"colour": {"values": ["red"]}}),
     "overlay.yaml: lists.colour: no such list"),
])
def test_an_overlay_naming_what_the_shared_templates_lack_is_refused(base, overlay, message):
    with pytest.raises(M.ModelError, match=re.escape(message)):
        M.apply_overlay(base, overlay)


def test_a_replacement_swaps_or_drops_whole_alternatives_only(base):
    source = copy.deepcopy(base)
    source["intents"][C.THANKS] = ["(thanks|ta|cheers) (mate|buddy)", "[ta ]lots"]
    out = M.apply_overlay(source, _overlay(replace={"ta": None, "buddy": "(pal|cobber)"}))
    assert out["intents"][C.THANKS] == ["(thanks|cheers) (mate|(pal|cobber))", "[ta ]lots"]
    assert source["intents"][C.THANKS][0] == "(thanks|ta|cheers) (mate|buddy)"   # unchanged


@pytest.mark.parametrize("text, message", [
    ("replace:\n  the er: 5\n", "replace 'the er': 5: both must be words"),
    ("expansion_rules:\n  doctor: (a gp)\n", "unknown top-level keys: expansion_rules"),
    ("language: fr\n", "'language' must be en"),
    ("intents:\n  ThanksIntent: [ta]\n", "intents.ThanksIntent must be"),
])
def test_a_malformed_overlay_file_is_refused_naming_it(tmp_path, text, message):
    folder = tmp_path / "en-GB"
    folder.mkdir()
    (folder / "overlay.yaml").write_text(text)
    with pytest.raises(M.ModelError, match=re.escape(message)):
        M.load_overlay(folder)


def test_a_locale_without_an_overlay_is_refused(tmp_path):
    shutil.copytree(M.SOURCE_DIR, tmp_path / C.LOCALE)
    with pytest.raises(M.ModelError, match=r"source/en-GB|en-GB: no overlay"):
        M.locale_source("en-GB", tmp_path / C.LOCALE, tmp_path)
    with pytest.raises(M.ModelError, match="not a published locale"):
        M.locale_source("en-NZ")
