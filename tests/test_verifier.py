"""AlexaVerifier against a test PKI (tests/ca_util.py): offline and fast."""

from __future__ import annotations

import datetime as dt
import http.client
import http.server
import threading
import time
import urllib.request

import pytest
from werkzeug.datastructures import EnvironHeaders

from skill.web.verifier import (
    AlexaVerifier,
    NoRedirectHandler,
    UrllibFetcher,
    VerificationError,
    validate_cert_url,
)
from tests.ca_util import CERT_URL, NOW, iso, make_pki, sign_sha256, _key
from tests.tcp_proxy import silent_peer

BODY = (
    b'{"version":"1.0","session":{"new":true,"sessionId":"amzn1.echo-api.session.x"},'
    b'"request":{"type":"LaunchRequest","requestId":"amzn1.echo-api.request.y",'
    b'"timestamp":"' + iso(NOW).encode() + b'","locale":"en-US"}}'
)


@pytest.fixture(scope="module")
def pki():
    return make_pki()


def _rejected(verifier: AlexaVerifier, headers, body=BODY) -> str:
    with pytest.raises(VerificationError) as info:
        verifier.verify(headers, body)
    message = str(info.value)
    assert message and len(message) < 80 and "\n" not in message
    return message


class Clock:
    def __init__(self, now: dt.datetime = NOW):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


# ----------------------------------------------------------------- signature


def test_correctly_signed_request_passes(pki):
    pki.verifier().verify(pki.sign(BODY), BODY)


def test_headers_are_looked_up_case_insensitively(pki):
    headers = {k.lower(): v for k, v in pki.sign(BODY).items()}
    pki.verifier().verify(headers, BODY)


def test_flask_environ_headers_work(pki):
    signed = pki.sign(BODY)
    environ = {
        "HTTP_SIGNATURE_256": signed["Signature-256"],
        "HTTP_SIGNATURECERTCHAINURL": signed["SignatureCertChainUrl"],
    }
    pki.verifier().verify(EnvironHeaders(environ), BODY)


def test_tampered_body_is_rejected(pki):
    headers = pki.sign(BODY)
    tampered = BODY.replace(b"LaunchRequest", b"IntentRequest")
    assert _rejected(pki.verifier(), headers, tampered) == "signature does not match"


def test_reserialised_body_is_rejected(pki):
    """The signature covers the raw bytes: the same JSON re-serialised must not pass."""
    import json

    headers = pki.sign(BODY)
    reserialised = json.dumps(json.loads(BODY)).encode()
    assert reserialised != BODY and json.loads(reserialised) == json.loads(BODY)
    assert _rejected(pki.verifier(), headers, reserialised) == "signature does not match"


def test_signature_from_another_key_is_rejected(pki):
    headers = pki.sign(BODY)
    headers["Signature-256"] = sign_sha256(_key("someone-else"), BODY)
    assert _rejected(pki.verifier(), headers) == "signature does not match"


def test_sha1_signature_is_not_accepted_as_signature_256(pki):
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    headers = pki.sign(BODY)
    sha1 = pki.leaf_key.sign(BODY, padding.PKCS1v15(), hashes.SHA1())
    headers["Signature-256"] = base64.b64encode(sha1).decode()
    assert _rejected(pki.verifier(), headers) == "signature does not match"


@pytest.mark.parametrize("value", ["not base64!!", "AAAA====", "@@@", "QUJD\x00"])
def test_garbage_signature_is_rejected(pki, value):
    headers = pki.sign(BODY)
    headers["Signature-256"] = value
    _rejected(pki.verifier(), headers)


@pytest.mark.parametrize("missing", ["Signature-256", "SignatureCertChainUrl"])
def test_missing_header_is_rejected(pki, missing):
    headers = pki.sign(BODY)
    del headers[missing]
    assert _rejected(pki.verifier(), headers) == f"missing {missing} header"


@pytest.mark.parametrize("missing", ["Signature-256", "SignatureCertChainUrl"])
def test_empty_header_counts_as_missing(pki, missing):
    headers = pki.sign(BODY)
    headers[missing] = "  "
    assert _rejected(pki.verifier(), headers) == f"missing {missing} header"


