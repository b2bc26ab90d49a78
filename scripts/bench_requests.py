#!/usr/bin/env python3
"""What one request of each kind costs the skill in process (CPU µs), without gunicorn, wrk
or the network: the number to look at when a feature is suspected of costing per request.

It builds the production app (`create_app`, SQLite in a temp dir, verification off), drives
real conversations through it with tests.client.AlexaClient (a speaker, and an Echo Show that
gets APL screens), keeps the envelopes it sent, and then replays each kind's envelopes
through the WSGI app directly (no HTTP), measuring the thread's CPU time:

  launch         a returning user with a routine left unfinished (the offer to resume; the
                 menu's minutes for every routine)
  screening_no   the "no" that starts the routine (the gate clears, a new token is stored,
                 the first page is spoken). A screening answer cannot be replayed (the gate
                 refuses an older state of its session, issue 15), so each of these
                 envelopes is a conversation of its own, sent once
  next           the two "next" that begin consecutive stretches, replayed in turn, so every
                 replay moves the stored resume point (a real write)
  faq            a question inside a routine (QuestionIntent why_backs_crack)
  start_over     "start over" inside a routine (its first stretch again, with the lead-in:
                 what `make bench` replays in place of the screening answer)
  list           "list the routines" at the menu (every routine with its minutes)

each on a speaker and, with the suffix `_show`, on an Echo Show (APL RenderDocument in the
response). Kinds are timed round-robin (`--rounds` rounds of `--requests` requests each), so
a busy neighbour hits them alike; it prints the median per request and the spread.

`--profile KIND` prints a pyinstrument profile of that kind instead. `--root DIR` measures the
`skill` package found in DIR (for example an exported older commit, to compare before and
after in the same session). Figures are in docs/performance.md; nothing here is a test.

Usage: .venv/bin/python scripts/bench_requests.py [--rounds 15] [--requests 400] [--answers 100]
       [--kinds launch,next] [--profile next_show] [--root DIR] [--json out.json]
"""
from __future__ import annotations

import argparse
import io
import json
import logging
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET = b"bench-session-secret-0123456789abcdef"
USERS = 8
ROUTINES = ("lower_back", "desk_break", "upper_mid_back", "gentle_flexion")
#: An Echo Show as Amazon's simulator describes it (tests/test_screens.py uses the same).
SHOW = {"supportedInterfaces": {"Alexa.Presentation.APL": {"runtime": {"maxVersion": "2023.3"}}},
        "Viewport": {"experiences": [{"arcMinuteWidth": 246, "arcMinuteHeight": 144,
                                      "canRotate": False, "canResize": False}],
                     "mode": "HUB", "shape": "RECTANGLE", "pixelWidth": 1024,
                     "pixelHeight": 600, "dpi": 160, "currentPixelWidth": 1024,
                     "currentPixelHeight": 600, "touch": ["SINGLE"],
                     "keyboard": ["DIRECTION"]}}
KINDS = ("launch", "screening_no", "next", "faq", "start_over", "list")


def next_stretch(alexa) -> None:
    """Say "next" until a new stretch begins (a stretch may take several pages)."""
    for _ in range(20):
        r = alexa.intent("AMAZON.NextIntent")
        if re.search(r"\bStretch \d+ of \d+", r.text):
            return
    raise AssertionError("no new stretch after 20 next")


def fresh_answers(post, AlexaClient, intent_request, device: dict | None, tag: str, count: int) -> list[bytes]:
    """`count` screening "no" envelopes, each in a session of its own and never sent: a
    screening answer is genuine only once (the gate refuses its replay)."""
    out = []
    for u in range(count):
        alexa = AlexaClient(post, user_id=f"amzn1.ask.account.NO{tag}{u:06d}",
                            device=device)
        alexa.launch()
        alexa.intent("StartRoutineIntent", routine=ROUTINES[u % len(ROUTINES)])
        out.append(json.dumps(alexa.envelope(intent_request("AMAZON.NoIntent"))).encode())
    return out


def capture(post, AlexaClient, device: dict | None, tag: str) -> dict[str, list[bytes]]:
    """Each kind's replayable envelopes, from real conversations of USERS users on this
    device (screening_no: see fresh_answers)."""
    out: dict[str, list[bytes]] = {k: [] for k in KINDS if k != "screening_no"}

    def keep(kind: str) -> None:
        envelope, resp = alexa.history[-1]
        assert resp.status == 200, (kind, resp.status, resp.raw[:300])
        if device and kind != "screening_no":
            assert resp.rendered() is not None, f"{kind}: no screen on the Echo Show"
        out[kind].append(json.dumps(envelope).encode())

    for u in range(USERS):
        alexa = AlexaClient(post, user_id=f"amzn1.ask.account.REQ{tag}{u:04d}", device=device)
        alexa.launch()
        alexa.intent("StartRoutineIntent", routine=ROUTINES[u % len(ROUTINES)])
        alexa.intent("AMAZON.NoIntent")
        next_stretch(alexa)
        keep("next")
        alexa.intent("QuestionIntent", topic="why_backs_crack")
        keep("faq")
        next_stretch(alexa)
        keep("next")
        alexa.intent("AMAZON.StartOverIntent")
        keep("start_over")
        alexa.intent("AMAZON.StopIntent")
        alexa.launch()                      # a returning user: the offer to resume
        keep("launch")
        alexa.intent("AMAZON.NoIntent")     # not now: the menu
        alexa.intent("ListRoutinesIntent")
        keep("list")
    return out


