"""The deployment files have the shape their tools expect (issue 15).

- `ask-resources.json`: the ASK CLI v2 project file (alexa/ask-cli docs/concepts
  "Alexa-Skill-Project-Definition" and "Init-Command"): resources version 2020-03-31, one
  profile whose `skillMetadata.src` is the skill package `interaction_model/`. The skill is
  self-hosted (our HTTPS endpoint, not Lambda), so there is no `code` and no
  `skillInfrastructure` (`ask deploy` then deploys the skill package only). The skill id
  and deploy hashes are the CLI's own state in `.ask/ask-states.json`, which is gitignored.
- The skill package it points at: `skill.json` at its root with exactly one API domain
  (`custom`, which `ask deploy` enables) and an HTTPS endpoint, and an interaction model per
  locale the manifest publishes.
(`deploy/nginx/backstretch.conf` is checked by `nginx -t` and run in tests/test_slow_clients.py.)
"""
from __future__ import annotations

import json
import subprocess

from tests.server import ROOT


def test_ask_resources_points_the_ask_cli_at_the_skill_package():
    resources = json.loads((ROOT / "ask-resources.json").read_text())
    assert set(resources) == {"askcliResourcesVersion", "profiles"}
    assert resources["askcliResourcesVersion"] == "2020-03-31"
    profile = resources["profiles"]["default"]
    assert set(profile) == {"skillMetadata"}, "self-hosted: no code, no skillInfrastructure"
    src = profile["skillMetadata"]["src"]
    assert set(profile["skillMetadata"]) == {"src"} and src == "./interaction_model"
    package = (ROOT / src).resolve()
    manifest = json.loads((package / "skill.json").read_text())["manifest"]
    assert list(manifest["apis"]) == ["custom"]
    endpoint = manifest["apis"]["custom"]["endpoint"]
    assert endpoint["uri"].startswith("https://") and endpoint["sslCertificateType"] in (
        "Wildcard", "SelfSigned", "Trusted")
    locales = manifest["publishingInformation"]["locales"]
    assert locales
    for locale in locales:
        model = json.loads((package / "interactionModels" / "custom" / f"{locale}.json").read_text())
        assert model["interactionModel"]["languageModel"]["invocationName"]


def test_the_ask_cli_state_folder_is_not_committed():
    ignored = subprocess.run(["git", "check-ignore", "-q", ".ask/ask-states.json"], cwd=ROOT)
    assert ignored.returncode == 0, ".ask/ must be in .gitignore"
    tracked = subprocess.run(["git", "ls-files", ".ask"], cwd=ROOT, capture_output=True, text=True)
    assert tracked.stdout == ""
