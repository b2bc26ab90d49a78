"""One request's view of the conversation: the `Turn` in, the `Reply` out.

A Turn carries the content, the (unsealed) session state, what we remember about the user
and the intent with its slots. Conversation functions take a Turn and return a Reply; they
never see ask-sdk objects (skill/dialog/handlers.py does the wiring).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from .. import constants as C
from ..content import Content
from ..voice.coach import Prefs
from ..voice.screens import Screen
from ..voice.ssml import Speech

# The prompt keys (content/prompts.yaml) the dialogue speaks, with the placeholders each
# may use. Checked at start-up (routing.check_content).
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
    "summary": {"routine", "count", "minutes"}, "get_up": set(),
    "first_stretch": set(), "starting_over": {"routine"},
    "paused": set(), "paused_reprompt": set(), "nothing_to_resume": set(),
    "progress": {"number", "total", "name"}, "progress_left": {"left"}, "progress_last": set(),
    "progress_none": set(),
    "explain": {"name", "purpose"}, "explain_caution": set(), "explain_none": set(),
    "pain": set(), "pain_warning": set(), "pain_offer": set(), "pain_offer_reprompt": set(),
    "pain_offer_last": set(), "pain_menu": set(),
    "pain_check": set(), "pain_check_reprompt": set(), "pain_check_unclear": set(),
    "pain_check_help": set(), "pain_stop": set(), "pain_mild": set(), "pain_no": set(),
    "pain_confirm": {"name"}, "pain_gentle": set(),
    "routine_equipment": {"equipment"}, "short_hint": set(), "how_to_interrupt": set(),
    "lets_begin": set(), "tell_more_none": set(), "history_week_one": set(),
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
    # The Alexa APIs the daily reminder uses (a reminders.ReminderService; the handlers put
    # one here, and nothing calls it outside the reminder turns).
    reminders: Any = None

    def t(self, key: str, **fields: Any) -> str:
        return self.content.text("prompts", key, **fields)

    def s(self, key: str, **fields: Any) -> str:
        return self.content.text("screening", key, **fields)

    def speech(self, *texts: str) -> Speech:
        sp = Speech(pace=self.memory.prefs.pace)
        for text in texts:
            sp.say(text)
        return sp

    @property
    def routine(self):
        """The routine under way (state "routine" must be set)."""
        return self.content.routines[self.state["routine"]]


@dataclass
class Reply:
    speech: Speech
    reprompt: Speech | None = None
    end: bool = False
    screen: Screen | None = None    # what a device with a display shows (skill/voice/screens.py)
    # (or a screens.Later, made only for a device that can show it)
    # What else goes with the speech, as the dialogue's own objects (for instance
    # reminders.PermissionRequest); skill/dialog/handlers.py turns them into directives.
    directives: tuple = ()


def ask(turn: Turn, speech: Speech, question: str, reprompt: str) -> Reply:
    """Keep the session open: end with the question, reprompt with the last text."""
    speech.say(question)
    return Reply(speech, turn.speech(reprompt), end=False)


def end(turn: Turn, speech: Speech) -> Reply:
    return Reply(speech, None, end=True)


# --------------------------------------------------------------------------- slot lookups

def norm(text: str) -> str:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).strip()


def lookup(slot: Slot | None, table: dict) -> str | None:
    """An id from entity resolution or else, from the words heard, the entry whose name or
    synonym appears in them (the longest such name wins: "the lower back one")."""
    if slot is None:
        return None
    for i in slot.ids:
        if i in table:
            return i
    if not slot.value:
        return None
    heard = f" {norm(slot.value)} "
    best, best_len = None, 0
    for entry in table.values():
        names = (entry.id.replace("_", " "), getattr(entry, "name", None) or entry.topic,
                 *entry.synonyms)
        for name in names:
            n = norm(name)
            if n and f" {n} " in heard and len(n) > best_len:
                best, best_len = entry.id, len(n)
    return best
