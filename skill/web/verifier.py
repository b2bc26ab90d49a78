"""Alexa request verification with pyca ``cryptography``.

Implements Amazon's documented checks for a skill hosted as a web service:

* ``SignatureCertChainUrl`` must be ``https://s3.amazonaws.com[:443]/echo.api/...``
  (scheme and host case-insensitive, path case-sensitive, checked after dot-segment
  normalisation);
* the PEM chain it names is downloaded with a hard time limit, validated to a trusted root
  at the current time (leaf in date, SAN names ``echo-api.amazon.com``) and cached; a URL
  whose download or chain failed is refused without a new download for ``failure_ttl``
  seconds (at most ``failure_cache_size`` such URLs are remembered), so a forged URL sent
  again and again costs one download, not one per request;
* ``Signature-256`` is base64 RSA PKCS#1 v1.5 over SHA-256 of the *raw* request body;
* ``request.timestamp`` must be within ``max_skew`` seconds of now (``verify_timestamp``:
  the caller parses the JSON body and passes the string).

Every failure raises :class:`VerificationError` whose ``str()`` is a short, fixed message
that is safe to return to the client.

ask-sdk-webservice-support is not used: its ``oscrypto`` dependency cannot load on
OpenSSL >= 3.0.10.
"""

from __future__ import annotations

import base64
import binascii
import collections
import datetime as _dt
import functools
import logging
import posixpath
import re
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from typing import Any, Callable, Iterable, Mapping

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError as _X509Error

__all__ = [
    "VerificationError",
    "validate_cert_url",
    "AlexaVerifier",
    "UrllibFetcher",
    "NoRedirectHandler",
    "load_certifi_roots",
    "ECHO_API_DNS_NAME",
]

log = logging.getLogger(__name__)

ECHO_API_DNS_NAME = "echo-api.amazon.com"
SIGNATURE_HEADER = "Signature-256"
CERT_URL_HEADER = "SignatureCertChainUrl"

_ALLOWED_HOST = "s3.amazonaws.com"
_ALLOWED_PATH_PREFIX = "/echo.api/"
_MAX_URL_LENGTH = 2048
_MAX_SIGNATURE_LENGTH = 4096
MAX_CHAIN_BYTES = 256 * 1024
_MAX_CHAIN_CERTS = 10
# Hung downloads run in daemon threads; never let more than this many pile up.
_MAX_CONCURRENT_FETCHES = 8
# Percent-encoded '.', '/', '\' can hide dot segments from the normalisation check.
_ENCODED_PATH_TRICK = re.compile(r"%(2e|2f|5c)", re.IGNORECASE)


class VerificationError(Exception):
    """A request failed verification. ``str(e)`` is a short message safe to send back."""


# --------------------------------------------------------------------------- URL check


def validate_cert_url(url: str) -> None:
    """Raise :class:`VerificationError` unless ``url`` is an allowed cert chain URL."""
    _normalised_cert_url(url)


def _normalised_cert_url(url: Any) -> str:
    """Validate ``url``; return the canonical URL that will actually be fetched."""
    bad = VerificationError("certificate URL not allowed")
    if not isinstance(url, str) or not url or len(url) > _MAX_URL_LENGTH:
        raise bad
    # urlsplit silently drops tabs/newlines; refuse anything but printable ASCII instead.
    if any(not (0x21 <= ord(ch) <= 0x7E) for ch in url):
        raise bad
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise bad from None
    if parts.scheme.lower() != "https":
        raise bad
    if (parts.hostname or "") != _ALLOWED_HOST:  # .hostname is already lower-cased
        raise bad
    if parts.username is not None or parts.password is not None:
        raise bad
    if port is not None and port != 443:
        raise bad
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise bad
    path = parts.path
    if "\\" in path or _ENCODED_PATH_TRICK.search(path):
        raise bad
    normalised = posixpath.normpath(path) if path else ""
    # normpath keeps a leading '//' (POSIX), which then fails the prefix test: good.
    if not normalised.startswith(_ALLOWED_PATH_PREFIX):
        raise bad
    return f"https://{_ALLOWED_HOST}{normalised}"


