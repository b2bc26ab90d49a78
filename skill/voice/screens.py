"""Screens: what a device with a display shows beside the speech (issue 13).

A conversation function that makes speech worth showing (the menu, a stretch, an FAQ
answer, the end of a routine) puts a `Screen` on its Reply: a kind and the datasource the
document shows, built here from the same content and coach data as the speech (names,
steps, the effective hold, sides, repetitions, answers) plus the few labels of
`content/screens.yaml`. skill/dialog/handlers.py turns it into the directives the device
can show (`directives`): an APL RenderDocument when the request's supportedInterfaces has
Alexa.Presentation.APL, an APLT RenderDocument with the stretch number when it has
Alexa.Presentation.APLT (Echo Dot with clock), nothing otherwise -- so a device without a
screen gets exactly the response it got before screens existed.

Documents are JSON files in skill/voice/apl/: one per kind plus `common.json` (colours and
sizes per viewport profile, text styles, the touch button), merged once per process. They
import no package, so Amazon's validator checks them offline (tests/test_screens.py). Each
document and each datasource is built once and shared: never change one after it is made.

Touch buttons send a UserEvent whose first argument is a command (`COMMANDS`); `touched`
turns it into the intent the spoken word would be, so a touch goes through the same
routing and the same screening gate as the voice.

No countdown is shown: see README ("Screens").
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective
from ask_sdk_model.interfaces.alexa.presentation.aplt import (
    RenderDocumentDirective as CharacterDisplayDirective, TargetProfile)

from .. import constants as C
from .coach import Prefs, effective_hold

APL_DIR = Path(__file__).resolve().parent / "apl"
KINDS = ("menu", "stretch", "faq", "summary")
CLOCK = "clock"
COMMON = "common"
SHARED_PARTS = ("resources", "styles", "layouts")
TOKEN_PREFIX = "backstretch."
USER_EVENT = "Alexa.Presentation.APL.UserEvent"
#: Characters of an Echo Dot with clock's display (a colon between the 2nd and 3rd is free).
CLOCK_CHARACTERS = 4

#: Touch commands (the first argument of a button's SendEvent) -> the intent of the same word.
COMMANDS: dict[str, str] = {
    "next": C.NEXT, "repeat": C.REPEAT, "pause": C.PAUSE, "resume": C.RESUME,
    "start": C.START_ROUTINE,       # a routine touched on the menu; its id is the 2nd argument
}
#: Where the user is (decided by the dialogue) -> the buttons shown there, in order.
PLACES: dict[str, tuple[str, ...]] = {
    "menu": (), "offer": ("resume",), "routine": ("repeat", "pause", "next"),
    "paused": ("resume", "next"),
}

#: The keys of content/screens.yaml this module shows, with their placeholders.
SCREEN_KEYS: dict[str, set[str]] = {
    "menu_title": set(), "menu_subtitle": set(), "menu_minutes": {"minutes"},
    "stretch_progress": {"number", "total"}, "equipment": {"equipment"},
    "hold": {"seconds"}, "moving": {"count"}, "moving_sides": {"count"},
    "repetitions": {"count"}, "repetitions_sides": {"count"}, "sides": set(), "next": set(),
    "rest_of_stretch": set(), "last_stretch": set(), "paused": set(),
    "summary_title": set(), "summary_line": {"count", "minutes"},
    **{f"button_{command}": set() for command in ("next", "repeat", "pause", "resume")},
    "clock_stretch": {"number", "total"}, "clock_stretch_short": {"number"},
}


class JsonReady(dict):
    """A JSON object made once and shared by every response that shows it (a document, a
    datasource). The response serializer (skill/web/serialize.py) passes it on as it is
    instead of copying it for each response: it holds only JSON values (dict, list, str,
    int, bool, None). Never change one."""
    json_ready = True


@dataclass(frozen=True, eq=False)
class Screen:
    """What one reply shows: the kind of document, its datasource's one object, and the
    text for a character display (stretches only). Shared and cached: never change it."""
    kind: str
    payload: dict
    clock: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "datasources", JsonReady(payload=self.payload))
        clock = JsonReady(payload={"text": self.clock}) if self.clock else None
        object.__setattr__(self, "clock_datasources", clock)


# --------------------------------------------------------------------------- documents

@functools.lru_cache(maxsize=4)
def documents(directory: Path = APL_DIR) -> dict[str, dict]:
    """Every document, complete (the APL ones with common.json merged in), by kind. Read
    once per process."""
    def read(name: str) -> dict:
        return json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))

    common = read(COMMON)
    out = {CLOCK: JsonReady(read(CLOCK))}
    for kind in KINDS:
        doc = read(kind)
        doc["resources"] = common["resources"] + doc.get("resources", [])
        doc["styles"] = {**common["styles"], **doc.get("styles", {})}
        doc["layouts"] = {**common["layouts"], **doc.get("layouts", {})}
        out[kind] = JsonReady(doc)
    return out


def _version(text: Any) -> tuple[int, ...] | None:
    try:
        return tuple(int(p) for p in str(text).split("."))
    except ValueError:
        return None


def _runs(interface: Any, document: dict) -> bool:
    """The device's APL runtime can show this document (it says no only with a lower maxVersion)."""
    most = _version(getattr(getattr(interface, "runtime", None), "max_version", None))
    return most is None or most >= _version(document["version"])


