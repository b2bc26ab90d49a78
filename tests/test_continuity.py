"""Continuity (issue 5): resume across sessions and server processes, preferences heard in the
SSML, the database going away and coming back, and deleting a user's data."""
from __future__ import annotations

import os
import re
import sqlite3
import urllib.parse

import pytest

from skill.config import Config
from skill.store import open_store
from skill.web.app import create_app
from tests.client import AlexaClient, breaks, flask_poster, http_poster
from tests.conftest import SECRET, checked
from tests.server import local_server
from tests.tcp_proxy import TcpProxy

NO, NEXT, YES = "AMAZON.NoIntent", "AMAZON.NextIntent", "AMAZON.YesIntent"


def pg_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    assert url, "TEST_DATABASE_URL is not set: run through `make test` or scripts/with_postgres.sh"
    return url


def stretch_number(text: str) -> int | None:
    m = re.search(r"Stretch (\d+) of", text)
    return int(m.group(1)) if m else None


def next_stretch(alexa):
    """"Next" until a new stretch starts (a long stretch takes more than one response)."""
    r = alexa.intent(NEXT)
    for _ in range(50):
        if r.ends or stretch_number(r.text) is not None:
            return r
        r = alexa.intent(NEXT)
    raise AssertionError("no new stretch after 50 nexts")


def prosody_rate(ssml: str) -> int:
    return int(re.search(r'<prosody rate="(\d+)%"', ssml).group(1))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    return f"sqlite:///{tmp_path / 'shared.db'}" if request.param == "sqlite" else pg_url()


def test_two_server_processes_share_one_users_routine(database_url, content):
    """Two servers on one database: a session whose requests alternate between them, then
    Alexa gives up listening (EXCEEDED_MAX_REPROMPTS) and the user comes back on the other."""
    user = f"amzn1.ask.account.two-servers-{os.getpid()}-{database_url[:6]}"
    with local_server(database_url) as (a, _), local_server(database_url) as (b, _):
        posts = [checked(http_poster(a + "/alexa")), checked(http_poster(b + "/alexa"))]
        turn = iter(range(1000))
        alexa = AlexaClient(lambda body, h=None: posts[next(turn) % 2](body, h), user_id=user)
        alexa.launch()
        alexa.intent("StartRoutineIntent", routine="lower_back")
        assert stretch_number(alexa.intent(NO).text) == 1
        assert stretch_number(next_stretch(alexa).text) == 2
        assert stretch_number(next_stretch(alexa).text) == 3
        alexa.end("EXCEEDED_MAX_REPROMPTS")
        r = alexa.launch()
        assert content.text("prompts", "offer_resume", number=3,
                            total=len(content.routines["lower_back"].items),
                            routine=content.routines["lower_back"].name) in r.text
        r = alexa.intent(YES)
        assert content.text("screening", "question") in r.text and stretch_number(r.text) is None
        assert stretch_number(alexa.intent(NO).text) == 3
    open_store(database_url).delete(user)


def _first_hold_ssml(alexa) -> str:
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="quick_release")
    return alexa.intent(NO).ssml


def test_preferences_change_the_spoken_holds_pace_and_cues(app, content):
    default = _first_hold_ssml(AlexaClient(checked(flask_poster(app)), user_id="prefs-default"))
    longer = AlexaClient(checked(flask_poster(app)), user_id="prefs-changed")
    longer.launch()
    r = longer.intent("SetPreferenceIntent", preference="holds_longer")
    assert content.text("prompts", "pref_holds_longer") in r.text and not r.ends
    longer.intent("SetPreferenceIntent", preference="pace_slow")
    r = longer.intent("SetPreferenceIntent", preference="cues_fewer")
    changed = _first_hold_ssml(longer)
    item = content.routines["quick_release"].items[0]
    assert sum(breaks(default)) >= item.hold_seconds * item.repetitions
    assert sum(breaks(changed)) > sum(breaks(default)) * 1.2          # longer holds
    assert prosody_rate(changed) < prosody_rate(default)              # slower speech
    words = lambda s: len(re.sub(r"<[^>]+>", " ", s).split())       # noqa: E731
    assert words(changed) < words(default)                           # fewer cues
    # preferences last: a new session still uses them
    assert sum(breaks(_first_hold_ssml(longer))) == sum(breaks(changed))


