"""Load smoke test (issue 6): the production server (gunicorn, two workers sharing one SQLite
file) takes a few thousand requests from a thread pool -- every request part of a complete
conversation of its own user (launch, start a routine, "no" to the safety question, "next",
questions, stop / walking away / finishing) -- and nothing goes wrong: every answer is a 200
with valid SSML, and at the end each user's stored resume point is the last stretch that
user heard (or, for a finished routine, no resume point and the routine in the history).

No timing is asserted (the machine is shared); the figures are printed for the curious.
`make bench` (scripts/bench.py) measures speed.
"""
from __future__ import annotations

import json
import random
import re
import time
from concurrent.futures import ThreadPoolExecutor

from skill.content import load_content
from skill.store import open_store
from tests.client import AlexaClient, Resp, check_ssml, http_poster
from tests.server import gunicorn_server, output

THREADS = 8
REQUESTS_PER_THREAD = 300
NEXT, NO = "AMAZON.NextIntent", "AMAZON.NoIntent"
STRETCH = re.compile(r"Stretch (\d+) of (\d+):")


def checked_post(post):
    """Every answer: 200, a JSON response, valid SSML for the speech and any reprompt."""
    def wrapped(body, headers=None):
        status, raw = post(body, headers)
        assert status == 200, (status, raw[:300])
        response = json.loads(raw)["response"]
        for speech in (response.get("outputSpeech"), (response.get("reprompt") or {}).get("outputSpeech")):
            if speech:
                check_ssml(speech["ssml"])
        return status, raw
    return wrapped


class Conversation:
    """One user's whole conversation, and what the skill should remember at its end."""

    def __init__(self, post, user_id: str, routine: str, rng: random.Random, content):
        self.alexa = AlexaClient(post, user_id=user_id)
        self.user_id, self.routine, self.rng = user_id, routine, rng
        self.length = len(content.routines[routine].items)
        self.heard: int | None = None        # index of the last stretch heard
        self.finished = False
        self.requests = 0

    def _send(self, fn, *args, **kwargs) -> Resp:
        r = fn(*args, **kwargs)
        self.requests += 1
        m = STRETCH.search(r.text)
        if m:
            assert int(m.group(2)) == self.length, r.text[:200]
            self.heard = int(m.group(1)) - 1
        return r

    def run(self, budget: int) -> None:
        """About `budget` requests: launch, start, no, then next (and a question now and then)
        until the budget is spent or the routine is done; then stop, walk away, or nothing."""
        a = self.alexa
        r = self._send(a.launch)
        assert "Back Stretch Coach" in r.text and not r.ends
        r = self._send(a.intent, "StartRoutineIntent", routine=self.routine)
        assert self.heard is None and not r.ends          # the safety question, no stretch yet
        r = self._send(a.intent, NO)
        assert self.heard == 0, r.text[:200]
        while self.requests < budget - 1:
            if self.rng.random() < 0.15:
                r = self._send(a.intent, "QuestionIntent", topic="why_backs_crack")
                assert not r.ends
                continue
            before = self.heard
            r = self._send(a.intent, NEXT)
            if "You finished the" in r.text:    # the routine is done (maybe with its last stretch)
                assert self.heard == self.length - 1, r.text[:200]
                if not r.ends:                  # a first finish offers a daily reminder, once
                    assert "daily reminder?" in r.text, r.text[-200:]
                    r = self._send(a.intent, NO)
                assert r.ends
                self.finished = True
                return
            assert not r.ends, r.text[-200:]
            assert self.heard in (before, before + 1), r.text[:200]
        ending = self.rng.choice(("stop", "walk away", "nothing"))
        if ending == "stop":
            r = self._send(a.intent, "AMAZON.StopIntent")
            assert r.ends
        elif ending == "walk away":
            self._send(a.end, "EXCEEDED_MAX_REPROMPTS")

    def check_remembered(self, stored: dict) -> None:
        if self.finished:
            assert "resume" not in stored, (self.user_id, stored)
            assert stored["history"][-1]["routine"] == self.routine, (self.user_id, stored)
        else:
            assert stored.get("resume") == {"routine": self.routine, "index": self.heard}, \
                (self.user_id, stored, self.heard)


def test_thousands_of_requests_from_a_thread_pool_all_answered_and_nothing_lost(tmp_path):
    content = load_content()
    routines = [r.id for r in content.routines.values()]
    database_url = f"sqlite:///{tmp_path / 'load.db'}"
    conversations: list[Conversation] = []

    with gunicorn_server(database_url, ALEXA_VERIFY_SIGNATURES="0", WEB_CONCURRENCY="2",
                         GUNICORN_THREADS="4") as (base, proc):
        post = checked_post(http_poster(base + "/alexa", timeout=30))

        def worker(thread: int) -> list[Conversation]:
            rng = random.Random(thread)
            done: list[Conversation] = []
            sent = 0
            while sent < REQUESTS_PER_THREAD:
                budget = min(rng.randint(4, 14), max(4, REQUESTS_PER_THREAD - sent))
                c = Conversation(post, f"amzn1.ask.account.LOAD-{thread}-{len(done)}",
                                 rng.choice(routines), rng, content)
                c.run(budget)
                sent += c.requests
                done.append(c)
            return done

        started = time.perf_counter()
        with ThreadPoolExecutor(THREADS) as pool:
            for done in pool.map(worker, range(THREADS)):
                conversations += done
        seconds = time.perf_counter() - started
        log = output(proc)

    total = sum(c.requests for c in conversations)
    print(f"\n{total} requests in {len(conversations)} conversations from {THREADS} threads "
          f"in {seconds:.1f} s ({total / seconds:.0f} requests/s)")
    assert total >= THREADS * REQUESTS_PER_THREAD
    assert "Traceback" not in log and "could not save" not in log, log[-3000:]
    assert len({c.user_id for c in conversations}) == len(conversations)
    assert any(c.finished for c in conversations) and any(not c.finished for c in conversations)

    store = open_store(database_url)
    try:
        for c in conversations:
            c.check_remembered(store.get(c.user_id))
    finally:
        store.close()
