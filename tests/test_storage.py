"""The persistence adapter's contract, run against both back ends.

SQLite runs in tmp_path. PostgreSQL is the real server named by TEST_DATABASE_URL (started
by `make test` / scripts/with_postgres.sh); without it the PostgreSQL cases FAIL - they are
never mocked nor skipped. Each PostgreSQL test gets its own schema (search_path in the URL)
that is dropped afterwards, so tests never see each other's rows.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from skill import store as storage  # noqa: E402
from skill.store import (  # noqa: E402
    MAX_ATTRIBUTES_BYTES, SCHEMA_VERSION, StorageUnavailable, Store, open_store,
)

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
NEED_PG = ("TEST_DATABASE_URL is not set: run through `make test` or scripts/with_postgres.sh "
           "(PostgreSQL tests are never skipped)")
SPAWN = multiprocessing.get_context("spawn")


# --------------------------------------------------------------------------- helpers


def pg_params() -> dict:
    if not PG_URL:
        pytest.fail(NEED_PG, pytrace=False)
    from psycopg.conninfo import conninfo_to_dict
    return conninfo_to_dict(PG_URL)


def pg_url(**overrides: str) -> str:
    """TEST_DATABASE_URL rebuilt as a postgresql:// URL with some parameters replaced."""
    params = {**pg_params(), **overrides}
    user = quote(params.pop("user", "") or "", safe="")
    password = params.pop("password", None)
    host = params.pop("host", "") or ""
    port = params.pop("port", "") or ""
    dbname = quote(params.pop("dbname", "") or "", safe="")
    auth = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    netloc = "" if host.startswith("/") else host + (f":{port}" if port else "")
    if host.startswith("/"):
        params["host"], params["port"] = host, port
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"postgresql://{auth}{netloc}/{dbname}" + (f"?{query}" if query else "")


def pg_admin():
    import psycopg
    pg_params()
    conn = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    conn.execute("SET lock_timeout = 5000; SET statement_timeout = 10000")
    return conn


@contextmanager
def pg_schema():
    """A fresh, empty schema; yields (url with search_path, schema name)."""
    name = "t_" + uuid.uuid4().hex[:16]
    with pg_admin() as admin:
        admin.execute(f"CREATE SCHEMA {name}")
    try:
        yield pg_url(options=f"-csearch_path={name}"), name
    finally:
        with pg_admin() as admin:
            admin.execute(f"DROP SCHEMA {name} CASCADE")


@dataclass
class Target:
    kind: str   # "sqlite" | "postgresql"
    url: str
    schema: str | None = None

    def open(self, **kwargs) -> Store:
        return open_store(self.url, **kwargs)

    def version(self) -> int:
        if self.kind == "sqlite":
            with sqlite3.connect(self.url[len("sqlite://"):]) as conn:
                return conn.execute("PRAGMA user_version").fetchone()[0]
        with pg_admin() as admin:
            return admin.execute(f"SELECT max(version) FROM {self.schema}.schema_version").fetchone()[0]

    def versions_recorded(self) -> list[int]:
        with pg_admin() as admin:
            return [r[0] for r in admin.execute(
                f"SELECT version FROM {self.schema}.schema_version ORDER BY version")]


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path):
    if request.param == "sqlite":
        yield Target("sqlite", f"sqlite:///{tmp_path / 'store.db'}")
        return
    with pg_schema() as (url, name):
        yield Target("postgresql", url, name)


@pytest.fixture
def store(target):
    s = target.open()
    yield s
    s.close()


def envelope(user_id: str | None = "amzn1.ask.account.ENVELOPE", *, in_context=True, in_session=True) -> dict:
    user = {"userId": user_id} if user_id else {}
    env = {
        "version": "1.0",
        "session": {"new": True, "sessionId": "amzn1.echo-api.session.1",
                    "application": {"applicationId": "amzn1.ask.skill.test"}},
        "context": {"System": {"application": {"applicationId": "amzn1.ask.skill.test"},
                               "device": {"deviceId": "d", "supportedInterfaces": {}},
                               "apiEndpoint": "https://api.amazonalexa.com"}},
        "request": {"type": "LaunchRequest", "requestId": "amzn1.echo-api.request.1",
                    "timestamp": "2024-05-01T10:00:00Z", "locale": "en-US"},
    }
    if in_session:
        env["session"]["user"] = dict(user)
    if in_context:
        env["context"]["System"]["user"] = dict(user)
    return env


