"""Persistent attributes per Alexa user: SQLite by default, PostgreSQL via ``DATABASE_URL``.

One row per Alexa user id holds one JSON object (see docs/design.md, "Persistent
attributes"): the resume point, preferences, a short history and the disclaimer flag.

Privacy policy: **never health data.** Screening answers, pain reports and anything else
about the user's body live in the session only (SPEC §3). This module stores whatever dict
it is given, so the rule is enforced by the caller (skill/dialog/); this module
makes sure that nothing it logs or raises contains attribute contents or a full user id
(user ids are logged as a short hash, see :func:`user_ref`).

Use::

    store = open_store(config.database_url)          # None/"" -> <repo>/data/backstretch.db
    SkillBuilder ... CustomSkillBuilder(persistence_adapter=store)
    store.get(user_id) / store.save(user_id, {...}) / store.delete(user_id) / store.ping()

Errors: every database problem (server down, refused, timed out, file locked for longer
than ``timeout``, corrupt file...) raises :class:`StorageUnavailable` with a short message.
Bad *input* (attributes that are not a JSON object, a missing user id) raises
``TypeError``/``ValueError`` instead: that is a bug in the caller, not an outage.

Concurrency: a connection per thread and per process, opened lazily on first use and
dropped after ``fork`` (a connection is never shared between processes), so the store can
be created before gunicorn forks its workers. SQLite runs in WAL mode with a busy timeout;
PostgreSQL runs in autocommit with a short connect/statement/lock timeout and reconnects by
itself after the server comes back. Saves are single-statement upserts, so they are atomic:
the last writer wins and the JSON is never torn.

Schema: created or migrated by :func:`open_store` from ordered, idempotent migration lists
(SQLite: ``PRAGMA user_version``; PostgreSQL: a ``schema_version`` table, under a
transaction-level advisory lock), so several processes may start at the same time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

log = logging.getLogger(__name__)

__all__ = [
    "StorageUnavailable",
    "Store",
    "open_store",
    "check_database_url",
    "user_id_from_envelope",
    "user_ref",
    "SCHEMA_VERSION",
    "DEFAULT_TIMEOUT",
    "MAX_ATTRIBUTES_BYTES",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILENAME = "backstretch.db"
DEFAULT_TIMEOUT = 2.0          # seconds: connect, busy/lock wait and statement time
MIGRATION_TIMEOUT = 10.0       # seconds: waiting for another process that is migrating
RETRY_INTERVAL = 5.0           # seconds between attempts to set up a store unusable at start-up
MAX_ATTRIBUTES_BYTES = 64 * 1024
MAX_USER_ID_LENGTH = 512
_ADVISORY_LOCK_CLASS = 0x42534300  # "BSC\0": pg_advisory_xact_lock(class, hash(schema))

# Ordered migrations: entry i takes the schema from version i to version i + 1. Every
# statement is idempotent (IF NOT EXISTS) so a half-applied history can be replayed.
SQLITE_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: one row per user.
    (
        "CREATE TABLE IF NOT EXISTS user_attributes ("
        " user_id TEXT PRIMARY KEY NOT NULL,"
        " attributes TEXT NOT NULL,"
        " updated_at TEXT NOT NULL)",
    ),
    # 2: find users inactive for a long time (data retention clean-up).
    ("CREATE INDEX IF NOT EXISTS user_attributes_updated_at ON user_attributes (updated_at)",),
)
POSTGRES_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE IF NOT EXISTS user_attributes ("
        " user_id text PRIMARY KEY,"
        " attributes jsonb NOT NULL,"
        " updated_at timestamptz NOT NULL DEFAULT now())",
    ),
    ("CREATE INDEX IF NOT EXISTS user_attributes_updated_at ON user_attributes (updated_at)",),
)
SCHEMA_VERSION = len(SQLITE_MIGRATIONS)
assert len(POSTGRES_MIGRATIONS) == SCHEMA_VERSION

_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


class StorageUnavailable(Exception):
    """The database cannot be reached or used right now. The message is short and holds
    neither attribute contents nor user ids; callers answer without persistence."""


# --------------------------------------------------------------------------- helpers


def user_ref(user_id: str | None) -> str:
    """A short, stable, non-reversible reference to a user id for logs."""
    if not user_id:
        return "-"
    return hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def user_id_from_envelope(request_envelope: Any) -> str:
    """The Alexa user id of a request: ``context.System.user.userId``, else
    ``session.user.userId``. Accepts an ask_sdk_model ``RequestEnvelope`` or the JSON dict."""
    candidates: list[Any] = []
    if isinstance(request_envelope, Mapping):
        context = request_envelope.get("context") or {}
        system = context.get("System") or {}
        candidates.append((system.get("user") or {}).get("userId"))
        session = request_envelope.get("session") or {}
        candidates.append((session.get("user") or {}).get("userId"))
    else:
        system = getattr(getattr(request_envelope, "context", None), "system", None)
        candidates.append(getattr(getattr(system, "user", None), "user_id", None))
        session = getattr(request_envelope, "session", None)
        candidates.append(getattr(getattr(session, "user", None), "user_id", None))
    for candidate in candidates:
        if isinstance(candidate, str) and candidate:
            return candidate
    raise ValueError("request envelope has no user id (context.System.user or session.user)")


def _check_user_id(user_id: Any) -> str:
    if not isinstance(user_id, str):
        raise TypeError("user id must be a str")
    if not user_id or len(user_id) > MAX_USER_ID_LENGTH or "\x00" in user_id:
        raise ValueError(f"user id must be 1..{MAX_USER_ID_LENGTH} characters without NUL")
    try:
        user_id.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("user id is not valid Unicode text") from None
    return user_id


def encode_attributes(attributes: Any) -> str:
    """Attributes as compact JSON text, with the same rules for every back end: a dict,
    JSON-serialisable, no NaN/Infinity, no NUL character, no lone surrogate, at most
    MAX_ATTRIBUTES_BYTES of UTF-8. Messages never quote the contents."""
    if not isinstance(attributes, Mapping):
        raise TypeError("attributes must be a dict")
    try:
        text = json.dumps(dict(attributes), ensure_ascii=False, allow_nan=False,
                          separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"attributes are not plain JSON ({type(exc).__name__})") from None
    except RecursionError:
        raise ValueError("attributes are nested too deeply") from None
    if _NUL_ESCAPE.search(text):
        raise ValueError("attributes contain a NUL character")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError("attributes contain text that is not valid Unicode") from None
    if size > MAX_ATTRIBUTES_BYTES:
        raise ValueError(f"attributes are {size} bytes of JSON; the limit is {MAX_ATTRIBUTES_BYTES}")
    return text


def _decode_attributes(text: str | bytes | None, user_id: str) -> dict:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        # Only possible if someone edited the row by hand; the next save overwrites it.
        log.warning("storage: stored attributes are not a JSON object; ignoring them user=%s",
                    user_ref(user_id))
        return {}
    return value


def _first_line(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:limit]


# --------------------------------------------------------------------------- base class


class _Slot:
    """One thread's connection, tagged with the process that opened it."""

    __slots__ = ("conn", "pid", "__weakref__")

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.pid = os.getpid()

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None and self.pid == os.getpid():
            try:
                conn.close()
            except Exception:  # pragma: no cover - closing a broken connection
                pass

    def __del__(self) -> None:  # thread ended: its threading.local slot goes away
        self.close()


