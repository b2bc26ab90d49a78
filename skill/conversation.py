"""The coaching conversation (SPEC §2 and §3) as plain functions over a `Turn`.

Handlers (skill/handlers.py) are thin: they build a Turn, call one function here and turn the
`Reply` into an Alexa response. Everything said comes from content/; every SSML string comes
from skill.ssml.Speech.

The safety gate: a stretch is only ever rendered by `_play`, and `_play` refuses (and asks the
screening question instead) unless the session state says the latest screening answer was "no".
That state travels in session attributes sealed with an HMAC bound to the session id, so a
tampered, replayed or malformed state is a fresh start, never a way past the gate.
"""
from __future__ import annotations

import datetime as dt
import functools
import hmac
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from . import constants as C
from .coach import VOICE_KEYS, Prefs, render_stretch
from .content import Content
from .ssml import Speech

log = logging.getLogger(__name__)

# States of the session.
MENU = "menu"
OFFER_RESUME = "offer_resume"
SCREENING = "screening"
FOLLOWUP = "followup"
ROUTINE = "routine"
PAUSED = "paused"
PAIN = "pain"
CONFIRM_DELETE = "confirm_delete"
STATES = (MENU, OFFER_RESUME, SCREENING, FOLLOWUP, ROUTINE, PAUSED, PAIN, CONFIRM_DELETE)
IN_ROUTINE = (ROUTINE, PAUSED, PAIN)
PENDING_STATES = (OFFER_RESUME, SCREENING, FOLLOWUP)

HISTORY_LIMIT = 200
SESSION_KEY = "bsc"
SIG_KEY = "sig"
MAX_STATE_CHARS = 2000        # a sealed state is about 150; anything far bigger is not ours

# The text keys this module speaks, with the placeholders each may use. Checked at start-up.
PROMPT_KEYS: dict[str, set[str]] = {
    "welcome": set(), "welcome_back": set(), "disclaimer": set(), "what_i_do": set(),
    "menu_question": set(), "menu_reprompt": set(),
    "offer_resume": {"number", "total", "routine"}, "offer_resume_reprompt": {"routine"},
    "list_intro": {"count"}, "list_item": {"routine", "minutes", "description"},
    "list_question": set(),
    "unknown_routine": {"heard"}, "no_routine_match": set(), "routine_choices": {"choices"},
    "next_prompt": {"next"}, "next_part_prompt": set(),
    "routine_reprompt": {"next"}, "routine_reprompt_part": set(),
    "continue_prompt": set(), "continue_reprompt": set(),
    "summary": {"routine", "count", "minutes"},
    "first_stretch": set(), "starting_over": {"routine"},
    "paused": set(), "paused_reprompt": set(), "nothing_to_resume": set(),
    "progress": {"number", "total", "name"}, "progress_left": {"left"}, "progress_last": set(),
    "progress_none": set(),
    "explain": {"name", "purpose"}, "explain_caution": set(), "explain_none": set(),
    "pain": set(), "pain_warning": set(), "pain_offer": set(), "pain_offer_reprompt": set(),
    "pain_offer_last": set(), "pain_menu": set(),
    "question_unknown": set(), "question_ask": set(), "question_menu_follow": set(),
    "help_menu": set(), "help_routine": {"routine", "number", "total"}, "help_paused": set(),
    "help_pain": set(), "help_delete": set(),
    "fallback_menu": set(), "fallback_routine": {"routine"},
    "stop": set(), "stop_saved": set(), "goodbye": set(), "error": set(),
    **{f"pref_{v}": set() for v in C.PREFERENCE_VALUES}, "pref_unknown": set(),
    "history_none": set(), "history_week": {"count"}, "history_streak": {"days"},
    "history_last": {"routine", "when"}, "memory_unavailable": set(),
    "delete_confirm": set(), "delete_done": set(), "delete_kept": set(),
    "today": set(), "yesterday": set(), "days_ago": {"days"},
}
SCREENING_KEYS: dict[str, set[str]] = {
    "intro": {"routine"}, "question": set(), "reprompt": set(), "cleared": set(),
    "followup": set(), "followup_reprompt": set(), "emergency": set(), "see_doctor": set(),
    "see_doctor_question": set(), "blocked": set(), "unclear": set(), "unclear_end": set(),
    "help": set(),
}


