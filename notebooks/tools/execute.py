"""Re-execute a notebook in place and drop saved widget state (Lab renders widgets live; nbval ignores it).

    .venv/bin/python notebooks/tools/execute.py notebooks/03-author-a-task.ipynb

Runs on a throwaway MECHANIC_HOME, like nbval does, so saved outputs match what the tests compare.
"""

from __future__ import annotations

import os
import sys
import tempfile

import nbformat
from nbclient import NotebookClient


def main(paths: list[str]) -> int:
    for path in paths:
        os.environ["MECHANIC_HOME"] = tempfile.mkdtemp(prefix="mechanic-home-execute-")
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(notebook, timeout=300, resources={"metadata": {"path": os.path.dirname(path)}}).execute()
        notebook.metadata.pop("widgets", None)
        nbformat.write(notebook, path)
        print(f"executed {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
