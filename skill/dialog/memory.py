"""What the skill remembers about a user between sessions: where they stopped, their
preferences, the routines they finished, and deleting all of it on request.

Persistent attributes (per Alexa user id), never anything about health:
`{"resume": {"routine", "index"}, "prefs": {...}, "history": [{"routine", "date"}],
"disclaimer_heard": true, "seen": {exercise id: times done}}`. `prefs.detail` is "short" or
"full" when the user chose one; without it a stretch done SHORT_AFTER times is short.
"""
from __future__ import annotations

import datetime as dt

from .. import constants as C
from .replies import follow_up
from .state import CONFIRM_DELETE, MENU, PENDING_STATES, valid_position
from .turn import Reply, Turn, ask, norm

HISTORY_LIMIT = 200
#: A stretch finished this many times is coached in its short version (unless the user
#: asked for full instructions); "tell me more" gives the full steps at any time.
SHORT_AFTER = 3
SEEN_LIMIT = 10_000


def _seen(turn: Turn) -> dict:
    seen = turn.memory.data.get("seen")
    return seen if isinstance(seen, dict) else {}


def _count(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def is_short(turn: Turn, exercise_id: str, discount: int = 0) -> bool:
    """Coach this exercise in its short version? (`discount`: as it was that many times ago)"""
    prefs = turn.memory.data.get("prefs")
    detail = prefs.get("detail") if isinstance(prefs, dict) else None
    if detail in ("short", "full"):
        return detail == "short"
    return _count(_seen(turn).get(exercise_id)) - discount >= SHORT_AFTER


def record_seen(turn: Turn, exercise_id: str) -> None:
    """One more time this exercise was done (only counts per exercise id are kept)."""
    seen = {k: _count(v) for k, v in _seen(turn).items()
            if isinstance(k, str) and k in turn.content.exercises and _count(v)}
    seen[exercise_id] = min(SEEN_LIMIT, seen.get(exercise_id, 0) + 1)
    turn.memory.data["seen"] = seen


def has_history(turn: Turn) -> bool:
    return bool(turn.memory.data.get("history"))


def resume_point(turn: Turn) -> dict | None:
    r = turn.memory.data.get("resume")
    if isinstance(r, dict) and valid_position(turn.content, r.get("routine"), r.get("index")):
        return {"routine": r["routine"], "index": r["index"]}
    return None


def remember_position(turn: Turn, routine_id: str, index: int) -> None:
    turn.memory.data["resume"] = {"routine": routine_id, "index": index}


def record_finished(turn: Turn, routine_id: str) -> None:
    """A routine was finished: nothing left to resume, one more entry in the history."""
    data = turn.memory.data
    data.pop("resume", None)
    history = [h for h in data.get("history", []) if isinstance(h, dict)]
    history.append({"routine": routine_id, "date": turn.today.isoformat()})
    data["history"] = history[-HISTORY_LIMIT:]


def set_preference(turn: Turn) -> Reply:
    slot = turn.slots.get(C.SLOT_PREFERENCE)
    value = next((i for i in (slot.ids if slot else ()) if i in C.PREFERENCE_VALUES), None)
    if value is None and slot and slot.value:
        guess = norm(slot.value).replace(" ", "_")
        value = guess if guess in C.PREFERENCE_VALUES else None
    if value is None:
        return ask(turn, turn.speech(), turn.t("pref_unknown"), turn.t("pref_unknown"))
    setting, choice = value.split("_", 1)
    names = {"holds": "hold", "pace": "pace", "cues": "cues", "detail": "detail",
             "sounds": "sounds"}
    prefs = dict(turn.memory.data.get("prefs") or {})
    prefs[names[setting]] = choice
    turn.memory.data["prefs"] = prefs
    return follow_up(turn, turn.speech(turn.t(f"pref_{value}")))


def history(turn: Turn) -> Reply:
    if not turn.memory.available:
        return follow_up(turn, turn.speech(turn.t("memory_unavailable")))
    entries = []
    for h in turn.memory.data.get("history") or []:
        try:
            entries.append((dt.date.fromisoformat(h["date"]), h["routine"]))
        except (TypeError, KeyError, ValueError):
            continue
    if not entries:
        return follow_up(turn, turn.speech(turn.t("history_none")))
    today = turn.today
    days = {d for d, _ in entries}
    week = sum(1 for d, _ in entries if 0 <= (today - d).days < 7)
    sp = turn.speech(turn.t("history_week_one") if week == 1 else turn.t("history_week", count=week))
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
    return follow_up(turn, sp)


def delete_data(turn: Turn) -> Reply:
    turn.state.update(back=turn.state["state"] if turn.state["state"] not in PENDING_STATES else MENU,
                      state=CONFIRM_DELETE, pending=None, unclear=0)
    return ask(turn, turn.speech(), turn.t("delete_confirm"), turn.t("delete_confirm"))


def confirm_delete(turn: Turn) -> Reply:
    turn.memory.data.clear()
    turn.memory.delete_requested = True
    turn.state.update(state=turn.state["back"], back=None)
    return follow_up(turn, turn.speech(turn.t("delete_done")))


def keep_data(turn: Turn) -> Reply:
    turn.state.update(state=turn.state["back"], back=None)
    return follow_up(turn, turn.speech(turn.t("delete_kept")))
