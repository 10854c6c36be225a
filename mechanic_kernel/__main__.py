"""``python -m mechanic_kernel`` runs the CLI."""

import sys

from .cli import main

sys.exit(main())