def check_content(content: Content) -> None:
    """Raise ContentError (naming file and key) if a text this module speaks is missing."""
    content.require("prompts", PROMPT_KEYS)
    content.require("screening", SCREENING_KEYS)
    content.require("voice", VOICE_KEYS)


# --------------------------------------------------------------------------- state

def fresh_state() -> dict:
    return {"state": MENU, "routine": None, "index": 0, "part": 0, "pending": None,
            "cleared": False, "blocked": False, "unclear": 0, "back": None}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _valid_position(content: Content, routine: Any, index: Any) -> bool:
    return (isinstance(routine, str) and routine in content.routines and _is_int(index)
            and 0 <= index < len(content.routines[routine].items))


def validate_state(raw: Any, content: Content) -> dict | None:
    """The state if it is well formed and refers to content that exists, else None."""
    if not isinstance(raw, dict) or set(raw) != set(fresh_state()):
        return None
    s = raw
    if s["state"] not in STATES or s["back"] not in (None, *STATES):
        return None
    if not all(isinstance(s[k], bool) for k in ("cleared", "blocked")):
        return None
    if not (_is_int(s["unclear"]) and 0 <= s["unclear"] <= 1):
        return None
    if not (_is_int(s["part"]) and 0 <= s["part"] < 100 and _is_int(s["index"])):
        return None
    if s["routine"] is not None and not _valid_position(content, s["routine"], s["index"]):
        return None
    in_routine = s["state"] in IN_ROUTINE or (s["state"] == CONFIRM_DELETE and s["back"] in IN_ROUTINE)
    if in_routine and (s["routine"] is None or not s["cleared"]):
        return None
    p = s["pending"]
    if s["state"] in PENDING_STATES:
        if not (isinstance(p, dict) and set(p) == {"routine", "index"}
                and _valid_position(content, p["routine"], p["index"])):
            return None
    elif p is not None:
        return None
    if s["state"] == CONFIRM_DELETE and s["back"] in (None, CONFIRM_DELETE, *PENDING_STATES):
        return None
    return dict(s)


def _mac(secret: bytes, session_id: str, text: str) -> str:
    return hmac.digest(secret, (session_id + "\n" + text).encode(), "sha256").hex()


def seal(state: dict, session_id: str, secret: bytes) -> dict:
    """Session attributes for the response: the state as compact JSON text plus its HMAC.
    Text, not a nested object: the MAC covers the exact characters (no re-encoding to check
    it), and Alexa and ask-sdk copy a string for free."""
    text = json.dumps(state, sort_keys=True, separators=(",", ":"))
    return {SESSION_KEY: text, SIG_KEY: _mac(secret, session_id, text)}


def unseal(attributes: Any, session_id: str, secret: bytes, content: Content) -> dict:
    """The state from request session attributes; anything doubtful is a fresh start."""
    if not isinstance(attributes, dict) or SESSION_KEY not in attributes:
        return fresh_state()
    text, sig = attributes.get(SESSION_KEY), attributes.get(SIG_KEY)
    valid = None
    if (isinstance(text, str) and isinstance(sig, str) and len(text) <= MAX_STATE_CHARS
            and hmac.compare_digest(sig.encode("utf-8", "replace"),
                                    _mac(secret, session_id, text).encode())):
        try:
            valid = validate_state(json.loads(text), content)
        except (ValueError, RecursionError):
            valid = None
    if valid is None:
        log.warning("session state rejected (tampered, stale or malformed): fresh start")
        return fresh_state()
    return valid


