"""The servers `make bench` compares the skill with answer what the bench sends, and the
bench's arithmetic is right. (Speed itself is measured by `make bench`, never timed here.)"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.client import AlexaClient, flask_poster, intent_request
ROOT = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(ROOT / "scripts"))
import bench  # noqa: E402
import bench_baseline  # noqa: E402
import bench_floor  # noqa: E402


def envelope(request: dict, user: str = "amzn1.ask.account.BENCHTEST") -> bytes:
    return json.dumps(AlexaClient(None, user_id=user).envelope(request)).encode()


def test_baseline_answers_a_skill_shaped_response():
    post = flask_poster(bench_baseline.create_app())
    status, raw = post(envelope(intent_request("AMAZON.NextIntent")))
    assert status == 200
    body = json.loads(raw)
    assert body["response"]["outputSpeech"]["ssml"].startswith("<speak>")
    assert isinstance(body["sessionAttributes"]["bsc"], str)     # the skill's shape
    assert post(b"not json")[0] == 400


def test_floor_reads_every_time_and_writes_what_the_skill_writes(tmp_path, monkeypatch):
    from skill.store import open_store
    url = f"sqlite:///{tmp_path / 'floor.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    post = flask_poster(bench_floor.create_app())
    user = "amzn1.ask.account.FLOOR"
    sent = [intent_request("AMAZON.NextIntent"), intent_request("AMAZON.NoIntent"),
            intent_request("QuestionIntent", topic="why_backs_crack"),
            intent_request("AMAZON.NextIntent")]
    for request in sent:
        status, raw = post(envelope(request, user))
        assert status == 200, raw
        speech = json.loads(raw)["response"]["outputSpeech"]["ssml"]
        assert speech == json.loads(bench_baseline.FIXED)["response"]["outputSpeech"]["ssml"]
    with open_store(url) as store:
        assert store.get(user) == {"turns": 3}           # next, no, next; not the question
    assert post(b"{}")[0] == 400


def test_floor_runs_on_a_private_in_memory_database_for_the_diagnostic(monkeypatch):
    # `bench.py --floor-in-memory` runs the floor with this URL; it must answer the same way.
    monkeypatch.setenv("DATABASE_URL", "sqlite:///:memory:")
    post = flask_poster(bench_floor.create_app())
    for request in (intent_request("AMAZON.NoIntent"), intent_request("AMAZON.NextIntent")):
        status, raw = post(envelope(request, "amzn1.ask.account.FLOORMEM"))
        assert status == 200, raw
        assert json.loads(raw)["response"] == json.loads(bench_baseline.FIXED)["response"]


def test_combine_weights_rounds_by_requests():
    def run(requests, p50, cpu):
        return {"requests": requests, "duration_us": 1_000_000, "non2xx": 0, "connect": 0,
                "read": 0, "write": 0, "timeout": 0, "status_errors": 0, "errors": 0,
                "server_cpu_s": cpu, "p50_us": p50, "mean_us": p50, "p90_us": p50,
                "p99_us": p50 * 3, "max_us": p50 * 5}
    out = bench.combine([run(1000, 10_000, 0.5), run(3000, 20_000, 1.5)])
    assert out["rps"] == pytest.approx(2000)
    assert out["p50_us"] == pytest.approx(17_500)
    assert out["p99_us"] == 60_000 and out["max_us"] == 100_000
    assert out["cpu_us_per_request"] == pytest.approx(500)


def test_cpu_seconds_counts_this_process():
    import os
    spent = bench.cpu_seconds([os.getpid()])
    sum(i * i for i in range(300_000))
    assert bench.cpu_seconds([os.getpid()]) >= spent
    assert bench.cpu_seconds([2 ** 30]) == 0          # a process that is not there
