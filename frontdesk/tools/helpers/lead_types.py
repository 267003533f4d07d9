"""Helper types over leads and record ownership: score_lead, set_lead_status, assign_owner."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from frontdesk.errors import Invalid
from frontdesk.storage import crm
from frontdesk.storage import helper_records as records_store
from frontdesk.storage.helper_executions import execution_rank
from frontdesk.storage.ids import utcnow
from frontdesk.tools.helpers.base import HelperConfig, HelperInput, HelperRun, HelperType
from frontdesk.tools.helpers.records import contact_for, edit_tags, lead_for

LeadStatus = Literal["new", "contacted", "qualified", "converted"]
Points = Annotated[int, Field(ge=0, le=100)]


class ScoreLeadConfig(HelperConfig):
    status_points: dict[LeadStatus, Points] = Field(
        default_factory=lambda: {"new": 10, "contacted": 20, "qualified": 35, "converted": 50},
        description="Points for the lead's status.",
    )
    source_points: dict[str, Points] = Field(
        default_factory=lambda: dict(referral=20, event=15, website=10, email=8, social=5, ads=5),
        description="Points for the lead's source.",
        max_length=50,
    )
    value_step: float = Field(default=1000.0, gt=0, description="One point per this much deal value.")
    value_points_max: Points = Field(default=25, description="Cap on the points from deal value.")
    contact_info_points: Annotated[int, Field(ge=0, le=20)] = Field(
        default=5, description="Points for each of email, phone and company present."
    )
    recent_days: Annotated[int, Field(ge=0, le=3650)] = Field(
        default=30, description="A lead created within this many days is recent."
    )
    recent_points: Points = Field(default=10, description="Points for a recent lead.")
    tiers: dict[str, Points] = Field(
        default_factory=lambda: {"hot": 70, "warm": 40},
        description="Tier name -> lowest score of the tier; below every tier is 'cold'.",
        max_length=10,
    )
    tag_contact: bool = Field(default=True, description="Tag the lead's contact with its tier.")
    tag_prefix: str = Field(default="lead-", max_length=40, description="Tier tags are prefix + tier.")

    @field_validator("tiers")
    @classmethod
    def _tier_names(cls, tiers: dict[str, int]) -> dict[str, int]:
        for name in tiers:
            if not name or len(name) > 40 or name == "cold":
                raise ValueError(f"bad tier name {name!r}")
        return tiers


def score_breakdown(config: ScoreLeadConfig, lead: Any) -> dict[str, int]:
    created = lead.created_at if lead.created_at.tzinfo else lead.created_at.replace(tzinfo=UTC)
    present = sum(1 for v in (lead.email, lead.phone, lead.company) if v)
    return {
        "status": config.status_points.get(lead.status, 0),
        "source": config.source_points.get(lead.source, 0),
        "value": min(config.value_points_max, int((lead.value or 0) // config.value_step)),
        "contact_info": present * config.contact_info_points,
        "recency": config.recent_points if utcnow() - created <= timedelta(days=config.recent_days) else 0,
    }


def tier_for(score: int, tiers: dict[str, int]) -> str:
    reached = [(minimum, name) for name, minimum in tiers.items() if score >= minimum]
    return max(reached)[1] if reached else "cold"


async def score_lead(ctx: HelperRun, config: ScoreLeadConfig, inp: HelperInput) -> dict[str, Any]:
    lead = await lead_for(ctx, inp)
    breakdown = score_breakdown(config, lead)
    score = min(100, sum(breakdown.values()))
    tier = tier_for(score, config.tiers)
    added: list[str] = []
    removed: list[str] = []
    if config.tag_contact and lead.contact_id:
        contact = await crm.get_contact(ctx.session, ctx.account_id, lead.contact_id)
        others = [f"{config.tag_prefix}{t}" for t in [*config.tiers, "cold"] if t != tier]
        added, removed = await edit_tags(ctx, contact, [f"{config.tag_prefix}{tier}"], others)
    return {
        "lead_id": lead.id,
        "contact_id": lead.contact_id,
        "score": score,
        "tier": tier,
        "breakdown": breakdown,
        "tags_added": added,
        "tags_removed": removed,
    }


class SetLeadStatusConfig(HelperConfig):
    status: LeadStatus = Field(description="The status to move the lead to.")
    only_from: list[LeadStatus] = Field(
        default_factory=list, description="Only move leads now in one of these statuses (empty = any)."
    )


async def set_lead_status(ctx: HelperRun, config: SetLeadStatusConfig, inp: HelperInput) -> dict[str, Any]:
    lead = await lead_for(ctx, inp)
    old = lead.status
    allowed = not config.only_from or old in config.only_from
    if allowed and old != config.status:
        lead.status = config.status
        lead.updated_at = utcnow()
    return {"lead_id": lead.id, "old_status": old, "new_status": lead.status, "changed": lead.status != old}


class AssignOwnerConfig(HelperConfig):
    object: Literal["contact", "lead"] = Field(default="contact", description="Which record to assign.")
    strategy: Literal["round_robin", "least_loaded", "fixed"] = Field(
        default="round_robin",
        description="round_robin: the n-th run of the helper picks user n (in turn); least_loaded: "
        "the user owning fewest records; fixed: always the one user given.",
    )
    user_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=50, description="Users of the account to assign to."
    )
    overwrite: bool = Field(default=False, description="Reassign a record that already has an owner.")

    @model_validator(mode="after")
    def _users(self) -> AssignOwnerConfig:
        if len(set(self.user_ids)) != len(self.user_ids):
            raise ValueError("user_ids: repeated user")
        if self.strategy == "fixed" and len(self.user_ids) != 1:
            raise ValueError("user_ids: the fixed strategy takes exactly one user")
        return self


async def assign_owner(ctx: HelperRun, config: AssignOwnerConfig, inp: HelperInput) -> dict[str, Any]:
    record = await (contact_for(ctx, inp) if config.object == "contact" else lead_for(ctx, inp))
    users = await records_store.members(ctx.session, ctx.account_id, config.user_ids)
    missing = [u for u in config.user_ids if u not in users]
    if missing:
        raise Invalid(f"user_ids: not members of this account: {', '.join(missing)}")
    current = await records_store.owner_of(ctx.session, ctx.account_id, record.id)
    previous = current.owner_user_id if current else None
    owner = previous
    if current is None or config.overwrite:
        if config.strategy == "fixed":
            owner = config.user_ids[0]
        elif config.strategy == "round_robin":
            turn = await execution_rank(ctx.session, ctx.execution_id)
            owner = config.user_ids[turn % len(config.user_ids)]
        else:
            loads = await records_store.owner_loads(ctx.session, ctx.account_id, config.user_ids)
            owner = min(config.user_ids, key=lambda u: (loads[u], config.user_ids.index(u)))
        await records_store.set_owner(
            ctx.session,
            account_id=ctx.account_id,
            record_type=config.object,
            record_id=record.id,
            owner_user_id=owner,
            helper_id=ctx.helper_id,
        )
    user = users.get(owner or "")
    return {
        "record_type": config.object,
        "record_id": record.id,
        "owner_user_id": owner,
        "owner_name": user.name if user else None,
        "owner_email": user.email if user else None,
        "previous_owner_user_id": previous,
        "changed": owner != previous,
        "strategy": config.strategy,
    }


TYPES = (
    HelperType(
        "score_lead",
        "Score Lead",
        "analytics",
        "Score a lead 0-100 from its status, source, value, contact details and age; tag its contact "
        "with the tier (hot, warm, cold).",
        ScoreLeadConfig,
        score_lead,
        target="lead",
    ),
    HelperType(
        "set_lead_status",
        "Set Lead Status",
        "automation",
        "Move a lead to a pipeline status, optionally only from given statuses.",
        SetLeadStatusConfig,
        set_lead_status,
        target="lead",
    ),
    HelperType(
        "assign_owner",
        "Assign Owner",
        "automation",
        "Assign a contact or lead to a user of the account: round robin, least loaded, or fixed.",
        AssignOwnerConfig,
        assign_owner,
        target="record",
    ),
)
