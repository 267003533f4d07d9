"""`/auth/status`, `PUT /auth/password`, `POST /auth/forgot-password`, `POST /auth/reset-password`
(MyFusion shapes). Forgot and reset are limited per client IP like login; forgot answers the same
for unknown emails, and its email is sent (over SMTP) after the answer, so timing tells nothing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends
from pydantic import BaseModel, Field

from frontdesk.api.deps import CurrentIdentity, ServicesDep, auth_rate_limit
from frontdesk.api.mail import send_later
from frontdesk.api.openapi import errors
from frontdesk.api.routes.auth import Email
from frontdesk.api.schemas.team import AuthStatus, Done
from frontdesk.api.services import Services
from frontdesk.storage import passwords
from frontdesk.storage.account_settings import available_accounts
from frontdesk.storage.ids import iso

router = APIRouter(prefix="/auth", tags=["auth"])


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class ForgotPassword(BaseModel):
    email: str = Field(min_length=3, max_length=320)


class ResetPassword(BaseModel):
    email: Email
    code: str = Field(pattern=r"^\d{6}$")
    new_password: str = Field(min_length=1, max_length=256)


def reset_policy(services: Services) -> passwords.ResetPolicy:
    s = services.settings
    return passwords.ResetPolicy(
        secret=services.secret,
        minutes=s.password_reset_minutes,
        attempts=s.password_reset_attempts,
        smtp=s.smtp_url is not None,
    )


@router.get("/status", response_model=AuthStatus, responses=errors(401))
async def auth_status(identity: CurrentIdentity, services: ServicesDep) -> dict[str, Any]:
    """The user, the account of this token with role and permissions, and every account they can use."""
    u = identity.user
    async with services.db.session() as s:
        available = await available_accounts(s, u.id, identity.account.id)
    return {
        "user_id": u.id,
        "email": u.email,
        "name": u.name,
        "status": u.status,
        "department": u.department,
        "phone_number": u.phone_number,
        "current_account_id": u.current_account_id,
        "created_at": iso(u.created_at),
        "updated_at": iso(u.updated_at),
        "account_context": {
            "account_id": identity.account.id,
            "role": identity.membership.role,
            "permissions": sorted(identity.membership.permissions),
        },
        "available_accounts": available,
    }


@router.put(
    "/password",
    response_model=Done,
    dependencies=[Depends(auth_rate_limit)],
    responses=errors(400, 401, 422, 429),
)
async def change_password(
    body: PasswordChange, identity: CurrentIdentity, services: ServicesDep, tasks: BackgroundTasks
) -> Done:
    """Change the password: the current one must match (401); the new one needs 8+ characters with
    upper case, lower case and a digit (400)."""
    email_id = await passwords.change_password(
        services.db,
        identity.user.id,
        identity.account.id,
        body.current_password,
        body.new_password,
        smtp=services.settings.smtp_url is not None,
    )
    send_later(tasks, services, email_id)
    return Done()


@router.post(
    "/forgot-password",
    response_model=Done,
    dependencies=[Depends(auth_rate_limit)],
    responses=errors(422, 429),
)
async def forgot_password(body: ForgotPassword, services: ServicesDep, tasks: BackgroundTasks) -> Done:
    """Email a 6-digit reset code. Always 200, the same answer whether or not the email exists."""
    email_id = await passwords.forgot_password(services.db, body.email, reset_policy(services))
    send_later(tasks, services, email_id)
    return Done()


@router.post(
    "/reset-password",
    response_model=Done,
    dependencies=[Depends(auth_rate_limit)],
    responses=errors(400, 422, 429),
)
async def reset_password(body: ResetPassword, services: ServicesDep) -> Done:
    """Set a new password with the emailed code (400 when wrong, used, expired or spent; 400 for a
    weak password). Every refresh token of the user is revoked."""
    await passwords.reset_password(
        services.db, body.email, body.code, body.new_password, reset_policy(services)
    )
    return Done()
