"""Screens (issue 13): what an Echo Show, an Echo Spot or an Echo Dot with clock shows, and
that a speaker without a screen gets exactly what it got before.

- every APL document, with every kind of datasource the skill makes, passes Amazon's static
  validator (npm apl-suggester, run by tests/apl/validate.js) with nothing returned and
  nothing reported on its error hook; every binding in a document finds its data;
- through the endpoint: a RenderDocument on launch, on every stretch, on an FAQ answer and on
  the summary for a device with APL; none for one without; APLT for an Echo Dot with clock;
- touches on the screen's buttons are the spoken words, gate included.
"""
from __future__ import annotations

import copy
import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from skill import constants as C
from skill.config import Config
from skill.content import ContentError, load_content
from skill.voice import screens
from skill.voice.coach import CUE_CHOICES, HOLD_CHOICES, PACE_CHOICES, Prefs, effective_hold
from skill.web.app import create_app
from tests.client import AlexaClient, flask_poster
from tests.conftest import SECRET, checked
from tests.paths import ALEXA_FIXTURES

ROOT = Path(__file__).resolve().parents[1]
VALIDATOR = ROOT / "tests" / "apl" / "validate.js"
NEXT, REPEAT, PAUSE, RESUME, NO, YES = ("AMAZON.NextIntent", "AMAZON.RepeatIntent",
                                        "AMAZON.PauseIntent", "AMAZON.ResumeIntent",
                                        "AMAZON.NoIntent", "AMAZON.YesIntent")
APL = "Alexa.Presentation.APL.RenderDocument"
APLT = "Alexa.Presentation.APLT.RenderDocument"


# ---------------------------------------------------------------- devices

def _real_screen_context() -> dict:
    """The viewport of a real Echo Show request (Amazon's simulator, 1024 x 600)."""
    env = json.loads((ALEXA_FIXTURES / "envelopes" / "launch_request_simulator_apl_viewports.json")
                     .read_text())
    return {k: v for k, v in env["context"].items() if k in ("Viewport", "Viewports")}


def echo_show() -> dict:
    return {"supportedInterfaces": {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}},
            **_real_screen_context()}


def echo_spot() -> dict:
    return {"supportedInterfaces": {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "1.6"}}},
            "Viewport": {"shape": "ROUND", "pixelWidth": 480, "pixelHeight": 480, "dpi": 160,
                         "currentPixelWidth": 480, "currentPixelHeight": 480, "touch": ["SINGLE"]}}


def echo_dot_with_clock() -> dict:
    """As Amazon documents it (aplt-interface.html)."""
    return {"supportedInterfaces": {"Alexa.Presentation.APLT": {"runtime": {"maxVersion": "1.0"}}},
            "Viewports": [{"id": "main", "type": "APLT", "supportedProfiles": ["FOUR_CHARACTER_CLOCK"],
                           "lineLength": 4, "lineCount": 1, "characterFormat": "SEVEN_SEGMENT",
                           "interSegments": [{"x": 2, "y": 0, "characters": "':."}]}]}


def simulator_without_apl() -> dict:
    """The real simulator capture as it is: a Viewport, but no APL in supportedInterfaces."""
    return {"supportedInterfaces": {}, **_real_screen_context()}


@pytest.fixture
def show(app):
    return AlexaClient(checked(flask_poster(app)), device=echo_show())


def start(alexa, routine="lower_back"):
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine=routine)
    return alexa.intent(NO)


def stretch_number(text: str) -> int | None:
    m = re.search(r"Stretch (\d+) of (\d+)", text)
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------- every datasource the skill makes

