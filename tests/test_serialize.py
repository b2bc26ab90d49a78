"""The cached envelope deserializer gives exactly what ask-sdk's own gives, on genuine requests."""
from __future__ import annotations

import json

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from skill.serialize import EnvelopeSerializer, deserialize_parsed, envelope_serializer
from tests.client import AlexaClient, intent_request
from tests.paths import ALEXA_FIXTURES


def bodies():
    found = sorted((ALEXA_FIXTURES / "envelopes").glob("*.json"))
    assert found, f"no Alexa fixtures at {ALEXA_FIXTURES}"
    out = [p.read_text() for p in found]
    client = AlexaClient(None)
    out.append(json.dumps(client.envelope(intent_request("StartRoutineIntent", routine="lower_back"))))
    return out


@pytest.mark.parametrize("body", bodies())
def test_same_objects_as_the_sdk(body):
    sdk = DefaultSerializer()
    ours = envelope_serializer()
    assert isinstance(ours, EnvelopeSerializer)
    expected = sdk.deserialize(body, RequestEnvelope)
    got = deserialize_parsed(ours, json.loads(body), RequestEnvelope)
    assert got == expected
    assert sdk.serialize(got) == sdk.serialize(expected)
