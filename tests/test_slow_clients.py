"""Slow clients cannot take the skill offline (issue 15).

With the documented gunicorn setup (2 workers x 4 threads, gunicorn's gthread worker), a
client that sent its headers and one byte of body held a thread for as long as it liked: 16
such sockets made GET /health time out for 40 s. Here dozens of slow clients -- connected
and silent, half the headers, headers and one byte of body, a chunked body that never ends,
a whole Alexa request trickled a byte at a time -- are kept open (reopened as soon as the
server closes one) while GET /health and real Alexa conversations must keep being answered:

- through nginx (Debian's package, run by the test with a temporary prefix) configured by the
  shipped deploy/nginx/backstretch.conf, with a certificate the test makes, in front of
  gunicorn started with the README's command;
- against gunicorn alone (its BufferedThreadWorker: a slow request holds a socket, never a
  thread, and is closed with a 408 after READ_TIMEOUT).

No speed is asserted: every GET /health must be answered (within the client's 5 s timeout,
while the slow clients hold their sockets for the whole run), every conversation must go
on. The figures are printed.
"""
from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import json
import os
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from skill.web.worker import RequestBuffer
from tests.client import AlexaClient
from tests.server import ROOT, free_port, gunicorn_server, output

NGINX_CONF = ROOT / "deploy" / "nginx" / "backstretch.conf"
ATTACK_SECONDS = 14
KINDS = {"idle": 8, "half-headers": 8, "one-byte-body": 12, "endless-chunked": 8, "trickle": 12}


# --------------------------------------------------------------------------- clients

class Target:
    """Where to connect: plain TCP or TLS (trusting the test's own certificate)."""

    def __init__(self, port: int, tls: ssl.SSLContext | None = None):
        self.port, self.tls = port, tls

    def connect(self, timeout: float = 5) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_hostname="localhost")
        return sock

    def http(self, timeout: float = 5) -> http.client.HTTPConnection:
        if self.tls is not None:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=self.tls)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def poster(self):
        def post(body: bytes, headers: dict | None = None):
            conn = self.http(timeout=10)
            try:
                conn.request("POST", "/alexa", body, {"Content-Type": "application/json",
                                                      **(headers or {})})
                r = conn.getresponse()
                return r.status, r.read()
            finally:
                conn.close()
        return post


