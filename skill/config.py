"""Configuration from the environment (the README's table lists every variable).

`Config.from_env({})` is the production configuration: signature verification on.
`python -m skill run` uses `Config.from_env(env, local=True)`: loopback, verification off.
"""
from __future__ import annotations

import ipaddress
import math
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


def _number(value: str | None, default, name: str, kind=int, low=None, high=None):
    """An int or float from the environment within [low, high] (positive when no `low` is
    given), or a ConfigError naming the variable and what it may be."""
    if value is None or value.strip() == "":
        return default
    try:
        n = kind(value.strip())
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name} must be {what}, not {value!r}") from None
    if not math.isfinite(n):
        raise ConfigError(f"{name} must be a finite number, not {value!r}")
    if low is None and n <= 0:
        raise ConfigError(f"{name} must be positive, not {value.strip()}")
    if (low is not None and n < low) or (high is not None and n > high):
        raise ConfigError(f"{name} must be between {low} and {high}, not {value.strip()}")
    return n


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SKILL_ID_PREFIXES = ("amzn1.ask.skill.", "amzn1.echo-sdk-ams.app.")


def _log_level(value: str | None) -> str:
    level = (value or "INFO").strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {value!r}")
    return level


def _skill_id(value: str | None) -> str | None:
    skill_id = (value or "").strip() or None
    if skill_id is not None and not skill_id.startswith(SKILL_ID_PREFIXES):
        raise ConfigError(f"ALEXA_SKILL_ID must be the skill's id from the developer console "
                          f"(amzn1.ask.skill.…), not {value!r}")
    return skill_id


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
    session_secret_set: bool = False      # False: random, made at start-up
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
            port=_number(env.get("PORT"), 5000, "PORT", int, 1, 65535),
            verify_signatures=_flag(env.get("ALEXA_VERIFY_SIGNATURES"), not local,
                                    "ALEXA_VERIFY_SIGNATURES"),
            skill_id=_skill_id(env.get("ALEXA_SKILL_ID")),
            database_url=(env.get("DATABASE_URL") or "").strip() or None,
            data_dir=Path(env["DATA_DIR"]) if env.get("DATA_DIR") else REPO_ROOT / "data",
            content_dir=Path(env["CONTENT_DIR"]) if env.get("CONTENT_DIR") else None,
            session_secret=secret.encode() if secret else secrets.token_bytes(32),
            session_secret_set=bool(secret),
            max_body_bytes=_max_body(env),
            cert_fetch_timeout=_number(env.get("CERT_FETCH_TIMEOUT"), 2.0, "CERT_FETCH_TIMEOUT",
                                       float, 0.1, 30),
            log_level=_log_level(env.get("LOG_LEVEL")),
        )
        cfg.check()
        return cfg

    @classmethod
    def local(cls, **overrides) -> "Config":
        """Loopback, verification off: for `make run`, the console and tests."""
        base = dict(host="127.0.0.1", verify_signatures=False,
                    session_secret_set="session_secret" in overrides)
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
        if self.database_url:
            from .store import check_database_url
            try:
                check_database_url(self.database_url)
            except ValueError as e:
                raise ConfigError(str(e)) from None


def _max_body(env: Mapping[str, str]) -> int:
    return _number(env.get("MAX_BODY_BYTES"), 256 * 1024, "MAX_BODY_BYTES", int, 16 * 1024,
                   16 * 1024 * 1024)


def _bind(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get("BIND")
    if raw is None or not raw.strip():
        return (f"0.0.0.0:{_number(env.get('PORT'), 5000, 'PORT', int, 1, 65535)}",)
    addresses = tuple(b.strip() for b in raw.split(","))
    for address in addresses:
        if address.startswith("unix:") and len(address) > 5:
            continue
        host, sep, port = address.rpartition(":")
        if not (sep and port.isdigit() and 1 <= int(port) <= 65535):
            raise ConfigError(f"BIND must be HOST:PORT or unix:PATH (comma separated), "
                              f"not {raw!r}")
    return addresses


@dataclass(frozen=True)
class ServerSettings:
    """gunicorn's own settings from the environment (gunicorn.conf.py and
    skill/web/worker.py read them here, so both refuse the same nonsense)."""
    bind: tuple[str, ...] = ("0.0.0.0:5000",)
    workers: int = 2
    threads: int = 4
    read_timeout: float = 10.0
    max_body_bytes: int = 256 * 1024
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "ServerSettings":
        env = os.environ if env is None else env
        return cls(
            bind=_bind(env),
            workers=_number(env.get("WEB_CONCURRENCY"), 2, "WEB_CONCURRENCY", int, 1, 64),
            threads=_number(env.get("GUNICORN_THREADS"), 4, "GUNICORN_THREADS", int, 1, 256),
            read_timeout=_number(env.get("READ_TIMEOUT"), 10.0, "READ_TIMEOUT", float, 1, 120),
            max_body_bytes=_max_body(env),
            log_level=_log_level(env.get("LOG_LEVEL")),
        )

    @property
    def hosts(self) -> list[str]:
        return ["localhost" if b.startswith("unix:") else b.rpartition(":")[0] for b in self.bind]
