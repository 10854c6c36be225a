"""The public registry of action types: built-ins are registered the same way users add their own."""

from __future__ import annotations

import importlib

from .base import ActionError
from .base import ActionType

# Built-in action types, by module; each module defines ACTION, an ActionType. Adding a type = one line here.
BUILTIN_MODULES = [
    "mechanic_kernel.actions.echo",
    "mechanic_kernel.actions.event",
    "mechanic_kernel.actions.cache",
    "mechanic_kernel.actions.http",
    "mechanic_kernel.actions.email",
    "mechanic_kernel.actions.files",
]

_registry: dict[str, ActionType] = {}
_builtins: dict[str, ActionType] = {}
_builtins_loaded = False


def register_action(action: ActionType, *, replace: bool = False) -> None:
    """Make an action type available to every workbench of this process.

    Raises:
        ValueError: when a type of that name exists and ``replace`` is False.
    """
    _load_builtins()
    if action.name in _registry and not replace:
        raise ValueError(
            f"action type {action.name!r} is already registered; pass replace=True to override it"
        )
    _registry[action.name] = action


def unregister_action(name: str) -> None:
    """Remove a registered type; a built-in that was replaced comes back."""
    _load_builtins()
    if name in _builtins:
        _registry[name] = _builtins[name]
    else:
        _registry.pop(name, None)


def _load_builtins() -> None:
    # Lazy, so that importing the registry does not import every action type's dependencies.
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    for module_name in BUILTIN_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # a built-in not written yet
        _builtins[module.ACTION.name] = module.ACTION
        _registry.setdefault(module.ACTION.name, module.ACTION)


def action_type(name: str) -> ActionType:
    """The registered type called ``name``.

    Raises:
        ActionError: for types with no local handler (shopify, ftp, integrations…), saying so plainly.
    """
    _load_builtins()
    try:
        return _registry[name]
    except KeyError:
        raise ActionError(
            f"action type {name!r} is not supported locally; register a handler with "
            "mechanic_kernel.actions.registry.register_action() to perform it"
        ) from None


def action_types() -> list[str]:
    """Names of every registered type."""
    _load_builtins()
    return sorted(_registry)
