"""Content: the shipped YAML validates and says what the spec needs; broken YAML fails usefully."""
from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from skill.constants import LOCALES, POSITIONS
from skill.content import (
    FALLBACK, Content, ContentError, count_sentences, default_content_dir, load_content, validate_main,
)

CONTENT_DIR = default_content_dir()
OWN_FILES = ("exercises.yaml", "routines.yaml", "faq.yaml")

# Every distinct stretch in the seed articles -> its id here.
SEED_STRETCHES = {
    "knee to chest": "knee_to_chest",
    "double knee to chest": "double_knee_to_chest",
    "pelvic tilt": "pelvic_tilt",
    "cat camel": "cat_camel",
    "bridge": "bridge",
    "lying spinal twist / supine lumbar rotation": "lying_spinal_twist",
    "yoga spine twist (both knees to one side)": "knee_drop_twist",
    "sitting rotation": "sitting_rotation",
    "seated trunk rotation": "seated_trunk_rotation",
    "seated thoracic twist": "seated_thoracic_twist",
    "back of chair extension": "back_of_chair_extension",
    "standing spinal rotation": "standing_spinal_rotation",
    "kneeling back extension": "kneeling_back_extension",
    "prone press up": "prone_press_up",
    "thoracic extension over a foam roller": "foam_roller_thoracic_extension",
    "shoulder blade squeeze": "shoulder_blade_squeeze",
    "chest stretch": "chest_stretch",
    "superman": "superman",
    "seated row": "seated_row",
}

# Stretches that bend the spine backward (or include a backward phase). They must warn about
# spinal stenosis and must never appear in the stenosis-friendly routine.
EXTENSION = {
    "back_of_chair_extension", "kneeling_back_extension", "prone_press_up",
    "foam_roller_thoracic_extension", "superman", "chest_stretch", "cat_camel", "bridge",
}
TWISTS = {
    "lying_spinal_twist", "knee_drop_twist", "sitting_rotation", "seated_trunk_rotation",
    "seated_thoracic_twist", "standing_spinal_rotation",
}
STENOSIS_ROUTINE = "gentle_flexion"
QUICK_RELEASE = "quick_release"

FAQ_TOPICS = {
    "why_backs_crack", "is_it_safe", "wont_crack_again", "how_often", "what_can_go_wrong",
    "who_should_not", "need_a_pop", "heat_or_cold", "foam_rollers", "someone_else",
    "lower_back_tension", "stenosis", "see_a_doctor", "stretching_benefits",
}


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


# --------------------------------------------------------------------------- shipped content


def test_shipped_content_validates(capsys):
    assert validate_main([]) == 0
    out = capsys.readouterr().out
    assert re.fullmatch(r"content OK: \d+ exercises, \d+ routines, \d+ FAQ answers\n", out), out


def test_validate_main_accepts_a_directory_and_the_subcommand_name(capsys):
    assert validate_main(["validate", str(CONTENT_DIR)]) == 0
    assert capsys.readouterr().out.startswith("content OK:")


def test_loads_fast_and_without_global_cache():
    timings, loaded = [], []
    for _ in range(3):  # best of three, so a busy machine doesn't make this flaky
        start = time.perf_counter()
        loaded.append(load_content())
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.2, f"loading content took {min(timings):.3f} s"
    assert loaded[0] is not loaded[1]


def test_counts(content):
    assert len(content.exercises) >= 17
    assert len(content.routines) >= 5
    assert len(content.faq) >= 14


@pytest.mark.parametrize("seed_name, ident", sorted(SEED_STRETCHES.items()))
def test_every_seed_stretch_is_present(content, seed_name, ident):
    assert ident in content.exercises, f"missing the seed stretch {seed_name!r} ({ident})"


def test_required_faq_topics(content):
    assert FAQ_TOPICS <= set(content.faq)


