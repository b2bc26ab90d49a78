"""Is this JSON an Alexa request envelope the skill can answer? Checked before any handler.

Everything the dialogue reads is checked for its type here, so that a malformed envelope is a
400 with a short reason instead of an exception inside a handler (answered as a 200 apology,
logged at ERROR). `problem(envelope)` returns None for a usable envelope, else a short text
naming the field (never its value).

- the whole document: at most `MAX_DEPTH` levels deep, and no lone surrogate (a "\\ud800"
  escape: not text, and it cannot be written back out as UTF-8) in any key or value;
- `version`, `request.type`, `request.requestId`, `request.timestamp` (an ISO-8601 time in
  years 2000..9000, so that date arithmetic cannot overflow), `request.locale`;
- `session` and `context.System`: the ids, `new`, `attributes` (an object or null);
- an IntentRequest's `intent`: an object with a name; its slots with their values and
  entity resolutions, each an object (or null where Alexa may send null).
Fields the skill never reads (the rest of `context`, other request types' payloads) are only
held to the depth and text rules.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .serialize import parse_alexa_time

MAX_DEPTH = 32
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_OBJ, _STR, _BOOL = dict, str, bool


def _walk(envelope: Any) -> str | None:
    """Depth and text rules for the whole document, without recursion. (Text that is all
    ASCII, nearly all of it, holds no surrogate: only the rest is searched.)"""
    stack = [(envelope, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep"
        if isinstance(node, dict):
            for key, value in node.items():
                if not key.isascii() and _LONE_SURROGATE.search(key):
                    return "text that is not valid Unicode"
                stack.append((value, depth + 1))
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)
        elif isinstance(node, str) and not node.isascii() and _LONE_SURROGATE.search(node):
            return "text that is not valid Unicode"
    return None


def _at(node: Any, path: str) -> Any:
    for key in path.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _typed(node: dict, prefix: str, fields: dict[str, tuple[type, bool]]) -> str | None:
    """`fields`: name -> (type, required). Absent optional fields and nulls are allowed."""
    for name, (kind, required) in fields.items():
        value = node.get(name)
        if value is None:
            if required:
                return f"{prefix}{name} is missing"
            continue
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            return f"{prefix}{name} is not {'an object' if kind is dict else 'a ' + kind.__name__}"
    return None


def _timestamp(text: str) -> bool:
    when = parse_alexa_time(text)
    if when is None:
        try:
            when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            return False
    return 2000 <= when.year <= 9000


def _slots(slots: Any) -> str | None:
    if slots is None:
        return None
    if not isinstance(slots, dict):
        return "request.intent.slots is not an object"
    for name, slot in slots.items():
        shown = name.isidentifier() and len(name) <= 40
        where = f"request.intent.slots.{name}" if shown else "request.intent.slots"
        if not isinstance(slot, dict):
            return f"{where} is not an object"
        problem = _typed(slot, where + ".", {"name": (_STR, False), "value": (_STR, False),
                                              "resolutions": (_OBJ, False)})
        if problem:
            return problem
        authorities = _at(slot, "resolutions.resolutionsPerAuthority")
        if authorities is None:
            continue
        if not isinstance(authorities, list):
            return f"{where}.resolutions.resolutionsPerAuthority is not a list"
        for authority in authorities:
            if not isinstance(authority, dict) or not isinstance(authority.get("status") or {}, dict):
                return f"{where}.resolutions has an entry that is not an object"
            problem = _typed(authority.get("status") or {}, f"{where}.resolutions status.",
                             {"code": (_STR, False)})
            values = authority.get("values")
            if problem or values is None:
                if problem:
                    return problem
                continue
            if not isinstance(values, list) or not all(
                    isinstance(v, dict) and isinstance(v.get("value"), dict)
                    and all(isinstance(v["value"].get(k), (str, type(None))) for k in ("id", "name"))
                    for v in values):
                return f"{where}.resolutions has a value that is not a named object"
    return None


def problem(envelope: Any) -> str | None:
    """None if the envelope is usable, else what is wrong with it (a field name, no value)."""
    if not isinstance(envelope, dict):
        return "not an object"
    found = _walk(envelope)
    if found:
        return found
    if not isinstance(envelope.get("version"), str):
        return "version is missing"
    request = envelope.get("request")
    if not isinstance(request, dict):
        return "request is missing"
    found = _typed(request, "request.", {"type": (_STR, True), "requestId": (_STR, True),
                                         "timestamp": (_STR, True), "locale": (_STR, False)})
    if found:
        return found
    if not _timestamp(request["timestamp"]):
        return "request.timestamp is not a time"
    for part, fields in (
            ("session", {"sessionId": (_STR, True), "new": (_BOOL, False),
                         "attributes": (_OBJ, False), "application": (_OBJ, False),
                         "user": (_OBJ, False)}),
            ("context", {"System": (_OBJ, False)}),
            ("context.System", {"application": (_OBJ, False), "user": (_OBJ, False),
                                "device": (_OBJ, False), "apiEndpoint": (_STR, False),
                                "apiAccessToken": (_STR, False)})):
        node = _at(envelope, part)
        if node is None:
            continue
        if not isinstance(node, dict):
            return f"{part} is not an object"
        found = _typed(node, part + ".", fields)
        if found:
            return found
    for path in ("session.user.userId", "context.System.user.userId",
                 "session.application.applicationId", "context.System.application.applicationId",
                 "context.System.device.deviceId"):
        value = _at(envelope, path)
        if value is not None and not isinstance(value, str):
            return f"{path} is not a str"
    if request["type"] == "IntentRequest":
        intent = request.get("intent")
        if not isinstance(intent, dict):
            return "request.intent is not an object"
        found = _typed(intent, "request.intent.", {"name": (_STR, True)})
        return found or _slots(intent.get("slots"))
    return None
