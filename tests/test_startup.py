"""Starting the server, as an operator sees it (issue 15).

- A configuration the server refuses is one line on stderr, "error: <reason>", and exit
  status 2, under gunicorn (the production command) and `python -m skill run` alike: no
  "Failed to read config file", no traceback. Nonsense settings are refused.
- A started server logs one summary line (signature checks, skill-id check, storage, session
  secret), and every log line has the same shape under both servers: time, level, request id.
- A store that is unusable at start-up (a read-only data folder, a full disk, a file that is
  not a database) is one warning line, not a crash: the skill coaches without memory and
  remembers again once the store is back.

The read-only and full data folders are real file systems: a 2 MiB tmpfs mounted in a private
mount namespace (`unshare`, as root or as a user with user namespaces), made read-only or
filled up before the server starts, and repaired (remounted read-write, the filler deleted)
when the test sends the wrapper SIGUSR1. Nothing is mounted outside that namespace, and the
mount disappears with the server.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.client import AlexaClient, http_poster
from tests.server import ROOT, free_port, gunicorn_server, local_server, output, running, server_env

GUNICORN = [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py",
            "skill.web.app:create_app()"]
RUN = [sys.executable, "-m", "skill", "run"]
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) "
                      r"\[[^\]\s]+\] [\w.]+: ")
NO, NEXT, STOP = "AMAZON.NoIntent", "AMAZON.NextIntent", "AMAZON.StopIntent"


def start(command: list[str], **env: str) -> subprocess.CompletedProcess:
    """Run a server command that is expected to refuse to start."""
    port = str(free_port())
    full = server_env(**{"PORT": port, **env})
    if command is GUNICORN:
        full.setdefault("BIND", f"127.0.0.1:{port}")
    return subprocess.run(command, cwd=ROOT, env=full, capture_output=True, text=True, timeout=60)


# --------------------------------------------------------------------------- refusals

REFUSED = [
    ({"WEB_CONCURRENCY": "0"}, "error: WEB_CONCURRENCY must be between 1 and 64, not 0"),
    ({"GUNICORN_THREADS": "four"}, "error: GUNICORN_THREADS must be a whole number, not 'four'"),
    ({"READ_TIMEOUT": "0"}, "error: READ_TIMEOUT must be between 1 and 120, not 0"),
    ({"BIND": "127.0.0.1"}, "error: BIND must be HOST:PORT or unix:PATH (comma separated), "
                            "not '127.0.0.1'"),
    ({"BIND": "0.0.0.0:8000", "ALEXA_VERIFY_SIGNATURES": "0"},
     "error: refusing to start: request signature verification is off but the server would "
     "listen on 0.0.0.0, which is not loopback only. Turn verification on "
     "(ALEXA_VERIFY_SIGNATURES=1) or bind to 127.0.0.1."),
    ({"ALEXA_VERIFY_SIGNATURES": "maybe"},
     "error: ALEXA_VERIFY_SIGNATURES must be 1/0, true/false, yes/no or on/off, not 'maybe'"),
    ({"SESSION_SECRET": "short"}, "error: SESSION_SECRET must be at least 16 characters"),
    ({"ALEXA_SKILL_ID": "my-skill"},
     "error: ALEXA_SKILL_ID must be the skill's id from the developer console "
     "(amzn1.ask.skill.…), not 'my-skill'"),
    ({"MAX_BODY_BYTES": "0"}, "error: MAX_BODY_BYTES must be between 16384 and 16777216, not 0"),
    ({"CERT_FETCH_TIMEOUT": "nan"}, "error: CERT_FETCH_TIMEOUT must be a finite number, not 'nan'"),
    ({"LOG_LEVEL": "loud"}, "error: LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, "
                            "CRITICAL, not 'loud'"),
    ({"PORT": "70000"}, "error: PORT must be between 1 and 65535, not 70000"),
    ({"DATABASE_URL": "mysql://db/skill"},
     "error: DATABASE_URL must be empty (SQLite in ./data), sqlite:///absolute/path.db, or "
     "postgresql://user@host:port/dbname; got scheme 'mysql'"),
    ({"DATABASE_URL": "sqlite://relative.db"},
     "error: a SQLite DATABASE_URL is sqlite:///absolute/path.db (three slashes, then the "
     "absolute path)"),
]


@pytest.mark.parametrize("env,first_line", REFUSED, ids=[" ".join(e) for e, _ in REFUSED])
def test_gunicorn_refuses_a_bad_configuration_with_one_line(env, first_line, tmp_path):
    """It used to print "Failed to read config file" and 14 to 36 lines of traceback, the
    reason last; WEB_CONCURRENCY=0 started with no workers at all."""
    p = start(GUNICORN, DATA_DIR=str(tmp_path), **env)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert p.stderr.splitlines() == [first_line], p.stderr
    assert p.stdout == ""


@pytest.mark.parametrize("env,first_line", [c for c in REFUSED if not ({"WEB_CONCURRENCY",
                                            "GUNICORN_THREADS", "READ_TIMEOUT", "BIND"} & set(c[0]))])
def test_run_refuses_the_same_with_the_same_line(env, first_line, tmp_path):
    env = dict(env)
    if "BIND" in env:           # what BIND says to gunicorn, HOST says to `run`
        env["HOST"] = env.pop("BIND").rsplit(":", 1)[0]
    p = start(RUN, DATA_DIR=str(tmp_path), **env)
    assert p.returncode == 2 and p.stderr.splitlines()[0] == first_line, p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize("command", [GUNICORN, RUN], ids=["gunicorn", "run"])
def test_broken_content_is_refused_naming_file_and_key(command, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    prompts = content / "prompts.yaml"
    prompts.write_text(re.sub(r"(?m)^goodbye:", "good_bye:", prompts.read_text()))
    p = start(command, CONTENT_DIR=str(content), DATA_DIR=str(tmp_path / "data"))
    assert p.returncode == 2
    assert p.stderr.splitlines()[0].startswith("error: content/prompts.yaml:"), p.stderr
    assert "goodbye" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "data").exists()             # refused before touching the store


# --------------------------------------------------------------------------- summary and logs

def _log_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("server", ["gunicorn", "run"])
def test_summary_line_and_every_log_line_has_time_level_and_request_id(server, tmp_path):
    launcher = gunicorn_server if server == "gunicorn" else local_server
    extra = {"ALEXA_VERIFY_SIGNATURES": "0"} if server == "gunicorn" else {}
    with launcher(f"sqlite:///{tmp_path / 'x.db'}", LOG_LEVEL="INFO", **extra) as (base, proc):
        alexa = AlexaClient(http_poster(base + "/alexa"))
        assert alexa.launch().status == 200
        alexa.intent("QuestionIntent", topic=("my private words", None))
        http_poster(base + "/alexa")(b"not json")
    out = output(proc)
    lines = _log_lines(out)
    assert lines and all(LOG_LINE.match(line) for line in lines), out
    summary = [line for line in lines if "Back Stretch Coach ready:" in line]
    assert len(summary) == 1, out
    assert re.search(r"INFO \[-\] skill\.web: Back Stretch Coach ready: signature checks OFF \(it "
                     r"listens on loopback only\); skill id check OFF \(set ALEXA_SKILL_ID\); "
                     r"storage sqlite:\S+x\.db; session secret from SESSION_SECRET$", summary[0])
    answered = [line for line in lines if "LaunchRequest answered in" in line]
    assert len(answered) == 1 and re.search(r"INFO \[amzn1\.echo-api\.request\.[0-9a-f-]+\] skill\.web:",
                                            answered[0])
    assert any("WARNING [-] skill.web: refused 400: request body is not JSON" in line for line in lines)
    assert "private words" not in out and "Traceback" not in out


def test_summary_line_in_production_names_what_protects_the_endpoint(tmp_path):
    with gunicorn_server(f"sqlite:///{tmp_path / 'x.db'}", ALEXA_SKILL_ID="amzn1.ask.skill.1234",
                         SESSION_SECRET="") as (base, proc):
        pass
    summary = [line for line in output(proc).splitlines() if "ready:" in line]
    assert len(summary) == 1
    assert summary[0].split(" skill.web: ")[1] == (
        "Back Stretch Coach ready: signature checks ON; skill id check ON; storage sqlite:"
        f"{tmp_path / 'x.db'}; session secret random (set SESSION_SECRET when more than one "
        "process or instance serves the skill)")


# --------------------------------------------------------------------------- unusable store

WRAPPER = r"""
set -e
dir=$1; fault=$2; shift 2
mount -t tmpfs -o size=2m,mode=0755 tmpfs "$dir"
case $fault in
  full) head -c 8m /dev/zero > "$dir/filler" 2>/dev/null || true
        repair() { rm -f "$dir/filler"; } ;;
  read-only) mount -o remount,ro "$dir"
        repair() { mount -o remount,rw "$dir"; } ;;