def test_areas_and_positions(content):
    assert {"lower_back", "mid_back", "upper_back"} <= set(content.areas)
    assert set(content.positions) == set(POSITIONS)
    lower = set(content.areas["lower_back"].synonyms)
    assert {"low back", "lumbar"} <= lower
    mid = set(content.areas["mid_back"].synonyms)
    assert {"between my shoulder blades", "thoracic"} <= mid
    assert "lying down" in content.positions["floor"].synonyms
    assert {"sitting", "at my desk"} <= set(content.positions["chair"].synonyms)
    assert "on my feet" in content.positions["standing"].synonyms


def test_routines_shape(content):
    for routine in content.routines.values():
        assert 2 <= len(routine.items) <= 7, routine.id
        assert routine.description and "\n" not in routine.description
        assert routine.synonyms, routine.id


def test_required_routines(content):
    routines = content.routines
    assert "floor" in routines["lower_back"].positions and "lower_back" in routines["lower_back"].areas
    assert {"upper_back", "mid_back"} <= set(routines["upper_mid_back"].areas)
    assert "chair" in routines["desk_break"].positions
    assert STENOSIS_ROUTINE in routines and QUICK_RELEASE in routines


def test_first_matching_routine_is_the_sensible_default(content):
    def first(kind, value):
        return next(r.id for r in content.routines.values() if value in getattr(r, kind))
    assert first("areas", "lower_back") == "lower_back"
    assert first("areas", "upper_back") == "upper_mid_back"
    assert first("areas", "mid_back") == "upper_mid_back"
    assert first("positions", "floor") == "lower_back"
    assert first("positions", "chair") == "desk_break"
    assert first("positions", "standing") == "desk_break"
    assert first("positions", "hands_and_knees") == "lower_back"


def test_quick_release_is_about_three_minutes(content):
    """SPEC §5: a short routine of about three minutes, by the coach's own timing."""
    from skill.voice.coach import Prefs, routine_pages
    routine = content.routines[QUICK_RELEASE]
    seconds = sum(page.estimated_seconds for index in range(len(routine.items))
                  for page in routine_pages(content, routine, index, Prefs()))
    assert 150 <= seconds <= 4 * 60, seconds


def test_stenosis_routine_has_no_extension(content):
    routine = content.routines[STENOSIS_ROUTINE]
    ids = [item.exercise.id for item in routine.items]
    assert not EXTENSION & set(ids), f"extension stretch in the stenosis routine: {EXTENSION & set(ids)}"
    for item in routine.items:
        assert not any("stenosis" in c.lower() for c in item.exercise.cautions), item.exercise.id
    assert any("stenosis" in s for s in routine.synonyms)


def test_extension_stretches_warn_about_stenosis(content):
    for ident in EXTENSION:
        cautions = " ".join(content.exercises[ident].cautions).lower()
        assert "spinal stenosis" in cautions, ident


def test_twists_warn_about_discs(content):
    for ident in TWISTS:
        assert any("disc" in c.lower() for c in content.exercises[ident].cautions), ident


def test_every_exercise_says_when_to_stop(content):
    for ex in content.exercises.values():
        assert any(c.lower().startswith("stop if") and "sharp" in c for c in ex.cautions), ex.id


def test_exercises_are_spoken_for_someone_who_cannot_see(content):
    for ex in content.exercises.values():
        assert ex.hold_seconds <= 60 and ex.tempo_seconds <= 20, ex.id
        assert 1 <= count_sentences(ex.purpose) <= 2, ex.id
        assert 1 <= len(ex.cues) <= 3, ex.id
        assert ex.release
        for step in ex.steps:
            assert count_sentences(step) == 1, (ex.id, step)
            assert len(step.split()) <= 18, (ex.id, step)
        if ex.sides:
            assert ex.switch, f"{ex.id}: a two-sided stretch says how to switch"