def every_screen(content) -> list[screens.Screen]:
    """Every kind of screen, in every place it can be shown: each routine's stretches (with
    each hold preference, paused, split over pages, the last one), the menu, each FAQ answer
    at the menu and in a routine, each summary."""
    s = screens.screens_for(content)
    minutes = tuple(str(n + 2.5) for n in range(len(content.routines)))
    out = [s.menu(place, minutes) for place in screens.PLACES]
    for routine in content.routines.values():
        for index in range(len(routine.items)):
            for hold in HOLD_CHOICES:
                out.append(s.stretch(routine.id, index, Prefs(hold=hold)))
            out.append(s.stretch(routine.id, index, Prefs(), place="paused"))
            out.append(s.stretch(routine.id, index, Prefs(), part=0, parts=2))
        out.append(s.stretch(routine.id, len(routine.items) - 1, Prefs(), summary_minutes="12"))
        out.append(s.summary(routine.id, "12"))
    for entry in content.faq:
        out += [s.faq(entry, place) for place in ("menu", "routine", "paused")]
    return out


def run_validator(items: list[dict]) -> list[dict]:
    node = shutil.which("node")
    assert node, "node is needed for Amazon's APL validator (apl-suggester)"
    assert (ROOT / "node_modules" / "apl-suggester").is_dir(), "run `make test` (npm ci) first"
    r = subprocess.run([node, str(VALIDATOR)], input=json.dumps(items), capture_output=True,
                       text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout)


#: Items of the validator's answer we accept, each with its reason. None so far: every
#: returned item and every error-hook report is a failure.
ALLOWED: list[tuple[str, str]] = []


def problems(results: list[dict]) -> list[str]:
    out = []
    for res in results:
        for item in res["returned"] + res["side"]:
            if not any(re.search(pat, json.dumps(item)) for pat, _why in ALLOWED):
                out.append(f"{res['name']}: {item}")
    return out


def test_the_validator_harness_sees_what_is_wrong():
    """The harness itself: a broken document is caught, both what validate() returns and
    what only reaches the error hook (an unknown component type)."""
    broken = {"type": "APL", "version": "1.6", "mainTemplate": {"items": [
        {"type": "Txt", "text": "hi"}, {"type": "Text", "textAlign": "middle", "bogus": 1}]}}
    res = run_validator([{"name": "broken", "document": broken, "datasources": {"payload": "x"}}])
    found = problems(res)
    assert any("Txt" in p and "-1150" in p for p in found), found          # error hook
    assert any("bogus" in p for p in found) and any("textAlign" in p for p in found)
    assert any("should be an object" in p for p in found)                  # datasource check


def test_every_document_with_every_datasource_passes_amazons_validator(content):
    docs = screens.documents()
    shown = every_screen(content)
    items, seen_kinds = [], set()
    for i, screen in enumerate(shown):
        first = screen.kind not in seen_kinds
        seen_kinds.add(screen.kind)
        items.append({"name": f"{screen.kind}#{i}", "datasources": screen.datasources,
                      **({"document": docs[screen.kind]} if first else {})})
    assert seen_kinds == set(screens.KINDS)
    results = run_validator(items)
    assert len(results) == len(items)
    assert problems(results) == []


def test_documents_import_nothing_and_share_one_version(content):
    docs = screens.documents()
    versions = {docs[k]["version"] for k in screens.KINDS}
    assert versions == {"1.6"}
    for kind in screens.KINDS:
        assert "import" not in docs[kind], kind      # the validator and the device need no network
        assert docs[kind]["mainTemplate"]["parameters"] == ["payload"]


def test_the_documents_are_read_once_and_shared(content):
    assert screens.documents() is screens.documents()
    s = screens.screens_for(content)
    assert s is screens.screens_for(content)
    assert s.stretch("lower_back", 0, Prefs()) is s.stretch("lower_back", 0, Prefs())


# ---------------------------------------------------------------- bindings find their data

_BINDING = re.compile(r"\$\{([^}]*)\}")
_PATH = re.compile(r"\b(payload|data)((?:\.[A-Za-z_]\w*)*)")


def _resolve(root, dotted: str):
    node = root
    for key in filter(None, dotted.split(".")):
        assert isinstance(node, dict) and key in node, f"no {key!r} in {node!r}"
        node = node[key]
    return node


