"""Production server: gunicorn -c gunicorn.conf.py 'skill.web.app:create_app()'

Environment: BIND (default 0.0.0.0:$PORT, PORT default 5000), WEB_CONCURRENCY (workers,
default 2), GUNICORN_THREADS (default 4), plus the skill's own variables (README).
Refuses to start when signature verification is off and any bind address is not loopback.
"""
import os

from skill.config import Config, is_loopback

bind = [b.strip() for b in os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '5000')}").split(",")]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
keepalive = 5
preload_app = True          # one app, one session secret for every worker
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


def _host(address: str) -> str:
    if address.startswith("unix:"):
        return "localhost"
    return address.rsplit(":", 1)[0] if ":" in address else address


_hosts = [_host(b) for b in bind]
# The app checks verification against HOST; give it the least safe bind address.
os.environ["HOST"] = next((h for h in _hosts if not is_loopback(h)), _hosts[0])
Config.from_env()           # raises ConfigError (gunicorn exits) on unsafe configuration