_STORES: "weakref.WeakSet[Store]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for store in list(_STORES):
        store._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class Store(AbstractPersistenceAdapter):
    """Persistent attributes per Alexa user id. Create with :func:`open_store`.

    Thread-safe and fork-safe. After :meth:`close` every call raises StorageUnavailable.
    """

    backend = "abstract"
    _retry_broken = False   # retry once on a fresh connection when a reused one broke

    def __init__(self, *, description: str, timeout: float) -> None:
        self.description = description
        self.timeout = float(timeout)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._slots: "weakref.WeakSet[_Slot]" = weakref.WeakSet()
        self._orphans: list[_Slot] = []   # inherited through fork: never used nor closed
        self._closed = False
        # Set when the store could not be set up at start-up (open_store(defer_faults=True)):
        # why, and when to try again. Every call meanwhile raises StorageUnavailable.
        self.unusable: str | None = None
        self.retry_interval = RETRY_INTERVAL
        self._next_try = 0.0
        self._ready_lock = threading.Lock()
        _STORES.add(self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description}>"

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- ask-sdk AbstractPersistenceAdapter

    def get_attributes(self, request_envelope: Any) -> dict:
        return self.get(user_id_from_envelope(request_envelope))

    def save_attributes(self, request_envelope: Any, attributes: dict) -> None:
        self.save(user_id_from_envelope(request_envelope), attributes)

    def delete_attributes(self, request_envelope: Any) -> None:
        self.delete(user_id_from_envelope(request_envelope))

    # ----- plain API

    def get(self, user_id: str) -> dict:
        """The user's attributes, ``{}`` for an unknown user."""
        user_id = _check_user_id(user_id)
        text = self._run("get", lambda conn: self._get(conn, user_id), user_id)
        return _decode_attributes(text, user_id)

    def save(self, user_id: str, attributes: dict) -> None:
        """Replace the user's attributes (insert or update, atomically)."""
        user_id = _check_user_id(user_id)
        text = encode_attributes(attributes)
        self._run("save", lambda conn: self._save(conn, user_id, text), user_id)

    def delete(self, user_id: str) -> None:
        """Forget the user entirely (no error if unknown)."""
        user_id = _check_user_id(user_id)
        self._run("delete", lambda conn: self._delete(conn, user_id), user_id)

    def ping(self) -> None:
        """Raise StorageUnavailable unless the database answers and has our table."""
        self._run("ping", self._ping, None)

    def close(self) -> None:
        """Close this process's connections. The store cannot be used afterwards."""
        with self._lock:
            self._closed = True
            slots = [slot for slot in self._slots if slot.pid == os.getpid()]
            self._slots = weakref.WeakSet()
        for slot in slots:
            slot.close()
        self._local = threading.local()

    # ----- to implement per back end

    def prepare(self) -> None:
        """Make the store usable: create its folder or schema (StorageUnavailable if not)."""
        self.migrate()

    def migrate(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _ensure_ready(self) -> None:
        """A store unusable at start-up is set up again at most every `retry_interval`
        seconds, on the first call after that; meanwhile calls fail fast."""
        if self.unusable is None:
            return
        with self._ready_lock:
            if self.unusable is None:
                return
            now = time.monotonic()
            if now < self._next_try:
                raise StorageUnavailable(self.unusable)
            self._next_try = now + self.retry_interval
            try:
                self.prepare()
            except StorageUnavailable as exc:
                self.unusable = str(exc)
                raise
            self.unusable = None
        log.warning("storage: %s is usable again; the skill remembers users again", self.description)

    def _connect(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _get(self, conn: Any, user_id: str) -> str | None:  # pragma: no cover
        raise NotImplementedError

    def _save(self, conn: Any, user_id: str, text: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def _delete(self, conn: Any, user_id: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def _ping(self, conn: Any) -> None:  # pragma: no cover
        raise NotImplementedError

    def _is_db_error(self, exc: BaseException) -> bool:  # pragma: no cover
        raise NotImplementedError

    def _is_broken(self, conn: Any, exc: BaseException) -> bool:
        return True

    def _describe(self, exc: BaseException) -> str:
        return type(exc).__name__

    # ----- connection handling

    def _after_fork(self) -> None:
        """In a forked child: connections belong to the parent. Keep them referenced (so
        neither we nor the garbage collector closes the parent's sockets/locks) and start
        afresh."""
        self._lock = threading.Lock()
        self._ready_lock = threading.Lock()
        self._orphans.extend(self._slots)
        self._slots = weakref.WeakSet()
        self._local = threading.local()

    @contextmanager
    def _checkout(self) -> Iterator[tuple[_Slot, bool]]:
        """This thread's connection slot and whether it was just opened."""
        if self._closed:
            raise StorageUnavailable(f"{self.backend} store is closed")
        slot = getattr(self._local, "slot", None)
        if slot is not None and (slot.pid != os.getpid() or slot.conn is None):
            if slot.pid != os.getpid():
                self._orphans.append(slot)
            slot = None
        fresh = slot is None
        if slot is None:
            slot = _Slot(self._connect())
            with self._lock:
                if self._closed:
                    slot.close()
                    raise StorageUnavailable(f"{self.backend} store is closed")
                self._slots.add(slot)
            self._local.slot = slot
        yield slot, fresh

    def _discard(self, slot: _Slot) -> None:
        slot.close()
        if getattr(self._local, "slot", None) is slot:
            self._local.slot = None

    def _run(self, operation: str, fn: Callable[[Any], Any], user_id: str | None) -> Any:
        self._ensure_ready()
        attempt = 0
        while True:
            attempt += 1
            try:
                with self._checkout() as (slot, fresh):
                    try:
                        return fn(slot.conn)
                    except Exception as exc:
                        if not self._is_db_error(exc):
                            raise
                        broken = self._is_broken(slot.conn, exc)
                        if broken:
                            self._discard(slot)
                        if broken and not fresh and self._retry_broken and attempt == 1:
                            log.info("storage: %s connection lost (%s); reconnecting",
                                     self.backend, self._describe(exc))
                            continue
                        raise self._unavailable(operation, exc, user_id) from None
            except StorageUnavailable:
                raise
            except Exception as exc:  # raised while connecting
                if not self._is_db_error(exc):
                    raise
                raise self._unavailable(operation, exc, user_id) from None

    def _unavailable(self, operation: str, exc: BaseException, user_id: str | None,
                     quiet: bool = False) -> StorageUnavailable:
        """The exception to raise, logged unless `quiet` (set-up failures are reported once,
        by whoever set the store up)."""
        message = f"{self.backend} {operation} failed: {self._describe(exc)}"
        if quiet:
            pass
        elif user_id is not None:
            log.warning("storage unavailable: %s user=%s", message, user_ref(user_id))
        else:
            log.warning("storage unavailable: %s", message)
        return StorageUnavailable(message)


# --------------------------------------------------------------------------- SQLite


class _SQLiteStore(Store):
    backend = "sqlite"

    def __init__(self, path: Path | None, *, timeout: float) -> None:
        """``path`` None: a private in-memory database (tests; one process)."""
        self.path = path
        super().__init__(description=f"sqlite:{path if path else ':memory:'}", timeout=timeout)
        self._memory_conn: sqlite3.Connection | None = None
        self._memory_lock = threading.Lock()

    def _open(self, timeout: float) -> sqlite3.Connection:
        target = str(self.path) if self.path else ":memory:"
        conn = sqlite3.connect(target, timeout=timeout, isolation_level=None,
                               check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if self.path:
                conn.execute("PRAGMA synchronous = NORMAL")  # durable enough in WAL mode
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect(self) -> sqlite3.Connection:
        return self._open(self.timeout)

    def prepare(self) -> None:
        if self.path is not None:
            _prepare_folder(self.path.parent)
        self.migrate()

    @contextmanager
    def _checkout(self) -> Iterator[tuple[_Slot, bool]]:
        if self.path is not None:
            with super()._checkout() as checked_out:
                yield checked_out
            return
        # In memory: one connection (one database), used by one thread at a time.
        with self._memory_lock:
            if self._closed or self._memory_conn is None:
                raise StorageUnavailable("sqlite store is closed")
            yield _MemorySlot(self._memory_conn), False

    def _after_fork(self) -> None:
        super()._after_fork()
        self._memory_lock = threading.Lock()

    def close(self) -> None:
        super().close()
        with self._memory_lock:
            conn, self._memory_conn = self._memory_conn, None
        if conn is not None:
            conn.close()

    def _is_db_error(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.Error)

    def _is_broken(self, conn: Any, exc: BaseException) -> bool:
        # Reopening a file is cheap; the in-memory connection is the database itself.
        return self.path is not None

    def _describe(self, exc: BaseException) -> str:
        # SQLite messages name files, tables and columns, never bound values.
        text = _first_line(str(exc), 100)
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

    def _get(self, conn: sqlite3.Connection, user_id: str) -> str | None:
        row = conn.execute("SELECT attributes FROM user_attributes WHERE user_id = ?",
                           (user_id,)).fetchone()
        return row[0] if row else None

    def _save(self, conn: sqlite3.Connection, user_id: str, text: str) -> None:
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        conn.execute(
            "INSERT INTO user_attributes (user_id, attributes, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET attributes = excluded.attributes, "
            "updated_at = excluded.updated_at",
            (user_id, text, now),
        )

    def _delete(self, conn: sqlite3.Connection, user_id: str) -> None:
        conn.execute("DELETE FROM user_attributes WHERE user_id = ?", (user_id,))

    def _ping(self, conn: sqlite3.Connection) -> None:
        conn.execute("SELECT 1 FROM user_attributes LIMIT 1").fetchall()

    def migrate(self) -> None:
        """Create or upgrade the schema (WAL mode, user_version). Safe to run concurrently."""
        try:
            if self.path is None:
                with self._memory_lock:
                    if self._memory_conn is None:
                        self._memory_conn = self._open(self.timeout)
                    _migrate_sqlite(self._memory_conn, wal=False)
                return
            # Switching to WAL can report "database is locked" at once, without waiting on
            # busy_timeout, while another process switches it too: retry until the deadline.
            deadline = time.monotonic() + MIGRATION_TIMEOUT
            while True:
                conn = self._open(MIGRATION_TIMEOUT)
                try:
                    _migrate_sqlite(conn, wal=True)
                    return
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        raise
                finally:
                    conn.close()
                time.sleep(0.05)
        except sqlite3.Error as exc:
            raise self._unavailable("schema migration", exc, None, quiet=True) from None


class _MemorySlot:
    __slots__ = ("conn", "pid")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.pid = os.getpid()


def _migrate_sqlite(conn: sqlite3.Connection, *, wal: bool) -> None:
    if wal:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("storage: SQLite refused WAL mode (journal_mode=%s); "
                            "concurrent workers will wait on each other more", mode)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version >= SCHEMA_VERSION:
        if version > SCHEMA_VERSION:
            log.warning("storage: database schema version %d is newer than this code (%d)",
                        version, SCHEMA_VERSION)
        return
    conn.execute("BEGIN IMMEDIATE")   # one migrator at a time; others wait (busy_timeout)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for index in range(version, SCHEMA_VERSION):
            for statement in SQLITE_MIGRATIONS[index]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {index + 1}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if version < SCHEMA_VERSION:
        log.info("storage: SQLite schema migrated from version %d to %d", version, SCHEMA_VERSION)


# --------------------------------------------------------------------------- PostgreSQL


class _PostgresStore(Store):
    backend = "postgresql"
    _retry_broken = True

    def __init__(self, url: str, *, timeout: float) -> None:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        self._psycopg = psycopg
        self._url = url
        try:
            params = conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise ValueError("DATABASE_URL is not a valid PostgreSQL URL: "
                             + _redact(_first_line(str(exc)), url)) from None
        host = params.get("host") or "localhost"
        port = params.get("port") or "5432"
        dbname = params.get("dbname") or params.get("user") or ""
        super().__init__(description=f"postgresql://{host}:{port}/{dbname}", timeout=timeout)
        # Defaults that the URL may override: fail fast instead of hanging a request.
        seconds = max(1, int(round(timeout)))
        defaults = {
            "connect_timeout": str(seconds),            # libpq/psycopg use at least 2 s
            "application_name": "back-stretch-coach",
            "keepalives": "1",
            "keepalives_idle": str(seconds),
            "keepalives_interval": "1",
            "keepalives_count": "3",
            "tcp_user_timeout": str(int(timeout * 1000) + 1000),
        }
        self._connect_kwargs = {k: v for k, v in defaults.items() if k not in params}

    def _open(self, statement_timeout: float) -> Any:
        conn = self._psycopg.connect(self._url, autocommit=True, **self._connect_kwargs)
        try:
            ms = int(statement_timeout * 1000)
            conn.execute(f"SET statement_timeout = {ms}; SET lock_timeout = {ms}; "
                         f"SET idle_in_transaction_session_timeout = {max(ms, 5000)}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect(self) -> Any:
        return self._open(self.timeout)

    def _is_db_error(self, exc: BaseException) -> bool:
        return isinstance(exc, (self._psycopg.Error, OSError))

    def _is_broken(self, conn: Any, exc: BaseException) -> bool:
        return conn is None or conn.closed or conn.broken

    def _describe(self, exc: BaseException) -> str:
        name = type(exc).__name__
        sqlstate = getattr(exc, "sqlstate", None)
        # Connection-level and cancel messages come from libpq or the server's own state
        # and never quote data; other errors may (DETAIL lines), so only name them.
        if isinstance(exc, (self._psycopg.OperationalError, OSError)) and (
            sqlstate is None or sqlstate[:2] in ("08", "53", "57")
        ):
            text = _redact(_first_line(str(exc)), self._url)
            return f"{name}: {text}" if text else name
        return f"{name} ({sqlstate})" if sqlstate else name

    def _get(self, conn: Any, user_id: str) -> str | None:
        row = conn.execute("SELECT attributes::text FROM user_attributes WHERE user_id = %s",
                           (user_id,)).fetchone()
        return row[0] if row else None

    def _save(self, conn: Any, user_id: str, text: str) -> None:
        conn.execute(
            "INSERT INTO user_attributes (user_id, attributes, updated_at) "
            "VALUES (%s, %s::jsonb, now()) "
            "ON CONFLICT (user_id) DO UPDATE SET attributes = EXCLUDED.attributes, "
            "updated_at = EXCLUDED.updated_at",
            (user_id, text),
        )

    def _delete(self, conn: Any, user_id: str) -> None:
        conn.execute("DELETE FROM user_attributes WHERE user_id = %s", (user_id,))

    def _ping(self, conn: Any) -> None:
        conn.execute("SELECT 1 FROM user_attributes LIMIT 1").fetchall()

    def migrate(self) -> None:
        """Create or upgrade the schema in one transaction under an advisory lock (per
        schema), recording each step in ``schema_version``. Safe to run concurrently."""
        try:
            conn = self._open(MIGRATION_TIMEOUT)
        except (self._psycopg.Error, OSError) as exc:
            raise self._unavailable("connect", exc, None, quiet=True) from None
        try:
            version = self._schema_version(conn)
            if version < SCHEMA_VERSION:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(coalesce(current_schema(), '')))",
                                 (_ADVISORY_LOCK_CLASS,))
                    conn.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                                 " version integer PRIMARY KEY,"
                                 " applied_at timestamptz NOT NULL DEFAULT now())")
                    version = self._schema_version(conn)   # another process may have done it
                    for index in range(version, SCHEMA_VERSION):
                        for statement in POSTGRES_MIGRATIONS[index]:
                            conn.execute(statement)
                        conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (index + 1,))
            if version > SCHEMA_VERSION:
                log.warning("storage: database schema version %d is newer than this code (%d)",
                            version, SCHEMA_VERSION)
            elif version < SCHEMA_VERSION:
                log.info("storage: PostgreSQL schema migrated from version %d to %d",
                         version, SCHEMA_VERSION)
        except (self._psycopg.Error, OSError) as exc:
            raise self._unavailable("schema migration", exc, None, quiet=True) from None
        finally:
            conn.close()


    @staticmethod
    def _schema_version(conn: Any) -> int:
        """Read-only, so an up-to-date schema needs no CREATE privilege (least-privilege
        application role; migrations applied by the owner)."""
        if conn.execute("SELECT to_regclass('schema_version')").fetchone()[0] is None:
            return 0
        return conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]


def _redact(text: str, url: str) -> str:
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        text = text.replace(password, "***").replace(unquote(password), "***")
    return text


# --------------------------------------------------------------------------- factory


def open_store(database_url: str | None, *, data_dir: Path | None = None,
               timeout: float = DEFAULT_TIMEOUT, defer_faults: bool = False) -> Store:
    """Open the store named by ``database_url`` and create or migrate its schema.

    - ``None`` or ``""``: SQLite file ``<data_dir or <repo>/data>/backstretch.db``
      (the folder is created, private to the user running the server);
    - ``sqlite:///absolute/path.db``: that SQLite file; ``sqlite:///:memory:``: a private
      in-memory database for tests (one process);
    - ``postgresql://...`` or ``postgres://...``: PostgreSQL (libpq URL);
    - anything else: ValueError.

    ``timeout`` (seconds) bounds connecting, waiting for locks and each statement.
    Raises StorageUnavailable if the database cannot be reached or migrated -- unless
    ``defer_faults``: then one warning is logged and the store is returned anyway; every call
    raises StorageUnavailable until a later attempt (at most every ``RETRY_INTERVAL``
    seconds) sets it up. The server starts the same way whether the database is down at
    start-up or later: it coaches without memory until the database is back.
    """
    url = (database_url or "").strip()
    store: _SQLiteStore | _PostgresStore
    if not url:
        folder = Path(data_dir) if data_dir is not None else REPO_ROOT / "data"
        store = _SQLiteStore(folder / DEFAULT_FILENAME, timeout=timeout)
    elif url.startswith("sqlite:"):
        store = _SQLiteStore(_sqlite_path(url), timeout=timeout)
    elif url.startswith(("postgresql://", "postgres://")):
        store = _PostgresStore(url, timeout=timeout)
    else:
        check_database_url(url)          # raises ValueError naming what is accepted
        raise AssertionError(url)        # pragma: no cover
    try:
        store.prepare()
    except StorageUnavailable as exc:
        if not defer_faults:
            raise
        store.unusable = str(exc)
        store._next_try = time.monotonic() + store.retry_interval
        log.warning("storage: %s unusable at start-up (%s); the skill coaches without memory "
                    "and tries again every %.0f s", store.description, exc, store.retry_interval)
        return store
    log.info("storage: %s (schema version %d)", store.description, SCHEMA_VERSION)
    return store


def check_database_url(database_url: str | None) -> None:
    """ValueError (saying what is accepted) unless ``database_url`` names a store
    `open_store` can open. Looks at the text only: nothing is created or connected."""
    url = (database_url or "").strip()
    if not url:
        return
    if url.startswith("sqlite:"):
        _sqlite_path(url)
    elif url.startswith(("postgresql://", "postgres://")):
        from psycopg.conninfo import conninfo_to_dict
        import psycopg
        try:
            conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise ValueError("DATABASE_URL is not a valid PostgreSQL URL: "
                             + _redact(_first_line(str(exc)), url)) from None
    else:
        scheme = url.split(":", 1)[0] if ":" in url else ""
        raise ValueError(
            "DATABASE_URL must be empty (SQLite in ./data), sqlite:///absolute/path.db, "
            f"or postgresql://user@host:port/dbname; got scheme {scheme[:20]!r}")


def _sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite:///"):
        raise ValueError("a SQLite DATABASE_URL is sqlite:///absolute/path.db "
                         "(three slashes, then the absolute path)")
    if "?" in url or "#" in url:
        raise ValueError("a SQLite DATABASE_URL takes no query parameters")
    raw = unquote(url[len("sqlite://"):])
    if raw == "/:memory:":
        return None
    path = Path(raw)
    if not path.is_absolute() or raw.endswith("/"):
        raise ValueError("a SQLite DATABASE_URL needs an absolute file path")
    return Path("/" + raw.lstrip("/"))      # sqlite:////abs/path.db names /abs/path.db too


def _prepare_folder(folder: Path) -> Path:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageUnavailable(f"sqlite: cannot create the data folder ({exc.strerror})") from None
    return folder
