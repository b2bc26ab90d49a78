"""The menu and what can be asked anywhere: launch, choosing and listing routines, FAQ
questions, help, fallback and stop."""
from __future__ import annotations

from .. import constants as C
from ..voice.screens import Later, screens_for
from . import gate, memory, playback
from .replies import blocked, follow_up, menu, offer_resume, place
from .state import CONFIRM_DELETE, IN_ROUTINE, MENU, OFFER_RESUME, PAUSED, PAIN, relaunched
from .turn import Reply, Turn, ask, end, lookup, norm


def launch(turn: Turn) -> Reply:
    turn.state = relaunched(turn.state)     # a block lasts the whole session
    mem = turn.memory
    sp = turn.speech(turn.t("welcome_back" if mem.data.get("history") else "welcome"))
    if not mem.data.get("disclaimer_heard"):
        sp.say(turn.t("disclaimer"))
        mem.data["disclaimer_heard"] = True
    point = memory.resume_point(turn)
    if turn.state["blocked"]:
        sp.say(turn.s("blocked"))
    elif point:
        turn.state.update(state=OFFER_RESUME, pending=point)
        return _with_menu(turn, offer_resume(turn, sp))
    sp.say(turn.t("what_i_do"))
    return _with_menu(turn, menu(turn, sp))


def _with_menu(turn: Turn, reply: Reply) -> Reply:
    """The routines on screen, with the buttons that fit where the user now is (made only
    for a device that shows it: the minutes time every routine)."""
    where = place(turn)

    def shown():
        said = tuple(playback.minutes(turn, r) for r in turn.content.routines.values())
        return screens_for(turn.content).menu(where, said)
    reply.screen = Later(shown)
    return reply


def list_routines(turn: Turn) -> Reply:
    routines = turn.content.routines.values()
    sp = turn.speech(turn.t("list_intro", count=len(routines)))
    for r in routines:
        sp.say(turn.t("list_item", routine=r.name, minutes=playback.minutes(turn, r), description=r.description))
    if turn.state["state"] == MENU and not turn.state["blocked"]:
        return _with_menu(turn, ask(turn, sp, turn.t("list_question"), turn.t("menu_reprompt")))
    return _with_menu(turn, follow_up(turn, sp))


def choose_routine(turn: Turn) -> tuple[str | None, str | None]:
    """(routine id, words heard that matched nothing). A scene said first ("i've got my
    foam roller out") picks the routine, area or position its id names, when nothing else
    does."""
    c = turn.content
    rslot, aslot, pslot = (turn.slots.get(n) for n in (C.SLOT_ROUTINE, C.SLOT_AREA, C.SLOT_POSITION))
    rid = lookup(rslot, c.routines)
    if rid:
        return _placed(turn, rid, rslot), None
    # a routine slot may catch an area or position name ("the lower back one")
    area = lookup(aslot, c.areas) or lookup(rslot, c.areas)
    pos = lookup(pslot, c.positions) or lookup(rslot, c.positions)
    scene = turn.slots.get(C.SLOT_SCENE)       # "i'm at my desk, what can i do?"
    if not (area or pos or rslot or aslot or pslot) and scene is not None:
        found = _in_scene(scene, c.routines)
        if found:
            return found, None
        area, pos = _in_scene(scene, c.areas), _in_scene(scene, c.positions)
    if area or pos:
        for r in c.routines.values():
            if (not area or area in r.areas) and (not pos or pos in r.positions):
                return r.id, None
        for r in c.routines.values():   # no routine fits both: the area matters most
            if (area and area in r.areas) or (not area and pos in r.positions):
                return r.id, None
    heard = next((s.value for s in (rslot, aslot, pslot) if s is not None and s.value), None)
    return None, heard


def _placed(turn: Turn, rid: str, rslot) -> str:
    """A routine named by other words than its name ("lower back", "a quick stretch") with a
    position or place it is not done in ("in my chair", "at my desk"): the routine for the
    same part of the back done there, if there is one ("something for my lower back in my
    chair" is the desk break). Its own name said ("the quick release") is kept."""
    c = turn.content
    routine = c.routines[rid]
    pos = lookup(turn.slots.get(C.SLOT_POSITION), c.positions) or _in_scene(
        turn.slots.get(C.SLOT_SCENE), c.positions)
    said = f" {norm(rslot.value or '')} " if rslot is not None else ""
    if not pos or pos in routine.positions or f" {norm(routine.name)} " in said:
        return rid
    return next((r.id for r in c.routines.values()
                 if pos in r.positions and set(r.areas) & set(routine.areas)), rid)


def _in_scene(scene, table: dict) -> str | None:
    """The first id of a scene slot ("at my desk") that is an entry of `table`."""
    return next((i for i in scene.ids if i in table), None) if scene is not None else None


def _choices(turn: Turn) -> str:
    names = [f"the {r.name}" for r in turn.content.routines.values()]
    return ", ".join(names[:-1]) + ", or " + names[-1] if len(names) > 1 else names[0]


def start_routine(turn: Turn) -> Reply:
    if turn.state["blocked"]:
        return blocked(turn)
    rid, heard = choose_routine(turn)
    if rid is None:
        sp = turn.speech(turn.t("unknown_routine", heard=heard) if heard else turn.t("no_routine_match"),
                         turn.t("routine_choices", choices=_choices(turn)))
        return menu(turn, sp)
    return gate.begin(turn, {"routine": rid, "index": 0})


def question(turn: Turn) -> Reply:
    entry_id = lookup(turn.slots.get(C.SLOT_TOPIC), turn.content.faq)
    if entry_id is None:
        return ask(turn, turn.speech(turn.t("question_unknown")), turn.t("question_ask"),
                   turn.t("question_ask"))
    sp = turn.speech(*turn.content.faq[entry_id].answer)
    if turn.state["state"] == MENU and not turn.state["blocked"]:
        reply = ask(turn, sp, turn.t("question_menu_follow"), turn.t("menu_reprompt"))
    else:
        reply = follow_up(turn, sp)
    reply.screen = screens_for(turn.content).faq(entry_id, place(turn))
    return reply


def help_(turn: Turn) -> Reply:
    st = turn.state
    if st["state"] in IN_ROUTINE:
        r = turn.routine
        sp = turn.speech(turn.t("help_routine", routine=r.name, number=st["index"] + 1,
                                total=len(r.items)))
        if st["state"] == PAUSED:
            sp.say(turn.t("help_paused"))
        if st["state"] == PAIN:
            sp.say(turn.t("help_pain"))
        return follow_up(turn, sp)
    if st["state"] == CONFIRM_DELETE:
        return follow_up(turn, turn.speech(turn.t("help_delete")))
    sp = turn.speech(turn.t("help_menu"))
    if st["blocked"]:
        sp.say(turn.s("blocked"))
    return follow_up(turn, sp)


def fallback(turn: Turn) -> Reply:
    if turn.state["state"] in IN_ROUTINE:
        return follow_up(turn, turn.speech(turn.t("fallback_routine", routine=turn.routine.name)))
    return follow_up(turn, turn.speech(turn.t("fallback_menu")))


def stop(turn: Turn) -> Reply:
    st = turn.state
    in_routine = st["state"] in IN_ROUTINE
    st.update(state=MENU, pending=None, unclear=0)
    if in_routine:
        return end(turn, turn.speech(turn.t("stop_saved")))
    return end(turn, turn.speech(turn.t("goodbye")))
