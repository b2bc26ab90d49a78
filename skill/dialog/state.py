"""Conversation state: what it may hold, and how it travels in session attributes.

The state is a small dict (`fresh_state()` shows every key). It travels to Alexa and back in
the session attributes as compact JSON text plus an HMAC bound to the session id, so a
tampered, replayed-into-another-session or malformed state is a fresh start, never a way
past the screening gate (skill/dialog/gate.py).

An older state of the *same* session is sealed just as well, so each step of the gate (a
question asked, answered, blocked) gets a new random token, `state["gate"]`, which is also
kept in the user's stored memory under a hash of the session id (`GATE_KEY`). A state whose
token is not the stored one is older than the session's latest screening step: it is
`distrusted` (never cleared, no routine this session). Only random tokens are stored, never
an answer; without the store (down, or no user id) the sealed state is all there is.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import re
import secrets
from typing import Any

from ..content import Content

log = logging.getLogger("skill.dialog")

# States of the session.
MENU = "menu"
OFFER_RESUME = "offer_resume"
SCREENING = "screening"
FOLLOWUP = "followup"
TRIAGE = "triage"             # after a follow-up "no": see a doctor today, or soon?
ROUTINE = "routine"
PAUSED = "paused"
PAIN = "pain"
PAIN_CHECK = "pain_check"     # "it hurts": is it sharp, shooting, numb or tingling?
CONFIRM_DELETE = "confirm_delete"
STATES = (MENU, OFFER_RESUME, SCREENING, FOLLOWUP, ROUTINE, PAUSED, PAIN, CONFIRM_DELETE,
          TRIAGE, PAIN_CHECK)
IN_ROUTINE = (ROUTINE, PAUSED, PAIN, PAIN_CHECK)
PENDING_STATES = (OFFER_RESUME, SCREENING, FOLLOWUP)
# A safety question is open: every intent is an answer to it (skill/dialog/routing.screening).
SCREENING_STATES = (SCREENING, FOLLOWUP, TRIAGE, PAIN_CHECK)
# Which version of the current stretch plays: "" as the user's preference and experience
# say, "full" after "tell me more", "gentle" after mild pain.
VERSIONS = ("", "full", "gentle")

SESSION_KEY = "bsc"
SIG_KEY = "sig"
MAX_STATE_CHARS = 2000        # a sealed state is about 150; anything far bigger is not ours
GATE_KEY = "gate"             # stored memory: {session ref: token of its latest gate step}
GATE_SESSIONS = 4             # sessions remembered per user (one per device at a time)
_TOKEN_CHARS = 12


def fresh_state() -> dict:
    return {"state": MENU, "routine": None, "index": 0, "part": 0, "pending": None,
            "cleared": False, "blocked": False, "unclear": 0, "back": None,
            "taught": False, "version": "", "remind": None, "hurt": False, "gate": None,
            "skip": False}


# An open daily-reminder question (skill/dialog/reminders.py): which one, the time ("HH:MM")
# being confirmed, the time as Alexa heard it when we read it as p.m. instead, and whether
# the session ends when it is settled (the offer after a finished routine).
REMIND_STEPS = ("offer", "time", "confirm")
_HHMM = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d\Z")


def _valid_remind(r: Any) -> bool:
    if r is None:
        return True
    return (isinstance(r, dict) and set(r) == {"step", "time", "said", "end"}
            and r["step"] in REMIND_STEPS and isinstance(r["end"], bool)
            and all(v is None or (isinstance(v, str) and _HHMM.match(v)) for v in (r["time"], r["said"]))
            and (r["time"] is not None) == (r["step"] == "confirm"))


def relaunched(state: dict) -> dict:
    """A fresh start inside the same session: what holds for the whole session survives it
    ("no routine this session", the gate token, pain mentioned, how to interrupt taught);
    a LaunchRequest must not lift a block."""
    return dict(fresh_state(), blocked=state["blocked"], gate=state["gate"],
                hurt=state["hurt"], taught=state["taught"])


def distrusted(state: dict, token: str | None) -> dict:
    """What is left of a state older than its session's latest gate step: a menu, never
    cleared, blocked for the rest of the session (refusing is safe, guessing is not)."""
    log.warning("session state older than the latest screening step of its session: "
                "no routine this session")
    return dict(fresh_state(), blocked=True, gate=token)


def session_ref(session_id: str, secret: bytes) -> str:
    """The session as stored: a keyed hash, so the stored memory names no session id."""
    h = _keyed(secret).copy()
    h.update(b"gate\n" + session_id.encode())
    return h.hexdigest()[:16]


def stored_token(memory_data: dict, ref: str) -> str | None:
    tokens = memory_data.get(GATE_KEY)
    token = tokens.get(ref) if isinstance(tokens, dict) else None
    return token if isinstance(token, str) else None


def _gate_step(state: dict) -> tuple:
    """What the gate has said so far in this session; a change is a step of the gate."""
    asking = state["state"] in SCREENING_STATES
    return (state["state"] if asking else None, state["pending"] if asking else None,
            state["cleared"], state["blocked"], state["unclear"])


def mark_gate_step(before: dict, state: dict, memory_data: dict, ref: str) -> bool:
    """If this turn took a step of the gate, give `state` a new token and store it in
    `memory_data` (the caller saves it). True if it did."""
    if _gate_step(before) == _gate_step(state):
        return False
    state["gate"] = token = secrets.token_hex(_TOKEN_CHARS // 2)
    tokens = memory_data.get(GATE_KEY)
    tokens = {k: v for k, v in tokens.items() if k != ref} if isinstance(tokens, dict) else {}
    tokens[ref] = token
    memory_data[GATE_KEY] = dict(list(tokens.items())[-GATE_SESSIONS:])
    return True


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def valid_position(content: Content, routine: Any, index: Any) -> bool:
    return (isinstance(routine, str) and routine in content.routines and _is_int(index)
            and 0 <= index < len(content.routines[routine].items))


def validate_state(raw: Any, content: Content) -> dict | None:
    """The state if it is well formed and refers to content that exists, else None."""
    if not isinstance(raw, dict) or set(raw) != set(fresh_state()):
        return None
    s = raw
    if s["state"] not in STATES or s["back"] not in (None, *STATES):
        return None
    if not all(isinstance(s[k], bool) for k in ("cleared", "blocked", "taught", "hurt", "skip")):
        return None
    if s["version"] not in VERSIONS:
        return None
    if not _valid_remind(s["remind"]) or (s["remind"] and s["state"] in SCREENING_STATES):
        return None
    if not (_is_int(s["unclear"]) and 0 <= s["unclear"] <= 1):
        return None
    if s["gate"] is not None and not (isinstance(s["gate"], str) and len(s["gate"]) == _TOKEN_CHARS):
        return None
    if not (_is_int(s["part"]) and 0 <= s["part"] < 100 and _is_int(s["index"])):
        return None
    if s["routine"] is not None and not valid_position(content, s["routine"], s["index"]):
        return None
    in_routine = s["state"] in IN_ROUTINE or (s["state"] == CONFIRM_DELETE and s["back"] in IN_ROUTINE)
    if in_routine and (s["routine"] is None or not s["cleared"] or s["blocked"]):
        return None
    p = s["pending"]
    if s["state"] in PENDING_STATES:
        if not (isinstance(p, dict) and set(p) == {"routine", "index"}
                and valid_position(content, p["routine"], p["index"])):
            return None
    elif p is not None:
        return None
    if s["state"] == CONFIRM_DELETE and s["back"] in (None, CONFIRM_DELETE, *PENDING_STATES):
        return None
    return dict(s)


@functools.lru_cache(maxsize=16)
def _keyed(secret: bytes) -> "hmac.HMAC":
    """HMAC-SHA256 keyed with `secret`, made once per secret; each MAC is a copy of it.
    The same MACs as `hmac.digest(secret, msg, "sha256")`, without deriving the key pads on
    every call, and without giving up the GIL for a short message (the one-shot digest
    releases it on every call, so another request thread takes it: a hand-off and a wait
    per MAC under gunicorn; docs/performance.md)."""
    return hmac.new(secret, digestmod=hashlib.sha256)


def _mac(secret: bytes, session_id: str, text: str) -> str:
    h = _keyed(secret).copy()
    h.update((session_id + "\n" + text).encode())
    return h.hexdigest()


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
