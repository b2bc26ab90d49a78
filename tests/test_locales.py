"""Every English-speaking Alexa country (issue 14): each request is answered in the words of
its locale -- its own emergency number and where to get emergency care, what its doctors and
physiotherapists are called -- from one content with a small overlay per locale
(content/locales/<locale>.yaml). An unknown English locale gets the en-US words with "your
local emergency number". A broken overlay is refused by `python -m skill validate` and at
start-up, naming the file and the key."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
import yaml

from skill import constants as C
from skill.config import Config
from skill.content import (FALLBACK, LOCALE_WORDS, ContentError, default_content_dir,
                           load_content)
from skill.web.app import create_app
from tests.client import AlexaClient, flask_poster
from tests.conftest import SECRET, checked
from tests.server import ROOT, server_env

YES, NO = "AMAZON.YesIntent", "AMAZON.NoIntent"

# What a person hears in the emergency branch, by the locale their device speaks.
EMERGENCY = {
    "en-US": ("911", "an emergency room"),
    "en-CA": ("911", "the nearest emergency department"),
    "en-GB": ("999", "A&E"),
    "en-AU": ("000", "the nearest emergency department"),
    "en-IN": ("112", "the emergency department of the nearest hospital"),
}
# Who to see soon ("a GP or physiotherapist"), by locale.
SEE_SOON = {
    "en-US": "a doctor or physical therapist",
    "en-CA": "a doctor or physiotherapist",
    "en-GB": "a GP or physiotherapist",
    "en-AU": "a GP or physiotherapist",
    "en-IN": "a doctor or physiotherapist",
}
UNKNOWN_ENGLISH = ("en-NZ", "en-ZA", "en-IE")


@pytest.fixture
def user(app):
    def make(locale: str) -> AlexaClient:
        return AlexaClient(checked(flask_poster(app)), locale=locale)
    return make


def _emergency(alexa: AlexaClient):
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    r = alexa.intent(YES)
    assert not r.ends and "Yes or no?" in r.text          # the follow-up question
    return alexa.intent(YES)


# --------------------------------------------------------------------------- through the endpoint

def test_the_published_locales_are_the_english_alexa_countries():
    assert C.LOCALES == ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")
    assert set(EMERGENCY) == set(SEE_SOON) == set(C.LOCALES)


@pytest.mark.parametrize("locale", C.LOCALES)
def test_the_emergency_branch_says_the_countrys_number(user, locale):
    number, place = EMERGENCY[locale]
    r = _emergency(user(locale))
    assert r.ends and "cauda equina" in r.text
    assert f"Call {number} now, or have someone take you to {place}." in r.text
    # said digit by digit ("nine nine nine"), never as a quantity ("nine hundred ...")
    assert f'Call <say-as interpret-as="digits">{number}</say-as> now' in r.ssml
    others = {n for n, _ in EMERGENCY.values()} - {number}
    assert not any(re.search(rf"\b{n}\b", r.text) for n in others), r.text
    assert "Don't drive yourself" in r.text and "can't make the call" in r.text


@pytest.mark.parametrize("locale", UNKNOWN_ENGLISH)
def test_an_english_locale_we_do_not_publish_hears_your_local_emergency_number(user, locale):
    r = _emergency(user(locale))
    assert r.ends
    assert ("Call your local emergency number now, or have someone take you to an emergency "
            "room.") in r.text
    assert not re.search(r"\d", r.text) and "say-as" not in r.ssml


def test_a_request_without_a_locale_is_answered_in_the_default_locale(app):
    sent = []

    def no_locale(body, headers=None):
        sent.append(body.replace(b'"locale": "en-US", ', b""))
        return flask_poster(app)(sent[-1], headers)
    r = _emergency(AlexaClient(checked(no_locale)))
    assert all(b'"locale"' not in body for body in sent)
    assert "Call 911 now" in r.text


@pytest.mark.parametrize("locale", C.LOCALES)
def test_each_locale_hears_its_own_words_for_doctors_and_physiotherapists(user, locale):
    alexa = user(locale)
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    alexa.intent(YES)                                   # a warning sign
    alexa.intent(NO)                                    # none of the urgent ones
    r = alexa.intent(NO)                                # none of the see-today ones
    assert f"see {SEE_SOON[locale]} soon" in r.text and not r.ends
    r = alexa.intent("FaqSeeADoctorIntent")             # the FAQ speaks the same words
    number, place = EMERGENCY[locale]
    assert f"Call {number} or go to {place} at once" in r.text
    assert f"See {SEE_SOON[locale]} soon" in r.text
    if locale != "en-US":
        assert "physical therapist" not in r.text


def test_a_pain_that_means_stop_names_the_countrys_emergency_care(user):
    alexa = user("en-GB")
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    alexa.intent(NO)
    r = alexa.intent("PainIntent")
    assert "Yes or no?" in r.text and not r.ends         # which kind of pain?
    r = alexa.intent(YES)                                 # sharp, spreading or numb
    assert r.ends and "Please see a GP or physiotherapist about this pain." in r.text
    assert "go to A&E or call 999 straight away" in r.text


# --------------------------------------------------------------------------- the content

def test_every_locale_is_built_once_and_shared(content):
    gb = content.for_locale("en-GB")
    assert gb is content.for_locale("en-GB") is content.for_locale("en-gb")
    assert gb.locale == "en-GB" and content.locale == C.LOCALE
    assert content.for_locale(None) is content.for_locale("en-US") is content.for_locale("")
    fallback = content.for_locale("en-NZ")
    assert fallback is content.for_locale("en-ZA") is content.for_locale("de-DE")
    assert fallback.locale == FALLBACK
    # what does not depend on the country is the same object in every locale
    assert gb.exercises is content.exercises and gb.routines is content.routines
    assert gb.for_locale("en-US") is content


def test_the_fallback_takes_the_en_us_words_but_not_its_number(content):
    us, fallback = content.for_locale("en-US").words, content.for_locale("en-NZ").words
    assert fallback == {**us, "emergency_number": "your local emergency number"}
    assert set(us) == set(LOCALE_WORDS)


def test_no_text_says_an_emergency_number_itself(content):
    raw = yaml.safe_load((default_content_dir() / "screening.yaml").read_text())
    assert "{emergency_number}" in raw["emergency"] and "911" not in raw["emergency"]


# --------------------------------------------------------------------------- broken overlays

def content_copy(tmp_path):
    folder = tmp_path / "content"
    shutil.copytree(default_content_dir(), folder)
    return folder


def refused(folder) -> list[str]:
    with pytest.raises(ContentError) as err:
        load_content(folder)
    return err.value.problems


@pytest.mark.parametrize("locale", [*C.LOCALES, FALLBACK])
def test_an_overlay_without_a_word_it_must_give_is_refused(tmp_path, locale):
    folder = content_copy(tmp_path)
    path = folder / "locales" / f"{locale}.yaml"
    path.write_text(re.sub(r"(?m)^emergency_number:.*\n", "", path.read_text()))
    assert refused(folder) == [
        f"content/locales/{locale}.yaml: key 'emergency_number': missing: "
        + LOCALE_WORDS["emergency_number"]]


def test_an_overlay_with_an_unknown_word_is_refused(tmp_path):
    folder = content_copy(tmp_path)
    path = folder / "locales" / "en-GB.yaml"
    path.write_text(path.read_text().replace("professional:", "profesional:"))
    problems = refused(folder)
    assert ("content/locales/en-GB.yaml: key 'profesional': unknown key (did you mean "
            "'professional'?); an overlay gives only emergency_number, emergency_place, doctor, "
            "professional") in problems
    assert "content/locales/en-GB.yaml: key 'professional': missing: " \
           + LOCALE_WORDS["professional"] in problems


@pytest.mark.parametrize("change, message", [
    (lambda f: (f / "locales" / "en-AU.yaml").unlink(),
     "content/locales/en-AU.yaml: file is missing (every published locale has one, and the "
     "fallback)"),
    (lambda f: (f / "locales" / "en-NZ.yaml").write_text("emergency_number: '111'\n"),
     "content/locales/en-NZ.yaml: 'en-NZ' is not a published locale"),
    (lambda f: (f / "locales" / "en-GB.yaml").write_text(
        (f / "locales" / "en-GB.yaml").read_text().replace('"999"', "nine nine nine")),
     "content/locales/en-GB.yaml: key 'emergency_number': must be the number in digits"),
    (lambda f: (f / "locales" / "en-GB.yaml").write_text(
        (f / "locales" / "en-GB.yaml").read_text().replace("doctor: GP", "doctor: '{GP}'")),
     "content/locales/en-GB.yaml: key 'doctor': must not hold braces"),
    (lambda f: (f / "screening.yaml").write_text(
        (f / "screening.yaml").read_text().replace("Call {emergency_number} now", "Call 911 now")),
     "content/screening.yaml: key 'emergency': says the emergency number 911 itself; write "
     "{emergency_number}, which each locale fills in"),
    (lambda f: (f / "faq.yaml").write_text(
        (f / "faq.yaml").read_text().replace("a {professional} or a chiropractor",
                                             "a {therapist} or a chiropractor")),
     "content/faq.yaml: FAQ entry 'someone_else': field 'answer[2]': placeholders may only be "
     "locale words"),
    (lambda f: shutil.rmtree(f / "locales"), "content/locales/: folder is missing"),
])
def test_overlay_mistakes_are_refused_naming_file_and_key(tmp_path, change, message):
    folder = content_copy(tmp_path)
    change(folder)
    problems = refused(folder)
    assert any(p.startswith(message) for p in problems), problems


def test_validate_and_start_up_refuse_an_overlay_with_a_missing_key(tmp_path):
    folder = content_copy(tmp_path)
    path = folder / "locales" / "en-IN.yaml"
    path.write_text(re.sub(r"(?m)^doctor:.*\n", "", path.read_text()))
    line = "content/locales/en-IN.yaml: key 'doctor': missing"
    p = subprocess.run([sys.executable, "-m", "skill", "validate", str(folder)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120, env=server_env())
    assert p.returncode == 1 and line in p.stderr
    start = subprocess.run([sys.executable, "-m", "skill", "run"], cwd=ROOT, capture_output=True,
                           text=True, timeout=60, env=server_env(CONTENT_DIR=str(folder), PORT="1"))
    assert start.returncode == 2 and line in start.stderr
    with pytest.raises(ContentError, match=re.escape(line)):
        create_app(Config.local(session_secret=SECRET), content=load_content(folder))


# --------------------------------------------------------------------------- the console

TO_EMERGENCY = ["open back stretch coach", "start the lower back routine", "yes"]


@pytest.mark.parametrize("locale, lines, said", [
    ("en-GB", [*TO_EMERGENCY, "yeah trouble going to the loo"],
     "Call 999 now, or have someone take you to A&E."),
    ("en-AU", ["open back stretch coach", "should i go to emergency"],
     "Call 000 or go to the nearest emergency department at once"),
    ("en-US", [*TO_EMERGENCY, "yes"],
     "Call 911 now, or have someone take you to an emergency room."),
])
def test_the_console_is_a_device_in_the_locale_it_is_given(tmp_path, locale, lines, said):
    """`python -m skill chat --locale en-GB`: typed words are matched with that locale's
    templates, and its requests carry the locale, so the answers are in its words."""
    import io

    from skill import chat
    from skill.language.nlu import default_matcher
    out = io.StringIO()
    assert chat.main(["--temp", "--locale", locale], stdin=io.StringIO("\n".join(lines) + "\n"),
                     stdout=out) == 0
    transcript = out.getvalue()
    assert said in transcript, transcript[-600:]
    console = chat.Console(create_app(Config.local(session_secret=SECRET, data_dir=tmp_path,
                                                   database_url=None)),
                           default_matcher(locale=locale), io.StringIO(), locale=locale)
    assert console.envelope({"type": "LaunchRequest"})["request"]["locale"] == locale
