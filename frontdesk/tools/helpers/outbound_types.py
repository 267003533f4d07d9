"""Helper types that tell someone: notify (records a notification for users of the account) and
webhook_call (POSTs the contact to a public URL through the SSRF-safe gate)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from frontdesk.errors import Invalid, ToolFailure
from frontdesk.storage import crm
from frontdesk.storage import helper_records as records_store
from frontdesk.storage.ids import iso, utcnow
from frontdesk.tools.helpers.base import HelperConfig, HelperInput, HelperRun, HelperType
from frontdesk.tools.helpers.net import MAX_TIMEOUT_SECONDS, check_url
from frontdesk.tools.helpers.records import contact_summary

UserId = Annotated[str, Field(min_length=1, max_length=64)]
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)?)\}")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")
_RESERVED_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer"}


def render(template: str, values: dict[str, Any]) -> str:
    """Replace `{name}` (and `{input.key}`) placeholders; unknown ones stay as written."""

    def sub(m: re.Match[str]) -> str:
        value = values.get(m.group(1))
        return m.group(0) if value is None else str(value)

    return _PLACEHOLDER.sub(sub, template)


class NotifyConfig(HelperConfig):
    title: str = Field(
        min_length=1,
        max_length=200,
        description="Title; may use {first_name}, {name}, "
        "{email}, {company}, {phone} of the contact and {input.<key>}.",
    )
    message: str = Field(default="", max_length=2000, description="Body, with the same placeholders.")
    level: Literal["info", "warning", "critical"] = "info"
    recipient_user_ids: list[UserId] = Field(
        default_factory=list, max_length=50, description="Users to notify; empty = whoever ran the helper."
    )


async def notify(ctx: HelperRun, config: NotifyConfig, inp: HelperInput) -> dict[str, Any]:
    scalars = {k: v for k, v in inp.data.items() if isinstance(v, str | int | float)}
    values: dict[str, Any] = {f"input.{k}": v for k, v in scalars.items()}
    if inp.contact_id:
        contact = await crm.get_contact(ctx.session, ctx.account_id, inp.contact_id)
        values |= {k: v for k, v in contact_summary(contact).items() if isinstance(v, str)}
        values["name"] = f"{contact.first_name} {contact.last_name}".strip()
    wanted = config.recipient_user_ids or ([ctx.user_id] if ctx.user_id else [])
    users = await records_store.members(ctx.session, ctx.account_id, wanted)
    missing = [u for u in wanted if u not in users]
    if missing or not wanted:
        who = ", ".join(missing) or "none given"
        raise Invalid(f"recipient_user_ids: not members of this account: {who}")
    title, message = render(config.title, values)[:200], render(config.message, values)
    notes = [
        await records_store.add_notification(
            ctx.session,
            account_id=ctx.account_id,
            user_id=uid,
            title=title,
            message=message,
            level=config.level,
            helper_id=ctx.helper_id,
            execution_id=ctx.execution_id,
            contact_id=inp.contact_id,
        )
        for uid in wanted
    ]
    return {
        "notification_ids": [n.id for n in notes],
        "recipients": wanted,
        "title": title,
        "message": message,
        "level": config.level,
    }


class WebhookConfig(HelperConfig):
    url: str = Field(max_length=2000, description="A public http(s) URL.")
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    headers: dict[str, Annotated[str, Field(max_length=1000)]] = Field(
        default_factory=dict, max_length=20, description="Extra request headers."
    )
    include_contact: bool = Field(default=True, description="Send the contact's fields in the body.")
    timeout_seconds: float = Field(default=5.0, gt=0, le=MAX_TIMEOUT_SECONDS)
    fail_on_error_status: bool = Field(default=True, description="An HTTP 4xx/5xx answer fails the run.")

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        try:
            check_url(url)
        except Invalid as e:
            raise ValueError(e.detail.removeprefix("url: ")) from None
        return url

    @field_validator("headers")
    @classmethod
    def _headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not _HEADER_NAME.fullmatch(name) or name.lower() in _RESERVED_HEADERS:
                raise ValueError(f"header {name!r} is not allowed")
            if "\r" in value or "\n" in value:
                raise ValueError(f"header {name!r} has a line break")
        return headers


async def webhook_call(ctx: HelperRun, config: WebhookConfig, inp: HelperInput) -> dict[str, Any]:
    contact = None
    if inp.contact_id and config.include_contact:
        contact = contact_summary(await crm.get_contact(ctx.session, ctx.account_id, inp.contact_id))
    payload = {
        "event": "helper.executed",
        "helper_id": ctx.helper_id,
        "execution_id": ctx.execution_id,
        "contact_id": inp.contact_id,
        "contact": contact,
        "input": inp.data,
        "sent_at": iso(utcnow()),
    }
    response = await ctx.http.request(
        config.method,
        config.url,
        headers=config.headers,
        payload=payload,
        timeout_seconds=config.timeout_seconds,
    )
    if config.fail_on_error_status and response.status_code >= 400:
        raise ToolFailure(f"Webhook answered HTTP {response.status_code}")
    return {
        "url": config.url,
        "status_code": response.status_code,
        "response": response.data(),
        "truncated": response.truncated,
        "address": response.address,
    }


TYPES = (
    HelperType(
        "notify",
        "Notify",
        "notification",
        "Record a notification (title and message, with the contact's fields filled in) for users "
        "of the account.",
        NotifyConfig,
        notify,
        target="none",
        requires_crm=False,
    ),
    HelperType(
        "webhook_call",
        "Webhook Call",
        "integration",
        "Send the contact and the run's input as JSON to a public http(s) URL (private, loopback and "
        "metadata addresses are refused).",
        WebhookConfig,
        webhook_call,
        target="none",
        requires_crm=False,
    ),
)