def _clock_profile(viewports: Any) -> TargetProfile:
    for viewport in viewports or ():
        profiles = getattr(viewport, "supported_profiles", None) or ()
        if any(getattr(p, "value", p) == TargetProfile.FOUR_CHARACTER_CLOCK.value for p in profiles):
            return TargetProfile.FOUR_CHARACTER_CLOCK
    return TargetProfile.NONE


@dataclass(frozen=True)
class Later:
    """A screen made only for a device that can show it, because making it costs (the
    menu's minutes time every routine, which a speaker never needs). `clock`: whether
    the screen it makes may have text for a character display."""
    make: Callable[[], Screen]
    clock: bool = False


def directives(screen: Screen | Later, interfaces: Any, viewports: Any = None) -> list:
    """The directives that show `screen` on a device with these supportedInterfaces (and
    context Viewports): none for a device without a screen."""
    if isinstance(screen, Later):
        if not (getattr(interfaces, "alexa_presentation_apl", None) is not None or (
                screen.clock and getattr(interfaces, "alexa_presentation_aplt", None) is not None)):
            return []
        screen = screen.make()
    out: list = []
    docs = documents()
    apl = getattr(interfaces, "alexa_presentation_apl", None)
    if apl is not None and _runs(apl, docs[screen.kind]):
        out.append(RenderDocumentDirective(token=TOKEN_PREFIX + screen.kind,
                                           document=docs[screen.kind],
                                           datasources=screen.datasources))
    if getattr(interfaces, "alexa_presentation_aplt", None) is not None and screen.clock:
        out.append(CharacterDisplayDirective(token=TOKEN_PREFIX + CLOCK,
                                             target_profile=_clock_profile(viewports),
                                             document=docs[CLOCK],
                                             datasources=screen.clock_datasources))
    return out


def touched(arguments: Any) -> tuple[str, dict[str, str]] | None:
    """A UserEvent's arguments -> (intent, {slot: value id}) when it came from one of our
    buttons, else None (an event we did not ask for is not an answer to anything)."""
    if not isinstance(arguments, list) or not arguments or not isinstance(arguments[0], str):
        return None
    intent = COMMANDS.get(arguments[0].strip().lower())
    if intent is None:
        return None
    slots = {}
    if intent == C.START_ROUTINE and len(arguments) > 1 and isinstance(arguments[1], str):
        slots[C.SLOT_ROUTINE] = arguments[1]
    return intent, slots


# --------------------------------------------------------------------------- datasources

def _cap(text: str) -> str:
    """A spoken name as a written title: "knee to chest stretch" -> "Knee to chest stretch"."""
    return text[:1].upper() + text[1:]


