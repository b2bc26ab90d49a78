"""The benchmark's floor: the skill's stack with none of the skill's own work.

Flask, the skill's envelope serializer, an ask-sdk-core skill with a single handler that
answers a fixed, skill-sized speech, and the skill's own store (SQLite, as configured by
DATABASE_URL): every request reads the user's memory, and the requests that change it in the
skill write it: "next" and "start over" (3 of the 5 kinds in the bench's mix), and the
screening answer "no".
No conversation, session state, SSML building or preferences.

scripts/bench.py runs it under the same gunicorn configuration as the skill:

    gunicorn -c gunicorn.conf.py --pythonpath scripts 'bench_floor:create_app()'

so floor/baseline is what ask-sdk-core and persistence cost before the skill does anything,
the most the skill's own ratio can reach on the same machine.
"""
from __future__ import annotations

import json
import os

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model import RequestEnvelope
from flask import Flask

from bench_baseline import FIXED, endpoint_app
from skill.web.serialize import deserialize_parsed, envelope_serializer
from skill.store import open_store

_ANSWER = json.loads(FIXED)["response"]
_SPEECH = _ANSWER["outputSpeech"]["ssml"]
_REPROMPT = _ANSWER["reprompt"]["outputSpeech"]["ssml"]
_WRITES = ("AMAZON.NextIntent", "AMAZON.StartOverIntent", "AMAZON.NoIntent")


class FixedAnswer(AbstractRequestHandler):
    def can_handle(self, handler_input):
        return True

    def handle(self, handler_input):
        am = handler_input.attributes_manager
        memory = am.persistent_attributes                      # read, as the skill does
        intent = getattr(handler_input.request_envelope.request, "intent", None)
        if intent is not None and intent.name in _WRITES:      # write, as the skill does
            memory["turns"] = memory.get("turns", 0) + 1
            am.save_persistent_attributes()
        return handler_input.response_builder.speak(_SPEECH).ask(_REPROMPT).response


def create_app() -> Flask:
    store = open_store(os.environ.get("DATABASE_URL"))
    sb = CustomSkillBuilder(persistence_adapter=store)
    sb.add_request_handler(FixedAnswer())
    skill = sb.create()
    serializer = envelope_serializer()

    def answer(envelope: dict) -> str | None:
        try:
            request_envelope = deserialize_parsed(serializer, envelope, RequestEnvelope)
        except Exception:
            return None
        out = skill.invoke(request_envelope=request_envelope, context=None)
        return json.dumps(serializer.serialize(out), ensure_ascii=False)

    return endpoint_app("floor", answer)
