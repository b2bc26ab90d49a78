"""Where the read-only `shared/` folder is: beside the checkout (as in CI), or $BACK_STRETCH_SHARED."""
import os
from pathlib import Path

SHARED = Path(os.environ.get("BACK_STRETCH_SHARED") or Path(__file__).resolve().parents[2] / "shared")
ALEXA_FIXTURES = Path(os.environ.get("ALEXA_FIXTURES") or SHARED / "fixtures" / "alexa")
