"""AWS Lambda entry point: the same skill object as the web service.

Handler: `skill.web.lambda_function.handler`. Configure with the same environment variables
(DATABASE_URL should point at PostgreSQL, SESSION_SECRET must be set so that every
concurrent Lambda instance accepts the sessions of the others). Lambda invocations come
from Alexa's trigger with the skill id check, so signature verification does not apply.
"""
from __future__ import annotations

from ..config import Config
from ..content import load_content
from ..dialog.handlers import build_skill_builder
from ..language.reader import read as read_words
from ..store import open_store
from . import logs

_config = Config.from_env()
logs.configure(_config.log_level)          # the same log lines as the web service
_builder = build_skill_builder(load_content(_config.content_dir), secret=_config.session_secret,
                               store=open_store(_config.database_url, data_dir=_config.data_dir,
                                                defer_faults=True),
                               skill_id=_config.skill_id, read_words=read_words)
handler = _builder.lambda_handler()
