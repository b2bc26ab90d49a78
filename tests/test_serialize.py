"""The cached serializer gives exactly what ask-sdk's own gives: on genuine requests, on
broken and mutated ones, on timestamps of every shape, and on the skill's responses."""
from __future__ import annotations

import copy
import json
from datetime import date, datetime
from enum import Enum

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope, ResponseEnvelope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.web.serialize import EnvelopeSerializer, deserialize_parsed, envelope_serializer, parse_alexa_time
from tests.client import AlexaClient, intent_request
from tests.paths import ALEXA_FIXTURES


def bodies():
    found = sorted((ALEXA_FIXTURES / "envelopes").glob("*.json"))
    assert found, f"no Alexa fixtures at {ALEXA_FIXTURES}"
    out = [p.read_text() for p in found]
    client = AlexaClient(None)
    out.append(json.dumps(client.envelope(intent_request("StartRoutineIntent", routine="lower_back"))))
    return out


BODIES = bodies()


def shape(obj):
    """Everything observable about a deserialized value: types, attributes (in any order),
    tzinfo types. Two values with the same shape are the same to any code that reads them."""
    if isinstance(obj, Enum):
        return ("enum", type(obj), obj.value)
    if isinstance(obj, datetime):
        return ("datetime", obj.isoformat(), type(obj.tzinfo), obj.utcoffset())
    if isinstance(obj, date):
        return ("date", obj.isoformat())
    if isinstance(obj, list):
        return ("list", [shape(x) for x in obj])
    if isinstance(obj, dict):
        return ("dict", {k: shape(v) for k, v in obj.items()})
    if hasattr(obj, "__dict__") and not isinstance(obj, type):
        return (type(obj), {k: shape(v) for k, v in vars(obj).items()})
    return (type(obj), obj)


def both(payload, obj_type=RequestEnvelope):
    """(sdk result or exception type, ours) for one parsed payload."""
    def run(fn):
        try:
            return "ok", fn()
        except SerializationException:
            return "error", None
    sdk = run(lambda: DefaultSerializer().deserialize(json.dumps(payload), obj_type))
    ours = run(lambda: deserialize_parsed(envelope_serializer(), copy.deepcopy(payload), obj_type))
    return sdk, ours


@pytest.mark.parametrize("body", BODIES)
def test_same_objects_as_the_sdk(body):
    sdk = DefaultSerializer()
    ours = envelope_serializer()
    assert isinstance(ours, EnvelopeSerializer)
    expected = sdk.deserialize(body, RequestEnvelope)
    got = deserialize_parsed(ours, json.loads(body), RequestEnvelope)
    assert got == expected
    assert shape(got) == shape(expected)
    assert repr(got) == repr(expected)
    assert ours.serialize(got) == sdk.serialize(expected)
    # a second pass uses the cached plans and must not have been changed by the first
    again = deserialize_parsed(ours, json.loads(body), RequestEnvelope)
    assert shape(again) == shape(expected)
    assert again.request is not got.request


def test_models_built_from_templates_do_not_share_state():
    ours = envelope_serializer()
    a = deserialize_parsed(ours, json.loads(BODIES[0]), RequestEnvelope)
    b = deserialize_parsed(ours, json.loads(BODIES[0]), RequestEnvelope)
    a.request.locale = "de-DE"
    assert b.request.locale != "de-DE"
    assert type(a.request)().locale is None


@pytest.mark.parametrize("payload", [
    {"version": "1.0", "request": {"type": "NoSuchRequestType", "requestId": "r",
                                   "timestamp": "2019-01-01T00:00:00Z"}},
    {"version": "1.0", "request": {"type": "IntentRequest", "requestId": "r",
                                   "timestamp": "not a time"}},
    {"version": "1.0", "request": {"type": "IntentRequest", "requestId": "r",
                                   "timestamp": "2019-02-30T00:00:00Z"}},
    {"version": "1.0", "request": {"type": "IntentRequest", "requestId": "r",
                                   "timestamp": "2019-01-01T00:00:00Z", "dialogState": "NOPE"}},
    {"version": "1.0", "request": {"type": "IntentRequest", "requestId": "r",
                                   "timestamp": "2019-01-01T00:00:00Z", "intent": ["x"]}},
    {"version": "1.0", "session": {"new": "yes", "sessionId": 7, "attributes": []},
     "request": {"type": "LaunchRequest", "requestId": 5, "timestamp": "2019-01-01T00:00:00Z",
                 "unknownKey": {"a": 1}, "request_id": "raw"}},
    {"version": "1.0", "session": {"new": 1, "sessionId": "s"},
     "context": {"AudioPlayer": {"offsetInMilliseconds": True, "token": 5},
                 "Viewport": {"pixelWidth": 1024, "dpi": False, "shape": "ROUND"}},
     "request": {"type": "AudioPlayer.PlaybackStarted", "requestId": "r", "offsetInMilliseconds": 2.5,
                 "timestamp": "2019-01-01T00:00:00Z"}},
    {"version": 1, "request": {"type": "SessionEndedRequest", "requestId": "r",
                               "timestamp": "2019-01-01T00:00:00.123Z", "reason": "ERROR",
                               "error": {"type": "INVALID_RESPONSE", "message": None}}},
])
def test_malformed_and_odd_envelopes_as_the_sdk(payload):
    sdk, ours = both(payload)
    assert sdk[0] == ours[0]
    if sdk[0] == "ok":
        assert shape(ours[1]) == shape(sdk[1])


