"""mechanic-kernel: a local workbench for Mechanic-style webhook automation.

The public API is what this module exports; widgets, notebooks and the Jupyter extension use nothing else.
"""

from __future__ import annotations

from typing import Any

from .clock import Clock
from .clock import FrozenClock
from .errors import BadRequest
from .errors import Conflict
from .errors import Forbidden
from .errors import InvalidInput
from .errors import MechanicError
from .errors import NotFound
from .errors import PayloadTooLarge
from .errors import StoreError
from .errors import StoreUnavailable
from .models.events import Event
from .models.events import RawRequest
from .models.runs import Run
from .models.runs import RunKind
from .models.runs import RunStatus
from .models.tasks import Task
from .models.webhooks import Webhook
from .models.webhooks import WebhookMode
from .tasks.options import OptionField
from .tasks.service import option_fields
from .topics import validate_user_topic
from .version import __version__
from .workbench import Workbench


__all__ = [
    "__version__",
    "BadRequest",
    "Clock",
    "Conflict",
    "Event",
    "Forbidden",
    "FrozenClock",
    "InvalidInput",
    "MechanicError",
    "NotFound",
    "OptionField",
    "PayloadTooLarge",
    "RawRequest",
    "Run",
    "RunKind",
    "RunStatus",
    "StoreError",
    "StoreUnavailable",
    "Task",
    "Webhook",
    "WebhookMode",
    "Workbench",
    "option_fields",
    "validate_user_topic",
]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """Where Jupyter finds the server extension (imported lazily so the engine never needs Jupyter)."""
    from .server.extension import MechanicKernelApp

    return [{"module": "mechanic_kernel.server.extension", "app": MechanicKernelApp}]