def _check_bindings(node, payload, data_items, where="") -> int:
    """Walk a component tree: every ${payload.x} must exist in the payload, and inside a
    component bound to a payload array, every ${data.x} in each element. Returns how many
    bindings were checked (so a walk that checks nothing fails)."""
    checked_here = 0
    if isinstance(node, list):
        return sum(_check_bindings(n, payload, data_items, f"{where}[{i}]") for i, n in enumerate(node))
    if isinstance(node, str):
        for expr in _BINDING.findall(node):
            for root, dotted in _PATH.findall(expr):
                if root == "payload":
                    _resolve(payload, dotted)
                elif data_items is not None:
                    for element in data_items:
                        _resolve(element, dotted)
                checked_here += 1
        return checked_here
    if not isinstance(node, dict):
        return 0
    items = data_items
    bound = node.get("data")
    if isinstance(bound, str) and bound.startswith("${payload."):
        items = _resolve(payload, bound[2:-1].split(".", 1)[1])
        assert isinstance(items, list), (where, bound)
    for key, value in node.items():
        if key != "data":
            checked_here += _check_bindings(value, payload, items, f"{where}.{key}")
    return checked_here + (1 if items is not data_items else 0)


def test_every_binding_in_a_document_finds_its_data(content):
    docs = screens.documents()
    for screen in every_screen(content):
        template = docs[screen.kind]["mainTemplate"]
        assert _check_bindings(template["items"], screen.payload, None) >= 3, screen.kind
        for button in screen.payload["buttons"]:          # the ButtonRow layout's data
            assert set(button) == {"label", "command"} and button["command"] in screens.COMMANDS


def test_the_binding_check_sees_a_missing_field():
    with pytest.raises(AssertionError):
        _check_bindings({"type": "Text", "text": "${payload.nothing}"}, {"name": "x"}, None)
    with pytest.raises(AssertionError):
        _check_bindings({"type": "Sequence", "data": "${payload.steps}",
                         "items": [{"type": "Text", "text": "${data.text}"}]},
                        {"steps": ["a plain string"]}, None)


def test_every_command_a_screen_sends_is_a_spoken_word(content):
    """Each touch command maps to an intent the voice also has; the documents send only the
    commands their datasource gives them."""
    for command, intent in screens.COMMANDS.items():
        assert intent in C.BUILTIN_INTENTS + C.CUSTOM_INTENTS, command
    sent = set()
    for screen in every_screen(content):
        sent |= {b["command"] for b in screen.payload["buttons"]}
        sent |= {r["command"] for r in screen.payload.get("routines", ())}
    assert sent == set(screens.COMMANDS)
    text = json.dumps(screens.documents())
    assert set(re.findall(r'"SendEvent", "arguments": \[([^\]]*)\]', text)) == {
        '"${command}"', '"${data.command}", "${data.id}"'}


# ---------------------------------------------------------------- the character display (APLT)

#: Characters a seven-segment display can draw (letters it cannot draw show as blanks).
SEVEN_SEGMENT = set("0123456789- ") | set("AbCdEFHJLnoPrStUy")


def test_the_clock_document_is_plain_aplt(content):
    """apl-suggester does not check APLT, so this does: Amazon's documented shape."""
    doc = screens.documents()[screens.CLOCK]
    assert doc["type"] == "APLT" and doc["version"] == "1.0"
    assert "import" not in doc and "styles" not in doc
    items = doc["mainTemplate"]["items"]
    assert items == [{"type": "Text", "text": "${payload.text}"}]


def test_every_stretch_number_fits_the_clock(content):
    s = screens.screens_for(content)
    for routine in content.routines.values():
        for index in range(len(routine.items)):
            text = s.stretch(routine.id, index, Prefs()).clock
            assert len(text.replace(":", "")) <= screens.CLOCK_CHARACTERS, text
            assert set(text) <= SEVEN_SEGMENT, text
            assert text == f"{index + 1}-{len(routine.items)}"
    assert s.clock_text(10, 12) == "10"                # too long for four characters


# ---------------------------------------------------------------- the manifest