class Screens:
    """The screens for one Content (get it with `screens_for`). Each is built once."""

    def __init__(self, content):
        self.content = content
        self.stretch = functools.lru_cache(maxsize=1024)(self._stretch)
        self.menu = functools.lru_cache(maxsize=16)(self._menu)
        self.faq = functools.lru_cache(maxsize=256)(self._faq)
        self.summary = functools.lru_cache(maxsize=64)(self._summary)

    def t(self, key: str, **fields: Any) -> str:
        return self.content.text("screens", key, **fields)

    def buttons(self, place: str) -> list[dict]:
        return [{"label": self.t(f"button_{command}"), "command": command}
                for command in PLACES[place]]

    def clock_text(self, number: int, total: int) -> str:
        text = self.t("clock_stretch", number=number, total=total)
        if len(text.replace(":", "")) > CLOCK_CHARACTERS:
            text = self.t("clock_stretch_short", number=number)
        return text

    def _menu(self, place: str = "menu", minutes: tuple[str, ...] = ()) -> Screen:
        """The routines, with the minutes the list says for this user (in content order)."""
        c = self.content
        routines = [{
            "id": r.id, "command": "start", "name": _cap(r.name),
            "minutes": self.t("menu_minutes", minutes=said),
            "positions": _cap(", ".join(c.positions[p].name for p in r.positions)),
            "description": r.description,
        } for r, said in zip(c.routines.values(), minutes)]
        return Screen("menu", {"title": self.t("menu_title"), "subtitle": self.t("menu_subtitle"),
                               "routines": routines, "buttons": self.buttons(place)})

    def _stretch(self, routine_id: str, index: int, prefs: Prefs, part: int = 0,
                 parts: int = 1, place: str = "routine", summary_minutes: str = "") -> Screen:
        """Stretch `index` of a routine as the coach speaks it with these preferences; on
        the last stretch, what comes next is the end of the routine (`summary_minutes`, as
        the summary says them)."""
        c = self.content
        routine = c.routines[routine_id]
        item = routine.items[index]
        ex = item.exercise
        number, total = index + 1, len(routine.items)
        hold = effective_hold(item, prefs)
        reps = max(1, int(item.repetitions))
        if hold > 0:
            facts = [self.t("hold", seconds=hold)]
        else:
            facts = [self.t("moving_sides" if ex.sides else "moving", count=reps)]
        if ex.sides:
            facts.append(self.t("sides"))
        if hold > 0 and reps > 1:
            facts.append(self.t("repetitions_sides" if ex.sides else "repetitions", count=reps))
        details = [_cap(c.positions[ex.position].name)]
        if ex.equipment:
            details.append(self.t("equipment", equipment=ex.equipment))
        if part < parts - 1:
            then_label, then = self.t("next"), self.t("rest_of_stretch")
        elif number < total:
            then_label, then = self.t("next"), _cap(routine.items[index + 1].exercise.name)
        else:
            then_label = self.t("last_stretch")
            then = self.t("summary_line", count=total, minutes=summary_minutes)
            if place == "routine":      # played with the summary: the session ends with it
                place = "menu"
        return Screen("stretch", {
            "header": _cap(routine.name),
            "progress": self.t("stretch_progress", number=number, total=total),
            "status": self.t("paused") if place == "paused" else "",
            "name": _cap(ex.name),
            "details": details,
            "steps": list(ex.steps),
            "facts": facts,
            "thenLabel": then_label,
            "then": then,
            "buttons": self.buttons(place),
        }, clock=self.clock_text(number, total))

    def _faq(self, entry_id: str, place: str = "menu") -> Screen:
        entry = self.content.faq[entry_id]
        return Screen("faq", {"title": _cap(entry.topic), "lines": list(entry.answer),
                              "buttons": self.buttons(place)})

    def _summary(self, routine_id: str, minutes: str) -> Screen:
        routine = self.content.routines[routine_id]
        return Screen("summary", {
            "title": self.t("summary_title"), "routine": _cap(routine.name),
            "line": self.t("summary_line", count=len(routine.items), minutes=minutes),
            "stretches": [_cap(item.exercise.name) for item in routine.items],
            "buttons": self.buttons("menu"),
        })


_BY_CONTENT: dict[int, Screens] = {}


def screens_for(content) -> Screens:
    """The Screens of this Content object (kept while the process serves it)."""
    found = _BY_CONTENT.get(id(content))
    if found is None or found.content is not content:
        if len(_BY_CONTENT) >= 8:            # tests load many contents; a server loads one
            _BY_CONTENT.pop(next(iter(_BY_CONTENT)))
        found = _BY_CONTENT[id(content)] = Screens(content)
    return found
