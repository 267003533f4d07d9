"""Helper types that edit one contact: tag_it, update_field, copy_field, format_name."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from frontdesk.storage.crm import LEAD_STATUSES
from frontdesk.storage.ids import utcnow
from frontdesk.tools.helpers.base import HelperConfig, HelperInput, HelperRun, HelperType
from frontdesk.tools.helpers.records import ContactText, contact_for, edit_tags, lead_for

Tag = Annotated[str, Field(min_length=1, max_length=100, pattern=r"\S")]
Tags = Annotated[list[Tag], Field(max_length=50)]
_MAX_LEN = {"first_name": 100, "last_name": 100, "email": 320, "phone": 32, "status": 32, "name": 200}
_REQUIRED = {"first_name", "status", "name", "source"}


class TagItConfig(HelperConfig):
    tag_name: Tag | None = Field(default=None, description="One tag to apply.")
    apply_tags: Tags = Field(default_factory=list, description="Tags to apply.")
    remove_tags: Tags = Field(default_factory=list, description="Tags to remove.")

    @model_validator(mode="after")
    def _something(self) -> TagItConfig:
        if not (self.tag_name or self.apply_tags or self.remove_tags):
            raise ValueError("set tag_name, apply_tags or remove_tags")
        return self


async def tag_it(ctx: HelperRun, config: TagItConfig, inp: HelperInput) -> dict[str, Any]:
    contact = await contact_for(ctx, inp)
    wanted = ([config.tag_name] if config.tag_name else []) + config.apply_tags
    added, removed = await edit_tags(ctx, contact, wanted, config.remove_tags)
    return {
        "contact_id": contact.id,
        "added": added,
        "removed": removed,
        "tags": sorted(t.name for t in contact.tags),
    }


class UpdateFieldConfig(HelperConfig):
    object: Literal["contact", "lead"] = Field(default="contact", description="Which record to edit.")
    field: str = Field(
        description="Contact: first_name, last_name, email, phone, company, position, "
        "status, notes. Lead: name, email, phone, company, status, source, value, notes."
    )
    value: str | int | float | None = Field(default=None, description="The new value; null clears the field.")
    only_if_empty: bool = Field(default=False, description="Leave a field that already has a value.")

    @model_validator(mode="after")
    def _field_and_value(self) -> UpdateFieldConfig:
        self.value = coerce_value(self.object, self.field, self.value)
        return self


_FIELDS = {
    "contact": {"first_name", "last_name", "email", "phone", "company", "position", "status", "notes"},
    "lead": {"name", "email", "phone", "company", "status", "source", "value", "notes"},
}


def coerce_value(obj: str, field: str, value: Any) -> Any:
    """The value as it will be stored, or ValueError saying what is wrong with it."""
    if field not in _FIELDS[obj]:
        raise ValueError(f"field: {obj} has no writable field {field!r}; use one of {sorted(_FIELDS[obj])}")
    if obj == "lead" and field == "value":
        if value is None or isinstance(value, bool):
            raise ValueError("value: a number is required for lead value")
        try:
            return float(value)
        except ValueError:
            raise ValueError("value: a number is required for lead value") from None
    if value is None or (isinstance(value, str) and not value.strip()):
        if field in _REQUIRED:
            raise ValueError(f"value: {obj} {field} cannot be empty")
        return "" if field == "last_name" else None
    text = str(value).strip()
    if obj == "lead" and field == "status" and text not in LEAD_STATUSES:
        raise ValueError(f"value: lead status must be one of {', '.join(LEAD_STATUSES)}")
    if field == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise ValueError("value: not an email address")
    if len(text) > _MAX_LEN.get(field, 10_000):
        raise ValueError(f"value: longer than {_MAX_LEN.get(field, 10_000)} characters")
    return text


async def update_field(ctx: HelperRun, config: UpdateFieldConfig, inp: HelperInput) -> dict[str, Any]:
    record = await (contact_for(ctx, inp) if config.object == "contact" else lead_for(ctx, inp))
    old = getattr(record, config.field)
    changed = old != config.value and not (config.only_if_empty and old not in (None, ""))
    if changed:
        setattr(record, config.field, config.value)
        record.updated_at = utcnow()
    return {
        "object": config.object,
        "record_id": record.id,
        "field": config.field,
        "old_value": old,
        "new_value": getattr(record, config.field),
        "changed": changed,
    }


class CopyFieldConfig(HelperConfig):
    from_field: ContactText = Field(description="Contact field to copy from.")
    to_field: ContactText = Field(description="Contact field to copy into.")
    overwrite: bool = Field(default=False, description="Replace a value the target already has.")

    @model_validator(mode="after")
    def _different(self) -> CopyFieldConfig:
        if self.from_field == self.to_field:
            raise ValueError("to_field: must differ from from_field")
        return self


async def copy_field(ctx: HelperRun, config: CopyFieldConfig, inp: HelperInput) -> dict[str, Any]:
    contact = await contact_for(ctx, inp)
    source, target = getattr(contact, config.from_field), getattr(contact, config.to_field)
    reason = None
    if source in (None, ""):
        reason = f"{config.from_field} is empty"
    elif target not in (None, "") and not config.overwrite:
        reason = f"{config.to_field} already has a value"
    elif source == target:
        reason = "values already equal"
    if reason is None:
        value = str(source)[: _MAX_LEN.get(config.to_field, 10_000)]
        setattr(contact, config.to_field, value)
        contact.updated_at = utcnow()
    return {
        "contact_id": contact.id,
        "from_field": config.from_field,
        "to_field": config.to_field,
        "old_value": target,
        "new_value": getattr(contact, config.to_field),
        "changed": reason is None,
        "skipped_because": reason,
    }


class FormatNameConfig(HelperConfig):
    case: Literal["title", "upper", "lower"] = Field(default="title", description="Letter case to apply.")
    split_full_name: bool = Field(
        default=True, description="When last_name is empty and first_name holds two words, split them."
    )


def _title_word(word: str) -> str:
    word = word.lower()
    if len(word) > 2 and word.startswith("mc"):
        return "Mc" + word[2:].capitalize()
    return word.capitalize()


def format_case(text: str, case: str) -> str:
    text = " ".join(text.split())
    if case == "upper":
        return text.upper()
    if case == "lower":
        return text.lower()
    return re.sub(r"[^\s\-']+", lambda m: _title_word(m.group(0)), text)


async def format_name(ctx: HelperRun, config: FormatNameConfig, inp: HelperInput) -> dict[str, Any]:
    contact = await contact_for(ctx, inp)
    before = {"first_name": contact.first_name, "last_name": contact.last_name}
    first, last = " ".join(contact.first_name.split()), " ".join((contact.last_name or "").split())
    if config.split_full_name and not last and " " in first:
        first, last = first.rsplit(" ", 1)
    first, last = format_case(first, config.case), format_case(last, config.case)
    changed = (first, last) != (before["first_name"], before["last_name"])
    if changed and first:
        contact.first_name, contact.last_name = first, last
        contact.updated_at = utcnow()
    return {
        "contact_id": contact.id,
        "before": before,
        "after": {"first_name": contact.first_name, "last_name": contact.last_name},
        "changed": changed and bool(first),
    }


TYPES = (
    HelperType("tag_it", "Tag It", "tagging", "Apply or remove tags on a contact.", TagItConfig, tag_it),
    HelperType(
        "update_field",
        "Update Field",
        "data",
        "Set (or clear) one field of a contact or a lead.",
        UpdateFieldConfig,
        update_field,
        target="record",
    ),
    HelperType(
        "copy_field",
        "Copy Field",
        "data",
        "Copy one contact field into another.",
        CopyFieldConfig,
        copy_field,
    ),
    HelperType(
        "format_name",
        "Format Name",
        "contact",
        "Tidy a contact's name: whitespace, letter case, a full name split into first and last.",
        FormatNameConfig,
        format_name,
    ),
)