def test_skill_manifest_declares_apl_with_the_standard_viewports():
    manifest = json.loads((ROOT / "interaction_model" / "skill.json").read_text())["manifest"]
    interfaces = manifest["apis"]["custom"]["interfaces"]
    assert [i["type"] for i in interfaces] == ["ALEXA_PRESENTATION_APL"]   # APLT rides on it
    ports = interfaces[0]["supportedViewports"]
    for p in ports:
        assert set(p) == {"mode", "shape", "minWidth", "maxWidth", "minHeight", "maxHeight"}

    def declared(mode, shape, width, height):
        return any(p["mode"] == mode and p["shape"] == shape and p["minWidth"] <= width <= p["maxWidth"]
                   and p["minHeight"] <= height <= p["maxHeight"] for p in ports)
    for device in [("HUB", "ROUND", 480, 480),          # Echo Spot
                   ("HUB", "RECTANGLE", 960, 480),      # Echo Show 5
                   ("HUB", "RECTANGLE", 1024, 600),     # Echo Show (1st), simulator
                   ("HUB", "RECTANGLE", 960, 600),      # Echo Show 8
                   ("HUB", "RECTANGLE", 1280, 800),     # Echo Show 10
                   ("HUB", "RECTANGLE", 1920, 1080),    # Echo Show 15
                   ("TV", "RECTANGLE", 960, 540)]:      # Fire TV
        assert declared(*device), device


# ---------------------------------------------------------------- content

def test_a_missing_screen_label_stops_the_server(tmp_path, store):
    d = tmp_path / "content"
    shutil.copytree(ROOT / "content", d)
    text = (d / "screens.yaml").read_text().replace("button_next:", "button_nxt:")
    (d / "screens.yaml").write_text(text)
    with pytest.raises(ContentError, match=r"content/screens.yaml.*button_next"):
        create_app(Config.local(session_secret=SECRET), store=store, content=load_content(d))


# ---------------------------------------------------------------- through the endpoint

def test_launch_shows_the_menu_with_every_routine_and_its_minutes(show, content):
    r = show.launch()
    doc = r.rendered()
    assert doc is not None and doc["token"] == "backstretch.menu"
    assert doc["document"] == screens.documents()["menu"]
    shown = r.screen["routines"]
    assert [x["id"] for x in shown] == list(content.routines)
    listed = show.intent("ListRoutinesIntent").text
    for row, routine in zip(shown, content.routines.values()):
        assert row["name"].lower() == routine.name
        said = re.search(rf"The {routine.name}, about ([\d.]+) minutes", listed).group(1)
        assert row["minutes"] == content.text("screens", "menu_minutes", minutes=said)
    assert r.screen["buttons"] == []
    assert show.intent("ListRoutinesIntent").screen == r.screen


def test_every_stretch_of_every_routine_is_shown_as_it_is_said(content, app):
    for routine in content.routines.values():
        alexa = AlexaClient(checked(flask_poster(app)), user_id=f"screen-{routine.id}",
                            device=echo_show())
        r = start(alexa, routine.id)
        total = len(routine.items)
        for i, item in enumerate(routine.items):
            ex = item.exercise
            shown = r.screen
            assert r.rendered()["token"] == "backstretch.stretch"
            assert shown["progress"] == f"Stretch {i + 1} of {total}"
            assert f"Stretch {i + 1} of {total}: {ex.name}" in r.text        # said the same
            assert shown["name"].lower() == ex.name
            assert shown["steps"] == list(ex.steps) and all(s in r.text for s in ex.steps)
            hold = effective_hold(item, Prefs())
            if hold:
                assert f"Hold {hold} seconds" in shown["facts"]
                assert f"Hold for {hold} seconds" in r.text
            if ex.equipment:
                assert any(ex.equipment in d for d in shown["details"])
            while "rest of this stretch" in r.text:        # a long stretch spans responses
                assert shown["then"] == "The rest of this stretch"
                r = alexa.intent(NEXT)
                assert r.screen["name"] == shown["name"]
            if i < total - 1:
                assert r.screen["then"].lower() == routine.items[i + 1].exercise.name
                assert [b["command"] for b in r.screen["buttons"]] == ["repeat", "pause", "next"]
                r = alexa.intent(NEXT)
            else:                                          # the last one carries the summary
                said = re.search(r"(\d+) stretches in about (\d+) minutes", r.text)
                assert said and r.screen["thenLabel"] == "Last stretch"
                assert r.screen["then"] == f"{said.group(1)} stretches in about {said.group(2)} minutes"
                assert r.screen["buttons"] == [] and finished(r, content)


