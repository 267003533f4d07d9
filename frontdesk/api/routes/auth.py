"""`/auth`: register, login, refresh, logout, me (MyFusion + Mezzofy shapes).

Login is limited per client IP (`auth_rate_limit`) and per email: after
`Settings.login_failures_per_email` failures in 15 minutes the email answers 429 until the oldest
failure ages out, whatever the password (counted in Redis when replicas share one, so the
failures add up across replicas). Logout revokes refresh tokens and the access token used.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Response, status
from pydantic import BaseModel, Field

from frontdesk.api.deps import BearerCredentials, CurrentIdentity, ServicesDep, auth_rate_limit
from frontdesk.api.mail import send_later
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.auth import AccessToken, Me, TokenPair
from frontdesk.errors import Unauthenticated
from frontdesk.security import create_access_token, decode_access_token
from frontdesk.storage import accounts, audit, invitations
from frontdesk.storage.accounts import Identity
from frontdesk.storage.apikeys import looks_like_api_key
from frontdesk.storage.ids import iso

router = APIRouter(prefix="/auth", tags=["auth"])
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)]


class RegisterIn(BaseModel):
    email: Email
    password: str = Field(min_length=8, max_length=256)
    name: str = Field(min_length=1, max_length=200)
    phone_number: str | None = Field(default=None, pattern=r"^\+\d{6,15}$")
    company: str | None = Field(default=None, max_length=200)


class LoginIn(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=256)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class LogoutIn(BaseModel):
    refresh_token: str | None = Field(default=None, max_length=512)


def user_public(identity: Identity) -> dict[str, Any]:
    u = identity.user
    return {
        "user_id": u.id,
        "email": u.email,
        "name": u.name,
        "status": u.status,
        "department": u.department,
        "current_account_id": u.current_account_id,
        "created_at": iso(u.created_at),
        "updated_at": iso(u.updated_at),
    }


def account_public(identity: Identity) -> dict[str, Any]:
    a = identity.account
    return {
        "account_id": a.id,
        "name": a.name,
        "plan": a.plan,
        "status": a.status,
        "created_at": iso(a.created_at),
    }


async def _tokens(services: ServicesDep, identity: Identity) -> dict[str, Any]:
    access, expires_in = create_access_token(
        services.secret,
        user_id=identity.user.id,
        account_id=identity.account.id,
        minutes=services.settings.access_token_minutes,
        epoch=identity.user.token_epoch,
    )
    async with services.db.session() as s:
        refresh = await accounts.issue_refresh_token(s, identity, services.settings.refresh_token_days)
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": expires_in,
        "user": user_public(identity),
        "account": account_public(identity),
    }


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(auth_rate_limit)],
    response_model=TokenPair,
    responses=errors(409, 413, 422, 429),
)
async def register(body: RegisterIn, services: ServicesDep, tasks: BackgroundTasks) -> dict[str, Any]:
    """A new user with their own account (invitations to the email are accepted) and a welcome email."""
    async with services.db.session() as s:
        identity = await accounts.create_user_with_account(
            s,
            email=body.email,
            password=body.password,
            name=body.name,
            company=body.company,
            phone_number=body.phone_number,
        )
    await invitations.accept_invitations(services.db, identity.user.id, identity.user.email)  # invited: joins
    smtp = services.settings.smtp_url is not None
    send_later(tasks, services, await accounts.queue_welcome(services.db, identity, smtp=smtp))
    return await _tokens(services, identity)


@router.post(
    "/login",
    dependencies=[Depends(auth_rate_limit)],
    response_model=TokenPair,
    responses=errors(401, 413, 422, 429),
)
async def login(body: LoginIn, services: ServicesDep) -> dict[str, Any]:
    """Exchange an email and password for an access token (JWT) and a refresh token. Repeated
    failures for one email are rate limited (429 with `Retry-After`)."""
    failures = f"login:{body.email.strip().lower()}"
    attempt = await services.login_failures.ahit(failures)  # first, so parallel guesses count too
    wrong = False
    try:
        async with services.db.session() as s:
            identity = await accounts.authenticate(s, body.email, body.password)
    except Unauthenticated:
        wrong = True
        await audit.record_login(services.db, body.email, success=False)
        raise
    finally:
        if not wrong:
            await services.login_failures.aforget(failures, attempt)  # only failed logins count
    await audit.record_login(services.db, body.email, success=True)
    return await _tokens(services, identity)


@router.post(
    "/refresh",
    dependencies=[Depends(auth_rate_limit)],
    response_model=AccessToken,
    responses=errors(401, 413, 422, 429),
)
async def refresh(body: RefreshIn, services: ServicesDep) -> dict[str, Any]:
    """A new access token for a valid refresh token. Refresh tokens are not rotated."""
    async with services.db.session() as s:
        identity = await accounts.use_refresh_token(s, body.refresh_token)
    access, expires_in = create_access_token(
        services.secret,
        user_id=identity.user.id,
        account_id=identity.account.id,
        minutes=services.settings.access_token_minutes,
        epoch=identity.user.token_epoch,
    )
    return {"access_token": access, "token_type": "bearer", "expires_in": expires_in}


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 413, 422))
async def logout(
    identity: CurrentIdentity,
    services: ServicesDep,
    credentials: BearerCredentials,
    body: LogoutIn | None = None,
) -> Response:
    """Revoke the given refresh token, or every refresh token of the user when none is given, and
    the access token this request carries (an API key stays valid: revoke it under /api-keys)."""
    async with services.db.session() as s:
        await accounts.revoke_refresh_token(s, identity.user.id, body.refresh_token if body else None)
        if credentials is not None and not looks_like_api_key(credentials.credentials):
            claims = decode_access_token(services.secret, credentials.credentials)
            await accounts.revoke_access_token(s, identity.user.id, claims)
    user_id, account_id = identity.user.id, identity.account.id
    await audit.record_alone(
        services.db, account_id=account_id, user_id=user_id, action="logout", resource_type="auth"
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me, responses=errors(401))
async def me(identity: CurrentIdentity) -> dict[str, Any]:
    """Who the bearer is: the user, their current account and role."""
    return user_public(identity) | {
        "account": account_public(identity),
        "account_context": {
            "account_id": identity.account.id,
            "role": identity.membership.role,
            "permissions": sorted(identity.membership.permissions),
        },
    }
