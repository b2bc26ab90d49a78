"""Routine playback and navigation inside a routine (SPEC §2, §4), and pain.

`play` is the only place a stretch is rendered, and it asks the gate first
(skill/dialog/gate.py): without a "no" to the latest screening it asks the question instead.
The coach (skill/voice/coach.py) turns one stretch into pages; one page per response.

Pain ("it hurts"): stop at once and ask one short question, is it sharp, shooting or
spreading, or numb or tingling? "Yes", or no clear answer twice, stops for today (progress
kept, no next stretch offered, no routine again this session); an answer that describes is
read by the gate's rule (`answers.reading`: "it's shooting down my leg" is a yes, "no, just a
pinch" or "just a dull ache" a no). "No" is mild discomfort: a
gentler version of the same stretch (only after a "yes" to it), skip, or stop. Nothing said
after pain replays the painful stretch without that "yes".
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from typing import Any

from .. import constants as C
from ..voice import coach
from ..voice.coach import Prefs
from ..voice.screens import Screen, screens_for
from ..voice.ssml import Speech
from . import answers, gate, memory, reminders
from .replies import blocked, follow_up, menu, place
from .state import IN_ROUTINE, MENU, PAIN, PAIN_CHECK, PAUSED, ROUTINE, fresh_state
from .turn import Memory, Reply, Turn, ask, end

#: Stretches whose rendered pages each process keeps (routine items x preference
#: combinations x short/full). See docs/performance.md.
PAGE_CACHE_SIZE = 2048
#: Routines' timings and introductions each process keeps (routines x preference
#: combinations x which stretches are short: a few hundred for the shipped content).
MINUTES_CACHE_SIZE = 4096


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
def _rendered(content: _Same, routine_id: str, index: int, prefs: Prefs, short: bool,
              lead: int) -> tuple[Speech, ...]:
    return tuple(coach.routine_pages(content.obj, content.obj.routines[routine_id], index,
                                     prefs, short=short, lead_seconds=lead))


def _lead(turn: Turn, routine, prefs: Prefs) -> int:
    """Room on a stretch's first page for the longest introduction the routine can have
    (a routine starts or resumes at any stretch), in whole seconds, with the closing
    question and a margin for a voice a little slower than the estimate. It depends only
    on the content, the routine and the pace, so it is computed once per process."""
    return _lead_seconds(_Same(turn.content), routine.id, prefs.pace)


@functools.lru_cache(maxsize=MINUTES_CACHE_SIZE)
def _lead_seconds(content: _Same, routine_id: str, pace: str) -> int:
    turn = _neutral_turn(content.obj, Prefs(pace=pace))
    sp = Speech(pace).say(turn.s("cleared"))
    for line in intro_lines(turn, content.obj.routines[routine_id], teach=True, short=True):
        sp.say(line)
    sp.say(turn.t("lets_begin"))
    return int(sp.estimated_seconds) + 1


def _neutral_turn(content, prefs: Prefs) -> Turn:
    """A turn that knows only the content and these preferences: what a cached figure is
    computed with, so it can depend on nothing else (no session state, no other memory)."""
    return Turn(content, fresh_state(), Memory({"prefs": prefs.as_dict()}), dt.date.min)


def _prefs(turn: Turn) -> Prefs:
    prefs = turn.memory.prefs
    if turn.state.get("version") == "gentle":      # after mild pain: shorter holds
        prefs = dataclasses.replace(prefs, hold="shorter")
    return prefs


def _short(turn: Turn, exercise_id: str) -> bool:
    return turn.state.get("version") not in ("full", "gentle") and memory.is_short(turn, exercise_id)


def pages(turn: Turn, routine, index: int) -> list[Speech]:
    """The stretch's pages. Rendering depends only on the (frozen) content, the place in the
    routine, the preferences and the version, so each is rendered once per process and
    cached; callers get copies, so a cached page can never be changed."""
    short = _short(turn, routine.items[index].exercise.id)
    prefs = _prefs(turn)
    return [page.copy() for page in _rendered(_Same(turn.content), routine.id, index,
                                              prefs, short, _lead(turn, routine, prefs))]


# --------------------------------------------------------------------------- honest times

def intro_lines(turn: Turn, routine, teach: bool | None = None,
                short: bool | None = None) -> list[str]:
    """Said before a routine starts or resumes: what it needs, its warnings, that some
    stretches will be short (or as `short` says), and how to interrupt (once a session, or
    as `teach` says)."""
    lines = []
    if routine.equipment:
        things = list(routine.equipment)
        joined = things[0] if len(things) == 1 else ", ".join(things[:-1]) + " and " + things[-1]
        lines.append(turn.t("routine_equipment", equipment=joined))
    lines += routine.warnings
    if short is None:
        short = any(memory.is_short(turn, item.exercise.id) for item in routine.items)
    if short:
        lines.append(turn.t("short_hint"))
    if not turn.state["taught"] if teach is None else teach:
        lines.append(turn.t("how_to_interrupt"))
    return lines


def routine_seconds(turn: Turn, routine, done: bool = False) -> float:
    """What the user will hear, by the coach's own timing: the introduction, every page of
    every stretch with its closing question, and the summary. `done`: the routine was just
    played, so each stretch is timed in the version it had before this routine counted it.

    The figure depends only on the content, the routine, the preferences and which of its
    stretches are in their short version, so it is computed once per process for each of
    those (the menu and the list say it for every routine on every request)."""
    ids = [item.exercise.id for item in routine.items]
    shorts = tuple(memory.is_short(turn, i, discount=ids.count(i) if done else 0) for i in ids)
    return _routine_seconds(_Same(turn.content), routine.id, turn.memory.prefs, shorts)


@functools.lru_cache(maxsize=MINUTES_CACHE_SIZE)
def _routine_seconds(content: _Same, routine_id: str, prefs: Prefs,
                     shorts: tuple[bool, ...]) -> float:
    return timed_routine(_neutral_turn(content.obj, prefs), content.obj.routines[routine_id],
                         shorts)


def timed_routine(turn: Turn, routine, shorts: tuple[bool, ...]) -> float:
    """`routine_seconds` computed afresh for this turn, with stretch i short if shorts[i]
    (uncached: the cache keys on what this reads, and tests hold the two equal)."""
    sp = turn.speech(*intro_lines(turn, routine, teach=True, short=any(shorts)),
                     turn.t("lets_begin"))
    last = len(routine.items) - 1
    prefs = turn.memory.prefs
    lead = _lead(turn, routine, prefs)
    for index, short in enumerate(shorts):
        all_pages = _rendered(_Same(turn.content), routine.id, index, prefs, short, lead)
        for part, page in enumerate(all_pages):
            sp.extend(page)
            if part < len(all_pages) - 1:
                sp.say(turn.t("next_part_prompt"))
            elif index < last:
                sp.say(turn.t("next_prompt", next=routine.items[index + 1].exercise.name))
    sp.say(turn.t("summary", routine=routine.name, count=len(routine.items), minutes="10"))
    if routine.items[-1].exercise.position in ("floor", "hands_and_knees"):
        sp.say(turn.t("get_up"))
    return sp.estimated_seconds


def minutes(turn: Turn, routine, done: bool = False) -> str:
    """The routine's length as announced ("about {minutes} minutes")."""
    return coach.spoken_minutes(routine_seconds(turn, routine, done))


