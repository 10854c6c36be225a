"""Notebooks run under nbval on a throwaway home, so a test run never touches the user's own store."""

import os
import tempfile

os.environ["MECHANIC_HOME"] = tempfile.mkdtemp(prefix="mechanic-home-nbval-")
