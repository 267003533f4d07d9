"""The date_calc helper type: set a contact's date from another date, or measure days since one
and keep a tag in step with it (e.g. `stale` after 90 days without contact)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from frontdesk.storage.ids import iso, utcnow
from frontdesk.tools.helpers.base import HelperConfig, HelperInput, HelperRun, HelperType
from frontdesk.tools.helpers.records import contact_for, edit_tags

DateField = Literal["created_at", "last_contact_date"]


class DateCalcConfig(HelperConfig):
    operation: Literal["set_date", "days_since"] = Field(
        default="set_date",
        description="set_date: target_field = base + offset_days. days_since: days from `field` to now.",
    )
    base: Literal["now", "created_at", "last_contact_date"] = Field(
        default="now", description="set_date: the date to start from."
    )
    offset_days: Annotated[int, Field(ge=-3650, le=3650)] = Field(default=0, description="Days to add.")
    target_field: Literal["last_contact_date"] = Field(
        default="last_contact_date", description="set_date: the contact date to write."
    )
    field: DateField = Field(default="last_contact_date", description="days_since: the date measured.")
    tag_over_days: Annotated[int, Field(ge=0, le=36_500)] | None = Field(
        default=None,
        description="days_since: apply `tag` when more days than this have passed, remove it otherwise.",
    )
    tag: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        default=None, description="days_since: the tag kept in step with tag_over_days."
    )

    @model_validator(mode="after")
    def _tag_rule(self) -> DateCalcConfig:
        if (self.tag_over_days is None) != (self.tag is None):
            raise ValueError("tag and tag_over_days go together")
        if self.operation == "set_date" and self.tag is not None:
            raise ValueError("tag: only used by days_since")
        return self


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


async def date_calc(ctx: HelperRun, config: DateCalcConfig, inp: HelperInput) -> dict[str, Any]:
    contact = await contact_for(ctx, inp)
    now = utcnow()
    if config.operation == "set_date":
        base = now if config.base == "now" else _aware(getattr(contact, config.base))
        if base is None:
            return {"contact_id": contact.id, "changed": False, "skipped_because": f"{config.base} is empty"}
        old = _aware(getattr(contact, config.target_field))
        new = base + timedelta(days=config.offset_days)
        setattr(contact, config.target_field, new)
        contact.updated_at = now
        return {
            "contact_id": contact.id,
            "field": config.target_field,
            "old_value": iso(old),
            "new_value": iso(new),
            "changed": old != new,
        }
    value = _aware(getattr(contact, config.field))
    days = (now - value).days if value is not None else None
    added: list[str] = []
    removed: list[str] = []
    if config.tag is not None and config.tag_over_days is not None:
        over = days is not None and days > config.tag_over_days
        added, removed = await edit_tags(
            ctx, contact, [config.tag] if over else [], [] if over else [config.tag]
        )
    return {
        "contact_id": contact.id,
        "field": config.field,
        "value": iso(value),
        "days_since": days,
        "tags_added": added,
        "tags_removed": removed,
    }


TYPES = (
    HelperType(
        "date_calc",
        "Date Calc",
        "data",
        "Set a contact's date from another date plus days, or count the days since a date and keep "
        "a tag in step with it.",
        DateCalcConfig,
        date_calc,
    ),
)