@pytest.mark.parametrize("text", [
    "2019-03-21T17:38:56Z", "2019-03-21T17:38:56.1Z", "2019-03-21T17:38:56.123456Z",
    "2019-03-21T17:38:56.1234567Z", "2019-03-21T17:38:56+00:00", "2019-03-21T17:38:56",
    "2019-03-21 17:38:56Z", "2020-02-29T23:59:59Z", "2019-02-29T00:00:00Z",
    "2019-03-21T24:00:00Z", "2019-13-01T00:00:00Z", "0001-01-01T00:00:00Z", "2019-03-21Z",
])
def test_timestamps_as_dateutil(text):
    sdk, ours = both({"version": "1.0", "request": {"type": "LaunchRequest", "requestId": "r",
                                                    "timestamp": text}})
    assert sdk[0] == ours[0]
    if sdk[0] == "ok":
        assert shape(ours[1].request.timestamp) == shape(sdk[1].request.timestamp)


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
       st.sampled_from([0, 1, 3, 6]))
def test_alexa_time_form_is_parsed_like_dateutil(moment, digits):
    from dateutil.parser import parse
    text = moment.replace(microsecond=0).isoformat()
    if digits:
        text += "." + f"{moment.microsecond:06d}"[:digits]
    text += "Z"
    ours, theirs = parse_alexa_time(text), parse(text)
    assert ours == theirs and type(ours.tzinfo) is type(theirs.tzinfo)


def _mutations(draw_from):
    """Replace one value somewhere in a genuine envelope with something of another kind."""
    return st.tuples(st.sampled_from(BODIES), st.integers(min_value=0, max_value=10_000),
                     draw_from)


ODD = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                st.text(max_size=5), st.lists(st.integers(), max_size=2),
                st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations(ODD))
def test_mutated_envelopes_as_the_sdk(case):
    body, pick, value = case
    payload = json.loads(body)
    paths = [p for p in _paths(payload) if p]
    path = paths[pick % len(paths)]
    node = payload
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    sdk, ours = both(payload)
    assert sdk[0] == ours[0], path
    if sdk[0] == "ok":
        assert shape(ours[1]) == shape(sdk[1]), path
        assert envelope_serializer().serialize(ours[1]) == DefaultSerializer().serialize(sdk[1])


@pytest.mark.parametrize("device", [None, "Alexa.Presentation.APL", "Alexa.Presentation.APLT"])
def test_the_skills_responses_serialize_as_the_sdk(content, store, monkeypatch, device):
    """Every response of a real conversation: our JSON equals the SDK's for the same object
    (on a speaker, and on devices whose responses carry the shared screen documents)."""
    from skill.web import app as webapp
    from skill.config import Config
    from tests.client import flask_poster
    from tests.conftest import SECRET
    seen = []

    class Spy(EnvelopeSerializer):
        def serialize(self, obj):
            out = super().serialize(obj)
            if isinstance(obj, ResponseEnvelope):
                seen.append((obj, out))
            return out
    monkeypatch.setattr(webapp, "envelope_serializer", Spy)
    app = webapp.create_app(Config.local(session_secret=SECRET), store=store, content=content)
    interfaces = {device: {"runtime": {"maxVersion": "2023.3"}}} if device else {}
    client = AlexaClient(flask_poster(app), device={"supportedInterfaces": interfaces})
    client.launch()
    client.intent("StartRoutineIntent", routine="lower_back")
    client.intent("AMAZON.NoIntent")
    client.intent("AMAZON.NextIntent")
    client.intent("QuestionIntent", topic="why_backs_crack")
    client.intent("AMAZON.StopIntent")
    assert len(seen) == 6
    for obj, ours in seen:
        assert ours == DefaultSerializer().serialize(obj)
    assert sum(bool(ours["response"].get("directives")) for _, ours in seen) == (
        {None: 0, "Alexa.Presentation.APL": 4, "Alexa.Presentation.APLT": 2}[device])
