"""Shared fixtures: the shipped content, a throwaway SQLite store, the app, an Alexa stand-in
that checks every spoken response against the platform's SSML rules."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from skill.config import Config  # noqa: E402
from skill.content import load_content  # noqa: E402
from skill.store import open_store  # noqa: E402
from skill.web.app import create_app  # noqa: E402
from tests.client import AlexaClient, check_ssml, flask_poster  # noqa: E402

SECRET = b"test-secret-test-secret-test-secret"


@pytest.fixture(scope="session")
def content():
    return load_content()


@pytest.fixture
def store(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'test.db'}")
    yield s
    s.close()


@pytest.fixture
def app(content, store):
    return create_app(Config.local(session_secret=SECRET), store=store, content=content)


def checked(post):
    """Wrap a poster so that every 200 response's speech obeys Alexa's SSML rules."""
    def wrapped(body, headers=None):
        status, raw = post(body, headers)
        assert status < 500, raw[:300]
        if status == 200:
            import json
            payload = json.loads(raw)
            resp = payload.get("response") or {}
            for where, ssml in (
                    ("outputSpeech", (resp.get("outputSpeech") or {}).get("ssml")),
                    ("reprompt", ((resp.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml"))):
                if ssml:
                    check_ssml(ssml, where)
            if resp.get("shouldEndSession") is False:
                assert resp.get("reprompt"), "an open session needs a reprompt"
        return status, raw
    return wrapped


@pytest.fixture
def alexa(app):
    return AlexaClient(checked(flask_poster(app)))