esac
trap 'repair' USR1
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
"$@" &
child=$!
while kill -0 "$child" 2>/dev/null; do wait "$child" || true; done
"""


def _namespace_prefix() -> list[str]:
    """How to get a private mount namespace here: as root, or through a user namespace."""
    for prefix in (["unshare", "--mount", "--propagation", "private"],
                   ["unshare", "--user", "--map-root-user", "--mount", "--propagation", "private"]):
        try:
            probe = subprocess.run([*prefix, "sh", "-c", "d=$(mktemp -d) && mount -t tmpfs "
                                    "-o size=64k tmpfs $d && umount $d && rmdir $d"],
                                   capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return prefix
    raise AssertionError("cannot make a private mount namespace here (unshare --mount as root, "
                         "or unprivileged user namespaces), which the read-only and full "
                         "data-folder tests need")


def _memory_works(base: str, content) -> bool:
    """Does the skill remember again? ("how am I doing" says so when it cannot.)"""
    r = AlexaClient(http_poster(base + "/alexa"), user_id="amzn1.ask.account.probe").intent(
        "HistoryIntent")
    return content.text("prompts", "memory_unavailable") not in r.text


def _coaches_without_memory(base: str, content) -> None:
    post = http_poster(base + "/alexa")
    alexa = AlexaClient(post, user_id="amzn1.ask.account.during-fault")
    assert content.text("prompts", "disclaimer") in alexa.launch().text
    alexa.intent("StartRoutineIntent", routine="quick_release")
    assert "Stretch 1 of" in alexa.intent(NO).text
    assert "Stretch 2 of" in alexa.intent(NEXT).text
    r = alexa.intent(STOP)
    assert r.status == 200 and r.ends
    assert not _memory_works(base, content)


def _remembers_again(base: str, content, proc) -> None:
    deadline = time.monotonic() + 20            # the store is tried again every 5 s
    while not _memory_works(base, content):
        assert time.monotonic() < deadline, output(proc)
        time.sleep(0.5)
    alexa = AlexaClient(http_poster(base + "/alexa"), user_id="amzn1.ask.account.after-fault")
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="quick_release")
    alexa.intent(NO)
    alexa.intent(NEXT)
    alexa.intent(STOP)
    r = alexa.launch()                          # a new session: offered to resume
    assert content.text("prompts", "offer_resume", number=2,
                        total=len(content.routines["quick_release"].items),
                        routine=content.routines["quick_release"].name) in r.text


def _one_clear_line(out: str, reason: str) -> None:
    lines = out.splitlines()
    ready = next(i for i, line in enumerate(lines) if "ready:" in line)
    warnings = [line for line in lines[:ready] if " WARNING " in line or " ERROR " in line]
    assert len(warnings) == 1 and "unusable at start-up" in warnings[0], out
    assert LOG_LINE.match(warnings[0]) and " WARNING " in warnings[0]
    assert reason in warnings[0], warnings[0]
    assert "the skill coaches without memory and tries again every 5 s" in warnings[0]
    assert "Traceback" not in out
    summary = [line for line in out.splitlines() if "ready:" in line]
    assert len(summary) == 1 and "UNUSABLE (coaching without memory until it returns)" in summary[0]


@pytest.mark.parametrize("fault,reason", [
    ("read-only", "unable to open database file"),
    ("full", "database or disk is full"),
])
def test_read_only_or_full_data_folder_at_start_up(fault, reason, tmp_path, content):
    """These used to crash gunicorn at start-up with a raw traceback."""
    prefix = _namespace_prefix()
    folder = tmp_path / "data"
    folder.mkdir()
    port = free_port()
    env = server_env(BIND=f"127.0.0.1:{port}", ALEXA_VERIFY_SIGNATURES="0", DATA_DIR=str(folder),
                     DATABASE_URL="", WEB_CONCURRENCY="1")    # one worker: one retry timer
    command = [*prefix, "sh", "-c", WRAPPER, "sh", str(folder), fault, *GUNICORN]
    with running(command, env, port) as (base, proc):
        _coaches_without_memory(base, content)
        _one_clear_line(output(proc), reason)
        os.kill(proc.pid, signal.SIGUSR1)       # the operator frees space / remounts rw
        _remembers_again(base, content, proc)
    assert "is usable again" in output(proc)
    assert not any(folder.iterdir()), "the fault's tmpfs leaked out of its namespace"


@pytest.mark.parametrize("server", ["gunicorn", "run"])
def test_database_file_that_is_not_a_database_at_start_up(server, tmp_path, content):
    path = tmp_path / "skill.db"
    path.write_bytes(b"this is not a database, it is a shopping list\n" * 100)
    launcher = gunicorn_server if server == "gunicorn" else local_server
    extra = {"ALEXA_VERIFY_SIGNATURES": "0", "WEB_CONCURRENCY": "1"} if server == "gunicorn" else {}
    with launcher(f"sqlite:///{path}", **extra) as (base, proc):
        _coaches_without_memory(base, content)
        _one_clear_line(output(proc), "file is not a database")
        path.unlink()                           # the operator restores (here: removes) the file
        _remembers_again(base, content, proc)
