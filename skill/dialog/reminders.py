"""A daily stretch reminder by voice (issue 14): set it, ask when it is, cancel it.

Plain functions over `Turn` -> `Reply`, like the rest of the dialogue. The Alexa APIs sit
behind `ReminderService` (the handlers put one on the Turn: skill/dialog/alexa_api.py), so
this module never sees ask-sdk, and nothing here runs on a stretch turn: the API is called
only when the user is talking about a reminder.

The conversation:
- "remind me to stretch every day at seven" -> the time read back with a.m./p.m. and "every
  day", and a yes/no question; "set a stretch reminder" asks for the time first;
- "yes" -> with the reminders permission, the device's time zone (Settings API) and a new
  recurring reminder (Reminders API); without it, Alexa asks for the permission
  (`PermissionRequest`, the time travelling in its token) and `permission_answer` carries on
  when Alexa reports the answer (accepted, denied, not answered);
- after a finished routine, one offer (`after_routine`), once per user, never in a session
  with pain or a screening "yes";
- "what time is my reminder", "cancel my reminder".

An open reminder question lives in the session state's "remind" (skill/dialog/state.py);
only the reminder's id (alertToken) is stored for the user, as {"reminder": {"id": ...}},
plus "reminder_offered": true once the offer was made. Every failure is a short, polite
answer, and the conversation goes on where it was.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import constants as C
from ..voice.ssml import Speech
from .replies import follow_up
from .turn import Reply, Turn, ask, end as end_session

# The texts of content/reminders.yaml with their placeholders; checked at start-up.
REMINDER_KEYS: dict[str, set[str]] = {
    "reminder_text": set(), "clock_am": {"time"}, "clock_pm": {"time"}, "clock_noon": set(),
    "clock_midnight": set(), "offer": set(), "offer_reprompt": set(), "ask_time": set(),
    "ask_time_reprompt": set(), "time_unclear": set(), "assumed": {"time"},
    "confirm": {"time"}, "confirm_reprompt": {"time"}, "other_time": set(), "help": set(),
    "declined": set(), "permission_intro": set(), "permission_denied": set(),
    "permission_not_answered": set(), "permission_card": set(), "set_done": {"time"},
    "failed": set(), "status": {"time"}, "status_unknown": set(), "status_none": set(),
    "cancel_done": set(), "cancel_none": set(), "cancel_no_permission": set(),
}

# Intents that answer an open reminder question; any other intent drops the question.
ANSWERS = frozenset({C.YES, C.NO, C.REPEAT, C.HELP, C.FALLBACK})
_KEEPS_QUESTION = ANSWERS | {C.SET_REMINDER}

# Why an API call failed: no permission (401/403), no such reminder (404), anything else
# (5xx, a timeout, a body we cannot read, no API access in this request).
PERMISSION, NOT_FOUND, UNAVAILABLE = "permission", "not_found", "unavailable"

# AMAZON.TIME's parts of the day, and the time we pick for each (said back to the user).
PARTS_OF_DAY = {"MO": (8, 0), "AF": (14, 0), "EV": (19, 0), "NI": (21, 0)}
# An hour said without a.m. or p.m. in this range is taken as p.m.: nobody sets a daily
# stretch for three at night, and the read-back says so.
EARLY_HOURS = range(1, 6)


class ReminderError(Exception):
    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


@dataclass(frozen=True)
class DailyReminder:
    """One reminder that rings every day at hour:minute, in the user's wall-clock time."""
    hour: int
    minute: int
    first: str              # local date and time it first rings, no offset: 2024-05-02T07:00:00
    request_time: str       # local time now, the same form
    time_zone: str | None   # IANA name; None: Alexa uses the device's own zone
    text: str               # what Alexa says when it rings
    locale: str

    @property
    def rule(self) -> str:
        """The RFC 5545 recurrence rule the Reminders API takes."""
        return f"FREQ=DAILY;BYHOUR={self.hour};BYMINUTE={self.minute};BYSECOND=0;INTERVAL=1"


