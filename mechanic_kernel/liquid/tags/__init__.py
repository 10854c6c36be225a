"""Mechanic's tags, and python-liquid tags adjusted to Mechanic's semantics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mechanic_kernel.liquid.tags.action_tag import ActionTag
from mechanic_kernel.liquid.tags.assign_tag import AssignTag
from mechanic_kernel.liquid.tags.echo_tag import EchoTag
from mechanic_kernel.liquid.tags.error_tag import ErrorTag
from mechanic_kernel.liquid.tags.for_tag import ForTag
from mechanic_kernel.liquid.tags.liquid_tag import LiquidTag
from mechanic_kernel.liquid.tags.log_tag import LogTag
from mechanic_kernel.liquid.tags.output_tag import OutputTag
from mechanic_kernel.liquid.tags.permissions_tag import PermissionsTag

if TYPE_CHECKING:
    from liquid import Environment

__all__ = ["register"]


def register(env: Environment) -> None:
    """Add the Mechanic tags to ``env``, replacing python-liquid's tags of the same names."""
    env.add_tag(OutputTag)
    env.add_tag(EchoTag)
    env.add_tag(LiquidTag)
    env.add_tag(AssignTag)
    env.add_tag(ForTag)
    env.add_tag(ActionTag)
    env.add_tag(LogTag)
    env.add_tag(ErrorTag)
    env.add_tag(PermissionsTag)
