"""The email action: validation, the outbox, templates and SMTP delivery to a sink on 127.0.0.1 (103-105)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes
from email import policy
from operator import attrgetter
from typing import Any

import pytest
from actiontools import SmtpSink
from actiontools import run

from mechanic_kernel.actions.base import ActionContext
from mechanic_kernel.actions.base import ActionError
from mechanic_kernel.actions.base import TransientActionError
from mechanic_kernel.actions.email import ACTION
from mechanic_kernel.actions.email import parse_addresses
from mechanic_kernel.actions.registry import action_type
from mechanic_kernel.errors import NotFound
from mechanic_kernel.store import Store

VALID = {"to": "a@x.io", "subject": "Hello", "body": "<p>Hi <b>there</b></p>"}


def send(options: dict[str, Any], context: ActionContext) -> dict[str, Any]:
    return run(ACTION.perform(options, context))


def test_email_is_registered() -> None:
    assert action_type("email") is ACTION


@pytest.mark.parametrize("missing", ["to", "subject", "body"])
def test_103_missing_required_option_fails(
    missing: str, make_context: Callable[..., ActionContext], store: Store
) -> None:
    options = {key: value for key, value in VALID.items() if key != missing}
    with pytest.raises(ActionError, match=f"{missing} is required"):
        send(options, make_context())
    assert store.outbox.list() == []


def test_103_valid_email_is_captured_with_every_field(
    make_context: Callable[..., ActionContext], store: Store
) -> None:
    context = make_context()
    options = VALID | {
        "cc": ["c@x.io", "Dee <d@x.io>"],
        "bcc": "e@x.io",
        "reply_to": "r@x.io",
        "from_display_name": "Acme Support",
        "headers": {"X-Campaign": "spring"},
    }
    result = send(options, context)
    assert result["status"] == "captured"
    assert (
        result["to"] == ["a@x.io"]
        and result["cc"] == ["c@x.io", "Dee <d@x.io>"]
        and result["bcc"] == ["e@x.io"]
    )
    assert result["reply_to"] == "r@x.io"
    assert result["from"] == "Acme Support <example@mail.usemechanic.com>"
    assert result["message_id"].startswith("<") and result["message_id"].endswith("@mail.usemechanic.com>")
    stored = store.outbox.get(result["outbox_id"])
    assert stored == store.outbox.get(context.action_run_id)
    assert stored["from_display_name"] == "Acme Support" and stored["reply_to"] == "r@x.io"
    assert stored["cc_addresses"] == ["c@x.io", "Dee <d@x.io>"] and stored["bcc_addresses"] == ["e@x.io"]
    assert stored["headers"] == {"X-Campaign": "spring"}
    assert stored["created_at"] == "2026-03-01T12:00:00.000Z" and stored["sent_at"] is None
    message = message_from_bytes(stored["raw"], policy=policy.default)
    assert message["To"] == "a@x.io" and message["Cc"] == "c@x.io, Dee <d@x.io>" and message["Bcc"] is None
    assert message["Reply-To"] == "r@x.io" and message["X-Campaign"] == "spring"
    assert message["From"] == "Acme Support <example@mail.usemechanic.com>"
    assert message.get_body(("html",)).get_content().strip() == "<p>Hi <b>there</b></p>"
    assert message.get_body(("plain",)).get_content().strip() == "Hi there"
    assert [m["id"] for m in store.outbox.list()] == [result["outbox_id"]]


def test_104_comma_string_equals_array(make_context: Callable[..., ActionContext]) -> None:
    as_string = send(VALID | {"to": "a@x.io, b@x.io"}, make_context())
    as_array = send(VALID | {"to": ["a@x.io", "b@x.io"]}, make_context())
    assert as_string["to"] == as_array["to"] == ["a@x.io", "b@x.io"]
    assert parse_addresses("a@x.io,b@x.io,", "to") == ["a@x.io", "b@x.io"]


def test_105_default_template_with_extra_options_as_variables(
    make_context: Callable[..., ActionContext], store: Store
) -> None:
    store.outbox.set_template(
        "default",
        "<header>{{ shop_name }}</header>{{ body }}<footer>{{ subject }} "
        "{% for n in numbers %}{{ n }}{% endfor %}</footer>",
        updated_at="t",
    )
    result = send(VALID | {"shop_name": "Acme", "numbers": [1, 2]}, make_context())
    assert result["template"] == "default"
    html = store.outbox.get(result["outbox_id"])["html"]
    assert html == "<header>Acme</header><p>Hi <b>there</b></p><footer>Hello 12</footer>"


def test_105_named_template_wins_and_unknown_template_fails(
    make_context: Callable[..., ActionContext], store: Store
) -> None:
    store.outbox.set_template("default", "D {{ body }}", updated_at="t")
    store.outbox.set_template("plain", "P {{ body }}", updated_at="t")
    result = send(VALID | {"template": "plain"}, make_context())
    assert store.outbox.get(result["outbox_id"])["html"] == "P <p>Hi <b>there</b></p>"
    with pytest.raises(ActionError, match="no email template named 'fancy'"):
        send(VALID | {"template": "fancy"}, make_context())


def test_without_templates_the_body_is_sent_as_is(
    make_context: Callable[..., ActionContext], store: Store
) -> None:
    result = send(VALID, make_context())
    assert result["template"] is None
    assert store.outbox.get(result["outbox_id"])["html"] == VALID["body"]


def test_broken_template_fails(make_context: Callable[..., ActionContext], store: Store) -> None:
    store.outbox.set_template("default", "{% if %}", updated_at="t")
    with pytest.raises(ActionError, match="failed to render"):
        send(VALID, make_context())


def test_attachments(make_context: Callable[..., ActionContext], store: Store) -> None:
    result = send(VALID | {"attachments": {"a.txt": "hi", "b.csv": {"base64": "YSxi"}}}, make_context())
    assert result["attachments"] == {
        "a.txt": {"mime_type": "text/plain", "size": 2},
        "b.csv": {"mime_type": "text/csv", "size": 3},
    }
    message = message_from_bytes(store.outbox.get(result["outbox_id"])["raw"], policy=policy.default)
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert files == {"a.txt": "hi", "b.csv": "a,b"}


def test_sender_follows_settings(make_context: Callable[..., ActionContext]) -> None:
    assert send(VALID, make_context(shop_domain="acme.myshopify.com"))["from"] == "acme@mail.usemechanic.com"
    assert send(VALID, make_context(email_from="shop@acme.test"))["from"] == "shop@acme.test"


def test_subject_whitespace_is_collapsed(make_context: Callable[..., ActionContext]) -> None:
    assert send(VALID | {"subject": "\n  Order\n  #1001 \n"}, make_context())["subject"] == "Order #1001"


def test_a_retried_run_does_not_capture_twice(
    make_context: Callable[..., ActionContext], store: Store
) -> None:
    context = make_context()
    first = send(VALID, context)
    assert send(VALID, context) == first
    assert len(store.outbox.list()) == 1


def test_outbox_get_unknown_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.outbox.get("nope")


def test_smtp_delivery(smtp: SmtpSink, make_context: Callable[..., ActionContext], store: Store) -> None:
    context = make_context(smtp_url=f"smtp://user:pass@127.0.0.1:{smtp.port}", email_from="shop@acme.test")
    result = send(VALID | {"cc": "c@x.io", "bcc": "b@x.io", "subject": "Ünïcode ✓"}, context)
    assert result["status"] == "sent"
    [received] = smtp.messages
    assert received["auth"] == "user"
    assert received["mail_from"] == "shop@acme.test"
    assert received["rcpt_to"] == ["a@x.io", "c@x.io", "b@x.io"]
    message = message_from_bytes(received["data"], policy=policy.default)
    assert message["Subject"] == "Ünïcode ✓" and message["Bcc"] is None
    stored = store.outbox.get(result["outbox_id"])
    assert stored["status"] == "sent" and stored["sent_at"] == "2026-03-01T12:00:00.000Z"
    send(VALID, context)  # the same run again: already sent, not sent twice
    assert len(smtp.messages) == 1


def test_smtp_permanent_refusal_fails(
    smtp: SmtpSink, make_context: Callable[..., ActionContext], store: Store
) -> None:
    context = make_context(smtp_url=f"smtp://127.0.0.1:{smtp.port}")
    with pytest.raises(ActionError, match="refused every recipient: refuse@x.io \\(550\\)") as caught:
        send(VALID | {"to": "refuse@x.io"}, context)
    assert not caught.value.transient
    assert store.outbox.get(context.action_run_id)["status"] == "failed"


def test_smtp_temporary_refusal_is_transient_and_a_retry_delivers(
    smtp: SmtpSink, make_context: Callable[..., ActionContext], store: Store
) -> None:
    context = make_context(smtp_url=f"smtp://127.0.0.1:{smtp.port}")
    with pytest.raises(TransientActionError, match="later@x.io \\(450\\)"):
        send(VALID | {"to": "later@x.io"}, context)
    failed = store.outbox.get(context.action_run_id)
    assert failed["status"] == "failed"
    result = send(VALID, context)
    assert result["status"] == "sent" and result["outbox_id"] == failed["id"]
    assert len(store.outbox.list()) == 1


def test_smtp_partial_refusal_is_sent_and_noted(
    smtp: SmtpSink, make_context: Callable[..., ActionContext], store: Store
) -> None:
    context = make_context(smtp_url=f"smtp://127.0.0.1:{smtp.port}")
    result = send(VALID | {"to": "a@x.io, refuse@x.io"}, context)
    assert result["status"] == "sent"
    assert store.outbox.get(result["outbox_id"])["error"] == "refused recipients: refuse@x.io (550)"


def test_smtp_bad_login_fails(smtp: SmtpSink, make_context: Callable[..., ActionContext]) -> None:
    with pytest.raises(ActionError, match="refused the login"):
        send(VALID, make_context(smtp_url=f"smtp://user:wrong@127.0.0.1:{smtp.port}"))


def test_smtp_unreachable_is_transient(closed_port: int, make_context: Callable[..., ActionContext]) -> None:
    with pytest.raises(TransientActionError, match="could not reach the SMTP server"):
        send(VALID, make_context(smtp_url=f"smtp://127.0.0.1:{closed_port}"))


@dataclass
class Bad:
    description: str
    options: Any
    message: str


BAD = [
    Bad("not an object", "a@x.io", "must be an object"),
    Bad("empty to", VALID | {"to": ""}, "to is required"),
    Bad("to not an address", VALID | {"to": "nobody"}, "invalid address"),
    Bad("to a number", VALID | {"to": 5}, "string or an array"),
    Bad("to array with a number", VALID | {"to": ["a@x.io", 5]}, "string or an array"),
    Bad("to header injection", VALID | {"to": "a@x.io\r\nBcc: z@x.io"}, "line break"),
    Bad("cc invalid", VALID | {"cc": "x@"}, "cc has an invalid address"),
    Bad("too many recipients", VALID | {"to": [f"u{i}@x.io" for i in range(51)]}, "limited to 50"),
    Bad("blank subject", VALID | {"subject": "  "}, "subject must not be empty"),
    Bad("subject a number", VALID | {"subject": 5}, "subject must be a string"),
    Bad("body an object", VALID | {"body": {}}, "body must be a string"),
    Bad("two reply_to", VALID | {"reply_to": "a@x.io, b@x.io"}, "single address"),
    Bad("display name injection", VALID | {"from_display_name": "A\nBcc: x"}, "line break"),
    Bad("headers not an object", VALID | {"headers": ["X: y"]}, "headers must be"),
    Bad("reserved header", VALID | {"headers": {"Bcc": "z@x.io"}}, "cannot be given in headers"),
    Bad("header value not a string", VALID | {"headers": {"X-A": 1}}, "must be a string"),
    Bad("header injection", VALID | {"headers": {"X-A": "b\r\nBcc: z@x.io"}}, "without line breaks"),
    Bad("bad header name", VALID | {"headers": {"X A": "b"}}, "not a valid header name"),
    Bad("blank template", VALID | {"template": " "}, "must name a template"),
    Bad("bad attachment", VALID | {"attachments": {"a": 1}}, "file generator"),
    Bad("attachment name with slash", VALID | {"attachments": {"a/b": "x"}}, "must not contain"),
]


@pytest.mark.parametrize("case", BAD, ids=attrgetter("description"))
def test_malformed_options_fail(case: Bad, make_context: Callable[..., ActionContext], store: Store) -> None:
    with pytest.raises(ActionError, match=case.message) as caught:
        send(case.options, make_context())
    assert not caught.value.transient
    assert store.outbox.list() == []


def test_cli_outbox_list_and_show(
    make_context: Callable[..., ActionContext],
    store: Store,
    store_url: str | None,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    from mechanic_kernel.cli import main

    result = send(VALID | {"cc": "c@x.io"}, make_context())
    store.close()  # the CLI opens the same store as a separate workbench
    where = ["--home", str(tmp_path), *(["--store", store_url] if store_url else [])]
    assert main([*where, "outbox", "list"]) == 0
    listing = capsys.readouterr().out
    assert result["outbox_id"] in listing and "captured" in listing and "Hello" in listing
    assert main(["outbox", "list", "--json", *where]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["id"] == result["outbox_id"] and row["to_addresses"] == ["a@x.io"]
    assert main(["outbox", "show", result["outbox_id"], *where]) == 0
    shown = capsys.readouterr().out
    assert "cc:         c@x.io" in shown and "<p>Hi <b>there</b></p>" in shown
    assert main(["outbox", "show", result["outbox_id"], "--json", *where]) == 0
    assert json.loads(capsys.readouterr().out)["cc_addresses"] == ["c@x.io"]
    assert main(["outbox", "show", "nope", *where]) == 1
    assert "no outbox message" in capsys.readouterr().err
