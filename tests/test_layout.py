"""The tree shows the architecture, and imports run one way (docs/design.md):

    web -> dialog -> voice, content          language and store stand beside

Nothing under skill/ imports the web wing except the entry points (the command line and the
console, which drive the web app); the dialogue never imports the language wing or the web;
the voice never imports the dialogue; the base modules import no wing.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SKILL = Path(__file__).resolve().parent.parent / "skill"
ENTRY_POINTS = {"skill.__main__", "skill.chat"}
WINGS = ("web", "dialog", "voice", "language")
BASE = {"skill.config", "skill.constants", "skill.content", "skill.store"}

# wing (or base module) -> wings it must never import
FORBIDDEN = {
    "web": {"language"},
    "dialog": {"web", "language"},
    "voice": {"web", "dialog", "language"},
    "language": {"web", "dialog", "voice"},
    "base": {"web", "dialog", "voice", "language"},
}
# The one exception: the web wing hands the dialogue the reader of free words, the language
# wing's only part used while serving (standard library and base modules only; the rest of
# the wing, hassil and the templates, is build time and the console).
ALLOWED = {"web": {"skill.language.reader", "skill.language.reader.read"}}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SKILL.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str | None = None) -> set[str]:
    """Every skill module this file imports (relative imports resolved)."""
    name = name or _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("skill")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("skill"):
                continue
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}   # "from . import gate"
    return out


def _wing(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in WINGS:
        return parts[1]
    return "base" if module in BASE else None


MODULES = sorted(SKILL.rglob("*.py"))


def test_the_wings_exist_and_the_old_flat_modules_are_gone():
    for wing in WINGS:
        assert (SKILL / wing / "__init__.py").is_file(), wing
    assert (SKILL / "dialog" / "gate.py").is_file()
    for old in ("conversation", "webapp", "handlers", "ssml", "coach", "model", "nlu",
                "verifier", "serialize", "storage"):
        assert not (SKILL / f"{old}.py").exists(), f"skill/{old}.py should live in a wing"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SKILL)))
def test_imports_run_one_way(path):
    name = _module_name(path)
    if name in ENTRY_POINTS:
        return
    wing = _wing(name)
    bad = sorted(m for m in _imports(path)
                 if _wing(m) in FORBIDDEN.get(wing, {"web"}) and _wing(m) != wing
                 and m not in ALLOWED.get(wing, ()))
    assert not bad, f"{name} ({wing or 'top level'}) imports {bad}"


def test_the_reader_of_free_words_stays_light():
    """What the web wing may import of the language wing needs nothing of build time."""
    path = SKILL / "language" / "reader.py"
    skill_imports = {m for m in _imports(path) if _wing(m) is not None}
    assert {_wing(m) for m in skill_imports} <= {"base"}, skill_imports
    tree = ast.parse(path.read_text())
    third_party = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
        {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m.split(".")[0] for m in third_party} & {"hassil", "yaml", "ask_sdk_core"}


def test_the_gate_fits_on_one_screen():
    """The screening gate's invariant is readable at once: a short file of its own."""
    lines = (SKILL / "dialog" / "gate.py").read_text().splitlines()
    assert len(lines) <= 120, len(lines)
    assert "def may_play" in "\n".join(lines)


def test_the_checker_sees_a_forbidden_import(tmp_path):
    """The checker itself: a dialogue module importing the web wing is caught."""
    fake = tmp_path / "probe.py"
    fake.write_text("from ..web import app\nfrom skill.web.verifier import x\nfrom . import gate\n")
    found = _imports(fake, "skill.dialog.probe")
    assert {"skill.web", "skill.web.app", "skill.web.verifier"} <= found
    assert "skill.dialog.gate" in found
    assert {m for m in found if _wing(m) in FORBIDDEN["dialog"]}