# --------------------------------------------------------------------------- turn

@dataclass
class Memory:
    """What we remember about a user between sessions (never anything about health)."""
    data: dict = field(default_factory=dict)
    available: bool = True
    delete_requested: bool = False

    @property
    def prefs(self) -> Prefs:
        return Prefs.from_dict(self.data.get("prefs"))


@dataclass
class Slot:
    value: str | None = None     # what was heard
    ids: tuple[str, ...] = ()    # entity-resolution ids (ER_SUCCESS_MATCH)


@dataclass
class Turn:
    content: Content
    state: dict
    memory: Memory
    today: dt.date
    intent: str | None = None
    slots: dict[str, Slot] = field(default_factory=dict)

    def t(self, key: str, **fields: Any) -> str:
        return self.content.text("prompts", key, **fields)

    def s(self, key: str, **fields: Any) -> str:
        return self.content.text("screening", key, **fields)

    def speech(self, *texts: str) -> Speech:
        sp = Speech(pace=self.memory.prefs.pace)
        for text in texts:
            sp.say(text)
        return sp


@dataclass
class Reply:
    speech: Speech
    reprompt: Speech | None = None
    end: bool = False


def _ask(turn: Turn, speech: Speech, *question_and_reprompt: str) -> Reply:
    """Keep the session open: end with the question, reprompt with the last text."""
    question, reprompt = question_and_reprompt
    speech.say(question)
    return Reply(speech, turn.speech(reprompt), end=False)


def _end(turn: Turn, speech: Speech) -> Reply:
    return Reply(speech, None, end=True)


# --------------------------------------------------------------------------- lookups

def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).strip()


def _lookup(slot: Slot | None, table: dict) -> str | None:
    """An id from entity resolution or else, from the words heard, the entry whose name or
    synonym appears in them (the longest such name wins: "the lower back one")."""
    if slot is None:
        return None
    for i in slot.ids:
        if i in table:
            return i
    if not slot.value:
        return None
    heard = f" {_norm(slot.value)} "
    best, best_len = None, 0
    for entry in table.values():
        names = (entry.id.replace("_", " "), getattr(entry, "name", None) or entry.topic,
                 *entry.synonyms)
        for name in names:
            n = _norm(name)
            if n and f" {n} " in heard and len(n) > best_len:
                best, best_len = entry.id, len(n)
    return best


def _choose_routine(turn: Turn) -> tuple[str | None, str | None]:
    """(routine id, words heard that matched nothing)."""
    c = turn.content
    rslot, aslot, pslot = (turn.slots.get(n) for n in (C.SLOT_ROUTINE, C.SLOT_AREA, C.SLOT_POSITION))
    rid = _lookup(rslot, c.routines)
    if rid:
        return rid, None
    # a routine slot may catch an area or position name ("the lower back one")
    area = _lookup(aslot, c.areas) or _lookup(rslot, c.areas)
    pos = _lookup(pslot, c.positions) or _lookup(rslot, c.positions)
    if area or pos:
        for r in c.routines.values():
            if (not area or area in r.areas) and (not pos or pos in r.positions):
                return r.id, None
        for r in c.routines.values():   # no routine fits both: the area matters most
            if (area and area in r.areas) or (not area and pos in r.positions):
                return r.id, None
    heard = next((s.value for s in (rslot, aslot, pslot) if s is not None and s.value), None)
    return None, heard


def _choices(turn: Turn) -> str:
    names = [f"the {r.name}" for r in turn.content.routines.values()]
    return ", ".join(names[:-1]) + ", or " + names[-1] if len(names) > 1 else names[0]


def _resume_point(turn: Turn) -> dict | None:
    r = turn.memory.data.get("resume")
    if isinstance(r, dict) and _valid_position(turn.content, r.get("routine"), r.get("index")):
        return {"routine": r["routine"], "index": r["index"]}
    return None


def _routine(turn: Turn):
    return turn.content.routines[turn.state["routine"]]


