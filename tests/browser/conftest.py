"""The browser checks reuse the Jupyter process helper of tests/server."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
