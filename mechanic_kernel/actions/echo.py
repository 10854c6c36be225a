"""The ``echo`` action: performs nothing and returns its options (spec §4.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import ActionContext
from .base import ActionError

ERROR_OPTION = "__error"


class EchoAction:
    """Returns its options as the result; ``__error: "msg"`` makes the run fail with that message instead."""

    name = "echo"
    repeatable = True  # it performs nothing, so an interrupted attempt can simply be made again

    def validate(self, options: Any) -> None:
        """Any JSON is valid."""

    async def perform(self, options: Any, context: ActionContext) -> Any:
        """Return ``options`` as given.

        Raises:
            ActionError: carrying the message of an ``__error`` option.
        """
        if isinstance(options, Mapping) and options.get(ERROR_OPTION) not in (None, False):
            message = options[ERROR_OPTION]
            raise ActionError(message if isinstance(message, str) else str(message))
        return options


ACTION = EchoAction()