def test_an_faq_answer_is_shown_at_the_menu_and_mid_routine(show, content):
    show.launch()
    faq = content.faq["why_backs_crack"]
    r = show.intent("QuestionIntent", topic=faq.id)
    assert r.rendered()["token"] == "backstretch.faq"
    assert r.screen["lines"] == list(faq.answer) and all(s in r.text for s in faq.answer)
    assert r.screen["buttons"] == []
    start(show)
    r = show.intent("QuestionIntent", topic=faq.id)
    assert [b["command"] for b in r.screen["buttons"]] == ["repeat", "pause", "next"]
    r = show.intent("QuestionIntent", topic=("knitting", None))      # no answer: nothing to show
    assert r.rendered() is None


def finished(r, content) -> bool:
    """The routine's end: the session ends, or (after a user's first finished routine) it
    stays open only for the one-time offer of a daily reminder."""
    return r.ends or r.text.endswith(content.text("reminders", "offer"))


def test_the_summary_alone_is_shown_as_the_summary(show, content):
    """Pain during the last stretch (a long one, still open), then skip: the summary is the
    whole response. The session is put there as the server seals it."""
    from skill.dialog.state import PAIN, fresh_state, seal
    routine = content.routines["quick_release"]
    start(show, routine.id)
    last = len(routine.items) - 1
    gate = json.loads(show.attributes["bsc"])["gate"]       # this session's latest gate step
    state = dict(fresh_state(), state=PAIN, routine=routine.id, index=last, cleared=True, gate=gate)
    show.attributes = seal(state, show.session_id, SECRET)
    r = show.intent(NEXT)
    assert finished(r, content) and r.rendered()["token"] == "backstretch.summary"
    assert r.screen["routine"].lower() == routine.name
    said = re.search(r"(\d+) stretches in about (\d+) minutes", r.text)
    assert r.screen["line"] == f"{said.group(1)} stretches in about {said.group(2)} minutes"
    assert [s.lower() for s in r.screen["stretches"]] == [i.exercise.name for i in routine.items]


def test_pause_shows_resume_and_a_touch_on_it_resumes(show, content):
    start(show)
    r = show.touch("Pause")
    assert r.screen["status"] == "Paused" and content.text("prompts", "paused") in r.text
    assert [b["command"] for b in r.screen["buttons"]] == ["resume", "next"]
    r = show.touch("resume")
    assert stretch_number(r.text) == 1 and r.screen["status"] == ""


def test_the_screening_question_and_other_words_leave_the_screen_alone(show):
    show.launch()
    r = show.intent("StartRoutineIntent", routine="lower_back")
    assert r.directives == []
    assert show.intent("AMAZON.HelpIntent").directives == []


def test_an_old_apl_runtime_gets_voice_only(app):
    old = {"supportedInterfaces": {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "1.4"}}}}
    alexa = AlexaClient(checked(flask_poster(app)), device=old)
    assert alexa.launch().directives == []
    assert stretch_number(start(alexa).text) == 1


def test_a_round_hub_gets_the_same_document(app):
    alexa = AlexaClient(checked(flask_poster(app)), device=echo_spot())
    r = start(alexa)
    assert r.rendered()["document"] == screens.documents()["stretch"]   # adapts by itself


def test_echo_dot_with_clock_shows_the_stretch_number(app, content):
    alexa = AlexaClient(checked(flask_poster(app)), device=echo_dot_with_clock())
    r = alexa.launch()
    assert r.directives == []                     # nothing to count at the menu
    total = len(content.routines["lower_back"].items)
    r = start(alexa)
    assert r.rendered() is None                    # no APL on a clock
    clock = r.rendered(APLT)
    assert clock["targetProfile"] == "FOUR_CHARACTER_CLOCK"
    assert clock["document"] == screens.documents()["clock"]
    assert clock["datasources"] == {"payload": {"text": f"1-{total}"}}
    r = alexa.intent(NEXT)
    while stretch_number(r.text) is None:           # the rest of stretch 1 (still "1-6")
        assert r.rendered(APLT)["datasources"]["payload"]["text"] == f"1-{total}"
        r = alexa.intent(NEXT)
    assert stretch_number(r.text) == 2
    assert r.rendered(APLT)["datasources"]["payload"]["text"] == f"2-{total}"


