"""Command line: python -m skill run | validate [DIR] | model [--check] | chat [--speak]"""
from __future__ import annotations

import logging
import sys

USAGE = """usage: python -m skill COMMAND
  run              start the skill locally on http://127.0.0.1:$PORT/alexa (PORT default 5000)
  validate [DIR]   check the content (default: content/)
  model [--check]  regenerate the interaction model from content (--check: fail if stale)
  chat [--speak]   talk to the skill in the terminal, no device needed"""


def run() -> int:
    from .config import Config, ConfigError
    from .content import ContentError
    try:
        config = Config.from_env(local=True)
        from .web.app import create_app
        app = create_app(config)
    except (ConfigError, ContentError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    checks = "ON" if config.verify_signatures else "OFF (it listens on loopback only)"
    print(f"Back Stretch Coach listening on http://{config.host}:{config.port}/alexa\n"
          f"  request signature checks: {checks}\n"
          f"  storage: {config.database_url or 'SQLite in ' + str(config.data_dir)}", flush=True)
    app.run(host=config.host, port=config.port, threaded=True, use_reloader=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    cmd, rest = (argv[0], argv[1:]) if argv else ("", [])
    if cmd == "run":
        return run()
    if cmd == "validate":
        from .content import validate_main
        return validate_main(rest)
    if cmd == "model":
        from .language.model import main as model_main
        return model_main(rest)
    if cmd == "chat":
        from .chat import main as chat_main
        return chat_main(rest)
    print(USAGE, file=sys.stderr)
    return 0 if cmd in ("-h", "--help", "help") else 2


if __name__ == "__main__":
    sys.exit(main())
