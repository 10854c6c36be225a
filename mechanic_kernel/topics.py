"""Topics (``domain/subject/verb``) and the rules for the ones users may create."""

from __future__ import annotations

import re

from .errors import InvalidInput

USER_TOPIC = re.compile(r"^user/[a-z0-9_]+/[a-z0-9_]+$")
ANY_TOPIC = re.compile(r"^[a-z0-9_]+/[a-z0-9_]+/[a-z0-9_]+$")


def validate_user_topic(topic: object) -> str:
    """Return ``topic`` if it is a valid ``user/<subject>/<verb>`` topic.

    Raises:
        InvalidInput: naming the expected form and what was wrong.
    """
    if not isinstance(topic, str):
        raise InvalidInput(f"topic must be a string of the form user/<subject>/<verb>, got {topic!r}")
    if USER_TOPIC.match(topic):
        return topic
    if not topic.startswith("user/"):
        hint = "it must start with user/"
    elif topic.count("/") != 2:
        hint = "it must have exactly three parts separated by /"
    else:
        hint = "subject and verb may only contain lowercase letters, digits and underscores"
    raise InvalidInput(
        f"invalid topic {topic!r}: expected user/<subject>/<verb> "
        f"(lowercase letters, digits, underscore), e.g. user/webhook/test; {hint}"
    )