# --------------------------------------------------------------------------- playing

def begin(turn: Turn) -> Reply:
    """The gate was just cleared: the routine's introduction, then its (first) stretch,
    whose first page left room for it."""
    lead = [turn.s("cleared"), *intro_lines(turn, turn.routine), turn.t("lets_begin")]
    turn.state["taught"] = True
    return play(turn, lead=" ".join(lead))


def play(turn: Turn, lead: str | None = None) -> Reply:
    """Speak the current page of the current stretch. The only place a stretch is rendered."""
    st = turn.state
    if not gate.may_play(st):       # never without a "no" to the latest screening
        return gate.begin(turn, {"routine": st["routine"] or next(iter(turn.content.routines)),
                                 "index": st["index"]})
    routine = turn.routine
    index = st["index"]
    st.update(state=ROUTINE, skip=False)
    all_pages = pages(turn, routine, index)
    st["part"] = part = min(st["part"], len(all_pages) - 1)
    sp = turn.speech(lead) if lead else turn.speech()
    sp.extend(all_pages[part])
    last_stretch = index == len(routine.items) - 1
    if last_stretch and part == len(all_pages) - 1:
        return finish(turn, sp, shown_parts=len(all_pages))
    shown = screen(turn, len(all_pages))
    if part < len(all_pages) - 1:
        memory.remember_position(turn, routine.id, index)
        reply = ask(turn, sp, turn.t("next_part_prompt"), turn.t("routine_reprompt_part"))
    elif not last_stretch:
        memory.remember_position(turn, routine.id, index)
        nxt = routine.items[index + 1].exercise.name
        reply = ask(turn, sp, turn.t("next_prompt", next=nxt), turn.t("routine_reprompt", next=nxt))
    reply.screen = shown
    return reply


