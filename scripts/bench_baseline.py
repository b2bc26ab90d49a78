"""The benchmark's baseline: a bare Flask app with the skill's endpoint shape and no skill.

`POST /alexa` parses the JSON body (as the skill does) and answers a fixed, skill-sized JSON
response; `GET /health` as the skill. scripts/bench.py runs it under the same gunicorn
configuration as the skill:

    gunicorn -c gunicorn.conf.py --pythonpath scripts 'bench_baseline:create_app()'

so the ratio skill/baseline measures what the skill adds on top of Flask + gunicorn.
"""
from __future__ import annotations

import json
from typing import Callable

from flask import Flask, Response, jsonify, request

# Shaped like one of the skill's answers (speech + reprompt, session kept open).
_SPEECH = ("<speak><prosody rate=\"90%\"><s>Stretch 3 of 6: double knee to chest stretch.</s>"
           "<s>Lie on your back.</s><break time=\"2s\"/><s>Bend both knees.</s>"
           "<break time=\"2s\"/><s>Hold for 30 seconds.</s><break time=\"10s\"/>"
           "<s>20 seconds left.</s><break time=\"10s\"/><s>Release.</s><break time=\"3s\"/>"
           "<s>Say next when you are ready.</s></prosody></speak>")
FIXED = json.dumps({
    "version": "1.0",
    "sessionAttributes": {"bsc": json.dumps({"back": None, "blocked": False, "cleared": True,
                                             "index": 2, "part": 0, "pending": None,
                                             "routine": "lower_back", "state": "routine",
                                             "unclear": 0}, separators=(",", ":")),
                          "sig": "0" * 64},
    "userAgent": "ask-python/1.19.0 Python/3.11",
    "response": {"outputSpeech": {"type": "SSML", "ssml": _SPEECH},
                 "reprompt": {"outputSpeech": {"type": "SSML",
                                               "ssml": "<speak><s>Say next.</s></speak>"}},
                 "shouldEndSession": False},
})


def flask_app(name: str) -> Flask:
    """A Flask app with the skill's `GET /health` (what the bench waits for)."""
    app = Flask(name)

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    return app


def endpoint_app(name: str, answer: Callable[[dict], str | None]) -> Flask:
    """A Flask app shaped like the skill's: `GET /health`, and `POST /alexa` that parses the
    JSON body and answers `answer(envelope)` (a JSON text; None: not an Alexa request)."""
    app = flask_app(name)

    @app.post("/alexa")
    def alexa():
        try:
            envelope = json.loads(request.get_data(cache=False).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return jsonify(error="request body is not JSON"), 400
        text = None
        if isinstance(envelope, dict) and isinstance(envelope.get("request"), dict):
            text = answer(envelope)
        if text is None:
            return jsonify(error="not an Alexa request envelope"), 400
        return Response(text, status=200, mimetype="application/json")

    return app


def create_app() -> Flask:
    return endpoint_app("baseline", lambda envelope: FIXED)