# --------------------------------------------------------------------------- menu

def _menu(turn: Turn, speech: Speech | None = None) -> Reply:
    turn.state.update(state=MENU, pending=None, unclear=0)
    speech = speech or turn.speech()
    if turn.state["blocked"]:
        return _ask(turn, speech, turn.t("question_ask"), turn.t("question_ask"))
    return _ask(turn, speech, turn.t("menu_question"), turn.t("menu_reprompt"))


def launch(turn: Turn) -> Reply:
    turn.state = fresh_state()
    mem = turn.memory
    sp = turn.speech(turn.t("welcome_back" if mem.data.get("history") else "welcome"))
    if not mem.data.get("disclaimer_heard"):
        sp.say(turn.t("disclaimer"))
        mem.data["disclaimer_heard"] = True
    resume = _resume_point(turn)
    if resume:
        turn.state.update(state=OFFER_RESUME, pending=resume)
        return _offer_resume(turn, sp)
    sp.say(turn.t("what_i_do"))
    return _menu(turn, sp)


def list_routines(turn: Turn) -> Reply:
    routines = turn.content.routines.values()
    sp = turn.speech(turn.t("list_intro", count=len(routines)))
    for r in routines:
        sp.say(turn.t("list_item", routine=r.name, minutes=r.minutes, description=r.description))
    if turn.state["state"] == MENU and not turn.state["blocked"]:
        return _ask(turn, sp, turn.t("list_question"), turn.t("menu_reprompt"))
    return _follow_up(turn, sp)


def start_routine(turn: Turn) -> Reply:
    if turn.state["blocked"]:
        return _ask(turn, turn.speech(turn.s("blocked")), turn.t("question_ask"), turn.t("question_ask"))
    rid, heard = _choose_routine(turn)
    if rid is None:
        sp = turn.speech(turn.t("unknown_routine", heard=heard) if heard else turn.t("no_routine_match"),
                         turn.t("routine_choices", choices=_choices(turn)))
        return _menu(turn, sp)
    return _begin_screening(turn, {"routine": rid, "index": 0})


def resume(turn: Turn) -> Reply:
    if turn.state["state"] in IN_ROUTINE:
        turn.state["state"] = ROUTINE
        return _play(turn)
    if turn.state["blocked"]:
        return start_routine(turn)
    point = _resume_point(turn)
    if point is None:
        return _menu(turn, turn.speech(turn.t("nothing_to_resume")))
    return _begin_screening(turn, point)


# --------------------------------------------------------------------------- screening gate

def _begin_screening(turn: Turn, pending: dict) -> Reply:
    turn.state.update(state=SCREENING, pending=pending, cleared=False, unclear=0,
                      routine=None, index=0, part=0)
    name = turn.content.routines[pending["routine"]].name
    sp = turn.speech(turn.s("intro", routine=name))
    return _ask(turn, sp, turn.s("question"), turn.s("reprompt"))


def _screening_question(turn: Turn, speech: Speech) -> Reply:
    if turn.state["state"] == FOLLOWUP:
        return _ask(turn, speech, turn.s("followup"), turn.s("followup_reprompt"))
    return _ask(turn, speech, turn.s("question"), turn.s("reprompt"))