def request_envelope(env: dict):
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model import RequestEnvelope
    return DefaultSerializer().deserialize(json.dumps(env), RequestEnvelope)


from tests.tcp_proxy import TcpProxy, free_port, silent_peer  # noqa: E402


def pg_upstream() -> tuple[str, int] | str:
    params = pg_params()
    host = params.get("host") or "localhost"
    port = int(params.get("port") or 5432)
    if host.startswith("/"):
        return f"{host}/.s.PGSQL.{port}"
    return (host, port)


# --------------------------------------------------------------------------- the contract


def test_get_save_delete(store):
    assert store.get("amzn1.ask.account.UNKNOWN") == {}
    attrs = {"resume": {"routine": "lower_back", "index": 2},
             "prefs": {"hold": "longer", "pace": "slow", "cues": "fewer"},
             "history": [{"routine": "lower_back", "date": "2024-05-01"}],
             "disclaimer_heard": True}
    store.save("amzn1.ask.account.A", attrs)
    assert store.get("amzn1.ask.account.A") == attrs
    assert store.get("amzn1.ask.account.B") == {}
    store.save("amzn1.ask.account.A", {"disclaimer_heard": True})      # replace, not merge
    assert store.get("amzn1.ask.account.A") == {"disclaimer_heard": True}
    store.save("amzn1.ask.account.A", {})
    assert store.get("amzn1.ask.account.A") == {}
    store.save("amzn1.ask.account.B", {"x": 1})
    store.delete("amzn1.ask.account.A")
    store.delete("amzn1.ask.account.A")                                # unknown: no error
    assert store.get("amzn1.ask.account.A") == {}
    assert store.get("amzn1.ask.account.B") == {"x": 1}
    store.ping()


def test_returned_dict_is_a_copy(store):
    store.save("u", {"history": [1]})
    got = store.get("u")
    got["history"].append(2)
    assert store.get("u") == {"history": [1]}


def test_unicode(store):
    user = "amzn1.ask.account.ÄÖÜ-日本-🙂"
    attrs = {"name": "Zoë 🙂 — naïve café", "rtl": "שלום", "cjk": "背中のストレッチ",
             "combining": "e\u0301", "quote": "\"'<&>\\", "emoji_key_🙂": ["\u2028", "\t\n"]}
    store.save(user, attrs)
    assert store.get(user) == attrs
    assert store.get("amzn1.ask.account.ÄÖÜ-日本-🙁") == {}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53)
    | st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8).filter(lambda s: "\x00" not in s and not any(
        0xD800 <= ord(c) <= 0xDFFF for c in s)), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(attrs=st.dictionaries(st.text(min_size=1, max_size=8).filter(
    lambda s: "\x00" not in s and not any(0xD800 <= ord(c) <= 0xDFFF for c in s)), json_values, max_size=5))
def test_any_json_object_round_trips(store, attrs):
    store.save("amzn1.ask.account.PROPERTY", attrs)
    assert store.get("amzn1.ask.account.PROPERTY") == attrs


def test_rejected_attributes_leave_the_row_alone(store):
    store.save("u", {"ok": 1})
    bad = [
        ("not a dict", TypeError), (["list"], TypeError), ({"x": object()}, TypeError),
        ({"x": float("nan")}, ValueError), ({"x": float("inf")}, ValueError),
        ({"x": "SECRET\x00"}, ValueError), ({"x": "SECRET\ud800"}, ValueError),
        ({"x": "y" * (MAX_ATTRIBUTES_BYTES + 1)}, ValueError),
    ]
    for value, error in bad:
        with pytest.raises(error) as info:
            store.save("u", value)
        assert "SECRET" not in str(info.value)
    assert store.get("u") == {"ok": 1}
    # A backslash followed by "u0000" is ordinary text, not a NUL.
    store.save("u", {"x": "\\u0000"})
    assert store.get("u") == {"x": "\\u0000"}


def test_bad_user_ids(store):
    for user_id, error in ((None, TypeError), (42, TypeError), ("", ValueError),
                           ("x" * 10_000, ValueError), ("a\x00b", ValueError)):
        with pytest.raises(error):
            store.get(user_id)
        with pytest.raises(error):
            store.save(user_id, {})


