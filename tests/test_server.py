"""The endpoint through a real HTTP server in a subprocess: the local one `make run` starts,
and the production command (gunicorn), which refuses to start unsafely."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.client import AlexaClient, http_poster
from tests.server import ROOT, free_port, gunicorn_server, local_server, output, server_env


def test_local_server_answers_a_launch_and_keeps_serving_after_bad_requests(tmp_path):
    with local_server(f"sqlite:///{tmp_path / 'skill.db'}") as (base, proc):
        post = http_poster(base + "/alexa")
        alexa = AlexaClient(post)
        r = alexa.launch()
        assert r.status == 200 and r.ssml.startswith("<speak>") and "Back Stretch Coach" in r.text
        assert not r.ends
        status, raw = post(b"not json")
        assert status == 400 and json.loads(raw) == {"error": "request body is not JSON"}
        status, raw = post(b"x" * (400 * 1024))
        assert status == 413 and json.loads(raw) == {"error": "request body too large"}
        r = alexa.intent("StartRoutineIntent", routine="quick_release")
        assert r.status == 200 and "safety question" in r.text
        r = alexa.intent("AMAZON.NoIntent")
        assert "Stretch 1 of" in r.text
    out = output(proc)
    assert "signature checks OFF (it listens on loopback only)" in out
    assert "http://127.0.0.1:" in out and "/alexa" in out
    assert "Traceback" not in out


def test_local_server_refuses_to_listen_beyond_loopback_without_verification(tmp_path):
    env = server_env(HOST="0.0.0.0", PORT=str(free_port()),
                     DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    p = subprocess.run([sys.executable, "-m", "skill", "run"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "refusing to start" in p.stderr
    assert "Traceback" not in p.stderr


def test_production_server_verifies_requests(tmp_path):
    with gunicorn_server(f"sqlite:///{tmp_path / 'prod.db'}") as (base, proc):
        status, raw = http_poster(base + "/alexa")(json.dumps(AlexaClient(None).envelope(
            {"type": "LaunchRequest"})).encode())
        assert status == 400 and json.loads(raw)["error"].startswith("request verification failed")
        with urllib.request.urlopen(base + "/health", timeout=5) as r:
            assert r.status == 200


def test_production_server_refuses_verification_off_on_a_public_address(tmp_path):
    port = free_port()
    env = server_env(BIND=f"0.0.0.0:{port}", ALEXA_VERIFY_SIGNATURES="0",
                     DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    p = subprocess.run([gunicorn, "-c", "gunicorn.conf.py", "skill.web.app:create_app()"], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "refusing to start" in (p.stdout + p.stderr)
