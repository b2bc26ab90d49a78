"""The web service: the endpoint's contract, refusals as short JSON 4xx, verification wired in,
genuine Alexa envelopes, and fuzzing that never reaches a 5xx or a stack trace."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.config import Config, ConfigError
from skill.web.verifier import AlexaVerifier
from skill.web.app import create_app
from tests.ca_util import iso, make_pki
from tests.client import AlexaClient, SKILL_ID, check_ssml, flask_poster, plain
from tests.conftest import SECRET

from tests.paths import ALEXA_FIXTURES as FIXTURES


def launch_body(timestamp: str, skill_id: str = SKILL_ID) -> bytes:
    client = AlexaClient(lambda b, h=None: (200, b"{}"), skill_id=skill_id, timestamp=lambda: timestamp)
    return json.dumps(client.envelope({"type": "LaunchRequest"})).encode()


def test_health(app):
    r = app.test_client().get("/health")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}


def test_launch_speaks_welcome_and_asks(alexa, content):
    r = alexa.launch()
    assert r.status == 200
    assert content.text("prompts", "welcome") in r.text
    assert r.text.rstrip().endswith("?") and not r.ends
    assert r.reprompt


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_wrong_method_is_405_json(app, method):
    r = getattr(app.test_client(), method)("/alexa")
    assert r.status_code == 405 and r.get_json() == {"error": "method not allowed"}


@pytest.mark.parametrize("body,message", [
    (b"hello", "request body is not JSON"),
    (b"\xff\xfe\x00", "request body is not JSON"),
    (b"[1, 2]", "not an Alexa request envelope: not an object"),
    (b'{"version": "1.0"}', "not an Alexa request envelope: request is missing"),
    (b'{"version": "1.0", "request": {"type": "LaunchRequest"}}',
     "not an Alexa request envelope: request.requestId is missing"),
    (b"[" * 100000 + b"]" * 100000, "request body is not JSON"),
])
def test_bad_bodies_are_400_json(app, body, message):
    r = app.test_client().post("/alexa", data=body)
    assert r.status_code == 400 and r.get_json() == {"error": message}
    assert app.test_client().get("/health").status_code == 200


def test_body_too_large_is_413(app):
    r = app.test_client().post("/alexa", data=b"{" + b" " * (300 * 1024) + b"}")
    assert r.status_code == 413 and r.get_json() == {"error": "request body too large"}


def test_chunked_body_over_the_limit_is_413_even_when_its_start_is_a_valid_request(app):
    """A chunked body has no Content-Length: it used to be cut at the limit, and a valid
    request in its first 256 KiB got a 200."""
    valid = json.dumps(AlexaClient(None).envelope({"type": "LaunchRequest"})).encode()
    body = valid + b" " * (300 * 1024)
    environ = {"wsgi.input_terminated": True}
    r = app.test_client().post("/alexa", input_stream=__import__("io").BytesIO(body),
                               environ_overrides=environ)
    assert r.status_code == 413 and r.get_json() == {"error": "request body too large"}
    r = app.test_client().post("/alexa", input_stream=__import__("io").BytesIO(valid),
                               environ_overrides=environ)        # the same, within the limit
    assert r.status_code == 200 and "Back Stretch Coach" in plain(
        r.get_json()["response"]["outputSpeech"]["ssml"])


def _deep(levels: int) -> dict:
    node: dict = {}
    top = node
    for _ in range(levels):
        node["a"] = {}
        node = node["a"]
    return top


def _launch():
    return AlexaClient(None).envelope({"type": "LaunchRequest"})


def _intent(**slots):
    from tests.client import intent_request
    envelope = AlexaClient(None).envelope(intent_request("StartRoutineIntent", **slots))
    envelope["session"]["new"] = False
    return envelope


def _with(envelope, path, value):
    node = envelope
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return envelope


RESOLUTION = "request.intent.slots.routine.resolutions.resolutionsPerAuthority.0"
MALFORMED = {
    "intent null": (_with(_intent(routine="lower_back"), "request.intent", None),
                    "request.intent is not an object"),
    "intent without a name": (_with(_intent(), "request.intent.name", None),
                              "request.intent.name is missing"),
    "slot null": (_with(_intent(routine="lower_back"), "request.intent.slots.routine", None),
                  "request.intent.slots.routine is not an object"),
    "slot value a number": (_with(_intent(routine="lower_back"),
                                  "request.intent.slots.routine.value", 7),
                            "request.intent.slots.routine.value is not a str"),
    "resolution values null": (_with(_intent(routine="lower_back"), RESOLUTION + ".values",
                                     [None]),
                               "request.intent.slots.routine.resolutions has a value that is "
                               "not a named object"),
    "resolution value null": (_with(_intent(routine="lower_back"), RESOLUTION + ".values.0.value",
                                    None),
                              "request.intent.slots.routine.resolutions has a value that is "
                              "not a named object"),
    "resolution authority null": (_with(_intent(routine="lower_back"), RESOLUTION, None),
                                  "request.intent.slots.routine.resolutions has an entry that "
                                  "is not an object"),
    "deep session attributes": (_with(_launch(), "session.attributes", _deep(900)),
                                "nested more than 32 levels deep"),
    "lone surrogate in the request id": (_with(_launch(), "request.requestId", "id\ud800"),
                                         "text that is not valid Unicode"),
    "lone surrogate in a slot": (_with(_intent(routine=("lower\udc00", None)),
                                       "request.intent.slots.routine.value", "lower\udc00"),
                                 "text that is not valid Unicode"),
    "lone surrogate in the user id": (_with(_launch(), "context.System.user.userId", "u\udfff"),
                                      "text that is not valid Unicode"),
    "year 1 timestamp": (_with(_launch(), "request.timestamp", "0001-01-01T00:00:00Z"),
                         "request.timestamp is not a time"),
    "year 9999 timestamp": (_with(_launch(), "request.timestamp", "9999-12-31T23:59:59Z"),
                            "request.timestamp is not a time"),
    "timestamp not a time": (_with(_launch(), "request.timestamp", "yesterday"),
                             "request.timestamp is not a time"),
    "session id null": (_with(_launch(), "session.sessionId", None),
                        "session.sessionId is missing"),
    "session new a string": (_with(_launch(), "session.new", "yes"), "session.new is not a bool"),
    "attributes a list": (_with(_launch(), "session.attributes", [1]),
                          "session.attributes is not an object"),
    "user id a number": (_with(_launch(), "session.user.userId", 5),
                         "session.user.userId is not a str"),
    "locale a number": (_with(_launch(), "request.locale", 5), "request.locale is not a str"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_envelope_is_a_400_before_any_handler_runs(app, case, caplog, monkeypatch):
    """These used to raise inside a handler: a 200 apology, logged at ERROR."""
    envelope, problem = MALFORMED[case]
    ran = []
    from skill.dialog import handlers
    monkeypatch.setattr(handlers.LoadTurn, "process", lambda self, handler_input: ran.append(1))
    r = app.test_client().post("/alexa", data=json.dumps(envelope))   # a surrogate as \\udxxx
    assert r.status_code == 400, r.get_data()[:300]
    assert r.get_json() == {"error": f"not an Alexa request envelope: {problem}"}
    assert not ran
    assert not [rec for rec in caplog.records if rec.levelname == "ERROR"]
    assert app.test_client().get("/health").status_code == 200


def test_request_id_with_a_newline_cannot_forge_a_log_line(app, capsys):
    """The id is logged escaped, on the request's own line, with time and level."""
    import logging
    from skill.web import logs
    handler = logging.StreamHandler()
    handler.setFormatter(logs.Formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        envelope = _with(_launch(), "request.requestId",
                         "amzn1.echo-api.request.1\n2099-01-01 00:00:00,000 ERROR forged\x1b[2J")
        r = app.test_client().post("/alexa", data=json.dumps(envelope))
        assert r.status_code == 200
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    assert lines and all(__import__("re").match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING) \[", line)
                         for line in lines), lines
    answered = [line for line in lines if "answered in" in line]
    assert len(answered) == 1
    assert "[amzn1.echo-api.request.1\\n2099-01-01 00:00:00,000 ERROR forged\\x1b[2J]" in answered[0]


def test_wrong_skill_id_is_400(content, store):
    app = create_app(Config.local(session_secret=SECRET, skill_id="amzn1.ask.skill.ours"),
                     store=store, content=content)
    r = AlexaClient(flask_poster(app), skill_id="amzn1.ask.skill.someone-else").launch()
    assert r.status == 400 and r.body == {"error": "request is for another skill"}
    ok = AlexaClient(flask_poster(app), skill_id="amzn1.ask.skill.ours").launch()
    assert ok.status == 200


def test_handler_exception_is_answered_politely_and_keeps_progress(app, alexa, content, monkeypatch):
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    alexa.intent("AMAZON.NoIntent")
    before = dict(alexa.attributes)
    from skill.dialog.handlers import IntentHandler

    def boom(self, handler_input):
        raise RuntimeError("bug")
    monkeypatch.setattr(IntentHandler, "handle", boom)
    r = alexa.intent("AMAZON.NextIntent")
    assert r.status == 200
    assert content.text("prompts", "error") in r.text and not r.ends
    assert "Traceback" not in r.raw.decode() and "bug" not in r.raw.decode()
    assert r.session_attributes == before          # progress in the session is kept
    monkeypatch.undo()
    r = alexa.intent("AMAZON.RepeatIntent")
    assert "Stretch 1 of" in r.text


def test_create_app_without_arguments_is_production(monkeypatch, tmp_path):
    for key in list(__import__("os").environ):
        if key in ("ALEXA_VERIFY_SIGNATURES", "HOST", "ALEXA_SKILL_ID", "DATABASE_URL", "PORT",
                   "SESSION_SECRET", "CONTENT_DIR"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    app = create_app()
    cfg = app.extensions["backstretch"]["config"]
    assert cfg.verify_signatures is True
    r = app.test_client().post("/alexa", data=launch_body(iso(__import__("datetime").datetime.now(
        __import__("datetime").timezone.utc))))
    assert r.status_code == 400
    assert r.get_json()["error"].startswith("request verification failed")


def test_verification_off_refused_unless_loopback():
    with pytest.raises(ConfigError, match="not loopback"):
        Config(host="0.0.0.0", verify_signatures=False).check()
    with pytest.raises(ConfigError, match="not loopback"):
        Config.from_env({"ALEXA_VERIFY_SIGNATURES": "0", "HOST": "192.168.1.5"})
    assert Config.from_env({"ALEXA_VERIFY_SIGNATURES": "0", "HOST": "127.0.0.1"}).verify_signatures is False
    assert Config.from_env({}).verify_signatures is True
    assert Config.from_env({}, local=True).verify_signatures is False


# ---------------------------------------------------------------- verification through the endpoint

@pytest.fixture
def signed_app(content, store):
    pki = make_pki()
    app = create_app(Config(host="127.0.0.1", verify_signatures=True, session_secret=SECRET),
                     verifier=pki.verifier(), store=store, content=content)
    return pki, app


def test_signed_request_passes_and_tampered_fails(signed_app):
    pki, app = signed_app
    client = app.test_client()
    body = launch_body(iso(pki.now))
    r = client.post("/alexa", data=body, headers=pki.sign(body))
    assert r.status_code == 200 and "<speak>" in r.get_json()["response"]["outputSpeech"]["ssml"]
    tampered = body.replace(b"LaunchRequest", b"LaunchRequesT")
    r = client.post("/alexa", data=tampered, headers=pki.sign(body))
    assert r.status_code == 400 and "verification failed" in r.get_json()["error"]
    r = client.post("/alexa", data=body)
    assert r.status_code == 400 and "verification failed" in r.get_json()["error"]


def test_stale_timestamp_refused_through_endpoint(signed_app):
    import datetime as dt
    pki, app = signed_app
    body = launch_body(iso(pki.now - dt.timedelta(seconds=151)))
    r = app.test_client().post("/alexa", data=body, headers=pki.sign(body))
    assert r.status_code == 400 and "verification failed" in r.get_json()["error"]


def test_unreachable_certificate_url_is_a_quick_400_and_server_keeps_serving(content, store):
    """With verification on and no network, the certificate download fails within its
    timeout: a 400, and the next request is served."""
    import datetime as dt
    import socket
    import threading
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(8)                          # accepts connections, never answers

    def fetch_through_hanging_socket(url, timeout):
        from skill.web.verifier import UrllibFetcher
        return UrllibFetcher()(f"http://127.0.0.1:{hang.getsockname()[1]}/echo.api/x.pem", timeout)
    verifier = AlexaVerifier(fetcher=fetch_through_hanging_socket, fetch_timeout=1.0)
    app = create_app(Config(host="127.0.0.1", verify_signatures=True, session_secret=SECRET),
                     verifier=verifier, store=store, content=content)
    pki = make_pki()
    body = launch_body(iso(dt.datetime.now(dt.timezone.utc)))
    started = time.monotonic()
    r = app.test_client().post("/alexa", data=body, headers=pki.sign(body))
    elapsed = time.monotonic() - started
    assert r.status_code == 400 and "verification failed" in r.get_json()["error"]
    assert elapsed < 3.0
    assert app.test_client().get("/health").status_code == 200
    hang.close()
    assert threading.active_count() < 50


# ---------------------------------------------------------------- genuine Alexa requests

def _fixture_dir() -> Path:
    assert FIXTURES.is_dir(), f"Alexa fixtures not found at {FIXTURES} (shared/ beside the repo)"
    return FIXTURES


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "envelopes").glob("*.json"))
                         if (FIXTURES / "envelopes").is_dir() else ["missing"])
