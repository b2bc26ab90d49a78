"""Start the real server in a subprocess for tests: `python -m skill run` or gunicorn."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.tcp_proxy import free_port  # noqa: F401  (re-exported for tests)

ROOT = Path(__file__).resolve().parents[1]
SESSION_SECRET = "shared-secret-for-test-servers-0123456789"


def wait_healthy(base: str, proc: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"server exited with {proc.returncode}: {out}")
        try:
            with urllib.request.urlopen(base + "/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("server did not become healthy")


def server_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ALEXA_VERIFY_SIGNATURES", "HOST", "BIND", "ALEXA_SKILL_ID")}
    env.update(SESSION_SECRET=SESSION_SECRET, PYTHONUNBUFFERED="1", **extra)
    return env


@contextlib.contextmanager
def running(command: list[str], env: dict, port: int):
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
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
           "skill.webapp:create_app()"]
    return running(cmd, env, port)
