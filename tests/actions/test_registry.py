"""The public registry of action types."""

from __future__ import annotations

import pytest

from mechanic_kernel.actions.base import ActionError
from mechanic_kernel.actions.registry import action_type
from mechanic_kernel.actions.registry import action_types
from mechanic_kernel.actions.registry import register_action
from mechanic_kernel.actions.registry import unregister_action


class Custom:
    name = "slack"

    def validate(self, options):
        pass

    async def perform(self, options, context):
        return {"ok": True}


class FakeEcho(Custom):
    name = "echo"


def test_builtins_are_registered() -> None:
    assert {"echo", "event", "cache", "http", "email", "files"} <= set(action_types())


def test_unknown_types_are_not_supported_locally() -> None:
    with pytest.raises(ActionError, match="'shopify' is not supported locally"):
        action_type("shopify")


def test_registering_a_custom_type_keeps_the_builtins() -> None:
    register_action(Custom())
    try:
        assert action_type("slack").name == "slack"
        assert action_type("echo").name == "echo"
        with pytest.raises(ValueError, match="already registered"):
            register_action(Custom())
    finally:
        unregister_action("slack")
    with pytest.raises(ActionError):
        action_type("slack")


def test_a_replaced_builtin_comes_back_when_unregistered() -> None:
    builtin = action_type("echo")
    fake = FakeEcho()
    register_action(fake, replace=True)
    assert action_type("echo") is fake
    unregister_action("echo")
    assert action_type("echo") is builtin