def test_genuine_envelopes_get_a_valid_answer_or_a_clear_4xx(app, name):
    body = (_fixture_dir() / "envelopes" / name).read_bytes()
    r = app.test_client().post("/alexa", data=body)
    assert r.status_code in (200, 400), r.get_data()[:300]
    payload = r.get_json()
    if r.status_code == 400:
        assert set(payload) == {"error"}
        return
    assert payload["version"] == "1.0"
    speech = (payload["response"].get("outputSpeech") or {}).get("ssml")
    if speech:
        check_ssml(speech)
    if json.loads(body)["request"]["type"] == "LaunchRequest":
        assert "Back Stretch Coach" in plain(speech)


def test_genuine_signed_cert7_request_without_signature256_is_refused_cleanly(content, store):
    folder = _fixture_dir() / "signed" / "asksdk_nodejs_express_adapter_cert7"
    body = (folder / "body.bin").read_bytes()
    headers = json.loads((folder / "headers.json").read_text())
    app = create_app(Config(host="127.0.0.1", verify_signatures=True, session_secret=SECRET),
                     store=store, content=content,
                     verifier=AlexaVerifier(fetcher=lambda url, timeout: (folder / "chain.pem").read_bytes()))
    r = app.test_client().post("/alexa", data=body, headers={k: str(v) for k, v in headers.items()})
    assert r.status_code == 400 and r.get_json()["error"].startswith("request verification failed")


