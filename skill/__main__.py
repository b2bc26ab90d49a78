"""Command line: python -m skill run | validate [DIR] | model [--check] | chat [options]

`python -m skill --help` lists every command with its options (each command's own parser
writes its part, so the list cannot drift from what the command accepts).
"""
from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path


def run_parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="python -m skill run",
        description="Start the skill locally on http://127.0.0.1:$PORT/alexa (PORT default "
                    "5000), signature checks off, memory in SQLite under data/ (the README's "
                    "table lists the environment variables).")


def validate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m skill validate",
        description="Check everything the server checks at start-up, without starting it: "
                    "the content (with every locale's words), the texts the dialogue speaks, "
                    "the configuration from the environment, and that every locale's "
                    "interaction model is up to date.")
    parser.add_argument("directory", nargs="?", type=Path, default=None,
                        help="content directory (default: CONTENT_DIR or the repository's content/)")
    return parser


def _parsers() -> dict[str, argparse.ArgumentParser]:
    from .chat import build_parser as chat_parser
    from .language.model import build_parser as model_parser
    return {"run": run_parser(), "validate": validate_parser(), "model": model_parser(),
            "chat": chat_parser()}


def usage() -> str:
    lines = ["usage: python -m skill COMMAND [OPTIONS]   (python -m skill COMMAND --help for more)", ""]
    for name, parser in _parsers().items():
        lines += textwrap.wrap(f"{name}: {parser.description}", 92, subsequent_indent="    ")
        for action in parser._actions:
            if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
                continue
            flags = ", ".join(action.option_strings) or f"[{action.dest.upper()}]"
            if action.option_strings and action.nargs != 0:
                flags += f" {action.metavar or action.dest.upper()}"
            lines.append(f"  {flags:<22} {action.help}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def run(argv: list[str]) -> int:
    run_parser().parse_args(argv)
    from .config import Config, ConfigError
    from .content import ContentError
    from .web import logs
    try:
        config = Config.from_env(local=True)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    logs.configure(config.log_level)
    try:
        from .web.app import create_app
        app = create_app(config)
    except (ConfigError, ContentError, ValueError) as e:
        print("error: " + str(e).replace("\n", "\n  "), file=sys.stderr)
        return 2
    from werkzeug.serving import run_simple
    import logging
    logging.getLogger("skill").info("Back Stretch Coach listening on http://%s:%d/alexa",
                                    config.host, config.port)
    run_simple(config.host, config.port, app, threaded=True, use_reloader=False)
    return 0


def validate(argv: list[str]) -> int:
    """Every start-up check, each reported on its own line; 1 if any failed."""
    options = validate_parser().parse_args(argv)
    from .config import Config, ConfigError
    from .constants import LOCALES
    from .content import ContentError, default_content_dir, load_content, print_problems
    from .dialog.routing import check_content

    failed = 0
    try:
        config = Config.from_env()
        print("configuration OK (from the environment)")
    except ConfigError as e:
        print(f"configuration error: {e}", file=sys.stderr)
        config, failed = None, 1
    directory = options.directory or (config.content_dir if config else None) or default_content_dir()
    try:
        content = load_content(directory)
        check_content(content)
    except ContentError as e:
        print_problems(directory, e)
        return 1
    print(f"content OK: {len(content.exercises)} exercises, {len(content.routines)} routines, "
          f"{len(content.faq)} FAQ answers, the words of {len(LOCALES)} locales and a fallback")
    return failed | _model_is_fresh(content)


def _model_is_fresh(content) -> int:
    """0 when every locale's committed interaction model is what `python -m skill model` would
    write from this content, else 1 with the reason (what `model --check` says)."""
    from .constants import LOCALES
    from .language import model
    failed = 0
    for locale in LOCALES:
        try:
            text = model.render(model.build_model(content, model.locale_source(locale), []))
        except (model.ModelError, OSError, ValueError) as e:
            print(f"model error: {locale}: {e}", file=sys.stderr)
            failed = 1
            continue
        path = model.model_path(locale)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        shown = path.relative_to(model.ROOT)
        if current != text:
            print(f"model: {shown} is {'missing' if current is None else 'stale'}: it does not "
                  f"match the content. Run `python -m skill model` (or `make model`).",
                  file=sys.stderr)
            failed = 1
            continue
        print(f"model: {shown} is up to date")
    return failed


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    cmd, rest = (argv[0], argv[1:]) if argv else ("", [])
    if cmd == "run":
        return run(rest)
    if cmd == "validate":
        return validate(rest)
    if cmd == "model":
        from .language.model import main as model_main
        return model_main(rest)
    if cmd == "chat":
        from .chat import main as chat_main
        return chat_main(rest)
    if cmd in ("-h", "--help", "help"):
        print(usage(), end="")
        return 0
    print(usage(), end="", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