def test_legacy_signature_header_alone_is_not_enough(pki):
    headers = pki.sign(BODY)
    headers["Signature"] = headers.pop("Signature-256")
    assert _rejected(pki.verifier(), headers) == "missing Signature-256 header"


# ----------------------------------------------------------------- certificate URL

GOOD_URLS = [
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "HTTPS://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/./echo-api-cert.pem",
]

BAD_URLS = [
    "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",  # scheme
    "ftp://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://notamazon.com/echo.api/echo-api-cert.pem",  # host
    "https://s3.amazonaws.com.evil.com/echo.api/echo-api-cert.pem",
    "https://evil.com/s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com@evil.com/echo.api/echo-api-cert.pem",
    "https://user@s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com./echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",  # port
    "https://s3.amazonaws.com:80/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:abc/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",  # path is case-sensitive
    "https://s3.amazonaws.com/ECHO.API/echo-api-cert.pem",
    "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../evil/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../../echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/%2e%2e/evil/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/%2E%2E/evil/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api%2f..%2fevil/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/..%5cevil/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api\\..\\evil/echo-api-cert.pem",
    "https://s3.amazonaws.com//echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/",
    "https://s3.amazonaws.com/echo.api",
    "https://s3.amazonaws.com/echo.api.evil/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem?x=1",
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem#frag",
    "https://s3.amazon\taws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem\n",
    "//s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "",
]


@pytest.mark.parametrize("url", GOOD_URLS)
def test_allowed_cert_urls(url):
    validate_cert_url(url)


@pytest.mark.parametrize("url", BAD_URLS)
def test_disallowed_cert_urls(url):
    with pytest.raises(VerificationError, match="^certificate URL not allowed$"):
        validate_cert_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://evil.example.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../evil/echo-api-cert.pem",
        "https://s3.amazonaws.com/ECHO.API/echo-api-cert.pem",
        "https://s3.amazonaws.com:8443/echo.api/echo-api-cert.pem",
    ],
)
def test_verify_rejects_bad_url_without_downloading(url):
    pki = make_pki()
    assert _rejected(pki.verifier(), pki.sign(BODY, url=url)) == "certificate URL not allowed"
    assert pki.fetched == []


def test_fetches_the_normalised_url():
    pki = make_pki()
    url = "HTTPS://S3.amazonaws.com:443/echo.api/./x/../echo-api-cert.pem"
    pki.verifier().verify(pki.sign(BODY, url=url), BODY)
    assert pki.fetched == ["https://s3.amazonaws.com/echo.api/echo-api-cert.pem"]


# ----------------------------------------------------------------- certificate chain


@pytest.mark.parametrize(
    "options, message",
    [
        ({"leaf": "expired"}, "certificate expired"),
        ({"leaf": "not_yet_valid"}, "certificate not yet valid"),
        ({"san": ["evil.example.com"]}, "certificate not issued to echo-api.amazon.com"),
        ({"san": ["*.amazon.com"]}, "certificate not issued to echo-api.amazon.com"),
        ({"san": ["api.amazon.com", "echo-api.amazon.com.evil.com"]},
         "certificate not issued to echo-api.amazon.com"),
        ({"untrusted_root": True}, "certificate chain not trusted"),
    ],
)
def test_bad_chains_are_rejected(options, message):
    pki = make_pki(**options)
    assert _rejected(pki.verifier(), pki.sign(BODY)) == message


def test_leaf_with_several_names_including_echo_api_passes():
    pki = make_pki(san=["other.amazon.com", "echo-api.amazon.com"])
    pki.verifier().verify(pki.sign(BODY), BODY)


def test_chain_without_intermediate_is_not_trusted(pki):
    from cryptography.hazmat.primitives import serialization

    leaf_only = pki.leaf.public_bytes(serialization.Encoding.PEM)
    verifier = pki.verifier(fetcher=lambda url, timeout: leaf_only)
    assert _rejected(verifier, pki.sign(BODY)) == "certificate chain not trusted"