def read_response(sock: socket.socket, timeout: float = 10) -> tuple[bytes, bytes]:
    """(status line and headers, body) of one HTTP/1.1 response, read by Content-Length."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        part = sock.recv(65536)
        assert part, f"closed before a response: {data!r}"
        data += part
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
    while len(body) < length:
        part = sock.recv(65536)
        assert part, "closed in the middle of the body"
        body += part
    return head, body


def alexa_request_bytes() -> bytes:
    body = json.dumps(AlexaClient(None).envelope({"type": "LaunchRequest"})).encode()
    return (b"POST /alexa HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body


OPENINGS = {
    "idle": b"",
    "half-headers": b"POST /alexa HTTP/1.1\r\nHost: localhost\r\nContent-Ty",
    "one-byte-body": b"POST /alexa HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 2000\r\n\r\n{",
    "endless-chunked": b"POST /alexa HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
                       b"\r\n400\r\n{\"version\"",
}


class SlowClients:
    """`KINDS` slow sockets, each in its own thread, kept open until stop: when the server
    closes one, it is opened again at once. Counts how long the server let each one live."""

    def __init__(self, target: Target):
        self.target = target
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.closed: dict[str, list[float]] = {k: [] for k in KINDS}
        self.errors = 0
        self.threads = [threading.Thread(target=self._run, args=(kind,), daemon=True)
                        for kind, n in KINDS.items() for _ in range(n)]

    def _run(self, kind: str) -> None:
        trickle = alexa_request_bytes()
        while not self.stop.is_set():
            try:
                sock = self.target.connect()
            except OSError:
                with self.lock:
                    self.errors += 1
                time.sleep(0.2)
                continue
            opened = time.monotonic()
            try:
                sock.settimeout(0.5)
                if kind == "trickle":
                    for i in range(len(trickle)):
                        if self.stop.is_set():
                            return
                        sock.sendall(trickle[i:i + 1])
                        if self._closed_by_server(sock):
                            break
                        time.sleep(0.4)
                else:
                    if OPENINGS[kind]:
                        sock.sendall(OPENINGS[kind])
                    while not self.stop.is_set() and not self._closed_by_server(sock):
                        pass
                if not self.stop.is_set():
                    with self.lock:
                        self.closed[kind].append(time.monotonic() - opened)
            except OSError:
                with self.lock:
                    self.closed[kind].append(time.monotonic() - opened)
            finally:
                sock.close()

    @staticmethod
    def _closed_by_server(sock: socket.socket) -> bool:
        try:
            data = sock.recv(4096)
        except (socket.timeout, ssl.SSLWantReadError):
            return False
        except OSError:
            return True
        return True                               # closed, or an answer (a 408) that ends it

    def __enter__(self) -> "SlowClients":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(5)


def health_and_conversations(target: Target, seconds: float, content) -> dict:
    """GET /health every 0.1 s and whole conversations, for `seconds`, while the slow
    clients hold their sockets. Every /health must get a 200 within 5 s."""
    latencies, failures, stretches = [], [], []
    stop = threading.Event()

    def conversations() -> None:
        n = 0
        post = target.poster()
        while not stop.is_set():
            alexa = AlexaClient(post, user_id=f"amzn1.ask.account.slow-{os.getpid()}-{n}")
            n += 1
            try:
                assert alexa.launch().status == 200
                alexa.intent("StartRoutineIntent", routine="quick_release")
                r = alexa.intent("AMAZON.NoIntent")
                assert r.status == 200 and "Stretch 1 of" in r.text, r.raw[:200]
                stretches.append(1)
            except (AssertionError, OSError) as e:
                failures.append(f"conversation: {e!r}")

    talker = threading.Thread(target=conversations, daemon=True)
    talker.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            conn = target.http(timeout=5)
            conn.request("GET", "/health")
            r = conn.getresponse()
            ok = r.status == 200 and json.loads(r.read()) == {"status": "ok"}
            conn.close()
            if ok:
                latencies.append(time.monotonic() - started)
            else:
                failures.append(f"health: {r.status}")
        except OSError as e:
            failures.append(f"health: {e!r} after {time.monotonic() - started:.1f} s")
        time.sleep(max(0.0, 0.1 - (time.monotonic() - started)))
    stop.set()
    talker.join(30)
    return {"latencies": latencies, "failures": failures, "conversations": len(stretches)}


def report(name: str, slow: SlowClients, result: dict) -> str:
    lat = sorted(result["latencies"])
    held = {k: (f"{len(v)} closed, held up to {max(v):.1f} s" if v else "held open all along")
            for k, v in slow.closed.items()}
    return (f"\n{name}: {sum(KINDS.values())} slow clients for {ATTACK_SECONDS} s; GET /health "
            f"{len(lat)} answered, median {statistics.median(lat) * 1000:.1f} ms, "
            f"p95 {lat[int(len(lat) * 0.95)] * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms; "
            f"{result['conversations']} conversations reached a stretch; "
            f"failures {len(result['failures'])}; slow clients: {held}")


def check(result: dict) -> None:
    assert not result["failures"], result["failures"][:5]
    assert len(result["latencies"]) >= ATTACK_SECONDS * 3          # it did keep asking
    assert result["conversations"] >= 3


# --------------------------------------------------------------------------- gunicorn alone

def test_gunicorn_alone_keeps_answering_while_dozens_of_clients_stall_or_trickle(tmp_path, content):
    with gunicorn_server(f"sqlite:///{tmp_path / 'x.db'}", ALEXA_VERIFY_SIGNATURES="0",
                         WEB_CONCURRENCY="2", GUNICORN_THREADS="4", READ_TIMEOUT="5") as (base, proc):
        target = Target(int(base.rsplit(":", 1)[1]))
        with SlowClients(target) as slow:
            time.sleep(1)                                     # every slow socket is open
            result = health_and_conversations(target, ATTACK_SECONDS, content)
        print(report("gunicorn alone", slow, result))
        check(result)
        # The server, not the client, ended the slow requests: within READ_TIMEOUT (5 s) plus
        # gunicorn's keepalive (5 s) for silent ones, and a poll of the main loop.
        for kind in ("half-headers", "one-byte-body", "endless-chunked", "trickle", "idle"):
            assert slow.closed[kind] and max(slow.closed[kind]) < 12, (kind, slow.closed[kind])
    assert "Traceback" not in output(proc)


def test_gunicorn_answers_a_request_that_took_its_time_but_arrived_in_time(tmp_path, content):
    """Slow is not refused: a request trickled over 2 s (in 200 pieces) is answered."""
    with gunicorn_server(f"sqlite:///{tmp_path / 'x.db'}", ALEXA_VERIFY_SIGNATURES="0",
                         READ_TIMEOUT="5") as (base, proc):
        sock = Target(int(base.rsplit(":", 1)[1])).connect()
        request = alexa_request_bytes()
        step = len(request) // 200 + 1
        for i in range(0, len(request), step):
            sock.sendall(request[i:i + step])
            time.sleep(0.01)
        head, body = read_response(sock)
        sock.close()
    assert head.startswith(b"HTTP/1.1 200"), head
    assert "Back Stretch Coach" in json.loads(body)["response"]["outputSpeech"]["ssml"]


def test_gunicorn_keeps_connections_alive_and_answers_pipelined_requests(tmp_path):
    """Whole requests only, but the rest of HTTP/1.1 as before: one kept-alive connection
    for many requests, and two requests sent in one go answered in order."""
    with gunicorn_server(f"sqlite:///{tmp_path / 'x.db'}", ALEXA_VERIFY_SIGNATURES="0") as (base, proc):
        target = Target(int(base.rsplit(":", 1)[1]))
        conn = target.http()
        for i in range(100):
            if i % 2:
                conn.request("GET", "/health")
            else:
                conn.request("POST", "/alexa", alexa_request_bytes().partition(b"\r\n\r\n")[2],
                             {"Content-Type": "application/json"})
            r = conn.getresponse()
            assert r.status == 200 and r.getheader("Connection") == "keep-alive"
            r.read()
        sock = target.connect(timeout=10)
        sock.sendall(alexa_request_bytes() + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(10)
        data = b""
        while data.count(b"HTTP/1.1 200") < 2 or not data.endswith(b'{"status":"ok"}\n'):
            part = sock.recv(65536)
            assert part, data[-300:]
            data += part
        sock.close()
    assert data.index(b"Back Stretch Coach") < data.index(b'{"status":"ok"}')


def test_gunicorn_refuses_a_request_that_does_not_arrive_in_time_with_a_408(tmp_path):
    with gunicorn_server(f"sqlite:///{tmp_path / 'x.db'}", READ_TIMEOUT="2") as (base, proc):
        sock = Target(int(base.rsplit(":", 1)[1])).connect(timeout=10)
        sock.sendall(OPENINGS["one-byte-body"])
        started = time.monotonic()
        while True:                                # keep trickling: still cut off
            sock.sendall(b" ")
            sock.settimeout(0.5)
            try:
                head, body = read_response(sock, timeout=0.5)
                break
            except socket.timeout:
                assert time.monotonic() - started < 10
        sock.close()
    assert 2 <= time.monotonic() - started < 10
    assert head.startswith(b"HTTP/1.1 408") and json.loads(body) == {
        "error": "request not received in time"}


@pytest.mark.parametrize("chunked", [False, True])
def test_gunicorn_refuses_a_body_over_the_limit_with_a_413_without_reading_it_all(tmp_path, chunked):
    with gunicorn_server(f"sqlite:///{tmp_path / 'x.db'}") as (base, proc):
        sock = Target(int(base.rsplit(":", 1)[1])).connect(timeout=10)
        body = json.dumps(AlexaClient(None).envelope({"type": "LaunchRequest"})).encode()
        body += b" " * (300 * 1024)
        if chunked:
            head = b"POST /alexa HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            sock.sendall(head + b"%x\r\n" % len(body) + body)      # the chunk never ends
        else:
            head = b"POST /alexa HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (len(body) * 10)
            sock.sendall(head + body[:1000])                       # nor does this body
        head, body = read_response(sock)
        sock.close()
    assert head.startswith(b"HTTP/1.1 413"), head
    assert json.loads(body) == {"error": "request body too large"}


# --------------------------------------------------------------------------- nginx in front

def _nginx() -> str:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise AssertionError("nginx not found: `make test` installs it (scripts/ensure_debian_packages.sh)")


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def shipped_site(nginx_port: int, upstream_port: int, cert: Path, key: Path) -> str:
    """deploy/nginx/backstretch.conf with the test's ports and certificate: each line an
    operator changes is replaced exactly once (so this fails if the file changes shape)."""
    text = NGINX_CONF.read_text()
    for pattern, replacement in (
            (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{upstream_port};"),
            (r"listen 443 ssl;", f"listen 127.0.0.1:{nginx_port} ssl;"),
            (r"listen \[::\]:443 ssl;\n", ""),
            (r"ssl_certificate +\S+;", f"ssl_certificate {cert};"),
            (r"ssl_certificate_key +\S+;", f"ssl_certificate_key {key};")):
        text, n = re.subn(pattern, replacement, text)
        assert n == 1, f"{pattern!r} is not in {NGINX_CONF} exactly once"
    return text


class Nginx:
    """nginx in the foreground with a temporary prefix: its own pid file, logs and temp
    folders; the site is the shipped file."""

    def __init__(self, folder: Path, upstream_port: int):
        self.folder, self.port = folder, free_port()
        cert, key = _certificate(folder)
        (folder / "backstretch.conf").write_text(shipped_site(self.port, upstream_port, cert, key))
        user = "user root root;" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(f"""
{user}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/backstretch.conf;
}}
""")
        self.tls = ssl.create_default_context(cafile=str(cert))
        self.command = [_nginx(), "-p", str(folder), "-c", str(folder / "nginx.conf"),
                        "-e", str(folder / "error.log"), "-g", "daemon off;"]

    def __enter__(self) -> "Nginx":
        test = subprocess.run([*self.command[:-2], "-t"], capture_output=True, text=True)
        assert test.returncode == 0, test.stderr
        self.proc = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            try:
                Target(self.port, self.tls).connect(timeout=1).close()
                return self
            except OSError:
                assert self.proc.poll() is None, self.proc.stderr.read()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def nginx_in_front(tmp_path):
    """The README's deployment: gunicorn on loopback with verification off (as the tests
    sign nothing), nginx with the shipped site in front."""
    gunicorn_port = free_port()
    with gunicorn_server(f"sqlite:///{tmp_path / 'x.db'}", port=gunicorn_port,
                         ALEXA_VERIFY_SIGNATURES="0") as (base, proc):
        folder = tmp_path / "nginx"
        folder.mkdir()
        with Nginx(folder, gunicorn_port) as nginx:
            yield Target(nginx.port, nginx.tls), proc


def test_through_nginx_health_and_alexa_keep_answering_under_dozens_of_slow_clients(
        nginx_in_front, content):
    target, gunicorn = nginx_in_front
    with SlowClients(target) as slow:
        time.sleep(1)
        result = health_and_conversations(target, ATTACK_SECONDS, content)
    print(report("nginx in front of gunicorn", slow, result))
    check(result)
    assert "Traceback" not in output(gunicorn)


def test_through_nginx_refusals_are_the_short_json_the_readme_promises(nginx_in_front):
    target, _ = nginx_in_front
    post = target.poster()
    status, raw = post(b"x" * (300 * 1024))
    assert status == 413 and json.loads(raw) == {"error": "request body too large"}
    conn = target.http()
    conn.putrequest("POST", "/alexa")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    for _ in range(40):                                   # 40 chunks of 8 KiB: 320 KiB
        try:
            conn.send(b"2000\r\n" + b" " * 0x2000 + b"\r\n")
        except OSError:
            break                                          # nginx already refused it
    r = conn.getresponse()
    assert r.status == 413 and json.loads(r.read()) == {"error": "request body too large"}
    conn.close()
    status, raw = post(b"not json")                       # the skill's own refusals pass through
    assert status == 400 and json.loads(raw) == {"error": "request body is not JSON"}
    conn = target.http()
    conn.request("GET", "/elsewhere")
    r = conn.getresponse()
    assert r.status == 404 and json.loads(r.read()) == {"error": "not found"}
    r = AlexaClient(post).launch()
    assert r.status == 200 and "Back Stretch Coach" in r.text


def test_nginx_says_when_the_skill_is_down_in_json(tmp_path):
    folder = tmp_path / "nginx"
    folder.mkdir()
    with Nginx(folder, free_port()) as nginx:            # nothing listens upstream
        status, raw = Target(nginx.port, nginx.tls).poster()(b"{}")
    assert status == 503 and json.loads(raw) == {
        "error": "the skill is not reachable; try again shortly"}


# --------------------------------------------------------------------------- the worker's framing

WAIT, GO, REFUSE = "waiting", "complete", "refused here"


@pytest.mark.parametrize("pieces,outcome", [
    ([b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"], GO),
    ([b"GET /health HTTP/1.1\r\nHost: x\r\n"], WAIT),
    ([b"GET /health HTTP/1.1\nHost: x\n\n"], GO),                                    # bare LF
    ([b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcd"], WAIT),
    ([b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", b"cde"], GO),
    ([b"POST / HTTP/1.1\r\ncontent-length:  5 \r\n\r\nabcde"], GO),
    ([b"POST / HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n"], REFUSE),            # 413
    ([b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"], GO),  # gunicorn 400
    ([b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"], GO),                        # gunicorn 400
    ([b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n"], WAIT),
    ([b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n"], GO),
    ([b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nab", b"cde\r\n0\r\n",
      b"Trailer: 1\r\n", b"\r\n"], GO),
    ([b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\nT: 1\r\n"], WAIT),
    ([b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"], GO),          # gunicorn 400
    ([b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n"], REFUSE),  # 413
    ([b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8000\r\n", b"x" * 0x8000,
      b"\r\n8001\r\n"], REFUSE),                                                   # 413
    ([b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"], GO),                     # gunicorn 400
    ([b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"], GO),
    ([b"GET / HTTP/1.1\r\n" + b"X-Long: " + b"a" * 40000], REFUSE),                   # 431
])
def test_request_buffer_knows_when_a_request_has_fully_arrived(pieces, outcome):
    buf = RequestBuffer(max_body=64 * 1024)
    results = [buf.feed(p) for p in pieces]
    assert not any(results[:-1])
    got = REFUSE if buf.refusal else GO if results[-1] else WAIT
    assert got == outcome


def test_request_buffer_scans_a_trickled_chunked_body_once():
    """A byte at a time, a chunked body of 64 KiB in 1-byte chunks: the scan goes on from
    where it stopped (no rescanning the whole buffer each byte)."""
    body = b"".join(b"1\r\nx\r\n" for _ in range(20000)) + b"0\r\n\r\n"
    data = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    buf = RequestBuffer(max_body=64 * 1024)
    started = time.monotonic()
    done = [buf.feed(data[i:i + 1]) for i in range(len(data))]
    assert done[-1] and not any(done[:-1])
    assert time.monotonic() - started < 10          # quadratic rescanning would take minutes
