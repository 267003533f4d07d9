"""Response models of accounts, teams, passwords, admin, audit and the MIA tenant face."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from frontdesk.api.schemas.base import PageFields, Public, Timestamp


class AccountContext(Public):
    account_id: str
    role: str
    permissions: list[str]


class AvailableAccount(Public):
    account_id: str
    account_name: str
    role: str
    permissions: list[str]
    is_current: bool


class AuthStatus(Public):
    user_id: str
    email: str
    name: str
    status: str
    department: str | None
    phone_number: str | None
    current_account_id: str | None
    created_at: Timestamp
    updated_at: Timestamp
    account_context: AccountContext
    available_accounts: list[AvailableAccount]


class Done(Public):
    """An action that succeeded with nothing else to say."""

    ok: bool = True


class AccountSummary(Public):
    account_id: str
    name: str
    company: str | None
    plan: str
    status: str
    user_role: str
    user_status: str
    is_current: bool
    linked_at: Timestamp
    updated_at: Timestamp


class AccountList(Public):
    accounts: list[AccountSummary]
    total_count: int
    current_account_id: str


class AccountDetail(Public):
    account_id: str
    name: str
    company: str | None
    plan: str
    status: str
    settings: dict[str, Any]
    usage: dict[str, int]
    created_at: Timestamp
    updated_at: Timestamp


class AccountUpdated(Public):
    account_id: str
    name: str
    company: str | None
    timezone: str | None
    approve_writes: bool | None
    updated_at: Timestamp


class Switched(Public):
    """The new current account, and tokens that carry it."""

    user_id: str
    current_account_id: str
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


class Preferences(Public):
    execution_failures: bool
    connection_issues: bool
    usage_alerts: bool
    weekly_summary: bool
    new_features: bool
    team_activity: bool
    realtime_status: bool
    ai_insights: bool
    system_maintenance: bool


class Member(Public):
    user_id: str
    email: str
    name: str
    role: str
    status: str
    permissions: list[str]
    linked_at: Timestamp


class InvitationPublic(Public):
    invitation_id: str
    account_id: str
    email: str
    role: str
    status: str = Field(description="pending | accepted | revoked | expired (7 days after it was made)")
    invited_by: str | None
    created_at: Timestamp
    expires_at: Timestamp


class TeamList(Public):
    members: list[Member]
    invitations: list[InvitationPublic]
    total_count: int


class Invited(Public):
    """`status` is `active` when a registered user joined at once, `invited` when the email must
    register first (then `user_id` is null and `invitation_id` names the invitation)."""

    user_id: str | None
    email: str
    role: str
    status: str
    invitation_id: str | None
    email_id: str


class RoleChanged(Public):
    user_id: str
    role: str


class Removed(Public):
    user_id: str


class AdminUser(Public):
    id: str
    email: str
    name: str
    department: str | None
    role: str
    permissions: list[str]
    is_active: bool
    created_at: Timestamp


class AdminUserList(Public):
    users: list[AdminUser]
    total: int


class OperatorAccount(Public):
    account_id: str
    name: str
    plan: str
    status: str
    member_count: int
    is_member: bool
    created_at: Timestamp


class OperatorAccounts(Public):
    accounts: list[OperatorAccount]
    total: int


class OperatorEntered(Public):
    """The operator's role in the account, and tokens that carry it."""

    account_id: str
    role: str
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


class AuditEntryPublic(Public):
    id: str
    account_id: str | None
    user_id: str | None
    action: str
    resource_type: str
    resource_id: str | None
    changes: dict[str, Any]
    success: bool
    ip_address: str | None
    user_agent: str | None
    created_at: Timestamp


class AuditPage(PageFields):
    entries: list[AuditEntryPublic]


class AuditLogList(Public):
    """Services API shape: `success`, `count`, `data`."""

    success: bool
    count: int
    data: list[AuditEntryPublic]


class UserActivity(AuditLogList):
    user_id: str
    days: int


class ResourceHistory(AuditLogList):
    resource_id: str


class AdminHealth(Public):
    status: str
    database: str
    redis: str
    workers: int
    disk_usage_pct: float


class EmailPublic(Public):
    id: str
    to: str
    template: str
    subject: str
    status: str
    error: str | None
    created_at: Timestamp


class EmailHistory(PageFields):
    emails: list[EmailPublic]


class BillingInfo(Public):
    plan: str
    status: str | None
    price_monthly: int | None
    renews_at: int | None
    trial_ends_at: int | None
    cancel_at: int | None
    stripe_customer_id: str | None
    usage: dict[str, int]
    limits: dict[str, int | None]


class CheckoutSession(Public):
    url: str
    session_id: str


class PortalSession(Public):
    url: str


class Invoice(Public):
    id: str
    number: str | None
    status: str | None
    amount_due: int
    amount_paid: int
    currency: str
    created: int
    hosted_invoice_url: str | None
    invoice_pdf: str | None


class InvoiceList(Public):
    invoices: list[Invoice]
    count: int


class WebhookReceived(Public):
    received: bool
    type: str
    applied: bool