@pytest.mark.parametrize("payload", [b"", b"not a pem", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_unreadable_chain_is_rejected(pki, payload):
    verifier = pki.verifier(fetcher=lambda url, timeout: payload)
    assert _rejected(verifier, pki.sign(BODY)) == "certificate chain not readable"


def test_verify_chain_returns_leaf_and_checks_time(pki):
    verifier = pki.verifier()
    assert verifier.verify_chain(pki.chain_pem, NOW) == pki.leaf
    with pytest.raises(VerificationError, match="expired"):
        verifier.verify_chain(pki.chain_pem, NOW + dt.timedelta(days=31))
    with pytest.raises(VerificationError, match="not yet valid"):
        verifier.verify_chain(pki.chain_pem, NOW - dt.timedelta(days=2))


def test_root_in_chain_is_not_trusted_just_because_it_is_served():
    """An attacker serving their own root inside the chain gains nothing."""
    rogue = make_pki(untrusted_root=True)
    from cryptography.hazmat.primitives import serialization

    honest = make_pki()
    pem = rogue.chain_pem + honest.root.public_bytes(serialization.Encoding.PEM)
    verifier = honest.verifier(fetcher=lambda url, timeout: pem)
    assert _rejected(verifier, rogue.sign(BODY)) == "certificate chain not trusted"


# ----------------------------------------------------------------- timestamps


@pytest.mark.parametrize("offset", [0, 149, 150, -149, -150, 149.999])
def test_timestamp_within_150_seconds_passes(pki, offset):
    stamp = (NOW + dt.timedelta(seconds=offset)).isoformat().replace("+00:00", "Z")
    pki.verifier().verify_timestamp(stamp)


@pytest.mark.parametrize("offset", [151, -151, 150.5, -150.5, 3600, -86400])
def test_stale_or_future_timestamp_is_rejected(pki, offset):
    stamp = (NOW + dt.timedelta(seconds=offset)).isoformat().replace("+00:00", "Z")
    with pytest.raises(VerificationError, match="^timestamp too old or in the future$"):
        pki.verifier().verify_timestamp(stamp)


def test_timestamp_formats(pki):
    verifier = pki.verifier()
    verifier.verify_timestamp(iso(NOW))
    verifier.verify_timestamp("2024-03-01T12:00:00.123Z")
    verifier.verify_timestamp("2024-03-01T13:00:00+01:00")


@pytest.mark.parametrize(
    "value", ["", "yesterday", "2024-03-01T12:00:00", "2024-13-01T12:00:00Z", None, 1709294400, "x" * 500]
)
def test_unparsable_timestamp_is_rejected(pki, value):
    with pytest.raises(VerificationError, match="^timestamp not valid$"):
        pki.verifier().verify_timestamp(value)


def test_max_skew_is_configurable(pki):
    verifier = pki.verifier(max_skew=10)
    verifier.verify_timestamp(iso(NOW - dt.timedelta(seconds=10)))
    with pytest.raises(VerificationError):
        verifier.verify_timestamp(iso(NOW - dt.timedelta(seconds=11)))


# ----------------------------------------------------------------- cache


def _url(name: str) -> str:
    return f"https://s3.amazonaws.com/echo.api/{name}.pem"


def test_chain_is_downloaded_once_and_cached():
    pki = make_pki()
    verifier = pki.verifier()
    for _ in range(5):
        verifier.verify(pki.sign(BODY), BODY)
    assert pki.fetched == [CERT_URL]


def test_cache_is_bounded_lru():
    pki = make_pki()
    verifier = pki.verifier(cache_size=2)
    for name in ["a", "b", "a", "c"]:  # "b" is least recently used when "c" arrives
        verifier.verify(pki.sign(BODY, url=_url(name)), BODY)
    assert pki.fetched == [_url("a"), _url("b"), _url("c")]
    verifier.verify(pki.sign(BODY, url=_url("a")), BODY)
    verifier.verify(pki.sign(BODY, url=_url("c")), BODY)
    assert len(pki.fetched) == 3
    verifier.verify(pki.sign(BODY, url=_url("b")), BODY)
    assert pki.fetched[-1] == _url("b") and len(pki.fetched) == 4


def test_cache_entries_expire_after_ttl():
    pki = make_pki()
    clock = Clock()
    verifier = pki.verifier(clock=clock, cache_ttl=600)
    verifier.verify(pki.sign(BODY), BODY)
    clock.advance(599)
    verifier.verify(pki.sign(BODY), BODY)
    assert len(pki.fetched) == 1
    clock.advance(2)
    verifier.verify(pki.sign(BODY), BODY)
    assert len(pki.fetched) == 2


def test_cached_chain_is_dropped_when_the_leaf_expires():
    pki = make_pki()  # leaf valid until NOW + 30 days
    clock = Clock()
    verifier = pki.verifier(clock=clock, cache_ttl=10**9)
    verifier.verify(pki.sign(BODY), BODY)
    clock.advance(31 * 86400)
    assert _rejected(verifier, pki.sign(BODY)) == "certificate expired"
    assert len(pki.fetched) == 2


def test_cache_size_zero_disables_caching():
    pki = make_pki()
    verifier = pki.verifier(cache_size=0)
    verifier.verify(pki.sign(BODY), BODY)
    verifier.verify(pki.sign(BODY), BODY)
    assert len(pki.fetched) == 2


def test_failed_downloads_and_invalid_chains_are_remembered_briefly():
    """A URL that failed is refused without a new download for a few seconds (it used to
    cost a fresh download every time: up to CERT_FETCH_TIMEOUT per forged request)."""
    good = make_pki()
    bad = make_pki(untrusted_root=True)
    calls = []
    answers = [OSError("boom"), bad.chain_pem, good.chain_pem]

    def fetcher(url, timeout):
        calls.append(url)
        answer = answers[min(len(calls), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    clock = Clock()
    verifier = good.verifier(fetcher=fetcher, clock=clock, failure_ttl=10)
    for _ in range(20):
        assert _rejected(verifier, good.sign(BODY)) == "certificate download failed"
    assert len(calls) == 1
    clock.advance(11)
    assert _rejected(verifier, good.sign(BODY)) == "certificate chain not trusted"
    clock.advance(5)
    assert _rejected(verifier, good.sign(BODY)) == "certificate chain not trusted"
    assert len(calls) == 2
    clock.advance(6)
    verifier.verify(good.sign(BODY), BODY)             # fixed: tried again, then cached
    verifier.verify(good.sign(BODY), BODY)
    assert len(calls) == 3


def test_remembered_failures_are_bounded():
    pki = make_pki()
    calls = []

    def fetcher(url, timeout):
        calls.append(url)
        raise OSError("no")

    verifier = pki.verifier(fetcher=fetcher, clock=Clock(), failure_cache_size=3)
    for name in ["a", "b", "c", "d"]:                  # "a" is forgotten when "d" arrives
        _rejected(verifier, pki.sign(BODY, url=_url(name)))
    for name in ["b", "c", "d"]:
        _rejected(verifier, pki.sign(BODY, url=_url(name)))
    assert len(calls) == 4
    _rejected(verifier, pki.sign(BODY, url=_url("a")))
    assert len(calls) == 5 and len(verifier._failures) == 3


def test_download_error_message_is_short_and_safe(pki):
    def fetcher(url, timeout):
        raise RuntimeError("Traceback (most recent call last): secret /etc/passwd")

    message = _rejected(pki.verifier(fetcher=fetcher), pki.sign(BODY))
    assert message == "certificate download failed"


# ----------------------------------------------------------------- downloads and time limits


class _LoopbackShim(urllib.request.HTTPSHandler):
    """Sends every https request as plain HTTP to 127.0.0.1:<port> (test only)."""

    def __init__(self, port: int):
        super().__init__()
        self._port = port

    def https_open(self, req):
        def connect(host, timeout=None, **kwargs):
            return http.client.HTTPConnection("127.0.0.1", self._port, timeout=timeout)

        return self.do_open(connect, req)


def _loopback_fetcher(port: int) -> UrllibFetcher:
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _LoopbackShim(port), NoRedirectHandler()
    )
    return UrllibFetcher(opener=opener)


@pytest.fixture
def silent_server():
    """A TCP server that completes the handshake and never says anything."""
    with silent_peer() as port:
        yield port


@pytest.fixture
def chain_server(pki):
    """A small HTTP server: /echo.api/*.pem -> chain; /echo.api/drip.pem trickles forever;
    /echo.api/redirect.pem -> 302 elsewhere; anything else -> 404."""
    stop = threading.Event()
    chain = pki.chain_pem

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path == "/echo.api/redirect.pem":
                self.send_response(302)
                self.send_header("Location", "http://127.0.0.1:1/echo.api/x.pem")
                self.end_headers()
            elif self.path == "/echo.api/drip.pem":
                self.send_response(200)
                self.send_header("Content-Length", "5000")
                self.end_headers()
                while not stop.is_set():
                    try:
                        self.wfile.write(b"-")
                        self.wfile.flush()
                    except OSError:
                        return
                    stop.wait(0.05)
            elif self.path.startswith("/echo.api/") and self.path.endswith(".pem"):
                self.send_response(200)
                self.send_header("Content-Length", str(len(chain)))
                self.end_headers()
                self.wfile.write(chain)
            else:
                self.send_response(404)
                self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1]
    stop.set()
    server.shutdown()
    server.server_close()


def test_default_fetcher_downloads_the_chain(pki, chain_server):
    verifier = pki.verifier(fetcher=_loopback_fetcher(chain_server))
    verifier.verify(pki.sign(BODY), BODY)


@pytest.mark.parametrize("name", ["redirect", "missing"])
def test_default_fetcher_refuses_redirects_and_errors(pki, chain_server, name):
    verifier = pki.verifier(fetcher=_loopback_fetcher(chain_server))
    url = _url(name) if name == "redirect" else "https://s3.amazonaws.com/echo.api/missing.txt"
    assert _rejected(verifier, pki.sign(BODY, url=url)) == "certificate download failed"


def test_hanging_download_fails_within_timeout(pki, silent_server):
    verifier = pki.verifier(fetcher=_loopback_fetcher(silent_server), fetch_timeout=0.5)
    started = time.monotonic()
    message = _rejected(verifier, pki.sign(BODY))
    elapsed = time.monotonic() - started
    assert message == "certificate download timed out"
    assert elapsed < 0.5 + 1.0


def test_trickling_download_fails_within_timeout(pki, chain_server):
    verifier = pki.verifier(fetcher=_loopback_fetcher(chain_server), fetch_timeout=0.5)
    started = time.monotonic()
    message = _rejected(verifier, pki.sign(BODY, url=_url("drip")))
    assert message == "certificate download timed out"
    assert time.monotonic() - started < 0.5 + 1.0


def test_default_fetcher_itself_gives_up_on_a_silent_server(silent_server):
    """The background thread also ends (socket timeout): hung downloads do not pile up."""
    fetcher = _loopback_fetcher(silent_server)
    started = time.monotonic()
    with pytest.raises(OSError):  # socket timeout (TimeoutError / URLError)
        fetcher(CERT_URL, 0.3)
    assert time.monotonic() - started < 0.3 + 1.0


def test_any_fetcher_is_cut_off_at_the_timeout(pki):
    release = threading.Event()

    def stuck(url, timeout):
        release.wait(5)
        return pki.chain_pem

    verifier = pki.verifier(fetcher=stuck, fetch_timeout=0.3)
    started = time.monotonic()
    try:
        assert _rejected(verifier, pki.sign(BODY)) == "certificate download timed out"
        assert time.monotonic() - started < 0.3 + 1.0
    finally:
        release.set()


def test_default_trust_store_is_certifi():
    verifier = AlexaVerifier()
    assert verifier is not None  # loads without warnings or errors


def test_constructor_validates_arguments(pki):
    with pytest.raises(ValueError):
        AlexaVerifier(trust_roots=[])
    with pytest.raises(ValueError):
        AlexaVerifier(trust_roots=pki.trust_roots, fetch_timeout=0)
