"""Response models of MIA's workspace face (`/api/tenants`): the same accounts, members and
invitations as `/accounts`, in MIA's shapes."""

from __future__ import annotations

from pydantic import Field

from frontdesk.api.schemas.base import Public, Timestamp
from frontdesk.api.schemas.team import InvitationPublic


class Tenant(Public):
    """A MIA workspace: the same account under MIA's names."""

    id: str
    name: str
    slug: str
    plan: str
    role: str
    is_active: bool
    created_at: Timestamp


class TenantList(Public):
    workspaces: list[Tenant]
    total: int


class TenantMember(Public):
    user_id: str
    email: str
    name: str
    role: str
    status: str
    joined_at: Timestamp


class TenantMembers(Public):
    members: list[TenantMember]
    total: int


class TenantRef(Public):
    id: str
    name: str


class TenantSwitched(Public):
    success: bool
    active_tenant_id: str
    tenant_name: str
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


class TenantCurrent(Public):
    tenant: Tenant


class TenantDetail(Public):
    id: str
    name: str
    plan: str
    created_at: Timestamp
    member_count: int
    connected_platforms: list[str]


class TenantInvite(Public):
    """`invite` for an email that must register first; `member` for a user who joined at once."""

    success: bool
    invite: InvitationPublic | None
    member: TenantMember | None


class TenantInvites(Public):
    invites: list[InvitationPublic]


class TenantMessage(Public):
    success: bool
    message: str


class TenantDeleted(Public):
    success: bool
    message: str
    tenant_id: str


class InviteWorkspace(Public):
    """Its name only: the page is public, the account's id stays private."""

    name: str


class Inviter(Public):
    name: str
    email: str


class InviteDetails(Public):
    """The public invite acceptance page's facts."""

    id: str
    email: str
    role: str
    status: str = Field(description="pending | accepted | revoked | expired")
    workspace: InviteWorkspace
    invited_by: Inviter | None
    created_at: Timestamp
    expires_at: Timestamp


class InviteAccepted(Public):
    success: bool
    workspace: TenantRef
    role: str


class TenantCreated(Public):
    success: bool
    tenant: Tenant


class TenantInviteRevoked(Public):
    success: bool
    invite: InvitationPublic