# ---------------------------------------------------------------- devices without screens

SCRIPT = [("launch",), ("intent", "ListRoutinesIntent"), ("intent", "QuestionIntent", "why_backs_crack"),
          ("intent", "StartRoutineIntent", "quick_release"), ("intent", NO), ("intent", NEXT),
          ("intent", PAUSE), ("intent", RESUME), ("intent", "QuestionIntent", "how_often"),
          ("intent", NEXT), ("intent", NEXT)]


def _play(app, device, monkeypatch):
    """The script on one device, with the same ids and times each run, so two runs can be
    compared byte for byte. Returns the raw response bodies."""
    import itertools
    import uuid

    import tests.client
    counter = itertools.count()
    monkeypatch.setattr(tests.client.uuid, "uuid4", lambda: uuid.UUID(int=next(counter)))
    same_tokens(monkeypatch)
    alexa = AlexaClient(flask_poster(app), user_id="amzn1.ask.account.SAME",
                        timestamp=lambda: "2024-05-01T10:00:00Z", device=device)
    for step in SCRIPT:
        if step[0] == "launch":
            alexa.launch()
        elif len(step) == 3:
            alexa.intent(step[1], **({"topic": step[2]} if step[1] == "QuestionIntent"
                                     else {"routine": step[2]}))
        else:
            alexa.intent(step[1])
    monkeypatch.undo()
    return [resp.raw for _, resp in alexa.history]


@pytest.mark.parametrize("device", [None, "simulator"])
def test_a_device_without_screens_gets_the_same_bytes_as_before(content, tmp_path, monkeypatch,
                                                                device):
    """No directive at all, and every other byte as a screen device gets it: the speech, the
    reprompt, the session's end and its sealed state do not depend on the screen."""
    from skill.store import open_store
    plain_device = simulator_without_apl() if device else None
    runs = {}
    for name, dev in (("plain", plain_device), ("show", echo_show())):
        store = open_store(f"sqlite:///{tmp_path / name}.db")
        app = create_app(Config.local(session_secret=SECRET), store=store, content=content)
        runs[name] = _play(app, dev, monkeypatch)
        store.close()
    assert len(runs["plain"]) == len(SCRIPT)
    screens_seen = 0
    for plain, shown in zip(runs["plain"], runs["show"]):
        assert b"directives" not in plain and b"APL" not in plain
        body = json.loads(shown)
        screens_seen += "directives" in body["response"]
        body["response"].pop("directives", None)
        assert json.dumps(body, ensure_ascii=False).encode() == plain
    assert screens_seen >= 8


# ---------------------------------------------------------------- touch is the spoken word

def same_tokens(monkeypatch):
    """The gate's random step tokens (skill/dialog/state.py) made the same in two runs, so
    two conversations can be compared byte for byte."""
    import skill.dialog.state
    steps = itertools.count()
    monkeypatch.setattr(skill.dialog.state.secrets, "token_hex", lambda n: f"{next(steps):0{2 * n}x}")


def test_a_touch_on_next_is_the_next_intent(content, tmp_path, monkeypatch):
    from skill.store import open_store
    texts = []
    for how in ("voice", "touch"):
        same_tokens(monkeypatch)
        store = open_store(f"sqlite:///{tmp_path / how}.db")
        app = create_app(Config.local(session_secret=SECRET), store=store, content=content)
        alexa = AlexaClient(checked(flask_poster(app)), device=echo_show())
        start(alexa)
        r = alexa.intent(NEXT) if how == "voice" else alexa.touch("Next")
        stored = {k: v for k, v in store.get(alexa.user_id).items() if k != "gate"}  # per session
        texts.append((r.ssml, r.reprompt_ssml, r.screen, stored))
        store.close()
    assert texts[0] == texts[1]
    said = re.sub(r"<[^>]+>", " ", texts[1][0])       # moved on: stretch 2, or stretch 1's rest
    assert stretch_number(said) == 2 or "continued" in said


