"""The AWS Lambda entry point serves the same skill object."""
from __future__ import annotations

import importlib
import json
import logging

import pytest

from tests.client import AlexaClient, plain


@pytest.fixture
def logging_restored():
    """The module configures logging for Lambda; the rest of the suite keeps pytest's."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_lambda_handler_answers_a_launch(monkeypatch, tmp_path, logging_restored):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'lambda.db'}")
    monkeypatch.setenv("SESSION_SECRET", "lambda-secret-lambda-secret")
    monkeypatch.delenv("ALEXA_SKILL_ID", raising=False)
    module = importlib.reload(importlib.import_module("skill.web.lambda_function"))
    event = AlexaClient(None).envelope({"type": "LaunchRequest"})
    out = module.handler(json.loads(json.dumps(event)), None)
    assert "Back Stretch Coach" in plain(out["response"]["outputSpeech"]["ssml"])
    assert out["response"]["shouldEndSession"] is False