def screening_answer(turn: Turn) -> Reply:
    """Any request while the red-flag question is open."""
    st, intent = turn.state, turn.intent
    if intent in (C.STOP, C.CANCEL, C.NAVIGATE_HOME):
        return stop(turn)
    if intent == C.HELP:
        return _screening_question(turn, turn.speech(turn.s("help")))
    if intent == C.PAIN:
        return _screening_question(turn, turn.speech(turn.t("pain_warning")))
    if st["state"] == SCREENING and intent == C.NO:
        pending = st["pending"]
        st.update(state=ROUTINE, cleared=True, routine=pending["routine"], index=pending["index"],
                  part=0, pending=None, unclear=0)
        return _play(turn, lead=turn.s("cleared"))
    if st["state"] == SCREENING and intent == C.YES:
        st.update(state=FOLLOWUP, unclear=0)
        return Reply(turn.speech(turn.s("followup")), turn.speech(turn.s("followup_reprompt")))
    if st["state"] == FOLLOWUP and intent == C.YES:
        st.update(state=MENU, pending=None, blocked=True, unclear=0)
        return _end(turn, turn.speech(turn.s("emergency")))
    if st["state"] == FOLLOWUP and intent == C.NO:
        st.update(state=MENU, pending=None, blocked=True, unclear=0)
        return _ask(turn, turn.speech(turn.s("see_doctor")), turn.s("see_doctor_question"),
                    turn.t("question_ask"))
    # anything else is unclear: ask once more, then end safely without starting
    if st["unclear"] >= 1:
        st.update(state=MENU, pending=None, unclear=0)
        return _end(turn, turn.speech(turn.s("unclear_end")))
    st["unclear"] = 1
    return _screening_question(turn, turn.speech(turn.s("unclear")))


# --------------------------------------------------------------------------- playback

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


def _pages(turn: Turn, routine, index: int) -> list[Speech]:
    """The stretch's pages. Rendering depends only on the (frozen) content, the place in the
    routine and the preferences, so each is rendered once per process and cached; callers
    get copies, so a cached page can never be changed."""
    return [page.copy() for page in _rendered(_Same(turn.content), routine.id, index,
                                              turn.memory.prefs)]


def _play(turn: Turn, lead: str | None = None) -> Reply:
    """Speak the current page of the current stretch. The only place a stretch is rendered."""
    st = turn.state
    if not st["cleared"] or st["routine"] is None:       # the gate: never without a "no"
        return _begin_screening(turn, {"routine": st["routine"] or next(iter(turn.content.routines)),
                                       "index": st["index"]})
    routine = _routine(turn)
    index = st["index"]
    pages = _pages(turn, routine, index)
    st["part"] = part = min(st["part"], len(pages) - 1)
    st["state"] = ROUTINE
    sp = turn.speech(lead) if lead else turn.speech()
    sp.extend(pages[part])
    last_stretch = index == len(routine.items) - 1
    if part < len(pages) - 1:
        _remember_position(turn, routine.id, index)
        return _ask(turn, sp, turn.t("next_part_prompt"), turn.t("routine_reprompt_part"))
    if not last_stretch:
        _remember_position(turn, routine.id, index)
        nxt = routine.items[index + 1].exercise.name
        return _ask(turn, sp, turn.t("next_prompt", next=nxt), turn.t("routine_reprompt", next=nxt))
    return _finish(turn, sp)


def _finish(turn: Turn, sp: Speech) -> Reply:
    routine = _routine(turn)
    sp.say(turn.t("summary", routine=routine.name, count=len(routine.items), minutes=routine.minutes))
    data = turn.memory.data
    data.pop("resume", None)
    history = [h for h in data.get("history", []) if isinstance(h, dict)]
    history.append({"routine": routine.id, "date": turn.today.isoformat()})
    data["history"] = history[-HISTORY_LIMIT:]
    turn.state.update(state=MENU, routine=None, index=0, part=0)
    return _end(turn, sp)


def _remember_position(turn: Turn, routine_id: str, index: int) -> None:
    turn.memory.data["resume"] = {"routine": routine_id, "index": index}


def _advance(turn: Turn) -> Reply:
    st = turn.state
    routine = _routine(turn)
    if st["state"] != PAIN and st["part"] < len(_pages(turn, routine, st["index"])) - 1:
        st["part"] += 1
        return _play(turn)
    if st["index"] >= len(routine.items) - 1:
        return _finish(turn, turn.speech())
    st.update(index=st["index"] + 1, part=0)
    return _play(turn)


def next_(turn: Turn) -> Reply:
    if turn.state["state"] in IN_ROUTINE:
        return _advance(turn)
    return fallback(turn)