# --------------------------------------------------------------------------- trust roots


@functools.lru_cache(maxsize=1)
def load_certifi_roots() -> tuple[x509.Certificate, ...]:
    """The certifi CA bundle, parsed once; certificates that cannot be parsed are skipped."""
    import certifi

    with open(certifi.where(), "rb") as fh:
        data = fh.read()
    return tuple(_load_pem_certs_leniently(data))


def _load_pem_certs_leniently(data: bytes) -> Iterable[x509.Certificate]:
    blocks = re.findall(
        rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", data, flags=re.DOTALL
    )
    for block in blocks:
        with warnings.catch_warnings():
            # A few store roots have non-positive serials; cryptography warns about them.
            warnings.simplefilter("ignore")
            try:
                yield x509.load_pem_x509_certificate(block)
            except ValueError:
                continue


# --------------------------------------------------------------------------- fetching


class NoRedirectHandler(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: the chain must come from the validated URL itself."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401
        return None


class UrllibFetcher:
    """Default chain downloader: ``fetcher(url, timeout) -> bytes``.

    Uses urllib with the certifi CA bundle for HTTPS, refuses redirects, caps the size and
    stops reading at ``timeout``. ``opener`` (a :class:`urllib.request.OpenerDirector`) is
    injectable so tests can route the request to a local server. The verifier additionally
    runs every fetch under a hard deadline, so DNS or a stalled peer can never hold a worker.
    """

    def __init__(self, *, opener: urllib.request.OpenerDirector | None = None,
                 max_bytes: int = MAX_CHAIN_BYTES) -> None:
        if opener is None:
            import certifi

            context = ssl.create_default_context(cafile=certifi.where())
            opener = urllib.request.build_opener(
                urllib.request.HTTPSHandler(context=context), NoRedirectHandler()
            )
        self._opener = opener
        self._max_bytes = max_bytes

    def __call__(self, url: str, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(
            url, headers={"Accept": "application/x-pem-file, */*", "User-Agent": "back-stretch-coach"}
        )
        try:
            resp = self._opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:  # also what a refused redirect becomes
            code = exc.code
            exc.close()
            raise OSError(f"HTTP status {code}") from None
        with resp:
            status = getattr(resp, "status", 200)
            if status != 200:
                raise OSError(f"HTTP status {status}")
            length = resp.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > self._max_bytes:
                raise OSError("chain too large")
            chunks: list[bytes] = []
            size = 0
            while True:
                if time.monotonic() > deadline:
                    raise TimeoutError("download deadline passed")
                chunk = resp.read1(16384) if hasattr(resp, "read1") else resp.read(16384)
                if not chunk:
                    break
                size += len(chunk)
                if size > self._max_bytes:
                    raise OSError("chain too large")
                chunks.append(chunk)
        return b"".join(chunks)


# --------------------------------------------------------------------------- verifier


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _as_aware_utc(value: _dt.datetime) -> _dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime")
    return value.astimezone(_dt.timezone.utc)


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    value = None
    try:
        value = headers.get(name)
    except Exception:  # pragma: no cover - exotic mappings
        value = None
    if value is None:
        lowered = name.lower()
        for key, candidate in headers.items():
            if isinstance(key, str) and key.lower() == lowered:
                value = candidate
                break
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = str(value).strip()
    return value or None


class _CacheEntry:
    __slots__ = ("leaf", "valid_from", "valid_until", "expires_at")

    def __init__(self, leaf, valid_from, valid_until, expires_at):
        self.leaf = leaf
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.expires_at = expires_at


class AlexaVerifier:
    """Verifies Alexa request signatures and timestamps. Thread-safe; build one per app."""

    def __init__(
        self,
        *,
        trust_roots: list[x509.Certificate] | None = None,
        fetcher: Callable[[str, float], bytes] | None = None,
        fetch_timeout: float = 2.0,
        cache_size: int = 32,
        cache_ttl: float = 3600.0,
        clock: Callable[[], _dt.datetime] | None = None,
        max_skew: float = 150.0,
        failure_ttl: float = 10.0,
        failure_cache_size: int = 256,
    ) -> None:
        roots = list(load_certifi_roots() if trust_roots is None else trust_roots)
        if not roots:
            raise ValueError("trust_roots must not be empty")
        if fetch_timeout <= 0:
            raise ValueError("fetch_timeout must be positive")
        self._store = Store(roots)
        self._fetcher = fetcher if fetcher is not None else UrllibFetcher()
        self._fetch_timeout = float(fetch_timeout)
        self._cache_size = max(0, int(cache_size))
        self._cache_ttl = _dt.timedelta(seconds=float(cache_ttl))
        self._clock = clock or _utcnow
        self._max_skew = _dt.timedelta(seconds=float(max_skew))
        self._cache: collections.OrderedDict[str, _CacheEntry] = collections.OrderedDict()
        self._failure_ttl = _dt.timedelta(seconds=float(failure_ttl))
        self._failure_cache_size = max(0, int(failure_cache_size))
        # url -> (until when, the message it failed with)
        self._failures: collections.OrderedDict[str, tuple[_dt.datetime, str]] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._fetch_slots = threading.BoundedSemaphore(_MAX_CONCURRENT_FETCHES)

    # ------------------------------------------------------------------ public API

    def verify(self, headers: Mapping[str, Any], body: bytes) -> None:
        """Check ``Signature-256`` over the raw ``body`` with the chain at ``SignatureCertChainUrl``."""
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError("body must be the raw request bytes")
        cert_url = _header(headers, CERT_URL_HEADER)
        if cert_url is None:
            raise VerificationError(f"missing {CERT_URL_HEADER} header")
        signature_b64 = _header(headers, SIGNATURE_HEADER)
        if signature_b64 is None:
            raise VerificationError(f"missing {SIGNATURE_HEADER} header")
        canonical_url = _normalised_cert_url(cert_url)
        signature = self._decode_signature(signature_b64)
        leaf = self._leaf_for(canonical_url)
        key = leaf.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise VerificationError("certificate key not supported")
        try:
            key.verify(signature, bytes(body), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise VerificationError("signature does not match") from None

    def verify_timestamp(self, timestamp: str) -> None:
        """Raise unless ``timestamp`` (ISO-8601 with zone) is within ``max_skew`` of now."""
        if not isinstance(timestamp, str) or not timestamp or len(timestamp) > 64:
            raise VerificationError("timestamp not valid")
        try:
            when = _as_aware_utc(_dt.datetime.fromisoformat(timestamp.strip()))
        except ValueError:
            raise VerificationError("timestamp not valid") from None
        now = _as_aware_utc(self._clock())
        if abs(now - when) > self._max_skew:
            raise VerificationError("timestamp too old or in the future")

    def verify_chain(self, pem: bytes, at: _dt.datetime) -> x509.Certificate:
        """Validate a PEM chain (leaf first) to a trusted root at ``at``; return the leaf."""
        return self._verify_chain_path(pem, at)[0]

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()
            self._failures.clear()

    # ------------------------------------------------------------------ internals

    def _verify_chain_path(
        self, pem: bytes, at: _dt.datetime
    ) -> list[x509.Certificate]:
        """Return the validated path, leaf first and trusted root last."""
        at = _as_aware_utc(at)
        if not isinstance(pem, (bytes, bytearray)) or len(pem) > MAX_CHAIN_BYTES:
            raise VerificationError("certificate chain not readable")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                certs = x509.load_pem_x509_certificates(bytes(pem))
        except ValueError:
            raise VerificationError("certificate chain not readable") from None
        if not certs or len(certs) > _MAX_CHAIN_CERTS:
            raise VerificationError("certificate chain not readable")
        leaf, intermediates = certs[0], certs[1:]

        # Explicit leaf checks first, for precise messages; the policy below repeats them.
        if at < leaf.not_valid_before_utc:
            raise VerificationError("certificate not yet valid")
        if at > leaf.not_valid_after_utc:
            raise VerificationError("certificate expired")
        if not self._names_echo_api(leaf):
            raise VerificationError("certificate not issued to echo-api.amazon.com")

        verifier = (
            PolicyBuilder()
            .store(self._store)
            .time(at)
            .build_server_verifier(x509.DNSName(ECHO_API_DNS_NAME))
        )
        try:
            path = verifier.verify(leaf, intermediates)
        except (_X509Error, ValueError):
            raise VerificationError("certificate chain not trusted") from None
        return list(path)

    @staticmethod
    def _names_echo_api(cert: x509.Certificate) -> bool:
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except (x509.ExtensionNotFound, ValueError):
            return False
        return any(
            name.lower() == ECHO_API_DNS_NAME for name in san.get_values_for_type(x509.DNSName)
        )

    @staticmethod
    def _decode_signature(value: str) -> bytes:
        if len(value) > _MAX_SIGNATURE_LENGTH:
            raise VerificationError("signature not valid base64")
        try:
            signature = base64.b64decode(value.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise VerificationError("signature not valid base64") from None
        if not signature:
            raise VerificationError("signature not valid base64")
        return signature

    def _leaf_for(self, url: str) -> x509.Certificate:
        now = _as_aware_utc(self._clock())
        with self._lock:
            entry = self._cache.get(url)
            if entry is not None:
                if now >= entry.expires_at or not (entry.valid_from <= now <= entry.valid_until):
                    del self._cache[url]
                else:
                    self._cache.move_to_end(url)
                    return entry.leaf
            failed = self._failures.get(url)
            if failed is not None:
                if now < failed[0]:
                    raise VerificationError(failed[1])
                del self._failures[url]
        try:
            path = self._verify_chain_path(self._fetch(url), now)
        except VerificationError as exc:
            self._remember_failure(url, now, exc)
            raise
        leaf = path[0]
        if self._cache_size:
            # Only a downloaded *and validated* chain is cached, and only while every
            # certificate on its path stays in date.
            entry = _CacheEntry(
                leaf,
                max(c.not_valid_before_utc for c in path),
                min(c.not_valid_after_utc for c in path),
                now + self._cache_ttl,
            )
            with self._lock:
                self._cache[url] = entry
                self._cache.move_to_end(url)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return leaf

    def _remember_failure(self, url: str, now: _dt.datetime, exc: VerificationError) -> None:
        if not self._failure_cache_size or str(exc) == "certificate download busy":
            return                      # busy says nothing about the URL
        with self._lock:
            self._failures[url] = (now + self._failure_ttl, str(exc))
            self._failures.move_to_end(url)
            while len(self._failures) > self._failure_cache_size:
                self._failures.popitem(last=False)

    def _fetch(self, url: str) -> bytes:
        """Run the fetcher in a daemon thread; give up after ``fetch_timeout`` seconds in all.

        A stalled download keeps only its own daemon thread (which ends when the fetcher's
        own socket timeout fires); the request's worker is freed at the deadline.
        """
        timeout = self._fetch_timeout
        deadline = time.monotonic() + timeout
        if not self._fetch_slots.acquire(timeout=timeout):
            raise VerificationError("certificate download busy")
        result: dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            try:
                result["data"] = self._fetcher(url, timeout)
            except BaseException as exc:  # handed to the waiting request below
                result["error"] = exc
            finally:
                done.set()
                self._fetch_slots.release()

        try:
            threading.Thread(target=run, name="alexa-cert-fetch", daemon=True).start()
        except RuntimeError:
            self._fetch_slots.release()
            raise VerificationError("certificate download failed") from None
        if not done.wait(max(0.0, deadline - time.monotonic())):
            log.warning("certificate download timed out after %.1fs: %s", timeout, url)
            raise VerificationError("certificate download timed out")
        error = result.get("error")
        if error is not None:
            if isinstance(error, TimeoutError) or (
                isinstance(error, urllib.error.URLError) and isinstance(error.reason, TimeoutError)
            ):
                log.warning("certificate download timed out: %s", url)
                raise VerificationError("certificate download timed out")
            log.warning("certificate download failed: %s: %s", type(error).__name__, error)
            raise VerificationError("certificate download failed")
        data = result.get("data")
        if not isinstance(data, (bytes, bytearray)):
            raise VerificationError("certificate download failed")
        return bytes(data)