def test_faq_answers_are_plain_speech(content):
    for locale in (*LOCALES, FALLBACK):       # the locale's own words (A&E, 999) aside
        local = content.for_locale(locale)
        for entry in local.faq.values():
            text = " ".join(entry.answer)
            assert 2 <= count_sentences(text) <= 4, entry.id
            for word in local.words.values():
                text = text.replace(word, "")
            assert not re.search(r"[()\[\];/&*•]|\be\.g\.|\bi\.e\.|\betc\b|\bDr\b|\d", text), entry.id
            assert len(entry.synonyms) >= 3, entry.id


def test_faq_facts(content):
    def answer(ident):
        return " ".join(content.faq[ident].answer).lower()
    assert "synovial" in answer("why_backs_crack") and "facet" in answer("why_backs_crack")
    assert "twenty minutes" in answer("wont_crack_again")
    for word in ("strain", "nerve", "disc", "unstable"):
        assert word in answer("what_can_go_wrong"), word
    for word in ("osteoporosis", "rheumatoid arthritis", "injury", "disc"):
        assert word in answer("who_should_not"), word
    assert answer("need_a_pop").startswith("no")
    assert "twenty minutes" in answer("heat_or_cold")
    assert "don't" in answer("someone_else")
    for word in ("groin", "bladder", "bowel", "weakness", "fever", "weight loss", "fall", "severe"):
        assert word in answer("see_a_doctor"), word
    assert "backward" in answer("stenosis")


