"""Start the real server in a subprocess for tests: `python -m skill run` or gunicorn."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.tcp_proxy import free_port  # noqa: F401  (re-exported for tests)

ROOT = Path(__file__).resolve().parents[1]
SESSION_SECRET = "shared-secret-for-test-servers-0123456789"


def output(proc: subprocess.Popen) -> str:
    """What the server printed so far."""
    return Path(proc.log_path).read_text(errors="replace")


def wait_healthy(base: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}: {output(proc)}")
        try:
            with urllib.request.urlopen(base + "/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"server did not answer GET /health: {output(proc)}")


def server_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ALEXA_VERIFY_SIGNATURES", "HOST", "BIND", "ALEXA_SKILL_ID")}
    env.update({"SESSION_SECRET": SESSION_SECRET, "PYTHONUNBUFFERED": "1", **extra})
    return env


@contextlib.contextmanager
def running(command: list[str], env: dict, port: int):
    log = tempfile.NamedTemporaryFile("w", prefix="server-", suffix=".log", delete=False)
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc.log_path = log.name
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def local_server(database_url: str, port: int | None = None, **extra: str):
    """`python -m skill run` (what `make run` starts) on loopback, verification off."""
    port = port or free_port()
    env = server_env(PORT=str(port), DATABASE_URL=database_url, **extra)
    return running([sys.executable, "-m", "skill", "run"], env, port)


def gunicorn_server(database_url: str, port: int | None = None, **extra: str):
    """The README's production command, bound to loopback."""
    port = port or free_port()
    env = server_env(BIND=f"127.0.0.1:{port}", DATABASE_URL=database_url, **extra)
    cmd = [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py",
           "skill.web.app:create_app()"]
    return running(cmd, env, port)