def previous(turn: Turn) -> Reply:
    st = turn.state
    if st["state"] not in IN_ROUTINE:
        return fallback(turn)
    if st["part"] > 0:
        st["part"] -= 1
        return _play(turn)
    if st["index"] == 0:
        return _play(turn, lead=turn.t("first_stretch"))
    st.update(index=st["index"] - 1, part=0)
    return _play(turn)


def repeat(turn: Turn) -> Reply:
    st = turn.state["state"]
    if st == ROUTINE:
        return _play(turn)
    if st == OFFER_RESUME:
        return _offer_resume(turn, turn.speech())
    if st == CONFIRM_DELETE:
        return _ask(turn, turn.speech(), turn.t("delete_confirm"), turn.t("delete_confirm"))
    return _follow_up(turn, turn.speech())


def _offer_resume(turn: Turn, sp: Speech, full: bool = True) -> Reply:
    """Ask whether to pick up the pending routine where the user stopped."""
    p = turn.state["pending"]
    r = turn.content.routines[p["routine"]]
    again = turn.t("offer_resume_reprompt", routine=r.name)
    offer = (turn.t("offer_resume", number=p["index"] + 1, total=len(r.items), routine=r.name)
             if full else again)
    return _ask(turn, sp, offer, again)


def start_over(turn: Turn) -> Reply:
    st = turn.state
    if st["state"] not in IN_ROUTINE:
        return start_routine(turn) if turn.slots else _menu(turn)
    st.update(index=0, part=0)
    return _play(turn, lead=turn.t("starting_over", routine=_routine(turn).name))


def pause(turn: Turn) -> Reply:
    if turn.state["state"] not in IN_ROUTINE:
        return _follow_up(turn, turn.speech())
    turn.state["state"] = PAUSED
    return _follow_up(turn, turn.speech())


def progress(turn: Turn) -> Reply:
    st = turn.state
    if st["state"] not in IN_ROUTINE:
        return _menu(turn, turn.speech(turn.t("progress_none")))
    routine = _routine(turn)
    left = len(routine.items) - st["index"] - 1
    sp = turn.speech(turn.t("progress", number=st["index"] + 1, total=len(routine.items),
                            name=routine.items[st["index"]].exercise.name),
                     turn.t("progress_left", left=left) if left else turn.t("progress_last"))
    return _follow_up(turn, sp)


def explain(turn: Turn) -> Reply:
    st = turn.state
    if st["state"] not in IN_ROUTINE:
        return _menu(turn, turn.speech(turn.t("explain_none")))
    ex = _routine(turn).items[st["index"]].exercise
    sp = turn.speech(turn.t("explain", name=ex.name, purpose=ex.purpose))
    if ex.cautions:
        sp.say(turn.t("explain_caution"))
    for caution in ex.cautions:
        sp.say(caution)
    return _follow_up(turn, sp)


# --------------------------------------------------------------------------- pain, questions

def pain(turn: Turn) -> Reply:
    st = turn.state
    if st["state"] not in IN_ROUTINE:
        return _menu(turn, turn.speech(turn.t("pain_warning")))
    st["state"] = PAIN
    return _follow_up(turn, turn.speech(turn.t("pain"), turn.t("pain_warning")))


def question(turn: Turn) -> Reply:
    entry_id = _lookup(turn.slots.get(C.SLOT_TOPIC), turn.content.faq)
    if entry_id is None:
        return _ask(turn, turn.speech(turn.t("question_unknown")), turn.t("question_ask"),
                    turn.t("question_ask"))
    sp = turn.speech(*turn.content.faq[entry_id].answer)
    if turn.state["state"] == MENU and not turn.state["blocked"]:
        return _ask(turn, sp, turn.t("question_menu_follow"), turn.t("menu_reprompt"))
    return _follow_up(turn, sp)


# --------------------------------------------------------------------------- help, fallback, stop

