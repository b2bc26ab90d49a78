"""A stand-in for Alexa's APIs (Reminders, Settings) on loopback, over HTTPS, for the
reminder tests: the skill's real client code (ask-sdk's service clients, `requests`) calls it
at the request's `apiEndpoint`.

    with fake_alexa_api() as api:            # trusted through REQUESTS_CA_BUNDLE (see below)
        api.base                             # "https://127.0.0.1:PORT", the apiEndpoint
        api.requests                         # every request: Call(method, path, headers, body)
        api.fail("POST", 500)                # the next POST answers 500 (also: body=, delay=)
        api.time_zone = "Europe/London"      # what the Settings API says (None: 204)

It behaves like the documented API: POST /v1/alerts/reminders stores the reminder and
answers {alertToken, createdTime, updatedTime, status, version, href}; GET and DELETE
/v1/alerts/reminders/{alertToken} read (with alertInfo, as Alexa does) and delete it, 404
for an unknown token; PUT updates; GET /v2/devices/{deviceId}/settings/System.timeZone
answers the zone as a JSON string. A request without "Authorization: Bearer <token>" gets
401. The certificate is issued for 127.0.0.1 by a throwaway CA whose PEM file the caller
makes `requests` trust (REQUESTS_CA_BUNDLE), so the client's https-only rule is kept.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import ssl
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TOKEN = "test-api-access-token"
REMINDERS = "/v1/alerts/reminders"


@dataclass
class Call:
    method: str
    path: str
    headers: dict
    body: object            # parsed JSON, the raw text if it is not JSON, None if empty


@dataclass
class Failure:
    status: int = 500
    body: str = '{"code": "INTERNAL_ERROR", "message": "test"}'
    delay: float = 0.0
    content_type: str = "application/json"


@dataclass
class FakeAlexaApi:
    base: str = ""
    ca_file: str = ""
    token: str = TOKEN
    time_zone: str | None = "Europe/London"
    requests: list[Call] = field(default_factory=list)
    reminders: dict[str, dict] = field(default_factory=dict)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, method: str, status: int, body: str | None = None, delay: float = 0.0,
             content_type: str = "application/json") -> None:
        """The next `method` request gets this answer instead of the normal one."""
        f = Failure(status, body if body is not None else Failure.body, delay, content_type)
        self.failures.setdefault(method, []).append(f)

    def calls(self, method: str | None = None, prefix: str = "") -> list[Call]:
        return [c for c in self.requests
                if (method is None or c.method == method) and c.path.startswith(prefix)]

    # ----------------------------------------------------------------- answers
    def answer(self, method: str, path: str, headers: dict, body) -> tuple[int, str, str, float]:
        with self.lock:
            self.requests.append(Call(method, path, headers, body))
            queued = self.failures.get(method)
            if queued:
                f = queued.pop(0)
                return f.status, f.body, f.content_type, f.delay
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, '{"code": "UNAUTHORIZED", "message": "bad token"}', "application/json", 0
        if method == "GET" and path.startswith("/v2/devices/") and path.endswith(
                "/settings/System.timeZone"):
            if self.time_zone is None:
                return 204, "", "application/json", 0
            return 200, json.dumps(self.time_zone), "application/json", 0
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000")
        if method == "POST" and path == REMINDERS:
            token = str(uuid.uuid4())
            self.reminders[token] = dict(body, alertToken=token, status="ON")
            return 201, json.dumps({"alertToken": token, "createdTime": now, "updatedTime": now,
                                    "status": "ON", "version": "1",
                                    "href": f"{REMINDERS}/{token}"}), "application/json", 0
        if path.startswith(REMINDERS + "/"):
            token = path[len(REMINDERS) + 1:]
            if token not in self.reminders:
                return 404, '{"code": "NOT_FOUND", "message": "no such alert"}', \
                    "application/json", 0
            if method == "GET":
                r = self.reminders[token]
                return 200, json.dumps({**r, "createdTime": now, "updatedTime": now,
                                        "version": "1"}), "application/json", 0
            if method == "DELETE":
                del self.reminders[token]
                return 200, "", "application/json", 0
            if method == "PUT":
                self.reminders[token] = dict(body, alertToken=token, status="ON")
                return 200, json.dumps({"alertToken": token, "createdTime": now,
                                        "updatedTime": now, "status": "ON", "version": "2",
                                        "href": path}), "application/json", 0
        return 404, '{"code": "NOT_FOUND", "message": "no such path"}', "application/json", 0


def _certificates(directory: Path) -> tuple[str, str, str]:
    """(ca.pem, server.pem, server.key) for 127.0.0.1, made fresh."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake Alexa API test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=7))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                         critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=7))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = (directory / "ca.pem", directory / "server.pem", directory / "server.key")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return tuple(str(p) for p in paths)


@contextlib.contextmanager
def fake_alexa_api():
    api = FakeAlexaApi()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):       # quiet
            pass

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8") if length else ""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, text, ctype, delay = api.answer(self.command, self.path, headers, body)
            if delay:
                time.sleep(delay)
            data = text.encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:                 # the client gave up waiting (a timeout test)
                pass

        do_GET = do_POST = do_PUT = do_DELETE = _handle

    with tempfile.TemporaryDirectory() as tmp:
        ca_file, cert, key = _certificates(Path(tmp))
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  daemon=True)
        thread.start()
        api.base, api.ca_file = f"https://127.0.0.1:{server.server_address[1]}", ca_file
        try:
            yield api
        finally:
            server.shutdown()
            server.server_close()
