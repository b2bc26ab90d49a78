"""The servers `make bench` compares the skill with answer what the bench sends, and the
bench's arithmetic is right. (Speed itself is measured by `make bench`, never timed here.)"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.client import AlexaClient, check_ssml, flask_poster, intent_request
ROOT = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(ROOT / "scripts"))
import bench  # noqa: E402
import bench_baseline  # noqa: E402
import bench_floor  # noqa: E402
import bench_peer  # noqa: E402


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
            intent_request("AMAZON.NextIntent"), intent_request("AMAZON.StartOverIntent"),
            {"type": "LaunchRequest"}]
    for request in sent:
        status, raw = post(envelope(request, user))
        assert status == 200, raw
        speech = json.loads(raw)["response"]["outputSpeech"]["ssml"]
        assert speech == json.loads(bench_baseline.FIXED)["response"]["outputSpeech"]["ssml"]
    with open_store(url) as store:
        assert store.get(user) == {"turns": 4}   # next, no, next, start over; not the question
                                                 # nor the launch
    assert post(b"{}")[0] == 400


def test_floor_runs_on_a_private_in_memory_database_for_the_diagnostic(monkeypatch):
    # `bench.py --floor-in-memory` runs the floor with this URL; it must answer the same way.
    monkeypatch.setenv("DATABASE_URL", "sqlite:///:memory:")
    post = flask_poster(bench_floor.create_app())
    for request in (intent_request("AMAZON.NoIntent"), intent_request("AMAZON.NextIntent")):
        status, raw = post(envelope(request, "amzn1.ask.account.FLOORMEM"))
        assert status == 200, raw
        assert json.loads(raw)["response"] == json.loads(bench_baseline.FIXED)["response"]


def replay_is_valid(post, bodies) -> None:
    """What bench.check_bodies checks, per body: a 200 whose speech keeps Alexa's rules."""
    bench.check_bodies(post, bodies, ssml=True)


MIX = ["next", "question", "next", "start_over", "launch"]


@pytest.mark.parametrize("peer_store", ["", "per-call", "skill-store"])
def test_peer_answers_every_request_the_bench_captures_from_it(peer_store, tmp_path, monkeypatch):
    # The bench drives the same conversations against the peer and replays what it sent;
    # the sample author's per-call adapter by default, the skill's own with skill-store.
    from skill.store import open_store
    url = f"sqlite:///{tmp_path / 'peer.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PEER_STORE", peer_store)
    app = bench_peer.create_app()
    adapter = app.extensions["bench_peer"].persistence_adapter
    assert isinstance(adapter, bench_peer.PerCallSQLiteAdapter) == (peer_store != "skill-store")
    post = flask_poster(app)
    users = len(bench.USER_ROUTINES)                      # one user per routine
    bodies = bench.capture_bodies(post, users=users)
    assert [k for k, _ in bodies] == MIX * users
    replay_is_valid(post, bodies)
    replay_is_valid(post, bodies)                         # and again: replays stay valid
    with open_store(url) as store:                        # progress kept as a sample keeps it
        for u in range(users):
            saved = store.get(f"amzn1.ask.account.BENCH{u:04d}")
            assert saved["resume"] == {"routine": bench.USER_ROUTINES[u], "index": 0}
            assert saved["disclaimer_heard"] is True
    status, raw = post(bodies[2][1])                      # the second "next" moves it again
    with open_store(url) as store:
        assert store.get("amzn1.ask.account.BENCH0000")["resume"]["index"] == 3


def test_the_peer_refuses_an_unknown_adapter(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'peer.db'}")
    monkeypatch.setenv("PEER_STORE", "dynamodb")
    with pytest.raises(ValueError, match="PEER_STORE"):
        bench_peer.create_app()


def test_the_skill_answers_every_bench_request_as_its_conversation_every_time(tmp_path):
    """What wrk replays is answered as the conversation it came from, however often it
    comes: never refused as a replayed state (the gate's tokens, docs/design.md), every
    "next" and "start over" moves the stored resume point, the launch offers to resume."""
    from skill.config import Config
    from skill.store import open_store
    from skill.web.app import create_app
    from tests.client import plain
    url = f"sqlite:///{tmp_path / 'skill.db'}"
    post = flask_poster(create_app(Config.local(session_secret=b"s" * 32, database_url=url)))
    users = len(bench.USER_ROUTINES)
    bodies = bench.capture_bodies(post, users=users)
    assert [k for k, _ in bodies] == MIX * users
    user = "amzn1.ask.account.BENCH0000"
    for _ in range(3):
        for n, (kind, body) in enumerate(bodies):
            status, raw = post(body)
            assert status == 200 and not bench.refused(raw), (kind, raw[:300])
            speech = plain(json.loads(raw)["response"]["outputSpeech"]["ssml"])
            if kind == "launch":
                assert json.loads(json.loads(raw)["sessionAttributes"]["bsc"])["state"] == \
                    "offer_resume", speech
            if n < len(MIX):                              # the first user's requests
                with open_store(url) as store:
                    resume = store.get(user)["resume"]["index"]
                assert resume == {0: 2, 2: 3, 3: 0}.get(n, resume), (n, kind, resume)
    # What the check catches: a screening answer sent again is refused as a replay.
    alexa = AlexaClient(post, user_id="amzn1.ask.account.REPLAY")
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    assert not bench.refused(alexa.intent("AMAZON.NoIntent").raw)
    assert bench.refused(post(json.dumps(alexa.history[-1][0]).encode())[1])


