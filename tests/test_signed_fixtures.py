"""The verifier against requests Amazon really signed (see shared/fixtures/alexa/README.md).

Fixtures live in the ``shared`` folder beside the repository (or ``$ALEXA_FIXTURES``). They
carry only the legacy SHA-1 ``Signature`` header, so these tests show that: the genuine
chain validates against today's certifi store at the request's own time; the Symantec-era
chains are refused; and the signatures hold over the raw ``body.bin`` bytes only.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from skill.web.verifier import AlexaVerifier, VerificationError, validate_cert_url

CERT7 = "asksdk_nodejs_express_adapter_cert7"
CERT5 = "sidoh_alexa_verifier_cert5"
CERT4 = "mreinstein_alexa_verifier_cert4"


def _fixtures_root() -> Path:
    from tests.paths import ALEXA_FIXTURES
    return ALEXA_FIXTURES


@pytest.fixture(scope="module")
def signed_dir() -> Path:
    root = _fixtures_root()
    signed = root / "signed"
    if not signed.is_dir():
        pytest.fail(
            f"Alexa fixtures not found at {signed} (expected the 'shared' folder beside the "
            "repository, or set ALEXA_FIXTURES to the fixtures/alexa folder)",
            pytrace=False,
        )
    return signed


class Capture:
    def __init__(self, folder: Path, headers_file: Path):
        self.name = f"{folder.name}/{headers_file.name.removesuffix('headers.json') or ''}"
        self.headers = json.loads(headers_file.read_text())
        self.body = (folder / headers_file.name.replace("headers.json", "body.bin")).read_bytes()
        self.chain_pem = (folder / "chain.pem").read_bytes()
        self.timestamp = json.loads(self.body)["request"]["timestamp"]

    @property
    def at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.timestamp).astimezone(dt.timezone.utc)


def _captures(signed: Path, folder: str) -> list[Capture]:
    path = signed / folder
    if not path.is_dir():
        pytest.fail(f"fixture folder missing: {path}", pytrace=False)
    captures = [Capture(path, h) for h in sorted(path.glob("*headers.json"))]
    if not captures:
        pytest.fail(f"no *headers.json in {path}", pytrace=False)
    return captures


@pytest.fixture(scope="module")
def certifi_verifier() -> AlexaVerifier:
    return AlexaVerifier()  # the default trust store: certifi


# ----------------------------------------------------------------- genuine chain (cert-7)


def test_genuine_cert7_chain_validates_at_request_time(signed_dir, certifi_verifier):
    (capture,) = _captures(signed_dir, CERT7)
    assert capture.timestamp == "2019-07-15T22:44:23Z"
    leaf = certifi_verifier.verify_chain(capture.chain_pem, capture.at)
    from cryptography import x509

    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "echo-api.amazon.com" in names.get_values_for_type(x509.DNSName)


def test_genuine_cert7_chain_is_refused_today(signed_dir, certifi_verifier):
    (capture,) = _captures(signed_dir, CERT7)
    with pytest.raises(VerificationError, match="^certificate expired$"):
        certifi_verifier.verify_chain(capture.chain_pem, dt.datetime.now(dt.timezone.utc))


def test_genuine_request_passes_url_and_chain_checks_through_verify(signed_dir):
    """Full verify() on the real capture: URL, download, chain and cache all accept it; only
    the signature check fails, because the capture's signature is SHA-1, not SHA-256."""
    (capture,) = _captures(signed_dir, CERT7)
    fetched = []

    def fetcher(url, timeout):
        fetched.append(url)
        return capture.chain_pem

    verifier = AlexaVerifier(fetcher=fetcher, clock=lambda: capture.at)
    verifier.verify_timestamp(capture.timestamp)
    headers = {
        "SignatureCertChainUrl": capture.headers["SignatureCertChainUrl"],
        "Signature-256": capture.headers["Signature"],
    }
    validate_cert_url(headers["SignatureCertChainUrl"])
    with pytest.raises(VerificationError, match="^signature does not match$"):
        verifier.verify(headers, capture.body)
    assert fetched == ["https://s3.amazonaws.com/echo.api/echo-api-cert-7.pem"]


# ----------------------------------------------------------------- Symantec chains


@pytest.mark.parametrize("folder", [CERT5, CERT4])
def test_symantec_chains_are_refused_as_untrusted(signed_dir, certifi_verifier, folder):
    from cryptography import x509

    from skill.web.verifier import load_certifi_roots

    store_subjects = {root.subject for root in load_certifi_roots()}
    for capture in _captures(signed_dir, folder):
        top = x509.load_pem_x509_certificates(capture.chain_pem)[-1]
        assert "VeriSign" in top.issuer.rfc4514_string()
        assert top.issuer not in store_subjects  # the distrusted root is gone from the store
        validate_cert_url(capture.headers["SignatureCertChainUrl"])
        with pytest.raises(VerificationError, match="^certificate chain not trusted$"):
            certifi_verifier.verify_chain(capture.chain_pem, capture.at)


# ----------------------------------------------------------------- raw bytes are what is signed


@pytest.mark.parametrize("folder", [CERT7, CERT5, CERT4])
def test_legacy_signature_verifies_over_raw_body_only(signed_dir, folder):
    from cryptography import x509

    for capture in _captures(signed_dir, folder):
        leaf = x509.load_pem_x509_certificates(capture.chain_pem)[0]
        signature = base64.b64decode(capture.headers["Signature"])
        key = leaf.public_key()
        key.verify(signature, capture.body, padding.PKCS1v15(), hashes.SHA1())

        reserialised = json.dumps(json.loads(capture.body), ensure_ascii=False).encode("utf-8")
        assert reserialised != capture.body
        with pytest.raises(InvalidSignature):
            key.verify(signature, reserialised, padding.PKCS1v15(), hashes.SHA1())
        compact = json.dumps(json.loads(capture.body), separators=(",", ":"),
                             ensure_ascii=False).encode("utf-8")
        if compact != capture.body:
            with pytest.raises(InvalidSignature):
                key.verify(signature, compact, padding.PKCS1v15(), hashes.SHA1())


def test_every_fixture_is_covered(signed_dir):
    assert {CERT7, CERT5, CERT4} <= {p.name for p in signed_dir.iterdir() if p.is_dir()}
    assert len(_captures(signed_dir, CERT4)) == 2
