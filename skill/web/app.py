"""Flask application factory: `POST /alexa` (the skill) and `GET /health`.

Every refusal is a 4xx with a short JSON body ({"error": "..."}), never a stack trace, and it
comes before any handler runs: a body over `MAX_BODY_BYTES` (with a Content-Length or
chunked) is a 413, a failed verification or a malformed envelope (skill/web/envelope.py) a
400. An exception inside the skill is answered politely by the skill's exception handler, so
Alexa always gets a valid response and the server keeps serving. A store that is unusable
at start-up does not stop the server: it coaches without memory until the store is back.
"""
from __future__ import annotations

import json
import logging
import time
import uuid

from ask_sdk_model import RequestEnvelope
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from ..config import Config
from ..content import load_content
from ..dialog.handlers import build_skill_builder
from ..dialog.routing import check_content
from ..language.reader import read as read_words
from . import envelope as envelope_check
from . import logs
from .serialize import deserialize_parsed, dumps, envelope_serializer
from .verifier import AlexaVerifier, VerificationError

log = logging.getLogger("skill.web")


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def _envelope_skill_id(envelope: dict) -> str | None:
    for path in (("session", "application", "applicationId"),
                 ("context", "System", "application", "applicationId")):
        node = envelope
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str):
            return node
    return None


def _read_body(limit: int) -> bytes:
    """The request body, or a 413 once it is clearly over `limit` -- by its Content-Length
    or, for a chunked body, by reading one byte past the limit."""
    stream = request.environ["wsgi.input"]
    length = request.content_length
    if length is not None and length > limit:
        raise BadRequest("request body too large", 413)
    if length is None and not request.environ.get("wsgi.input_terminated"):
        return b""
    want = limit + 1 if length is None else length
    parts, size = [], 0
    while size < want:
        part = stream.read(want - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    if size > limit:
        raise BadRequest("request body too large", 413)
    return b"".join(parts)


def startup_summary(config: Config, store) -> str:
    """One line for operators: what protects the endpoint and where memory is kept."""
    checks = "ON" if config.verify_signatures else "OFF (it listens on loopback only)"
    skill_id = "ON" if config.skill_id else "OFF (set ALEXA_SKILL_ID)"
    storage = getattr(store, "description", type(store).__name__)
    if getattr(store, "unusable", None):
        storage += " UNUSABLE (coaching without memory until it returns)"
    secret = ("from SESSION_SECRET" if config.session_secret_set else
              "random (set SESSION_SECRET when more than one process or instance serves the skill)")
    return (f"Back Stretch Coach ready: signature checks {checks}; skill id check {skill_id}; "
            f"storage {storage}; session secret {secret}")


def create_app(config: Config | None = None, *, verifier: AlexaVerifier | None = None,
               store=None, content=None) -> Flask:
    """Build the app. No arguments: configuration from the environment, i.e. production
    defaults (signature verification on). Raises ConfigError / ContentError instead of
    starting unsafe or with broken content."""
    config = config or Config.from_env()
    config.check()
    content = content or load_content(config.content_dir)
    check_content(content)                  # before the store: a refusal touches nothing
    if store is None:
        from ..store import open_store
        store = open_store(config.database_url, data_dir=config.data_dir, defer_faults=True)
    if config.verify_signatures and verifier is None:
        verifier = AlexaVerifier(fetch_timeout=config.cert_fetch_timeout)
    skill = build_skill_builder(content, secret=config.session_secret, store=store,
                                skill_id=config.skill_id, read_words=read_words).create()
    serializer = envelope_serializer()   # ask-sdk's, with its bookkeeping cached

    app = Flask("skill")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.extensions["backstretch"] = {"config": config, "store": store, "content": content,
                                     "skill": skill, "verifier": verifier}

    log.info("%s", startup_summary(config, store))

    @app.before_request
    def no_request_id_yet():
        logs.request_id.set("-")

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    @app.post("/alexa")
    def alexa():
        started = time.perf_counter()
        body = _read_body(config.max_body_bytes)
        if config.verify_signatures:
            try:
                verifier.verify(request.headers, body)
            except VerificationError as e:
                raise BadRequest(f"request verification failed: {e}") from None
        try:
            envelope = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise BadRequest("request body is not JSON") from None
        problem = envelope_check.problem(envelope)
        if problem:
            raise BadRequest(f"not an Alexa request envelope: {problem}")
        logs.set_request_id(envelope["request"]["requestId"])
        if config.verify_signatures:
            try:
                verifier.verify_timestamp(envelope["request"]["timestamp"])
            except VerificationError as e:
                raise BadRequest(f"request verification failed: {e}") from None
        if config.skill_id and _envelope_skill_id(envelope) != config.skill_id:
            raise BadRequest("request is for another skill")
        try:
            request_envelope = deserialize_parsed(serializer, envelope, RequestEnvelope)
        except Exception:
            raise BadRequest("not an Alexa request envelope") from None
        if request_envelope.request is None:
            raise BadRequest("not an Alexa request envelope")
        response_envelope = skill.invoke(request_envelope=request_envelope, context=None)
        payload = serializer.serialize(response_envelope)
        log.info("%s answered in %.1f ms", logs.clean(envelope["request"]["type"], 60),
                 (time.perf_counter() - started) * 1000)
        return Response(dumps(payload), status=200,
                        mimetype="application/json")

    @app.errorhandler(BadRequest)
    def bad_request(e: BadRequest):
        log.warning("refused %d: %s", e.status, e.message)
        return jsonify(error=e.message), e.status

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        messages = {404: "not found", 405: "method not allowed", 413: "request body too large"}
        log.warning("refused %d", e.code)
        return jsonify(error=messages.get(e.code, e.name.lower())), e.code

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        # The skill's own exception handler answers handler errors politely; this is for
        # anything outside it. Alexa still gets a valid, polite response.
        ref = uuid.uuid4().hex[:8]
        log.error("unexpected error %s (ref %s)", type(e).__name__, ref, exc_info=e)
        text = content.text("prompts", "error")
        from ..voice.ssml import Speech
        return jsonify(version="1.0", response={
            "outputSpeech": {"type": "SSML", "ssml": Speech().say(text).ssml()},
            "shouldEndSession": True}), 200

    return app