def _follow_up(turn: Turn, sp: Speech) -> Reply:
    """End a reply with the question that fits where the user is."""
    st = turn.state["state"]
    if st == ROUTINE:
        return _ask(turn, sp, turn.t("continue_prompt"), turn.t("continue_reprompt"))
    if st == PAUSED:
        return _ask(turn, sp, turn.t("paused"), turn.t("paused_reprompt"))
    if st == PAIN:
        last = turn.state["index"] >= len(_routine(turn).items) - 1
        return _ask(turn, sp, turn.t("pain_offer_last" if last else "pain_offer"),
                    turn.t("pain_offer_reprompt"))
    if st == OFFER_RESUME:
        return _offer_resume(turn, sp, full=False)
    if st == CONFIRM_DELETE:
        return _ask(turn, sp, turn.t("delete_confirm"), turn.t("delete_confirm"))
    return _menu(turn, sp)


def help_(turn: Turn) -> Reply:
    st = turn.state
    if st["state"] in IN_ROUTINE:
        r = _routine(turn)
        sp = turn.speech(turn.t("help_routine", routine=r.name, number=st["index"] + 1,
                                total=len(r.items)))
        if st["state"] == PAUSED:
            sp.say(turn.t("help_paused"))
        if st["state"] == PAIN:
            sp.say(turn.t("help_pain"))
        return _follow_up(turn, sp)
    if st["state"] == CONFIRM_DELETE:
        return _follow_up(turn, turn.speech(turn.t("help_delete")))
    sp = turn.speech(turn.t("help_menu"))
    if st["blocked"]:
        sp.say(turn.s("blocked"))
    return _follow_up(turn, sp)


def fallback(turn: Turn) -> Reply:
    st = turn.state["state"]
    if st in (ROUTINE, PAUSED, PAIN):
        return _follow_up(turn, turn.speech(turn.t("fallback_routine", routine=_routine(turn).name)))
    return _follow_up(turn, turn.speech(turn.t("fallback_menu")))


def stop(turn: Turn) -> Reply:
    st = turn.state
    in_routine = st["state"] in IN_ROUTINE
    st.update(state=MENU, pending=None, unclear=0)
    if in_routine:
        return _end(turn, turn.speech(turn.t("stop_saved")))
    return _end(turn, turn.speech(turn.t("goodbye")))


def yes(turn: Turn) -> Reply:
    st = turn.state["state"]
    if st == OFFER_RESUME:
        return _begin_screening(turn, turn.state["pending"])
    if st == CONFIRM_DELETE:
        return _confirm_delete(turn)
    if st in (ROUTINE, PAUSED):
        turn.state["state"] = ROUTINE
        return _advance(turn) if st == ROUTINE else _play(turn)
    return _follow_up(turn, turn.speech())


def no(turn: Turn) -> Reply:
    st = turn.state["state"]
    if st == OFFER_RESUME:
        return _menu(turn, turn.speech(turn.t("what_i_do")))
    if st == CONFIRM_DELETE:
        turn.state.update(state=turn.state["back"], back=None)
        return _follow_up(turn, turn.speech(turn.t("delete_kept")))
    return stop(turn)


# --------------------------------------------------------------------------- memory

def set_preference(turn: Turn) -> Reply:
    slot = turn.slots.get(C.SLOT_PREFERENCE)
    value = next((i for i in (slot.ids if slot else ()) if i in C.PREFERENCE_VALUES), None)
    if value is None and slot and slot.value:
        guess = _norm(slot.value).replace(" ", "_")
        value = guess if guess in C.PREFERENCE_VALUES else None
    if value is None:
        return _ask(turn, turn.speech(), turn.t("pref_unknown"), turn.t("pref_unknown"))
    setting, choice = value.split("_", 1)
    names = {"holds": "hold", "pace": "pace", "cues": "cues"}
    prefs = dict(turn.memory.data.get("prefs") or {})
    prefs[names[setting]] = choice
    turn.memory.data["prefs"] = prefs
    return _follow_up(turn, turn.speech(turn.t(f"pref_{value}")))