def screen(turn: Turn, parts: int | None = None, summary_minutes: str = "") -> Screen:
    """The current stretch on screen (on the last stretch, with the summary's minutes)."""
    st = turn.state
    if parts is None:
        parts = len(pages(turn, turn.routine, st["index"]))
    return screens_for(turn.content).stretch(st["routine"], st["index"], turn.memory.prefs,
                                             st["part"], parts, place(turn), summary_minutes)


def finish(turn: Turn, sp: Speech, shown_parts: int | None = None) -> Reply:
    """The summary. On screen: the last stretch when it was just played (it has
    `shown_parts` pages), else the summary alone; both with the minutes said."""
    routine = turn.routine
    if turn.state["state"] != PAIN:
        memory.record_seen(turn, routine.items[turn.state["index"]].exercise.id)
    said = minutes(turn, routine, done=True)
    sp.say(turn.t("summary", routine=routine.name, count=len(routine.items), minutes=said))
    if routine.items[-1].exercise.position in ("floor", "hands_and_knees"):
        sp.say(turn.t("get_up"))
    shown = (screen(turn, shown_parts, said) if shown_parts is not None
             else screens_for(turn.content).summary(routine.id, said))
    memory.record_finished(turn, routine.id)
    turn.state.update(state=MENU, routine=None, index=0, part=0, version="")
    reply = reminders.after_routine(turn, sp)
    reply.screen = shown
    return reply


def advance(turn: Turn) -> Reply:
    """Next page of this stretch, else the next stretch, else the summary. After pain or
    "this one is too hard" (`skip`), "next" and "skip" leave the stretch for the next one."""
    st = turn.state
    routine = turn.routine
    skipping = st["state"] == PAIN or st["skip"]
    if not skipping and st["part"] < len(pages(turn, routine, st["index"])) - 1:
        st["part"] += 1
        return play(turn)
    if st["index"] >= len(routine.items) - 1:
        return finish(turn, turn.speech())
    if not skipping:                       # a stretch done (not one skipped: hurt, too hard)
        memory.record_seen(turn, routine.items[st["index"]].exercise.id)
    st.update(index=st["index"] + 1, part=0, version="")
    return play(turn)


def back(turn: Turn) -> Reply:
    """The previous page or stretch (in a routine)."""
    st = turn.state
    if st["state"] == PAIN:
        if st["index"] == 0:
            return confirm_again(turn)
        st["part"] = 0
    if st["part"] > 0:
        st["part"] -= 1
        return play(turn)
    if st["index"] == 0:
        return play(turn, lead=turn.t("first_stretch"))
    st.update(index=st["index"] - 1, part=0, version="")
    return play(turn)


def from_the_top(turn: Turn) -> Reply:
    if turn.state["state"] == PAIN:
        return confirm_again(turn)
    turn.state.update(index=0, part=0, version="")
    return play(turn, lead=turn.t("starting_over", routine=turn.routine.name))