class ReminderService(Protocol):
    """What the dialogue needs from Alexa (skill/dialog/alexa_api.py is the real one).
    Every method but `permitted` calls Alexa; failures raise ReminderError."""
    locale: str             # the request's locale
    now: dt.datetime        # the request's time (aware)

    def permitted(self) -> bool: ...                     # from the request, no call
    def time_zone(self) -> str | None: ...               # never raises: None when unknown
    def create(self, reminder: DailyReminder) -> str: ...  # the new alertToken
    def update(self, alert_token: str, reminder: DailyReminder) -> None: ...
    def get(self, alert_token: str) -> dict: ...         # the reminder as Alexa's JSON
    def delete(self, alert_token: str) -> None: ...


@dataclass(frozen=True)
class PermissionRequest:
    """Ask for the reminders permission by voice (Connections.SendRequest "AskFor"). Alexa
    asks the user itself and answers with a Connections.Response carrying `token`."""
    token: str


@dataclass(frozen=True)
class PermissionCard:
    """The consent card in the Alexa app (the fallback when asking by voice did not work)."""


# --------------------------------------------------------------------------- times

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::\d{2})?\Z")
_WORD_NUMBERS = {w: n for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_WORD_NUMBERS.update({"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "oh": 0})
_AM_WORDS = {"am", "morning"}
_PM_WORDS = {"pm", "afternoon", "evening", "night", "tonight"}


@dataclass(frozen=True)
class Heard:
    hour: int
    minute: int
    assumed: bool           # we chose the a.m./p.m. (or the hour of a part of the day)
    shifted: bool = False   # an early hour taken as p.m.


def _decide(hour: int, minute: int, meridiem: str | None, literal: bool) -> Heard | None:
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    if meridiem is not None and 1 <= hour <= 12:
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
        return Heard(hour, minute, assumed=False)
    if hour in EARLY_HOURS and not literal:
        return Heard(hour + 12, minute, assumed=True, shifted=True)
    return Heard(hour, minute, assumed=False)


def _spoken(words: list[str], literal: bool) -> Heard | None:
    """Times in words, as the console and virtual-alexa pass them on ("seven thirty p m",
    "half past six in the evening", "noon"); Alexa itself sends "19:30"."""
    meridiem = None
    pairs = set(zip(words, words[1:]))          # "a m", as a.m. is often transcribed
    if _AM_WORDS & set(words) or ("a", "m") in pairs:
        meridiem = "am"
    if _PM_WORDS & set(words) or ("p", "m") in pairs:
        meridiem = "pm"
    if "noon" in words or "midday" in words:
        return Heard(12, 0, assumed=False)
    if "midnight" in words:
        return Heard(0, 0, assumed=False)
    numbers: list[int] = []
    offset = 0                       # "half past" / "quarter past" / "quarter to"
    for i, w in enumerate(words):
        if w == "half" and "past" in words[i:i + 2]:
            offset = 30
        elif w == "quarter" and i + 1 < len(words) and words[i + 1] in ("past", "to"):
            offset = 15 if words[i + 1] == "past" else -15
        elif w.isdigit():
            numbers.append(int(w))
        elif w in _WORD_NUMBERS:
            numbers.append(_WORD_NUMBERS[w])
    if not numbers:
        if meridiem is None:
            return None
        part = {"am": "MO", "pm": "EV"}[meridiem]
        if "afternoon" in words:
            part = "AF"
        elif "night" in words or "tonight" in words:
            part = "NI"
        return Heard(*PARTS_OF_DAY[part], assumed=True)
    hour, rest = numbers[0], numbers[1:]
    minute = sum(rest) if rest and sum(rest) < 60 else 0
    if offset:
        minute = 30 if offset == 30 else 15 if offset == 15 else 45
        hour = hour - 1 if offset < 0 else hour
        if hour < 0:
            hour = 11
    return _decide(hour, minute, meridiem, literal)


def parse_time(value: str | None, literal: bool = False) -> Heard | None:
    """The time an AMAZON.TIME slot holds ("07:00", "19:30", "MO"...), or None.

    Alexa sends "07:00" for "seven", "seven a.m." and "seven in the morning" alike, so an
    hour from 1 to 5 is taken as p.m. (`literal` turns that off: the user said the same
    early time again after we read it back as p.m. and they said no)."""
    if not value or not isinstance(value, str):
        return None
    v = value.strip()
    if v.upper() in PARTS_OF_DAY:
        return Heard(*PARTS_OF_DAY[v.upper()], assumed=True)
    m = _CLOCK.match(v)
    if m:
        return _decide(int(m.group(1)), int(m.group(2)), None, literal)
    words = re.sub(r"[^a-z0-9]+", " ", v.lower().replace("o'clock", " ")).split()
    return _spoken(words, literal) if words else None


def hhmm(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}"


def _as_clock(value: str | None) -> str | None:
    """"HH:MM" of a value in Alexa's clock form ("7:05", "07:05:00"), else None."""
    m = _CLOCK.match(value.strip()) if isinstance(value, str) else None
    if m and int(m.group(1)) <= 23 and int(m.group(2)) <= 59:
        return hhmm(int(m.group(1)), int(m.group(2)))
    return None


def clock(turn: Turn, time: str) -> str:
    """"07:00" -> "7 a.m.", "18:30" -> "6:30 p.m.", "12:00" -> "12 noon"."""
    hour, minute = (int(x) for x in time.split(":"))
    if minute == 0 and hour in (0, 12):
        return _r(turn, "clock_noon" if hour == 12 else "clock_midnight")
    h12 = hour % 12 or 12
    shown = str(h12) if minute == 0 else f"{h12}:{minute:02d}"
    return _r(turn, "clock_am" if hour < 12 else "clock_pm", time=shown)


def known_zone(name: Any) -> str | None:
    """An IANA time zone name we can compute with, or None."""
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*",
                                                     name):
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def daily(now: dt.datetime, zone: str | None, hour: int, minute: int, text: str,
          locale: str) -> DailyReminder:
    """The reminder for hour:minute every day from the next time that comes round, in the
    device's zone (without one, in UTC with no zone named, so Alexa rings it by the device's
    own clock; only the first day can then be off by one)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    local = now.astimezone(ZoneInfo(zone) if zone else dt.timezone.utc)
    local = local.replace(tzinfo=None, microsecond=0)
    first = local.replace(hour=hour, minute=minute, second=0)
    if first <= local:
        first += dt.timedelta(days=1)
    return DailyReminder(hour, minute, first.isoformat(), local.isoformat(), zone, text, locale)


def time_of(reminder: Any) -> str | None:
    """"HH:MM" of a reminder as the Reminders API returns it (its recurrence rule, else its
    scheduled time), or None when the JSON does not say."""
    trigger = reminder.get("trigger") if isinstance(reminder, dict) else None
    if not isinstance(trigger, dict):
        return None
    recurrence = trigger.get("recurrence")
    rules = recurrence.get("recurrenceRules") if isinstance(recurrence, dict) else None
    for rule in rules if isinstance(rules, list) else ():
        if isinstance(rule, str):
            h = re.search(r"BYHOUR=(\d{1,2})\b", rule)
            m = re.search(r"BYMINUTE=(\d{1,2})\b", rule)
            if h and int(h.group(1)) <= 23 and (not m or int(m.group(1)) <= 59):
                return hhmm(int(h.group(1)), int(m.group(1)) if m else 0)
    scheduled = trigger.get("scheduledTime")
    m = re.match(r"\d{4}-\d\d-\d\dT(\d\d):(\d\d)", scheduled) if isinstance(scheduled, str) else None
    if m and int(m.group(1)) <= 23 and int(m.group(2)) <= 59:
        return hhmm(int(m.group(1)), int(m.group(2)))
    return None


# --------------------------------------------------------------------------- the token

_TOKEN = re.compile(r"daily-reminder@((?:[01]\d|2[0-3]):[0-5]\d)(/end)?\Z")


def encode_token(time: str, end: bool) -> str:
    return f"daily-reminder@{time}" + ("/end" if end else "")


def decode_token(token: Any) -> tuple[str, bool] | None:
    m = _TOKEN.match(token) if isinstance(token, str) else None
    return (m.group(1), bool(m.group(2))) if m else None


# --------------------------------------------------------------------------- helpers

def _r(turn: Turn, key: str, **fields: Any) -> str:
    return turn.content.text("reminders", key, **fields)


def _stored_id(turn: Turn) -> str | None:
    r = turn.memory.data.get("reminder")
    token = r.get("id") if isinstance(r, dict) else None
    return token if isinstance(token, str) and 0 < len(token) <= 1000 else None


def _open(turn: Turn) -> dict:
    return turn.state.get("remind") or {}


def _ask_step(turn: Turn, step: str, *, time: str | None = None, said: str | None = None,
              end: bool | None = None) -> None:
    if end is None:
        end = bool(_open(turn).get("end", False))
    turn.state["remind"] = {"step": step, "time": time, "said": said, "end": end}


def _close(turn: Turn, sp: Speech, end: bool, *directives: Any) -> Reply:
    """The reminder talk is over: end the session (after a finished routine) or carry on
    where the user was."""
    turn.state["remind"] = None
    if end:
        sp.say(turn.t("goodbye"))
        reply = end_session(turn, sp)
    else:
        reply = follow_up(turn, sp)
    reply.directives = directives
    return reply


def _question(turn: Turn, sp: Speech) -> Reply:
    """Ask the open reminder question (again) after `sp`."""
    q = _open(turn)
    if q.get("step") == "offer":
        return ask(turn, sp, _r(turn, "offer"), _r(turn, "offer_reprompt"))
    if q.get("step") == "confirm":
        t = clock(turn, q["time"])
        return ask(turn, sp, _r(turn, "confirm", time=t), _r(turn, "confirm_reprompt", time=t))
    return ask(turn, sp, _r(turn, "ask_time"), _r(turn, "ask_time_reprompt"))


def _failed(turn: Turn, error: ReminderError, end: bool) -> Reply:
    if error.kind == PERMISSION:
        return _close(turn, turn.speech(_r(turn, "permission_card")), end, PermissionCard())
    return _close(turn, turn.speech(_r(turn, "failed")), end)


# --------------------------------------------------------------------------- the dialogue

def observe(turn: Turn) -> None:
    """Every intent: note pain (no reminder offer in this session), and drop an open
    reminder question when the user moves on to something else."""
    if turn.intent in (C.PAIN, C.SYMPTOM):
        turn.state["hurt"] = True
    if turn.state.get("remind") and turn.intent not in _KEEPS_QUESTION:
        turn.state["remind"] = None


def answers(turn: Turn) -> bool:
    """Whether this intent answers an open reminder question (see `answer`)."""
    return bool(turn.state.get("remind")) and turn.intent in ANSWERS


def answer(turn: Turn) -> Reply:
    """Yes, no, repeat, help or "what?" while a reminder question is open."""
    q, intent = _open(turn), turn.intent
    if intent == C.HELP:
        return _question(turn, turn.speech(_r(turn, "help")))
    if intent == C.FALLBACK:
        return _question(turn, turn.speech(turn.t("fallback_menu")))
    if intent == C.REPEAT or (intent == C.YES and q["step"] == "time"):
        return _question(turn, turn.speech())
    if intent == C.NO and q["step"] == "confirm":
        _ask_step(turn, "time", said=q["said"])
        return ask(turn, turn.speech(), _r(turn, "other_time"), _r(turn, "ask_time_reprompt"))
    if intent == C.NO:
        return _close(turn, turn.speech(_r(turn, "declined")), q["end"])
    if q["step"] == "offer":
        _ask_step(turn, "time")
        return _question(turn, turn.speech())
    return _confirmed(turn, q["time"], q["end"])


def set_reminder(turn: Turn) -> Reply:
    """SetReminderIntent: read the time back and ask to confirm; without a time, ask for it."""
    slot = turn.slots.get(C.SLOT_TIME)
    value = slot.value if slot else None
    said = _open(turn).get("said")
    heard = parse_time(value, literal=said is not None and _as_clock(value) == said)
    if heard is None:
        _ask_step(turn, "time", said=said)
        return _question(turn, turn.speech(_r(turn, "time_unclear")) if value else turn.speech())
    time = hhmm(heard.hour, heard.minute)
    _ask_step(turn, "confirm", time=time, said=_as_clock(value) if heard.shifted else None)
    sp = turn.speech(_r(turn, "assumed", time=clock(turn, time))) if heard.assumed else turn.speech()
    return _question(turn, sp)


def _confirmed(turn: Turn, time: str, end: bool) -> Reply:
    """"Yes" to the read-back: set it, or first ask Alexa for the permission."""
    service = turn.reminders
    if service is None or not turn.memory.available:
        return _close(turn, turn.speech(_r(turn, "failed")), end)
    if not service.permitted():
        turn.state["remind"] = None
        return Reply(turn.speech(_r(turn, "permission_intro")), None, end=False,
                     directives=(PermissionRequest(encode_token(time, end)),))
    return _create(turn, time, end)


def _create(turn: Turn, time: str, end: bool) -> Reply:
    service = turn.reminders
    hour, minute = (int(x) for x in time.split(":"))
    reminder = daily(service.now, known_zone(service.time_zone()), hour, minute,
                     _r(turn, "reminder_text"), service.locale)
    token = _stored_id(turn)
    try:
        if token:                        # one reminder per user: move it to the new time
            try:
                service.update(token, reminder)
            except ReminderError as e:
                if e.kind != NOT_FOUND:
                    raise
                token = service.create(reminder)
        else:
            token = service.create(reminder)
    except ReminderError as e:
        return _failed(turn, e, end)
    turn.memory.data["reminder"] = {"id": token}
    return _close(turn, turn.speech(_r(turn, "set_done", time=clock(turn, time))), end)


def permission_answer(turn: Turn, status: str | None, token: Any) -> Reply:
    """Alexa's Connections.Response to our AskFor: ACCEPTED, DENIED, NOT_ANSWERED, or None
    when the consent dialogue could not run (then the card is the way)."""
    asked = decode_token(token)
    end = asked[1] if asked else False
    if status == "ACCEPTED":
        if asked is None:                 # we lost the time: ask it again
            _ask_step(turn, "time", end=False)
            return _question(turn, turn.speech())
        if not turn.memory.available or turn.reminders is None:
            return _close(turn, turn.speech(_r(turn, "failed")), end)
        return _create(turn, asked[0], end)
    turn.state["remind"] = None
    if status == "DENIED":
        return _close(turn, turn.speech(_r(turn, "permission_denied")), end)
    key = "permission_not_answered" if status == "NOT_ANSWERED" else "permission_card"
    return _close(turn, turn.speech(_r(turn, key)), end, PermissionCard())


def _say(turn: Turn, key: str, **fields: Any) -> Reply:
    return follow_up(turn, turn.speech(_r(turn, key, **fields)))


def _stored_or_answer(turn: Turn, none_key: str) -> str | Reply:
    """The stored reminder id to ask Alexa about, or the answer when there is none."""
    if not turn.memory.available or turn.reminders is None:
        return follow_up(turn, turn.speech(turn.t("memory_unavailable")))
    return _stored_id(turn) or _say(turn, none_key)


def _forget(turn: Turn, key: str) -> Reply:
    turn.memory.data.pop("reminder", None)
    return _say(turn, key)


def reminder_status(turn: Turn) -> Reply:
    """ReminderStatusIntent: the time, as Alexa has it now (we store only the id)."""
    token = _stored_or_answer(turn, "status_none")
    if isinstance(token, Reply):
        return token
    try:
        time = time_of(turn.reminders.get(token))
    except ReminderError as e:
        if e.kind == NOT_FOUND:           # deleted in the Alexa app
            return _forget(turn, "status_none")
        if e.kind == PERMISSION:
            return _failed(turn, e, False)
        time = None
    return _say(turn, "status_unknown") if time is None else _say(
        turn, "status", time=clock(turn, time))


def cancel_reminder(turn: Turn) -> Reply:
    """CancelReminderIntent: delete it at Alexa, then forget its id."""
    token = _stored_or_answer(turn, "cancel_none")
    if isinstance(token, Reply):
        return token
    try:
        turn.reminders.delete(token)
    except ReminderError as e:
        if e.kind == NOT_FOUND:
            return _forget(turn, "cancel_none")
        return _say(turn, "cancel_no_permission" if e.kind == PERMISSION else "failed")
    return _forget(turn, "cancel_done")


def after_routine(turn: Turn, sp: Speech) -> Reply:
    """The end of a finished routine: offer a daily reminder once per user (never after
    pain or a screening "yes" in this session, nor when one is set), else say goodbye."""
    st, data = turn.state, turn.memory.data
    if (not turn.memory.available or st["blocked"] or st["hurt"]
            or data.get("reminder_offered") or _stored_id(turn)):
        return end_session(turn, sp)
    data["reminder_offered"] = True
    _ask_step(turn, "offer", end=True)
    return _question(turn, sp)