# --------------------------------------------------------------------------- ask-sdk API


def test_envelope_api(store):
    from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter, AttributesManager

    assert isinstance(store, AbstractPersistenceAdapter)
    env = request_envelope(envelope("amzn1.ask.account.ENV"))
    assert store.get_attributes(env) == {}
    store.save_attributes(env, {"resume": {"routine": "chair_break", "index": 1}})
    assert store.get("amzn1.ask.account.ENV") == {"resume": {"routine": "chair_break", "index": 1}}
    assert store.get_attributes(env) == {"resume": {"routine": "chair_break", "index": 1}}

    # Exactly what the SDK does around a request.
    manager = AttributesManager(request_envelope=env, persistence_adapter=store)
    manager.persistent_attributes["disclaimer_heard"] = True
    manager.save_persistent_attributes()
    again = AttributesManager(request_envelope=env, persistence_adapter=store)
    assert again.persistent_attributes == {"resume": {"routine": "chair_break", "index": 1},
                                           "disclaimer_heard": True}
    again.delete_persistent_attributes()
    assert store.get("amzn1.ask.account.ENV") == {}

    # Fallback to session.user when context has no user; plain JSON dicts work too.
    session_only = request_envelope(envelope("amzn1.ask.account.SESSION", in_context=False))
    store.save_attributes(session_only, {"a": 1})
    assert store.get("amzn1.ask.account.SESSION") == {"a": 1}
    raw = envelope("amzn1.ask.account.RAW", in_session=False)
    store.save_attributes(raw, {"b": 2})
    assert store.get_attributes(raw) == {"b": 2}
    store.delete_attributes(raw)
    assert store.get("amzn1.ask.account.RAW") == {}

    # context.System.user wins over session.user.
    both = envelope("amzn1.ask.account.CONTEXT")
    both["session"]["user"]["userId"] = "amzn1.ask.account.OTHER"
    store.save_attributes(request_envelope(both), {"c": 3})
    assert store.get("amzn1.ask.account.CONTEXT") == {"c": 3}
    assert store.get("amzn1.ask.account.OTHER") == {}

    with pytest.raises(ValueError, match="no user id"):
        store.get_attributes(request_envelope(envelope(None)))


# --------------------------------------------------------------------------- concurrency


def test_concurrent_threads(store):
    shared = "amzn1.ask.account.SHARED"
    writers, rounds = 12, 15
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def value(writer: int, n: int) -> dict:
        return {"writer": writer, "n": n, "pad": "é" * (writer * 37 % 300), "history": list(range(n))}

    def work(writer: int) -> None:
        try:
            barrier.wait()
            for n in range(rounds):
                store.save(shared, value(writer, n))
                store.save(f"amzn1.ask.account.T{writer}", value(writer, n))
                got = store.get(shared)
                assert got == value(got["writer"], got["n"])       # intact, never torn
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors[:3]
    assert store.get(shared) in [value(w, rounds - 1) for w in range(writers)]
    for w in range(writers):
        assert store.get(f"amzn1.ask.account.T{w}") == value(w, rounds - 1)


# Spawned children run this code with the builtin exec as their target, so they import
# only skill.store (not pytest/hypothesis through this module): quick to start.
PROCESS_VALUE = """
def process_value(writer, n):
    return {"writer": writer, "n": n, "text": f"wr\u00efter {writer} \U0001f642 " * (writer + 1)}
"""
PROCESS_WRITER = PROCESS_VALUE + """
from skill.store import open_store
barrier.wait(30)             # all processes open a fresh database at once: concurrent migration
store = open_store(url)
for n in range(rounds):
    store.save("amzn1.ask.account.SHARED", process_value(writer, n))
    store.save(f"amzn1.ask.account.P{writer}-{n % 3}", process_value(writer, n))
store.close()
"""


def _process_value(writer: int, n: int) -> dict:
    namespace: dict = {}
    exec(PROCESS_VALUE, namespace)
    return namespace["process_value"](writer, n)