def tell_more(turn: Turn) -> Reply:
    """"Tell me more": the current stretch again with its full steps."""
    st = turn.state
    if st["state"] == PAIN:
        return confirm_again(turn)
    if st["state"] not in (ROUTINE, PAUSED):
        return menu(turn, turn.speech(turn.t("tell_more_none")))
    st.update(version="full", part=0)
    return play(turn)


def pause(turn: Turn) -> Reply:
    if turn.state["state"] == ROUTINE:
        turn.state["state"] = PAUSED
    reply = follow_up(turn, turn.speech())
    if turn.state["state"] in IN_ROUTINE:
        reply.screen = screen(turn)          # the stretch stays, with Resume instead of Pause
    return reply


def resume(turn: Turn) -> Reply:
    """Carry on: the paused routine, or the one stored from last time (screened again)."""
    if turn.state["state"] == PAIN:
        return confirm_again(turn)
    if turn.state["state"] in IN_ROUTINE:
        turn.state["state"] = ROUTINE
        return play(turn)
    if turn.state["blocked"]:
        return blocked(turn)
    point = memory.resume_point(turn)
    if point is None:
        return menu(turn, turn.speech(turn.t("nothing_to_resume")))
    return gate.begin(turn, point, resuming=True)


def progress(turn: Turn) -> Reply:
    st = turn.state
    if st["state"] not in IN_ROUTINE:
        if memory.has_history(turn):            # "how am I doing" after a finished routine
            return memory.history(turn)
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


# --------------------------------------------------------------------------- pain

def pain(turn: Turn) -> Reply:
    """"It hurts": stop, ease out, and one question (which kind of pain)."""
    st = turn.state
    if st["state"] not in IN_ROUTINE:
        return menu(turn, turn.speech(turn.t("pain_warning")))
    st.update(state=PAIN_CHECK, unclear=0)
    return ask(turn, turn.speech(turn.t("pain")), turn.t("pain_check"), turn.t("pain_check_reprompt"))


def pain_question(turn: Turn, sp: Speech) -> Reply:
    """Ask the pain question (which kind is it?) again after `sp`."""
    return ask(turn, sp, turn.t("pain_check"), turn.t("pain_check_reprompt"))


def pain_answer(turn: Turn, faq: str | None = None) -> Reply:
    """Any intent while the pain question is open (stop is handled before). A question
    (`faq`, "should I see a doctor") is answered, and the pain question asked again."""
    st, intent = turn.state, answers.reading(turn)   # "yeah it's sharp", "no, just a pinch"
    if faq is not None:
        return pain_question(turn, turn.speech(*turn.content.faq[faq].answer))
    if intent in (C.HELP, C.PAIN):
        return pain_question(turn, turn.speech(turn.t("pain_check_help")))
    if intent == C.NO:
        st.update(state=PAIN, unclear=0)
        return follow_up(turn, turn.speech(turn.t("pain_mild")))
    if intent == C.YES or st["unclear"] >= 1:   # doubt is taken as the kind that means stop
        st.update(state=MENU, blocked=True, unclear=0, version="")
        return end(turn, turn.speech(turn.t("pain_stop")))
    st["unclear"] = 1
    return pain_question(turn, turn.speech(turn.t("pain_check_unclear")))


def confirm_again(turn: Turn) -> Reply:
    """After mild pain, going on with the same stretch needs a "yes" first."""
    name = turn.routine.items[turn.state["index"]].exercise.name
    return ask(turn, turn.speech(), turn.t("pain_confirm", name=name), turn.t("pain_offer_reprompt"))


def gentler(turn: Turn) -> Reply:
    """"Yes" after mild pain: the same stretch again, gently, with shorter holds."""
    turn.state.update(state=ROUTINE, part=0, version="gentle")
    return play(turn, lead=turn.t("pain_gentle"))


def pain_no(turn: Turn) -> Reply:
    """"No" to the gentler version: skip or stop."""
    return ask(turn, turn.speech(), turn.t("pain_no"), turn.t("pain_offer_reprompt"))
