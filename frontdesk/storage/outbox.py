"""The email outbox: every email the server sends is a row in `email_outbox`, rendered from one of
the templates below (as in Mezzofy's internal email service).

Without SMTP (`Settings.smtp_url` unset) an email is written to the server log and the table with
status `logged`, so someone running frontdesk locally can read a reset code in the console. With
SMTP it is sent with `aiosmtplib` after the row is committed; the row then says `sent` or `failed`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid
from frontdesk.storage.db import Database
from frontdesk.storage.ids import iso, new_id, utcnow
from frontdesk.storage.team_models import OutboxEmail

log = logging.getLogger(__name__)

TEMPLATES: dict[str, tuple[str, str]] = {
    "welcome": ("Welcome to frontdesk, {name}", "Hello {name},\n\nyour frontdesk account is ready.\n"),
    "password_reset": (
        "Your frontdesk password reset code",
        "Your password reset code is {code}. It expires in {minutes} minutes and works once.\n"
        "If you did not ask for it, ignore this email.\n",
    ),
    "password_changed": (
        "Your frontdesk password was changed",
        "The password of {email} was changed. If this was not you, reset it now.\n",
    ),
    "team_invite": (
        "{inviter} invited you to {account} on frontdesk",
        "{inviter} invited you to the account {account} as {role}.\n"
        "Register (or sign in) with this email address to join.\n",
    ),
    "execution_alert": (
        "Helper {helper} failed",
        "The helper {helper} failed: {error}\n",
    ),
    "usage_alert": ("Usage alert for {account}", "{account} has used {used} of {limit} {what}.\n"),
}


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    template: str
    subject: str
    body: str


def render(template: str, to: str, **values: Any) -> Mail:
    if template not in TEMPLATES:
        raise Invalid(f"Unknown email template '{template}'")
    subject, body = TEMPLATES[template]
    return Mail(to=to, template=template, subject=subject.format(**values), body=body.format(**values))


def queue(session: AsyncSession, mail: Mail, account_id: str | None, *, smtp: bool) -> OutboxEmail:
    """Add the email to the outbox in the caller's transaction (status `queued` with SMTP, else
    `logged`, and the log line is written now)."""
    row = OutboxEmail(
        id=new_id("email"),
        account_id=account_id,
        to_email=mail.to,
        template=mail.template,
        subject=mail.subject,
        body=mail.body,
        status="queued" if smtp else "logged",
        created_at=utcnow(),
    )
    session.add(row)
    if not smtp:
        log.warning("email (no SMTP configured) to %s: %s\n%s", mail.to, mail.subject, mail.body)
    return row


async def deliver(db: Database, smtp_url: str | None, email_id: str, sender: str) -> None:
    """Send a queued email over SMTP and mark it `sent` or `failed` (never raises: the change that
    caused the email is already committed)."""
    if not smtp_url:
        return
    async with db.session() as s:
        row = await s.get(OutboxEmail, email_id)
    if row is None or row.status != "queued":
        return
    status, error = "sent", None
    try:
        await aiosmtplib.send(_message(row, sender), **smtp_options(smtp_url))
    except (aiosmtplib.SMTPException, OSError) as e:
        status, error = "failed", f"{type(e).__name__}: {e}"
        log.warning("email %s to %s failed: %s", row.id, row.to_email, error)

    async def mark(s: AsyncSession) -> None:
        await s.execute(
            update(OutboxEmail).where(OutboxEmail.id == email_id).values(status=status, error=error)
        )

    await db.run_write(mark)


def _message(row: OutboxEmail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = row.to_email
    msg["Subject"] = row.subject
    msg.set_content(row.body)
    return msg


def smtp_options(url: str) -> dict[str, Any]:
    """`smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465` (implicit TLS)."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise Invalid("smtp_url must look like smtp://user:password@host:port or smtps://…")
    return {
        "hostname": parts.hostname,
        "port": parts.port or (465 if parts.scheme == "smtps" else 587),
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "use_tls": parts.scheme == "smtps",
        "timeout": 20,
    }


async def history(
    session: AsyncSession, account_id: str, *, limit: int, offset: int, template: str | None = None
) -> tuple[list[OutboxEmail], int]:
    conds = [OutboxEmail.account_id == account_id]
    if template:
        conds.append(OutboxEmail.template == template)
    total = await session.scalar(select(func.count()).select_from(OutboxEmail).where(*conds)) or 0
    rows = await session.scalars(
        select(OutboxEmail).where(*conds).order_by(OutboxEmail.created_at.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def email_public(row: OutboxEmail) -> dict[str, Any]:
    """An outbox row without its body (a body may hold a reset code)."""
    return {
        "id": row.id,
        "to": row.to_email,
        "template": row.template,
        "subject": row.subject,
        "status": row.status,
        "error": row.error,
        "created_at": iso(row.created_at),
    }
