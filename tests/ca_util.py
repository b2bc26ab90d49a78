"""A small test PKI for Alexa request signatures (offline, generated in-process).

Usage::

    from tests.ca_util import make_pki, NOW

    pki = make_pki()                       # root CA -> intermediate -> leaf "echo-api.amazon.com"
    verifier = pki.verifier()              # AlexaVerifier trusting pki's root, fetching from pki,
                                           # clock fixed at pki.now (kwargs are passed through)
    body = b'{"version":"1.0","request":{"timestamp":"%s"}}' % iso(pki.now).encode()
    headers = pki.sign(body)               # {"Signature-256": ..., "SignatureCertChainUrl": CERT_URL}
    verifier.verify(headers, body)         # passes

``make_pki(*, leaf="valid", san=("echo-api.amazon.com",), untrusted_root=False, now=NOW)``

* ``leaf``: ``"valid"`` (now-1d .. now+30d), ``"expired"`` (ended 1 day before ``now``) or
  ``"not_yet_valid"`` (starts 1 day after ``now``).
* ``san``: DNS names in the leaf's subjectAltName (the subject CN stays echo-api.amazon.com).
* ``untrusted_root``: the chain is issued by a *different* root with the same name as the
  trusted one; ``pki.trust_roots`` still holds only the trusted root, so validation must fail.

A :class:`Pki` has ``root``, ``intermediate``, ``leaf`` (certificates), ``leaf_key``,
``chain_pem`` (leaf + intermediate, as S3 would serve it), ``trust_roots`` (list to pass as
``AlexaVerifier(trust_roots=...)``), ``cert_url``, ``now``, and:

* ``sign(body, *, url=None) -> dict``: headers for a request signed with SHA-256 over the
  exact ``body`` bytes;
* ``fetcher(url, timeout) -> bytes``: serves ``chain_pem`` for any URL and records each URL in
  ``pki.fetched`` (a list), so tests can count downloads;
* ``verifier(**kwargs)``: an ``AlexaVerifier`` wired to this PKI.

Helpers: ``iso(dt)`` formats a datetime the way Alexa does (``2019-07-15T22:44:23Z``);
``sign_sha256(key, body)`` returns the base64 signature. Keys are generated once per process
and reused, so building many PKIs is cheap.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["CERT_URL", "NOW", "Pki", "iso", "make_pki", "sign_sha256"]

CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"
NOW = dt.datetime(2024, 3, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
ECHO_API = "echo-api.amazon.com"

_DAY = dt.timedelta(days=1)


def iso(when: dt.datetime) -> str:
    """Alexa's timestamp format: UTC, seconds, trailing Z."""
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_sha256(key: rsa.RSAPrivateKey, body: bytes) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


@functools.lru_cache(maxsize=None)
def _key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Back Stretch Coach Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _ca_cert(subject, key, issuer, issuer_key, now, path_length):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - 365 * _DAY)
        .not_valid_after(now + 3650 * _DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer_key is not key:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _leaf_cert(key, issuer_cert, issuer_key, not_before, not_after, san):
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ECHO_API)]))
        .issuer_name(issuer_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in san]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


@dataclass
class Pki:
    root: x509.Certificate
    intermediate: x509.Certificate
    leaf: x509.Certificate
    leaf_key: rsa.RSAPrivateKey
    trust_roots: list[x509.Certificate]
    now: dt.datetime
    cert_url: str = CERT_URL
    fetched: list[str] = field(default_factory=list)

    @property
    def chain_pem(self) -> bytes:
        return _pem(self.leaf, self.intermediate)

    def sign(self, body: bytes, *, url: str | None = None) -> dict[str, str]:
        return {
            "Signature-256": sign_sha256(self.leaf_key, body),
            "SignatureCertChainUrl": url if url is not None else self.cert_url,
        }

    def fetcher(self, url: str, timeout: float) -> bytes:
        self.fetched.append(url)
        return self.chain_pem

    def verifier(self, **kwargs):
        from skill.web.verifier import AlexaVerifier

        kwargs.setdefault("trust_roots", self.trust_roots)
        kwargs.setdefault("fetcher", self.fetcher)
        kwargs.setdefault("clock", lambda: self.now)
        return AlexaVerifier(**kwargs)


def make_pki(
    *,
    leaf: str = "valid",
    san: tuple[str, ...] | list[str] = (ECHO_API,),
    untrusted_root: bool = False,
    now: dt.datetime = NOW,
) -> Pki:
    windows = {
        "valid": (now - _DAY, now + 30 * _DAY),
        "expired": (now - 60 * _DAY, now - _DAY),
        "not_yet_valid": (now + _DAY, now + 60 * _DAY),
    }
    if leaf not in windows:
        raise ValueError(f"leaf must be one of {sorted(windows)}")
    root_name = _name("Test Root CA")
    root_key = _key("root")
    root = _ca_cert(root_name, root_key, root_name, root_key, now, None)
    issuing_root_key = _key("rogue-root") if untrusted_root else root_key
    inter_key = _key("intermediate")
    intermediate = _ca_cert(
        _name("Test Intermediate CA"), inter_key, root_name, issuing_root_key, now, 0
    )
    leaf_key = _key("leaf")
    not_before, not_after = windows[leaf]
    leaf_cert = _leaf_cert(leaf_key, intermediate, inter_key, not_before, not_after, tuple(san))
    return Pki(
        root=root,
        intermediate=intermediate,
        leaf=leaf_cert,
        leaf_key=leaf_key,
        trust_roots=[root],
        now=now,
    )
