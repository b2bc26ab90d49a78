"""Configuration from the environment (the README's table lists every variable).

`Config.from_env({})` is the production configuration: signature verification on.
`python -m skill run` uses `Config.from_env(env, local=True)`: loopback, verification off.
"""
from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

REPO_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """The configuration is unsafe or invalid; the server must not start."""


def _flag(value: str | None, default: bool, name: str) -> bool:
    if value is None or value.strip() == "":
        return default
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}")


def _number(value: str | None, default, name: str, kind=int):
    """A positive int or float from the environment, or a ConfigError naming the variable."""
    if value is None or value.strip() == "":
        return default
    try:
        n = kind(value)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name} must be {what}, not {value!r}") from None
    if n <= 0:
        raise ConfigError(f"{name} must be positive, not {n}")
    return n


def is_loopback(host: str) -> bool:
    """True when `host` names only this machine (127.0.0.0/8, ::1, localhost)."""
    h = host.strip().strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Config:
    host: str = "0.0.0.0"
    port: int = 5000
    verify_signatures: bool = True
    skill_id: str | None = None
    database_url: str | None = None
    data_dir: Path = REPO_ROOT / "data"
    content_dir: Path | None = None
    session_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    max_body_bytes: int = 256 * 1024
    cert_fetch_timeout: float = 2.0
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, local: bool = False) -> "Config":
        env = os.environ if env is None else env
        host = env.get("HOST") or ("127.0.0.1" if local else "0.0.0.0")
        secret = env.get("SESSION_SECRET")
        cfg = cls(
            host=host,
            port=_number(env.get("PORT"), 5000, "PORT"),
            verify_signatures=_flag(env.get("ALEXA_VERIFY_SIGNATURES"), not local,
                                    "ALEXA_VERIFY_SIGNATURES"),
            skill_id=(env.get("ALEXA_SKILL_ID") or "").strip() or None,
            database_url=(env.get("DATABASE_URL") or "").strip() or None,
            data_dir=Path(env["DATA_DIR"]) if env.get("DATA_DIR") else REPO_ROOT / "data",
            content_dir=Path(env["CONTENT_DIR"]) if env.get("CONTENT_DIR") else None,
            session_secret=secret.encode() if secret else secrets.token_bytes(32),
            max_body_bytes=_number(env.get("MAX_BODY_BYTES"), 256 * 1024, "MAX_BODY_BYTES"),
            cert_fetch_timeout=_number(env.get("CERT_FETCH_TIMEOUT"), 2.0, "CERT_FETCH_TIMEOUT", float),
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
        )
        cfg.check()
        return cfg

    @classmethod
    def local(cls, **overrides) -> "Config":
        """Loopback, verification off: for `make run`, the console and tests."""
        base = dict(host="127.0.0.1", verify_signatures=False)
        base.update(overrides)
        cfg = cls(**base)
        cfg.check()
        return cfg

    def with_(self, **changes) -> "Config":
        cfg = replace(self, **changes)
        cfg.check()
        return cfg

    def check(self) -> None:
        if not self.verify_signatures and not is_loopback(self.host):
            raise ConfigError(
                f"refusing to start: request signature verification is off but the server "
                f"would listen on {self.host}, which is not loopback only. Turn verification "
                f"on (ALEXA_VERIFY_SIGNATURES=1) or bind to 127.0.0.1.")
        if len(self.session_secret) < 16:
            raise ConfigError("SESSION_SECRET must be at least 16 characters")
