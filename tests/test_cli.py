"""The command line as an operator uses it (issue 15): `validate` checks everything the server
checks at start-up, and `--help` lists every command's options."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from tests.server import ROOT, server_env


def skill(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "skill", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=server_env(**env))


@pytest.fixture
def content_copy(tmp_path):
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder)
    return folder


def test_validate_passes_the_shipped_content_and_model():
    p = skill("validate")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [
        "configuration OK (from the environment)",
        p.stdout.splitlines()[1],
        *(f"model: interaction_model/interactionModels/custom/{locale}.json is up to date"
          for locale in ("en-US", "en-GB", "en-CA", "en-AU", "en-IN"))]
    assert p.stdout.splitlines()[1].startswith("content OK: ")


def test_validate_refuses_content_the_server_refuses(content_copy):
    """A prompt the dialogue needs is missing: it used to say "content OK"."""
    prompts = content_copy / "prompts.yaml"
    prompts.write_text(re.sub(r"(?m)^goodbye:", "good_bye:", prompts.read_text()))
    p = skill("validate", str(content_copy))
    assert p.returncode == 1
    assert "content/prompts.yaml: key 'goodbye': missing" in p.stderr
    assert "content OK" not in p.stdout
    start = subprocess.run([sys.executable, "-m", "skill", "run"], cwd=ROOT, capture_output=True,
                           text=True, timeout=60,
                           env=server_env(CONTENT_DIR=str(content_copy), PORT="1"))
    assert start.returncode == 2 and "key 'goodbye': missing" in start.stderr   # the same check


def test_validate_refuses_a_stale_interaction_model(content_copy):
    routines = content_copy / "routines.yaml"
    routines.write_text(routines.read_text().replace("name: lower back routine",
                                                     "name: lumbar stretch routine", 1))
    p = skill("validate", str(content_copy))
    assert p.returncode == 1
    assert "content OK" in p.stdout
    assert ("model: interaction_model/interactionModels/custom/en-US.json is stale: it does not "
            "match the content. Run `python -m skill model` (or `make model`).") in p.stderr


def test_validate_refuses_the_configuration_the_server_refuses():
    p = skill("validate", WEB_CONCURRENCY="2", ALEXA_SKILL_ID="not-an-id")
    assert p.returncode == 1
    assert p.stderr.startswith("configuration error: ALEXA_SKILL_ID must be the skill's id")


def test_help_lists_every_command_with_its_options():
    p = skill("--help")
    assert p.returncode == 0
    for command in ("run:", "validate:", "model:", "chat:"):
        assert re.search(rf"(?m)^{command} ", p.stdout), p.stdout
    for option in ("--check", "--speak", "--temp", "--user USER", "--quiet", "[DIRECTORY]"):
        assert f"  {option} " in p.stdout, option
    wrong = skill("frobnicate")
    assert wrong.returncode == 2 and "chat:" in wrong.stderr
