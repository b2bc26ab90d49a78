"""Production server: gunicorn -c gunicorn.conf.py 'skill.web.app:create_app()'

Environment: BIND (default 0.0.0.0:$PORT, PORT default 5000), WEB_CONCURRENCY (workers,
default 2), GUNICORN_THREADS (threads per worker, default 4), READ_TIMEOUT (seconds a
request may take to arrive, default 10), plus the skill's own variables (README).

Everything the app would refuse is checked here first, so that a refused configuration is
one line on stderr ("error: ...") and exit status 2, not gunicorn's "Failed to read config
file" and a traceback. Refuses to start when signature verification is off and any bind
address is not loopback.

Worker: skill.web.worker.BufferedThreadWorker, gunicorn's gthread worker that gives a thread
only a request that has fully arrived; a slow or stalled client holds a socket, never a
thread (see that module).
"""
import os
import sys

from skill.config import Config, ConfigError, ServerSettings, is_loopback
from skill.content import ContentError, load_content
from skill.web import logs


def _refuse(reason: str) -> None:
    sys.stderr.write(f"error: {reason}\n")
    sys.stderr.flush()
    raise SystemExit(2)       # not an Exception: gunicorn lets it end the process as it is


try:
    _server = ServerSettings.from_env()
    # The app checks verification against HOST: give it the least safe bind address.
    os.environ["HOST"] = next((h for h in _server.hosts if not is_loopback(h)), _server.hosts[0])
    _config = Config.from_env()
    from skill.dialog.routing import check_content
    check_content(load_content(_config.content_dir))
except (ConfigError, ContentError) as e:
    _refuse(str(e).replace("\n", "\n  "))

bind = list(_server.bind)
workers = _server.workers
threads = _server.threads
worker_class = "skill.web.worker.BufferedThreadWorker"
timeout = 30
graceful_timeout = 10
keepalive = 5
preload_app = True          # one app, one session secret for every worker
accesslog = None
errorlog = "-"
loglevel = _server.log_level.lower()
logconfig_dict = logs.dict_config(_server.log_level)
