"""Routine playback and navigation inside a routine (SPEC §2, §4).

`play` is the only place a stretch is rendered, and it asks the gate first
(skill/dialog/gate.py): without a "no" to the latest screening it asks the question instead.
The coach (skill/voice/coach.py) turns one stretch into pages; one page per response.
"""
from __future__ import annotations

import functools
from typing import Any

from ..voice.coach import Prefs, render_stretch
from ..voice.screens import Screen, screens_for
from ..voice.ssml import Speech
from . import gate, memory, reminders
from .replies import blocked, follow_up, menu, place
from .state import IN_ROUTINE, MENU, PAIN, PAUSED, ROUTINE
from .turn import Reply, Turn, ask, end

#: Stretches whose rendered pages each process keeps (shipped content: 32 routine items x
#: 12 preference combinations = 384). See docs/performance.md.
PAGE_CACHE_SIZE = 1024


class _Same:
    """Hashes and compares by identity, so the page cache can key on one Content object
    (which holds dicts, so it has no hash of its own). The key keeps the object alive, so its
    id cannot be reused by another one while it is cached."""
    __slots__ = ("obj",)

    def __init__(self, obj: Any):
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj


@functools.lru_cache(maxsize=PAGE_CACHE_SIZE)
def _rendered(content: _Same, routine_id: str, index: int, prefs: Prefs) -> tuple[Speech, ...]:
    routine = content.obj.routines[routine_id]
    return tuple(render_stretch(content.obj, routine.items[index], index + 1,
                                len(routine.items), prefs))


def pages(turn: Turn, routine, index: int) -> list[Speech]:
    """The stretch's pages. Rendering depends only on the (frozen) content, the place in the
    routine and the preferences, so each is rendered once per process and cached; callers
    get copies, so a cached page can never be changed."""
    return [page.copy() for page in _rendered(_Same(turn.content), routine.id, index,
                                              turn.memory.prefs)]


def play(turn: Turn, lead: str | None = None) -> Reply:
    """Speak the current page of the current stretch. The only place a stretch is rendered."""
    st = turn.state
    if not gate.may_play(st):       # never without a "no" to the latest screening
        return gate.begin(turn, {"routine": st["routine"] or next(iter(turn.content.routines)),
                                 "index": st["index"]})
    routine = turn.routine
    index = st["index"]
    all_pages = pages(turn, routine, index)
    st["part"] = part = min(st["part"], len(all_pages) - 1)
    st["state"] = ROUTINE
    sp = turn.speech(lead) if lead else turn.speech()
    sp.extend(all_pages[part])
    last_stretch = index == len(routine.items) - 1
    shown = screen(turn, len(all_pages))
    if part < len(all_pages) - 1:
        memory.remember_position(turn, routine.id, index)
        reply = ask(turn, sp, turn.t("next_part_prompt"), turn.t("routine_reprompt_part"))
    elif not last_stretch:
        memory.remember_position(turn, routine.id, index)
        nxt = routine.items[index + 1].exercise.name
        reply = ask(turn, sp, turn.t("next_prompt", next=nxt), turn.t("routine_reprompt", next=nxt))
    else:
        return finish(turn, sp, shown)
    reply.screen = shown
    return reply


def screen(turn: Turn, parts: int | None = None) -> Screen:
    """The current stretch on screen (its last page also shows the end of the routine)."""
    st = turn.state
    if parts is None:
        parts = len(pages(turn, turn.routine, st["index"]))
    return screens_for(turn.content).stretch(st["routine"], st["index"], turn.memory.prefs,
                                             st["part"], parts, place(turn))


def finish(turn: Turn, sp: Speech, shown: Screen | None = None) -> Reply:
    """The summary; on screen the last stretch (`shown`) when it was just played, else the summary."""
    routine = turn.routine
    sp.say(turn.t("summary", routine=routine.name, count=len(routine.items), minutes=routine.minutes))
    memory.record_finished(turn, routine.id)
    turn.state.update(state=MENU, routine=None, index=0, part=0)
    reply = reminders.after_routine(turn, sp)
    reply.screen = shown or screens_for(turn.content).summary(routine.id)
    return reply


def advance(turn: Turn) -> Reply:
    """Next page of this stretch, else the next stretch, else the summary."""
    st = turn.state
    routine = turn.routine
    if st["state"] != PAIN and st["part"] < len(pages(turn, routine, st["index"])) - 1:
        st["part"] += 1
        return play(turn)
    if st["index"] >= len(routine.items) - 1:
        return finish(turn, turn.speech())
    st.update(index=st["index"] + 1, part=0)
    return play(turn)


def back(turn: Turn) -> Reply:
    """The previous page or stretch (in a routine)."""
    st = turn.state
    if st["part"] > 0:
        st["part"] -= 1
        return play(turn)
    if st["index"] == 0:
        return play(turn, lead=turn.t("first_stretch"))
    st.update(index=st["index"] - 1, part=0)
    return play(turn)


def from_the_top(turn: Turn) -> Reply:
    turn.state.update(index=0, part=0)
    return play(turn, lead=turn.t("starting_over", routine=turn.routine.name))


def pause(turn: Turn) -> Reply:
    in_routine = turn.state["state"] in IN_ROUTINE
    if in_routine:
        turn.state["state"] = PAUSED
    reply = follow_up(turn, turn.speech())
    if in_routine:
        reply.screen = screen(turn)          # the stretch stays, with Resume instead of Pause
    return reply


def resume(turn: Turn) -> Reply:
    """Carry on: the paused routine, or the one stored from last time (screened again)."""
    if turn.state["state"] in IN_ROUTINE:
        turn.state["state"] = ROUTINE
        return play(turn)
    if turn.state["blocked"]:
        return blocked(turn)
    point = memory.resume_point(turn)
    if point is None:
        return menu(turn, turn.speech(turn.t("nothing_to_resume")))
    return gate.begin(turn, point)


def progress(turn: Turn) -> Reply:
    st = turn.state
    if st["state"] not in IN_ROUTINE:
        return menu(turn, turn.speech(turn.t("progress_none")))
    routine = turn.routine
    left = len(routine.items) - st["index"] - 1
    sp = turn.speech(turn.t("progress", number=st["index"] + 1, total=len(routine.items),
                            name=routine.items[st["index"]].exercise.name),
                     turn.t("progress_left", left=left) if left else turn.t("progress_last"))
    return follow_up(turn, sp)


def explain(turn: Turn) -> Reply:
    st = turn.state
    if st["state"] not in IN_ROUTINE:
        return menu(turn, turn.speech(turn.t("explain_none")))
    ex = turn.routine.items[st["index"]].exercise
    sp = turn.speech(turn.t("explain", name=ex.name, purpose=ex.purpose))
    if ex.cautions:
        sp.say(turn.t("explain_caution"))
    for caution in ex.cautions:
        sp.say(caution)
    return follow_up(turn, sp)


def pain(turn: Turn) -> Reply:
    st = turn.state
    if st["state"] not in IN_ROUTINE:
        return menu(turn, turn.speech(turn.t("pain_warning")))
    st["state"] = PAIN
    return follow_up(turn, turn.speech(turn.t("pain"), turn.t("pain_warning")))