# ---------------------------------------------------------------- fuzzing

header_names = st.sampled_from(["Signature-256", "SignatureCertChainUrl", "Content-Type",
                                "Signature", "X-Anything"])
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2000), headers=st.dictionaries(header_names, header_values, max_size=4))
def test_fuzz_arbitrary_bodies_never_5xx(signed_app, body, headers):
    pki, app = signed_app
    r = app.test_client().post("/alexa", data=body, headers=headers)
    assert 400 <= r.status_code < 500
    text = r.get_data(as_text=True)
    assert "Traceback" not in text and set(r.get_json()) == {"error"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=st.fixed_dictionaries({
    "type": st.sampled_from(["LaunchRequest", "IntentRequest", "SessionEndedRequest", "Other.Thing"]),
    "requestId": st.text(max_size=30), "timestamp": st.sampled_from(["2024-01-01T00:00:00Z", "x", ""]),
}, optional={"intent": json_values | st.fixed_dictionaries({"name": st.text(max_size=30),
                                                             "slots": json_values}),
             "locale": st.text(max_size=6), "reason": json_values}),
       session=json_values, context=json_values)
def test_fuzz_envelope_shapes_never_5xx(app, request, session, context):
    body = json.dumps({"version": "1.0", "session": session, "context": context, "request": request})
    r = app.test_client().post("/alexa", data=body)
    assert r.status_code in (200, 400), r.get_data()[:300]
    assert "Traceback" not in r.get_data(as_text=True)
    if r.status_code == 200:
        ssml = (r.get_json()["response"].get("outputSpeech") or {}).get("ssml")
        if ssml:
            check_ssml(ssml)


def test_server_refuses_to_start_with_a_missing_prompt(tmp_path, store):
    import shutil
    from skill.content import ContentError, load_content
    d = tmp_path / "content"
    shutil.copytree(Path(__file__).resolve().parents[1] / "content", d)
    voice = (d / "voice.yaml").read_text().replace("other_side:", "other_sid:")
    (d / "voice.yaml").write_text(voice)
    with pytest.raises(ContentError, match=r"content/voice.yaml.*other_side"):
        create_app(Config.local(session_secret=SECRET), store=store, content=load_content(d))