class Refusals(logging.Handler):
    """Counts states the gate distrusted: a replay that measures the refusal, not the kind."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "older than the latest screening step" in record.getMessage():
            self.count += 1


def environ_maker(body: bytes):
    from werkzeug.test import EnvironBuilder
    base = EnvironBuilder(path="/alexa", method="POST", data=body,
                          content_type="application/json").get_environ()

    def make() -> dict:
        env = dict(base)
        env["wsgi.input"] = io.BytesIO(body)
        return env
    return make


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--requests", type=int, default=400, help="requests per kind per round")
    ap.add_argument("--answers", type=int, default=100,
                    help="screening_no requests per round (each a conversation of its own)")
    ap.add_argument("--kinds", help="comma-separated kinds (default: all, speaker and show)")
    ap.add_argument("--profile", help="a kind to profile with pyinstrument instead")
    ap.add_argument("--root", type=Path, default=ROOT, help="where the skill package is")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(args.root.resolve()))
    if args.root.resolve() != ROOT:
        sys.path.insert(1, str(ROOT))
    from tests.client import AlexaClient, flask_poster, intent_request
    from skill.config import Config
    from skill.web.app import create_app
    import skill
    print(f"skill from {Path(skill.__file__).parent}", file=sys.stderr)
    logging.getLogger().setLevel(logging.WARNING)          # as LOG_LEVEL=warning in the bench
    logging.getLogger("skill").setLevel(logging.WARNING)
    refused = Refusals()
    logging.getLogger("skill.dialog").addHandler(refused)

    with tempfile.TemporaryDirectory(prefix="bench-req-") as tmp:
        app = create_app(Config.local(session_secret=SECRET,
                                      database_url=f"sqlite:///{tmp}/req.db"))
        post = flask_poster(app)
        bodies: dict[str, list[bytes]] = {}
        once = args.rounds * args.answers
        for device, suffix in ((None, ""), (SHOW, "_show")):
            tag = suffix or "S"
            for kind, found in capture(post, AlexaClient, device, tag).items():
                bodies[kind + suffix] = found
            bodies["screening_no" + suffix] = fresh_answers(
                post, AlexaClient, intent_request, device, tag, once + 2 * USERS)
        order = [k + s for s in ("", "_show") for k in KINDS]
        wanted = args.kinds.split(",") if args.kinds else order
        makers = {k: [environ_maker(b) for b in bodies[k]] for k in wanted}
        statuses: list[str] = []

        def start_response(status, headers, exc_info=None):
            statuses.append(status)

        def call(make) -> None:
            for _ in app(make(), start_response):
                pass

        for k, ms in makers.items():                       # warm every cache, check answers
            if k.startswith("screening_no"):               # each genuine once: warm on a few
                for m in ms[-2 * USERS:]:
                    call(m)
                makers[k] = ms[:-2 * USERS]
            else:
                for m in ms * 2:
                    call(m)
        assert all(s.startswith("200") for s in statuses), set(statuses)
        assert refused.count == 0, f"{refused.count} replays refused as older state"

        if args.profile:
            from pyinstrument import Profiler
            ms = makers[args.profile]
            total = len(ms) if args.profile.startswith("screening_no") else \
                args.requests * args.rounds
            profiler = Profiler(interval=0.0001)
            profiler.start()
            for i in range(total):
                call(ms[i % len(ms)])
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
            return 0

        per_round: dict[str, list[float]] = {k: [] for k in makers}
        for r in range(args.rounds):
            for k, ms in makers.items():
                answers = k.startswith("screening_no")
                n = args.answers if answers else args.requests
                first = r * n if answers else 0
                t0 = time.thread_time()
                for i in range(first, first + n):
                    call(ms[i % len(ms)])
                per_round[k].append((time.thread_time() - t0) / n * 1e6)
        print(f"{'kind':<18} {'median us':>10} {'min':>7} {'max':>7}   "
              f"({args.rounds} rounds x {args.requests} requests, CPU time of the thread)")
        results = {}
        for k, xs in per_round.items():
            results[k] = {"median_us": statistics.median(xs), "min_us": min(xs),
                          "max_us": max(xs)}
            print(f"{k:<18} {statistics.median(xs):>10.0f} {min(xs):>7.0f} {max(xs):>7.0f}")
        assert refused.count == 0, f"{refused.count} replays refused as older state"
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
