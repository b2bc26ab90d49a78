"""Flask application factory: `POST /alexa` (the skill) and `GET /health`.

Every refusal is a 4xx with a short JSON body ({"error": "..."}), never a stack trace; an
exception inside the skill is answered politely by the skill's exception handler, so Alexa
always gets a valid response and the server keeps serving.
"""
from __future__ import annotations

import json
import logging
import time
import uuid

from ask_sdk_model import RequestEnvelope
from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from ..config import Config
from ..content import load_content
from ..dialog.handlers import build_skill_builder
from .serialize import deserialize_parsed, envelope_serializer
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


def _check_envelope(envelope) -> dict:
    if not isinstance(envelope, dict):
        raise BadRequest("not an Alexa request envelope")
    req = envelope.get("request")
    if not (isinstance(envelope.get("version"), str) and isinstance(req, dict)
            and isinstance(req.get("type"), str) and isinstance(req.get("requestId"), str)
            and isinstance(req.get("timestamp"), str)):
        raise BadRequest("not an Alexa request envelope")
    for part in ("session", "context"):
        if part in envelope and not isinstance(envelope[part], (dict, type(None))):
            raise BadRequest("not an Alexa request envelope")
    return envelope


def create_app(config: Config | None = None, *, verifier: AlexaVerifier | None = None,
               store=None, content=None) -> Flask:
    """Build the app. No arguments: configuration from the environment, i.e. production
    defaults (signature verification on). Raises ConfigError / ContentError instead of
    starting unsafe or with broken content."""
    config = config or Config.from_env()
    config.check()
    content = content or load_content(config.content_dir)
    if store is None:
        from ..store import open_store
        store = open_store(config.database_url, data_dir=config.data_dir)
    if config.verify_signatures and verifier is None:
        verifier = AlexaVerifier(fetch_timeout=config.cert_fetch_timeout)
    skill = build_skill_builder(content, secret=config.session_secret, store=store,
                                skill_id=config.skill_id).create()
    serializer = envelope_serializer()   # ask-sdk's, with its bookkeeping cached

    app = Flask("skill")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.extensions["backstretch"] = {"config": config, "store": store, "content": content,
                                     "skill": skill, "verifier": verifier}

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    @app.post("/alexa")
    def alexa():
        g.request_id = "-"
        started = time.perf_counter()
        body = request.get_data(cache=False)          # raises 413 past MAX_CONTENT_LENGTH
        if len(body) > config.max_body_bytes:        # chunked bodies have no Content-Length
            raise BadRequest("request body too large", 413)
        if config.verify_signatures:
            try:
                verifier.verify(request.headers, body)
            except VerificationError as e:
                raise BadRequest(f"request verification failed: {e}") from None
        try:
            envelope = _check_envelope(json.loads(body.decode("utf-8")))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise BadRequest("request body is not JSON") from None
        g.request_id = envelope["request"]["requestId"][:120]
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
        log.info("request %s: %s answered in %.1f ms", g.request_id,
                 envelope["request"]["type"], (time.perf_counter() - started) * 1000)
        return Response(json.dumps(payload, ensure_ascii=False), status=200,
                        mimetype="application/json")

    @app.errorhandler(BadRequest)
    def bad_request(e: BadRequest):
        log.warning("request %s: refused %d: %s", g.get("request_id", "-"), e.status, e.message)
        return jsonify(error=e.message), e.status

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        messages = {404: "not found", 405: "method not allowed", 413: "request body too large"}
        log.warning("request %s: refused %d", g.get("request_id", "-"), e.code)
        return jsonify(error=messages.get(e.code, e.name.lower())), e.code

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        # The skill's own exception handler answers handler errors politely; this is for
        # anything outside it. Alexa still gets a valid, polite response.
        ref = uuid.uuid4().hex[:8]
        log.error("request %s: unexpected error %s (ref %s)", g.get("request_id", "-"),
                  type(e).__name__, ref, exc_info=e)
        text = content.text("prompts", "error")
        from ..voice.ssml import Speech
        return jsonify(version="1.0", response={
            "outputSpeech": {"type": "SSML", "ssml": Speech().say(text).ssml()},
            "shouldEndSession": True}), 200

    return app