def test_peer_keeps_its_state_in_session_attributes_and_writes_on_progress(tmp_path, monkeypatch):
    from skill.store import open_store
    url = f"sqlite:///{tmp_path / 'peer.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    alexa = AlexaClient(flask_poster(bench_peer.create_app()), user_id="amzn1.ask.account.PEER")
    alexa.launch()
    r = alexa.intent("StartRoutineIntent", routine="lower_back")
    assert "safety question" in r.text and not r.ends
    assert r.session_attributes == {"state": "SCREENING", "routine": "lower_back", "index": 0}
    r = alexa.intent("AMAZON.NoIntent")
    assert "Stretch 1 of 6" in r.text and "<break " in r.ssml
    assert r.session_attributes["state"] == "ROUTINE"
    r = alexa.intent("AMAZON.NextIntent")
    assert "Stretch 2 of 6" in r.text
    with open_store(url) as store:
        assert store.get("amzn1.ask.account.PEER")["resume"] == {"routine": "lower_back",
                                                                 "index": 1}
    r = alexa.launch()                                    # a new session offers to resume
    assert "stretch 2 of 6" in r.text and r.session_attributes["offer"]["index"] == 1


@pytest.mark.parametrize("request_", [
    intent_request("AMAZON.HelpIntent"), intent_request("AMAZON.FallbackIntent"),
    intent_request("AMAZON.YesIntent"), intent_request("AMAZON.NoIntent"),
    intent_request("AMAZON.NextIntent"), intent_request("AMAZON.StopIntent"),
    intent_request("AMAZON.CancelIntent"), intent_request("PainIntent"),
    intent_request("QuestionIntent", topic=("something odd", None)),
    intent_request("StartRoutineIntent", routine=("no such routine", None)),
], ids=lambda r: r["intent"]["name"])
def test_peer_answers_other_intents_with_valid_speech(request_, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'peer.db'}")
    post = flask_poster(bench_peer.create_app())
    status, raw = post(envelope(request_))
    assert status == 200, raw
    check_ssml(json.loads(raw)["response"]["outputSpeech"]["ssml"])


def test_peer_answers_session_end_and_refuses_what_is_not_alexa(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'peer.db'}")
    post = flask_poster(bench_peer.create_app())
    status, raw = post(envelope({"type": "SessionEndedRequest", "reason": "USER_INITIATED"}))
    assert status == 200 and "outputSpeech" not in json.loads(raw)["response"]
    assert post(b"not json")[0] == 400


def run_figures(rps, cpu, p99_ms=40.0):
    return {"rps": rps, "cpu_us_per_request": cpu, "p99_us": p99_ms * 1000}


def test_budget_lines_pass_and_miss_at_their_limits():
    peer, floor, baseline = run_figures(1950, 1100), run_figures(4400, 500), run_figures(10000, 200)
    at_limits = run_figures(3900, 550, p99_ms=50.0)     # 2.0 x peer, +10 % CPU, 0.39 x baseline
    lines = bench.budget(skill=at_limits, peer=peer, floor=floor, baseline=baseline,
                         startup_s=1.0, connections=32)
    assert [ok for _, ok, _ in lines] == [True] * 5
    assert [value for _, _, value in lines] == [
        "2.00", "skill 550 us, floor 500 us: +10%", "0.39", "50.0 ms", "1.000 s"]
    past_limits = run_figures(3899, 551, p99_ms=50.1)
    lines = bench.budget(skill=past_limits, peer=peer, floor=floor, baseline=baseline,
                         startup_s=1.01, connections=32)
    assert [ok for _, ok, _ in lines] == [False] * 5
    lines = bench.budget(skill=at_limits, peer=peer, floor=floor, baseline=baseline,
                         startup_s=0.2, connections=8)
    assert lines[3][1] is False and "not measured" in lines[3][2]  # p99 is judged at 32 only
    lines = bench.budget(skill=at_limits, peer=peer, floor=floor, baseline=baseline,
                         startup_s=1.0, connections=32, peer_store=run_figures(1960, 900))
    assert [name for name, _, _ in lines][:2] == [
        "throughput skill/peer >= 2", "throughput skill/peer (peer on our store adapter) >= 2"]
    assert lines[1][1:] == (False, "1.99")


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
