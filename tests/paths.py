"""Where the read-only `shared/` folder is (seeds, real Alexa requests):

1. $BACK_STRETCH_SHARED, if set;
2. beside this checkout (as in CI);
3. beside the checkout this one was cloned from, when that is a local folder (a throwaway
   clone made with `git clone . $(mktemp -d)`);
4. otherwise the path of 2, so the tests that need it fail and say where they looked.
"""
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _origin_folder() -> Path | None:
    try:
        url = subprocess.run(["git", "-C", str(ROOT), "config", "--get", "remote.origin.url"],
                             capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if url.startswith("file://"):
        url = url[len("file://"):]
    path = Path(url) if url and "://" not in url and not url.startswith("git@") else None
    return path.resolve() if path is not None and path.is_dir() else None


def _find_shared() -> Path:
    if os.environ.get("BACK_STRETCH_SHARED"):
        return Path(os.environ["BACK_STRETCH_SHARED"])
    beside = ROOT.parent / "shared"
    if beside.is_dir():
        return beside
    origin = _origin_folder()
    if origin is not None and (origin.parent / "shared").is_dir():
        return origin.parent / "shared"
    return beside


SHARED = _find_shared()
ALEXA_FIXTURES = Path(os.environ.get("ALEXA_FIXTURES") or SHARED / "fixtures" / "alexa")