def test_dataclasses_are_frozen(content):
    ex = next(iter(content.exercises.values()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ex.hold_seconds = 1  # type: ignore[misc]
    assert isinstance(ex.steps, tuple) and isinstance(ex.synonyms, tuple)


def test_routine_items_apply_overrides(content):
    bridge = next(i for i in content.routines["lower_back"].items if i.exercise.id == "bridge")
    assert (bridge.hold_seconds, bridge.repetitions) == (10, 3)
    assert content.exercises["bridge"].hold_seconds != 10
    plain = content.routines["lower_back"].items[0]
    assert plain.hold_seconds == plain.exercise.hold_seconds
    assert plain.repetitions == plain.exercise.repetitions


def test_routine_order_is_content_order():
    text = (CONTENT_DIR / "routines.yaml").read_text()
    in_file = re.findall(r"^  - id: (\w+)$", text.split("\nroutines:", 1)[1], flags=re.M)
    assert list(load_content().routines) == in_file


# --------------------------------------------------------------------------- flat text files


def own_copy(tmp_path: Path) -> Path:
    """A content directory holding only this module's three files (no prompts etc.), and the
    locale words their FAQ answers use (content/locales/)."""
    target = tmp_path / "content"
    target.mkdir()
    for name in OWN_FILES:
        shutil.copy(CONTENT_DIR / name, target / name)
    shutil.copytree(CONTENT_DIR / "locales", target / "locales")
    return target


def test_loads_without_the_flat_files(tmp_path):
    content = load_content(own_copy(tmp_path))
    assert content.texts == {}


def test_flat_files_text_and_require(tmp_path):
    directory = own_copy(tmp_path)
    (directory / "prompts.yaml").write_text(
        'welcome: "Welcome back, {name}."\nplain: Hello.\nbraces: "Say {{this}}."\n')
    content = load_content(directory)
    assert content.texts["prompts"]["plain"] == "Hello."
    assert content.text("prompts", "welcome", name="Sam") == "Welcome back, Sam."
    assert content.text("prompts", "braces") == "Say {this}."
    with pytest.raises(KeyError):
        content.text("prompts", "nope")
    with pytest.raises(KeyError):
        content.text("nothing", "welcome")

    content.require("prompts", {"welcome": {"name", "extra"}, "plain": set()})
    with pytest.raises(ContentError) as err:
        content.require("prompts", {"welcome": set(), "missing_key": set(), "plain": set()})
    message = str(err.value)
    assert "content/prompts.yaml: key 'welcome': undeclared placeholder(s) {name}" in message
    assert "content/prompts.yaml: key 'missing_key': missing" in message
    assert len(err.value.problems) == 2
    with pytest.raises(ContentError, match=r"content/voice.yaml: .*missing"):
        content.require("voice", {"hold_start": {"seconds"}})


@pytest.mark.parametrize("text, expected", [
    ('greeting: "Hi {name"\n', "content/prompts.yaml: key 'greeting': bad braces"),
    ("count: 3\n", "content/prompts.yaml: key 'count': expected text, got a number"),
    ('empty: ""\n', "content/prompts.yaml: key 'empty': must not be empty"),
    ('pos: "Stretch {0}."\n', "content/prompts.yaml: key 'pos': placeholders must be {name}"),
    ('attr: "Stretch {a.b}."\n', "content/prompts.yaml: key 'attr': placeholders must be {name}"),
    ("yes: Sure.\n", "content/prompts.yaml: key True: keys must be text, got a boolean"),
    ("- a list\n", "content/prompts.yaml: expected a flat mapping"),
    ("a: One.\na: Two.\n", "content/prompts.yaml: line 2, column 1: a key appears twice in the "
                           "same entry (the second would replace the first) (YAML: duplicate key 'a')"),
])
def test_flat_file_problems(tmp_path, text, expected):
    directory = own_copy(tmp_path)
    (directory / "prompts.yaml").write_text(text)
    with pytest.raises(ContentError) as err:
        load_content(directory)
    assert expected in str(err.value)


# --------------------------------------------------------------------------- broken content


def broken(tmp_path: Path, filename: str, old: str, new: str) -> str:
    """Load a copy with the first `old` in `filename` replaced by `new`; return the error text."""
    directory = own_copy(tmp_path)
    path = directory / filename
    text = path.read_text()
    assert old in text, f"test fixture out of date: {old!r} not in {filename}"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ContentError) as err:
        load_content(directory)
    message = str(err.value)
    assert message == "\n".join(err.value.problems)
    return message


# Each case: one change to a copy of the content, and the lines the error must contain.
BROKEN = [
    pytest.param('exercises.yaml',
                 '    release: Slowly let go and slide your leg back down to the floor.\n',
                 '',
                 [
                     "content/exercises.yaml: exercise 'knee_to_chest': field 'release': missing "
                     'required field',
                 ],
                 id='missing_field'),
    pytest.param('routines.yaml', '      - lying_spinal_twist\n', '      - lying_spinal_twst\n',
                 [
                     "content/routines.yaml: routine 'lower_back': field 'exercises[3]': unknown "
                     "exercise 'lying_spinal_twst' (did you mean 'lying_spinal_twist'?)",
                 ],
                 id='unknown_exercise_reference_suggests'),
    pytest.param('routines.yaml',
                 '      - cat_camel\n',
                 '      - {id: cat_camel, hold_seconds: 5}\n',
                 [
                     "content/routines.yaml: routine 'lower_back': field "
                     "'exercises[5].hold_seconds': ",
                 ],
                 id='hold_override_on_a_moving_stretch'),
    pytest.param('routines.yaml', '      - seated_trunk_rotation\n', '      - superman\n',
                 [
                     "content/routines.yaml: routine 'desk_break': field 'exercises[0]': "
                     "'superman' is done in the position 'floor', which is not in this routine's "
                     'positions (chair, standing)',
                 ],
                 id='exercise_position_must_fit_the_routine'),
    pytest.param('routines.yaml',
                 '    areas: [lower_back]\n    positions: [floor]\n',
                 '    areas: [lower_back, upper_back]\n    positions: [floor]\n',
                 [
                     "content/routines.yaml: routine 'quick_release': field 'areas[1]': none of "
                     "this routine's exercises works the area 'upper_back'",
                 ],
                 id='routine_area_must_be_worked_by_an_exercise'),
    pytest.param('routines.yaml',
                 '  - id: upper_back\n',
                 '  - id: neck\n    name: neck\n  - id: upper_back\n',
                 [
                     "content/routines.yaml: area 'neck': no routine lists it in its areas",
                 ],
                 id='every_area_and_position_leads_to_a_routine'),
    pytest.param('exercises.yaml', '  - id: double_knee_to_chest\n', '  - id: knee_to_chest\n',
                 [
                     "content/exercises.yaml: exercise 'knee_to_chest': field 'id': duplicate id "
                     "'knee_to_chest'",
                 ],
                 id='duplicate_id'),
    pytest.param('faq.yaml', '  - id: heat_or_cold\n', '  - id: Heat-or-Cold\n',
                 [
                     "content/faq.yaml: FAQ entry at index 7: field 'id': 'Heat-or-Cold' is not a "
                     'snake_case id',
                 ],
                 id='id_must_be_snake_case'),
    pytest.param('exercises.yaml', '    cues:\n', '    cue:\n',
                 [
                     "content/exercises.yaml: exercise 'knee_to_chest': field 'cue': unknown field "
                     "(did you mean 'cues'?)",
                 ],
                 id='unknown_field'),
    pytest.param('routines.yaml', 'routines:\n', 'routine:\n',
                 [
                     "content/routines.yaml: field 'routine': unknown top-level key (did you mean "
                     "'routines'?)",
                     "content/routines.yaml: field 'routines': missing list of routines",
                 ],
                 id='unknown_top_level_key'),
    pytest.param('exercises.yaml',
                 '    hold_seconds: 30\n',
                 '    hold_seconds: 30\n    hold_seconds: 20\n',
                 [
                     'content/exercises.yaml: line',
                     "duplicate key 'hold_seconds'",
                 ],
                 id='duplicate_yaml_key_is_caught'),
    pytest.param('faq.yaml', 'not bones grinding together.\n', 'not bones grinding together\n',
                 [
                     "content/faq.yaml: FAQ entry 'why_backs_crack': field 'answer[3]': must end "
                     'with',
                 ],
                 id='faq_sentence_must_end_with_punctuation'),
    pytest.param('routines.yaml', 'thoracic spine,', 'thoracic spine, low back,',
                 [
                     "content/routines.yaml: area 'mid_back': field 'synonyms[4]': 'low back' is "
                     "also used by 'lower_back'",
                 ],
                 id='ambiguous_area_synonym'),
    pytest.param('routines.yaml', '[low back routine,', '[low back routine, quick routine,',
                 [
                     "routine 'quick_release': field 'synonyms[2]': 'quick routine' is also used "
                     "by 'lower_back'",
                 ],
                 id='ambiguous_routine_synonym'),
    pytest.param('faq.yaml', '      - ice or heat\n', '      - Is it safe to crack my back?\n',
                 [
                     "content/faq.yaml: FAQ entry 'heat_or_cold': field 'synonyms[0]': 'Is it safe "
                     "to crack my back?' is also used by 'is_it_safe'",
                 ],
                 id='ambiguous_faq_synonym_ignores_case_and_punctuation'),
    pytest.param('routines.yaml', '  - id: hands_and_knees\n', '  - id: all_fours\n',
                 [
                     "content/routines.yaml: position 'all_fours': field 'id': 'all_fours' is not "
                     'one of',
                     "content/routines.yaml: field 'positions': position 'hands_and_knees' is not "
                     'declared',
                 ],
                 id='position_ids_must_be_the_known_positions'),
]


@pytest.mark.parametrize("filename, old, new, expected", BROKEN)
def test_broken_content_is_named_by_file_entry_and_field(tmp_path, filename, old, new, expected):
    message = broken(tmp_path, filename, old, new)
    for line in expected:
        assert line in message, message


@pytest.mark.parametrize("old, new, field, words", [
    ("    hold_seconds: 30\n", "    hold_seconds: true\n", "hold_seconds", "expected a whole number, got a boolean"),
    ("    hold_seconds: 30\n", '    hold_seconds: "30"\n', "hold_seconds", "expected a whole number, got text"),
    ("    repetitions: 1\n", "    repetitions: 0\n", "repetitions", "must be at least 1"),
    ("    reenter: Draw the same knee back toward your chest.\n", "", "reenter", "a held stretch says how to go back"),
    ("    switch: Bend your left knee", "    switch: Bend. Your. Left. Knee. Now. And", "switch", "expected 1 to 5"),
    ("    sides: true\n", "    sides: 1\n", "sides", "expected true or false"),
    ("    areas: [lower_back]\n", "    areas: lower_back\n", "areas", "expected a list"),
    ("    synonyms: [knee hug,", "    synonyms: [no,", "synonyms[0]", "got a boolean (quote it"),
    ("    position: floor\n", "    position: flor\n", "position", "did you mean 'floor'?"),
    ("    areas: [lower_back]\n", "    areas: [lower_bak]\n", "areas[0]", "unknown area 'lower_bak'"),
    ("    hold_seconds: 30\n", "    hold_seconds: -5\n", "hold_seconds", "must be at least 0"),
    ("    hold_seconds: 30\n", "    hold_seconds: 0\n", "hold_seconds", "one must be above 0"),
    ("      - Lie on your back.\n", "      - Lie on your back. Bend both knees.\n", "steps[0]", "has 2 sentence(s)"),
    ("    sides: true\n", "    sides: false\n", "switch", "sides is false"),
])
def test_wrong_exercise_field(tmp_path, old, new, field, words):
    message = broken(tmp_path, "exercises.yaml", old, new)
    line = next((l for l in message.splitlines()
                 if l.startswith(f"content/exercises.yaml: exercise 'knee_to_chest': field '{field}': ")), None)
    assert line is not None, message
    assert words in line


@pytest.mark.parametrize("new, field, words", [
    ("{id: bridge, hold_seconds: 0, repetitions: 3}", "exercises[4].hold_seconds", "positive whole number"),
    ("{id: bridge, hold_seconds: 10, repetitions: true}", "exercises[4].repetitions", "positive whole number"),
    ("{id: bridge, hold_second: 10, repetitions: 3}", "exercises[4].hold_second", "did you mean 'hold_seconds'?"),
    ("{hold_seconds: 10, repetitions: 3}", "exercises[4].id", "missing required field"),
])
def test_bad_routine_override(tmp_path, new, field, words):
    message = broken(tmp_path, "routines.yaml", "{id: bridge, hold_seconds: 10, repetitions: 3}", new)
    assert f"content/routines.yaml: routine 'lower_back': field '{field}': " in message, message
    assert words in message


def test_bad_yaml_syntax_names_file_and_line(tmp_path):
    old = "    topic: why backs crack\n"
    text = (CONTENT_DIR / "faq.yaml").read_text()
    line = text[:text.index(old)].count("\n") + 1
    message = broken(tmp_path, "faq.yaml", old, "    topic: why backs crack: really\n")
    assert re.search(rf"^content/faq\.yaml: line {line}, column \d+: this line is indented "
                     rf"differently from the line above it, or its text contains ': ' and needs "
                     rf"quotes \(YAML: mapping values are not allowed in this context\)$",
                     message, re.M), message


def _line_of(name: str, text: str) -> int:
    whole = (CONTENT_DIR / name).read_text()
    return whole[:whole.index(text)].count("\n") + 1


def test_an_over_indented_list_item_is_explained_not_guessed_at(tmp_path):
    """One space too many joined the item to the one above ("pelvic_tilt - knee_to_chest")
    and the loader then suggested "did you mean 'knee_to_chest'?"."""
    old = "      - pelvic_tilt\n      - knee_to_chest\n"
    line = _line_of("routines.yaml", old) + 1
    message = broken(tmp_path, "routines.yaml", old, "      - pelvic_tilt\n        - knee_to_chest\n")
    assert message.splitlines() == [
        f"content/routines.yaml: line {line}: this list item is indented further than the item "
        f"above it, so YAML reads it as more text of that item; line its '-' up with the one above"]


@pytest.mark.parametrize("old, new, words", [
    ("  - id: desk_break\n", " - id: desk_break\n",
     "this line is not lined up with the lines of the same entry or list above it"),
    ("      - cat_camel\n", "         - cat_camel\n",
     "this line is not lined up with the list items above it"),
    ("    exercises:\n", "\texercises:\n", "a tab used for indenting? YAML indents with spaces"),
])
def test_indentation_mistakes_are_explained_in_plain_words(tmp_path, old, new, words):
    message = broken(tmp_path, "routines.yaml", old, new)
    assert message.startswith("content/routines.yaml: line ") and words in message, message
    assert "did you mean" not in message


@pytest.mark.parametrize("extra, count", [
    ("      - One more sentence here.\n", 5),
    ("      - One more! And another? Yes.\n", 7),
])
def test_faq_too_many_sentences(tmp_path, extra, count):
    old = "      - It is called joint cavitation, and it is not bones grinding together.\n"
    message = broken(tmp_path, "faq.yaml", old, old + extra)
    assert (f"content/faq.yaml: FAQ entry 'why_backs_crack': field 'answer': has {count} sentence(s), "
            "expected 2 to 4") in message


def test_faq_too_few_sentences(tmp_path):
    old = "      - Please don't let a friend or partner crack your back for you.\n"
    text = (CONTENT_DIR / "faq.yaml").read_text()
    block = text[text.index(old):].split("\n\n", 1)[0] + "\n"
    message = broken(tmp_path, "faq.yaml", block, old)
    assert "content/faq.yaml: FAQ entry 'someone_else': field 'answer': has 1 sentence(s)" in message


def test_missing_file(tmp_path):
    directory = own_copy(tmp_path)
    (directory / "faq.yaml").unlink()
    with pytest.raises(ContentError, match=r"content/faq.yaml: file is missing"):
        load_content(directory)


def test_missing_directory(tmp_path):
    with pytest.raises(ContentError, match="content directory not found"):
        load_content(tmp_path / "nowhere")


def test_all_problems_are_listed_one_per_line(tmp_path):
    directory = own_copy(tmp_path)
    path = directory / "exercises.yaml"
    path.write_text(path.read_text().replace("    cues:\n", "    cue:\n"))
    with pytest.raises(ContentError) as err:
        load_content(directory)
    count = len(load_content().exercises)  # every exercise has `cues`
    assert len(err.value.problems) == count and len(str(err.value).splitlines()) == count


def test_validate_main_reports_broken_content(tmp_path, capsys):
    directory = own_copy(tmp_path)
    path = directory / "routines.yaml"
    path.write_text(path.read_text().replace("      - lying_spinal_twist\n", "      - brige\n", 1))
    assert validate_main([str(directory)]) == 1
    captured = capsys.readouterr()
    assert "unknown exercise 'brige' (did you mean 'bridge'?)" in captured.err
    assert "content OK" not in captured.out


# --------------------------------------------------------------------------- our own words


def shared_dir() -> Path:
    """The read-only shared folder next to the repository (BACK_STRETCH_SHARED overrides)."""
    from tests.paths import SHARED
    return SHARED


def test_content_does_not_copy_the_seeds():
    tool = shared_dir() / "tools" / "seed_overlap.py"
    if not tool.is_file():
        pytest.fail(f"seed overlap checker not found at {tool}; the content can't be checked for "
                    "copied sentences (set BACK_STRETCH_SHARED to the shared folder)")
    result = subprocess.run([sys.executable, str(tool), str(CONTENT_DIR)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "0 files share" in result.stdout, result.stdout + result.stderr