def history(turn: Turn) -> Reply:
    if not turn.memory.available:
        return _follow_up(turn, turn.speech(turn.t("memory_unavailable")))
    entries = []
    for h in turn.memory.data.get("history") or []:
        try:
            entries.append((dt.date.fromisoformat(h["date"]), h["routine"]))
        except (TypeError, KeyError, ValueError):
            continue
    if not entries:
        return _follow_up(turn, turn.speech(turn.t("history_none")))
    today = turn.today
    days = {d for d, _ in entries}
    week = sum(1 for d, _ in entries if 0 <= (today - d).days < 7)
    sp = turn.speech(turn.t("history_week", count=week))
    streak, day = 0, today if today in days else today - dt.timedelta(days=1)
    while day in days:
        streak, day = streak + 1, day - dt.timedelta(days=1)
    if streak > 1:
        sp.say(turn.t("history_streak", days=streak))
    last_date, last_id = max(entries, key=lambda e: e[0])
    ago = (today - last_date).days
    when = (turn.t("today") if ago <= 0 else turn.t("yesterday") if ago == 1
            else turn.t("days_ago", days=ago))
    routine = turn.content.routines.get(last_id)
    if routine:
        sp.say(turn.t("history_last", routine=routine.name, when=when))
    return _follow_up(turn, sp)


def delete_data(turn: Turn) -> Reply:
    turn.state.update(back=turn.state["state"] if turn.state["state"] not in PENDING_STATES else MENU,
                      state=CONFIRM_DELETE, pending=None, unclear=0)
    return _ask(turn, turn.speech(), turn.t("delete_confirm"), turn.t("delete_confirm"))


def _confirm_delete(turn: Turn) -> Reply:
    turn.memory.data.clear()
    turn.memory.delete_requested = True
    turn.state.update(state=turn.state["back"], back=None)
    return _follow_up(turn, turn.speech(turn.t("delete_done")))


# --------------------------------------------------------------------------- routing

ACTIONS: dict[str, Callable[[Turn], Reply]] = {
    C.START_ROUTINE: start_routine, C.LIST_ROUTINES: list_routines, C.QUESTION: question,
    C.PAIN: pain, C.PROGRESS: progress, C.EXPLAIN_STRETCH: explain,
    C.SET_PREFERENCE: set_preference, C.HISTORY: history, C.DELETE_DATA: delete_data,
    C.NEXT: next_, C.PREVIOUS: previous, C.REPEAT: repeat, C.START_OVER: start_over,
    C.PAUSE: pause, C.RESUME: resume, C.YES: yes, C.NO: no, C.HELP: help_, C.STOP: stop,
    C.CANCEL: stop, C.FALLBACK: fallback, C.NAVIGATE_HOME: stop,
}
assert set(ACTIONS) == set(C.CUSTOM_INTENTS) | set(C.BUILTIN_INTENTS)

# In these states only these intents keep their special meaning; anything else leaves the state.
_STICKY = {
    OFFER_RESUME: {C.YES, C.NO, C.REPEAT, C.HELP, C.FALLBACK, C.RESUME, C.NEXT},
    CONFIRM_DELETE: {C.YES, C.NO, C.REPEAT, C.HELP, C.FALLBACK},
}


def settle(turn: Turn) -> None:
    """Leave a transient state (resume offer, delete confirmation) when the user moves on."""
    st = turn.state
    if st["state"] in _STICKY and turn.intent not in _STICKY[st["state"]]:
        if st["state"] == CONFIRM_DELETE:
            st.update(state=st["back"], back=None)
        else:
            st.update(state=MENU, pending=None)
    if st["state"] == OFFER_RESUME and turn.intent in (C.RESUME, C.NEXT):
        turn.intent = C.YES