def test_concurrent_processes_on_a_fresh_database(target):
    processes_count, rounds = 4, 25
    barrier = SPAWN.Barrier(processes_count)
    processes = [SPAWN.Process(target=exec, args=(PROCESS_WRITER, {
                     "url": target.url, "writer": w, "rounds": rounds, "barrier": barrier}))
                 for w in range(processes_count)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(60)
    assert [p.exitcode for p in processes] == [0] * processes_count
    assert target.version() == SCHEMA_VERSION
    if target.kind == "postgresql":
        assert target.versions_recorded() == list(range(1, SCHEMA_VERSION + 1))
    with target.open() as store:
        assert store.get("amzn1.ask.account.SHARED") in [
            _process_value(w, rounds - 1) for w in range(processes_count)]
        for w in range(processes_count):
            for k in range(3):
                last = max(n for n in range(rounds) if n % 3 == k)
                assert store.get(f"amzn1.ask.account.P{w}-{k}") == _process_value(w, last)


def _fork_child(store: Store) -> None:
    store.save("amzn1.ask.account.CHILD", {"from": "child"})
    assert store.get("amzn1.ask.account.PARENT") == {"from": "parent"}
    store.close()   # closes only the child's own connections


def test_store_survives_fork(store):
    """gunicorn --preload: the store is created (and may be used) before workers fork."""
    store.save("amzn1.ask.account.PARENT", {"from": "parent"})
    backend_before = _backend_pid(store)
    child = multiprocessing.get_context("fork").Process(target=_fork_child, args=(store,))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert store.get("amzn1.ask.account.CHILD") == {"from": "child"}
    assert _backend_pid(store) == backend_before    # the parent's connection was left alone


def _backend_pid(store: Store):
    conn = store._local.slot.conn        # white-box: this thread's connection
    return conn.info.backend_pid if store.backend == "postgresql" else id(conn)


# --------------------------------------------------------------------------- schema


def test_open_twice_reopen_and_close(target):
    first = target.open()
    second = target.open()                                 # schema already there: no-op
    first.save("u", {"v": 1})
    assert second.get("u") == {"v": 1}
    first.close()
    first.close()                                          # idempotent
    with pytest.raises(StorageUnavailable, match="closed"):
        first.get("u")
    assert second.get("u") == {"v": 1}
    second.close()
    with target.open() as third:                           # reopen after close
        assert third.get("u") == {"v": 1}
    assert target.version() == SCHEMA_VERSION


def test_open_from_many_threads_at_once(target):
    stores: list[Store] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        try:
            barrier.wait()
            stores.append(target.open())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors[:3]
    assert target.version() == SCHEMA_VERSION
    for s in stores:
        s.save("u", {"ok": True})
        s.close()


def test_migrates_from_version_1(target, tmp_path):
    old = {"resume": {"routine": "lower_back", "index": 3}, "disclaimer_heard": True}
    if target.kind == "sqlite":
        path = target.url[len("sqlite://"):]
        with sqlite3.connect(path) as conn:
            for statement in storage.SQLITE_MIGRATIONS[0]:
                conn.execute(statement)
            conn.execute("PRAGMA user_version = 1")
            conn.execute("INSERT INTO user_attributes VALUES (?, ?, ?)",
                         ("amzn1.ask.account.OLD", json.dumps(old), "2024-01-01T00:00:00.000000Z"))
        conn.close()
    else:
        with pg_admin() as admin:
            admin.execute(f"SET search_path = {target.schema}")
            for statement in storage.POSTGRES_MIGRATIONS[0]:
                admin.execute(statement)
            admin.execute("CREATE TABLE schema_version (version integer PRIMARY KEY,"
                          " applied_at timestamptz NOT NULL DEFAULT now())")
            admin.execute("INSERT INTO schema_version (version) VALUES (1)")
            admin.execute("INSERT INTO user_attributes (user_id, attributes) VALUES (%s, %s::jsonb)",
                          ("amzn1.ask.account.OLD", json.dumps(old)))
    with target.open() as store:
        assert store.get("amzn1.ask.account.OLD") == old
        store.save("amzn1.ask.account.NEW", {"x": 1})
    assert target.version() == SCHEMA_VERSION
    if target.kind == "sqlite":
        with sqlite3.connect(target.url[len("sqlite://"):]) as conn:
            indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()
    else:
        assert target.versions_recorded() == list(range(1, SCHEMA_VERSION + 1))
        with pg_admin() as admin:
            indexes = {r[0] for r in admin.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = %s", (target.schema,))}
    assert "user_attributes_updated_at" in indexes


def test_newer_schema_than_code_still_opens(target, caplog):
    with target.open():
        pass
    if target.kind == "sqlite":
        with sqlite3.connect(target.url[len("sqlite://"):]) as conn:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.close()
    else:
        with pg_admin() as admin:
            admin.execute(f"INSERT INTO {target.schema}.schema_version (version) VALUES (%s)",
                          (SCHEMA_VERSION + 1,))
    with target.open() as store:
        store.save("u", {"a": 1})
        assert store.get("u") == {"a": 1}
    assert "newer than this code" in caplog.text


# --------------------------------------------------------------------------- URLs


def test_urls(tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "REPO_ROOT", tmp_path / "repo")
    with open_store(None) as s:
        s.save("u", {"a": 1})
    assert (tmp_path / "repo" / "data" / "backstretch.db").is_file()
    with open_store("", data_dir=tmp_path / "nested" / "data") as s:
        s.save("u", {"b": 2})
    assert (tmp_path / "nested" / "data" / "backstretch.db").is_file()
    with open_store(None, data_dir=tmp_path / "nested" / "data") as s:
        assert s.get("u") == {"b": 2}
    with open_store(f"sqlite:///{tmp_path / 'deeper' / 'x y.db'}") as s:
        s.save("u", {"c": 3})
    assert (tmp_path / "deeper" / "x y.db").is_file()
    with open_store(f"sqlite:///{quote(str(tmp_path / 'deeper' / 'x y.db'))[1:]}") as s:
        assert s.get("u") == {"c": 3}

    memory_a, memory_b = open_store("sqlite:///:memory:"), open_store("sqlite:///:memory:")
    memory_a.save("u", {"m": 1})
    assert memory_a.get("u") == {"m": 1} and memory_b.get("u") == {}
    memory_a.close()
    memory_b.close()

    for bad in ("mysql://user:SECRETPW@host/db", "sqlite://relative.db", "sqlite:relative.db",
                "sqlite:///", f"sqlite:///{tmp_path}/x.db?mode=ro", "postgresql+psycopg://h/db",
                "http://example.com", "backstretch.db", "redis://:SECRETPW@h"):
        with pytest.raises(ValueError) as info:
            open_store(bad)
        assert "SECRETPW" not in str(info.value)


def test_memory_store_with_threads():
    with open_store("sqlite:///:memory:") as s:
        def work(i: int) -> None:
            for n in range(20):
                s.save(f"u{i}", {"n": n})
        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [s.get(f"u{i}") for i in range(8)] == [{"n": 19}] * 8


def test_postgres_url_forms():
    params = pg_params()
    url = pg_url()
    assert url.startswith("postgresql://")
    with open_store("postgres://" + url[len("postgresql://"):]) as s:   # both schemes
        s.ping()
        assert s.description.startswith("postgresql://")
        assert params.get("password") is None or params["password"] not in s.description


# --------------------------------------------------------------------------- failures


def test_postgres_closed_port_fails_fast(caplog):
    pg_params()
    url = f"postgresql://postgres:SECRETPW@127.0.0.1:{free_port()}/backstretch"
    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as info:
        open_store(url)
    assert time.monotonic() - started < 3
    assert "SECRETPW" not in str(info.value) and "SECRETPW" not in caplog.text


def test_postgres_silent_server_times_out():
    """Something accepts TCP connections but never answers (a hung server): the connect
    timeout, not the request, gives up."""
    pg_params()
    with silent_peer() as port:
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            open_store(f"postgresql://postgres@127.0.0.1:{port}/x", timeout=1)
        assert time.monotonic() - started < 3.5


def test_postgres_down_then_back(caplog):
    """Server goes away (every connection cut, new ones refused), then comes back on the
    same address: calls fail fast with StorageUnavailable, never hang or crash, and the
    first call after recovery succeeds without reopening the store."""
    proxy = TcpProxy(pg_upstream())
    proxy.start()
    name = "t_" + uuid.uuid4().hex[:16]
    with pg_admin() as admin:
        admin.execute(f"CREATE SCHEMA {name}")
    try:
        url = pg_url(host="127.0.0.1", port=str(proxy.port), options=f"-csearch_path={name}")
        store = open_store(url)
        secret_user = "amzn1.ask.account.SECRETUSER"
        store.save(secret_user, {"prefs": {"hold": "longer"}})
        proxy.stop()
        for call in (lambda: store.get(secret_user),
                     lambda: store.save(secret_user, {"history": ["SECRETVALUE"]}),
                     lambda: store.delete(secret_user), store.ping):
            started = time.monotonic()
            with pytest.raises(StorageUnavailable) as info:
                call()
            assert time.monotonic() - started < 3
            assert "SECRET" not in str(info.value)
        assert "SECRETUSER" not in caplog.text and "SECRETVALUE" not in caplog.text
        assert storage.user_ref(secret_user) in caplog.text       # logged as a short hash
        proxy.start()
        assert store.get(secret_user) == {"prefs": {"hold": "longer"}}
        store.save(secret_user, {"prefs": {"hold": "shorter"}})
        store.ping()
        # A second thread gets its own connection, through the recovered server too.
        result: list = []
        t = threading.Thread(target=lambda: result.append(store.get(secret_user)))
        t.start()
        t.join(10)
        assert result == [{"prefs": {"hold": "shorter"}}]
        store.close()
    finally:
        proxy.stop()
        with pg_admin() as admin:
            admin.execute(f"DROP SCHEMA {name} CASCADE")


def test_postgres_backend_terminated_reconnects():
    """pg_terminate_backend (server restart, failover, idle connection killed by a proxy):
    the next call reconnects by itself - at most one StorageUnavailable (this
    implementation retries an idempotent call once on a fresh connection, so none)."""
    with pg_schema() as (url, _):
        app_name = "bsc_test_" + uuid.uuid4().hex[:8]
        store = open_store(url + f"&application_name={app_name}")
        store.save("u", {"v": 1})
        for _ in range(2):
            with pg_admin() as admin:
                killed = admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = %s", (app_name,)).fetchone()[0]
            assert killed == 1
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:     # wait until the backend is really gone
                with pg_admin() as admin:
                    if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE application_name = %s",
                                         (app_name,)).fetchone():
                        break
                time.sleep(0.02)
            assert store.get("u") == {"v": 1}
            store.save("u", {"v": 2})
            store.save("u", {"v": 1})
        store.close()


def test_postgres_statement_timeout_is_storage_unavailable():
    """A row locked by someone else for longer than the timeout: StorageUnavailable, and
    the same connection keeps working afterwards."""
    with pg_schema() as (url, name):
        store = open_store(url, timeout=0.5)
        store.save("u", {"v": 1})
        with pg_admin() as admin:
            with admin.transaction():
                admin.execute(f"SELECT * FROM {name}.user_attributes WHERE user_id = 'u' FOR UPDATE")
                started = time.monotonic()
                with pytest.raises(StorageUnavailable):
                    store.save("u", {"v": 2})
                assert time.monotonic() - started < 2
                assert store.get("u") == {"v": 1}           # readers are not blocked
        store.save("u", {"v": 3})
        assert store.get("u") == {"v": 3}
        store.close()


LOCKER = r"""
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive":
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("UPDATE user_attributes SET updated_at = updated_at")
else:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE user_attributes SET updated_at = updated_at")
print("locked", flush=True)
sys.stdin.read()
"""


@contextmanager
def sqlite_locked(path: Path, mode: str):
    holder = subprocess.Popen([sys.executable, "-c", LOCKER, str(path), mode],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.stdin.close()
        holder.wait(10)


def test_sqlite_locked_by_another_process(tmp_path, caplog):
    path = tmp_path / "locked.db"
    store = open_store(f"sqlite:///{path}", timeout=0.3)
    store.save("amzn1.ask.account.SECRETUSER", {"v": 1})

    with sqlite_locked(path, "immediate"):            # another writer holds the write lock
        started = time.monotonic()
        with pytest.raises(StorageUnavailable, match="locked"):
            store.save("amzn1.ask.account.SECRETUSER", {"v": "SECRETVALUE"})
        assert time.monotonic() - started < 2
        assert store.get("amzn1.ask.account.SECRETUSER") == {"v": 1}   # WAL: readers go on
    store.save("amzn1.ask.account.SECRETUSER", {"v": 2})              # released: works again

    # An exclusive lock (locking_mode=EXCLUSIVE) can only be taken while no other
    # connection is open; open_store leaves none open (connections are lazy).
    store.close()
    store = open_store(f"sqlite:///{path}", timeout=0.3)
    with sqlite_locked(path, "exclusive"):            # nobody may even read
        for call in (lambda: store.get("amzn1.ask.account.SECRETUSER"), store.ping,
                     lambda: store.save("amzn1.ask.account.SECRETUSER", {"v": 3})):
            started = time.monotonic()
            with pytest.raises(StorageUnavailable):
                call()
            assert time.monotonic() - started < 2
    assert store.get("amzn1.ask.account.SECRETUSER") == {"v": 2}
    assert "SECRETUSER" not in caplog.text and "SECRETVALUE" not in caplog.text
    store.close()


def test_sqlite_unusable_files(tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database at all" * 200)
    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        open_store(f"sqlite:///{garbage}")
    assert time.monotonic() - started < 3

    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    with pytest.raises(StorageUnavailable):
        open_store(f"sqlite:///{folder}")

    # The file is replaced by garbage while the store is open: errors, not crashes.
    path = tmp_path / "ok.db"
    store = open_store(f"sqlite:///{path}")
    store.save("u", {"v": 1})
    store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"\xff" * 4096)
    with pytest.raises(StorageUnavailable):
        open_store(f"sqlite:///{path}").get("u")


def test_user_ref_is_short_and_stable():
    ref = storage.user_ref("amzn1.ask.account.ABCDEFGHIJKLMNOP")
    assert ref == storage.user_ref("amzn1.ask.account.ABCDEFGHIJKLMNOP")
    assert len(ref) == 12 and "ABCDEF" not in ref
    assert ref != storage.user_ref("amzn1.ask.account.ABCDEFGHIJKLMNOQ")


def test_postgres_app_role_without_create_privilege():
    """Production may run the app as a role that can only read and write rows; the owner
    migrates. Opening an up-to-date schema must not need CREATE."""
    with pg_schema() as (owner_url, name):
        open_store(owner_url).close()
        role, password = "bsc_app_" + uuid.uuid4().hex[:8], uuid.uuid4().hex
        with pg_admin() as admin:
            admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
            admin.execute(f"GRANT USAGE ON SCHEMA {name} TO {role}")
            admin.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {name}.user_attributes TO {role}")
            admin.execute(f"GRANT SELECT ON {name}.schema_version TO {role}")
        try:
            url = pg_url(user=role, password=password, options=f"-csearch_path={name}")
            with open_store(url) as store:
                store.save("u", {"v": 1})
                assert store.get("u") == {"v": 1}
                store.delete("u")
                assert password not in store.description
        finally:
            with pg_admin() as admin:
                admin.execute(f"DROP OWNED BY {role}")
                admin.execute(f"DROP ROLE {role}")


def test_store_unusable_at_start_up_is_deferred_and_set_up_once_it_can_be(tmp_path, caplog):
    """open_store(defer_faults=True) is what the server uses: a store that cannot be set up
    at start-up fails each call fast (StorageUnavailable, one attempt per retry interval)
    instead of stopping the server, and works once the fault is gone."""
    path = tmp_path / "skill.db"
    path.write_bytes(b"not a database" * 500)
    with pytest.raises(StorageUnavailable):
        open_store(f"sqlite:///{path}")                     # without: the caller decides
    caplog.clear()
    store = open_store(f"sqlite:///{path}", defer_faults=True)
    assert store.unusable and "file is not a database" in store.unusable
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "unusable at start-up" in caplog.records[0].getMessage()
    attempts = []
    original = store.prepare
    store.prepare = lambda: (attempts.append(1), original())[1]
    store.retry_interval = 0.3
    store._next_try = 0
    for _ in range(5):
        with pytest.raises(StorageUnavailable, match="not a database"):
            store.get("u")
    assert len(attempts) == 1                               # one attempt per interval
    path.unlink()                                           # the operator restores the file
    time.sleep(0.35)
    store.save("u", {"v": 1})
    assert store.get("u") == {"v": 1} and store.unusable is None and len(attempts) == 2
    assert any("usable again" in r.getMessage() for r in caplog.records)
    store.close()