@pytest.mark.parametrize("touch", [("Next",), ("next",), ("Repeat",), ("Pause",), ("Resume",),
                                   ("start", "quick_release"), ("start", "no_such_routine")])
def test_a_touch_before_the_screening_answer_plays_no_stretch(show, content, touch):
    show.launch()
    show.intent("StartRoutineIntent", routine="lower_back")
    r = show.touch(*touch)
    assert stretch_number(r.text) is None and r.rendered() is None
    assert content.text("screening", "question") in r.text or r.ends
    if touch == ("Repeat",):                            # asked again, with the reason, and
        assert content.text("screening", "reason") in r.text     # not counted as unclear
        r = show.touch("Next")
        assert stretch_number(r.text) is None and not r.ends
    r = show.touch("Next")                              # a second unclear answer ends it
    assert stretch_number(r.text) is None and r.ends


def test_a_touched_routine_is_asked_for_and_screened(show, content):
    show.launch()
    r = show.touch("start", "desk_break")
    assert content.text("screening", "intro", routine=content.routines["desk_break"].name) in r.text
    assert stretch_number(r.text) is None
    r = show.intent(NO)
    assert stretch_number(r.text) == 1 and r.screen["header"] == "Desk break"


@pytest.mark.parametrize("arguments", [[], ["dance"], [{"itemId": "x"}], [7], None])
def test_an_event_we_did_not_ask_for_changes_nothing(show, arguments):
    start(show)
    before = dict(show.attributes)
    envelope = show.envelope({"type": "Alexa.Presentation.APL.UserEvent", "token": "other",
                              "arguments": arguments, "source": {}})
    r = show.send(envelope)
    assert r.status == 200 and r.ssml == "" and r.directives == []
    assert json.loads(r.session_attributes["bsc"]) == json.loads(before["bsc"])


def test_the_real_user_event_capture_gets_a_valid_empty_answer(app):
    body = (ALEXA_FIXTURES / "envelopes" / "apl_user_event.json").read_bytes()
    r = app.test_client().post("/alexa", data=body)
    assert r.status_code == 200
    assert "outputSpeech" not in r.get_json()["response"]


def test_touched_reads_only_our_commands():
    assert screens.touched(["Next"]) == (C.NEXT, {})
    assert screens.touched([" PAUSE "]) == (C.PAUSE, {})
    assert screens.touched(["start", "lower_back"]) == (C.START_ROUTINE, {C.SLOT_ROUTINE: "lower_back"})
    assert screens.touched(["start", 3]) == (C.START_ROUTINE, {})
    for junk in (None, [], ["dance"], [{"a": 1}], "next", [None]):
        assert screens.touched(junk) is None


def test_responses_never_change_a_shared_screen(show, content):
    """Documents and datasources are built once and shared between requests."""
    docs = copy.deepcopy(screens.documents())
    s = screens.screens_for(content)
    payload = copy.deepcopy(s.stretch("lower_back", 0, Prefs()).payload)
    start(show)
    show.intent(NEXT)
    show.intent(PAUSE)
    assert screens.documents() == docs
    assert s.stretch("lower_back", 0, Prefs()).payload == payload


def test_every_preference_is_shown_as_it_is_heard(content):
    """The screen's hold is the coach's effective hold for each preference."""
    s = screens.screens_for(content)
    item = content.routines["lower_back"].items[1]
    for hold in HOLD_CHOICES:
        for pace in PACE_CHOICES:
            for cues in CUE_CHOICES:
                prefs = Prefs(hold=hold, pace=pace, cues=cues)
                facts = s.stretch("lower_back", 1, prefs).payload["facts"]
                assert facts[0] == f"Hold {effective_hold(item, prefs)} seconds"