def test_history_answers_this_week_and_streak(app, content, store):
    alexa = AlexaClient(checked(flask_poster(app)), user_id="history-user")
    store.save("history-user", {"history": [
        {"routine": "quick_release", "date": d} for d in ("2020-01-01",)]})
    alexa.launch()
    r = alexa.intent("HistoryIntent")
    assert "quick release" in r.text.lower() and not r.ends
    import datetime as dt
    today = dt.datetime.now(dt.timezone.utc).date()
    store.save("history-user", {"history": [
        {"routine": "lower_back", "date": (today - dt.timedelta(days=n)).isoformat()} for n in (2, 1, 0)]})
    alexa.launch()
    r = alexa.intent("HistoryIntent")
    assert content.text("prompts", "history_week", count=3) in r.text
    assert content.text("prompts", "history_streak", days=3) in r.text
    assert content.text("prompts", "history_last", routine=content.routines["lower_back"].name,
                        when=content.text("prompts", "today")) in r.text


def _sqlite_rows(path, user_id) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("select count(*) from user_attributes where user_id = ?", (user_id,)).fetchone()[0]


def test_delete_my_data_asks_first_then_removes_every_row(tmp_path, content):
    path = tmp_path / "del.db"
    store = open_store(f"sqlite:///{path}")
    app = create_app(Config.local(session_secret=SECRET), store=store, content=content)
    alexa = AlexaClient(checked(flask_poster(app)), user_id="delete-me")
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    alexa.intent(NO)
    assert _sqlite_rows(path, "delete-me") == 1
    r = alexa.intent("DeleteDataIntent")
    assert content.text("prompts", "delete_confirm") in r.text and not r.ends
    r = alexa.intent(NO)
    assert content.text("prompts", "delete_kept") in r.text and _sqlite_rows(path, "delete-me") == 1
    alexa.intent("DeleteDataIntent")
    r = alexa.intent(YES)
    assert content.text("prompts", "delete_done") in r.text and not r.ends
    assert _sqlite_rows(path, "delete-me") == 0
    r = next_stretch(alexa)                    # the routine in this session goes on
    assert stretch_number(r.text) == 2


def test_skill_disabled_event_deletes_the_user(database_url, content):
    store = open_store(database_url)
    app = create_app(Config.local(session_secret=SECRET), store=store, content=content)
    user = f"disabled-{os.getpid()}"
    store.save(user, {"prefs": {"hold": "longer"}, "history": []})
    alexa = AlexaClient(flask_poster(app), user_id=user)
    env = alexa.envelope({"type": "AlexaSkillEvent.SkillDisabled",
                          "body": {"userInformationPersistenceStatus": "NOT_PERSISTED"},
                          "eventCreationTime": "2026-01-01T00:00:00Z"})
    env.pop("session")
    r = alexa.send(env)
    assert r.status == 200
    assert store.get(user) == {}


def test_database_down_the_coaching_goes_on_and_saving_recovers(content):
    """PostgreSQL behind a proxy we can cut: while it is down the routine continues (state is
    in the session), nothing alarming is said, no 5xx; once it is back, progress is saved."""
    url = urllib.parse.urlsplit(pg_url())
    proxy = TcpProxy(url.hostname, url.port or 5432).start()
    proxied = url._replace(netloc=f"{url.username or 'postgres'}@127.0.0.1:{proxy.port}").geturl()
    store = open_store(proxied)
    watcher = open_store(pg_url())
    user = f"outage-{os.getpid()}"
    watcher.delete(user)
    app = create_app(Config.local(session_secret=SECRET), store=store, content=content)
    alexa = AlexaClient(checked(flask_poster(app)), user_id=user)
    alexa.launch()
    alexa.intent("StartRoutineIntent", routine="lower_back")
    assert stretch_number(alexa.intent(NO).text) == 1
    assert watcher.get(user)["resume"]["index"] == 0
    proxy.stop()
    r = next_stretch(alexa)
    assert r.status == 200 and stretch_number(r.text) == 2
    r = next_stretch(alexa)
    assert stretch_number(r.text) == 3
    r = alexa.intent("HistoryIntent")
    assert content.text("prompts", "memory_unavailable") in r.text and not r.ends
    assert watcher.get(user)["resume"]["index"] == 0          # nothing could be saved
    proxy.start()                                              # the database is back
    r = next_stretch(alexa)
    assert stretch_number(r.text) == 4
    assert watcher.get(user)["resume"]["index"] == 3
    proxy.stop()
    watcher.delete(user)
