"""What a helper type is (`HelperType`), what one run of it receives (`HelperRun`, `HelperInput`),
and the registry of types (`HelperTypes`).

A helper type is a config model (its JSON schema is the type's `config_schema`) and an async
`run(ctx, config, input) -> output` that reads and changes the account's CRM data in the run's
session. The run's edits commit together when it returns, or roll back when it raises.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid, NotFound
from frontdesk.tools.helpers.net import OutboundHttp

Target = Literal["contact", "lead", "record", "none"]
"""What an execution must name: a contact, a lead (or a contact whose latest lead is used),
`record` = whichever the config's `object` says, or nothing (the whole account)."""

CATEGORIES = ("analytics", "automation", "contact", "data", "integration", "notification", "tagging")


class HelperConfig(BaseModel):
    """Base of every config model: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True, slots=True)
class HelperInput:
    contact_id: str | None = None
    lead_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HelperRun:
    """What a running helper may use: the run's session (scoped by `account_id` in every query),
    who started it, and the SSRF-safe outbound HTTP gate."""

    session: AsyncSession
    account_id: str
    user_id: str | None
    helper_id: str
    execution_id: str
    http: OutboundHttp


RunFn = Callable[[HelperRun, Any, HelperInput], Awaitable[dict[str, Any]]]


def config_error(e: ValidationError) -> Invalid:
    parts = []
    for err in e.errors():
        loc = ".".join(str(x) for x in ("config", *err["loc"]))
        parts.append(f"{loc}: {err['msg'].removeprefix('Value error, ')}")
    return Invalid("; ".join(parts))


@dataclass(frozen=True, slots=True)
class HelperType:
    type: str
    name: str
    category: str
    description: str
    config_model: type[HelperConfig]
    run: RunFn
    target: Target = "contact"
    requires_crm: bool = True
    supported_crms: tuple[str, ...] = ("native",)

    def config_schema(self) -> dict[str, Any]:
        schema = self.config_model.model_json_schema()
        schema.pop("title", None)
        return schema

    def validate_config(self, config: dict[str, Any] | None) -> HelperConfig:
        """The typed config, or `Invalid` naming each bad field (`config.tag_name: ...`)."""
        try:
            return self.config_model.model_validate(config or {})
        except ValidationError as e:
            raise config_error(e) from e

    def required_target(self, config: HelperConfig) -> Target:
        if self.target == "record":
            return getattr(config, "object")  # noqa: B009  (record types declare `object`)
        return self.target

    def public(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "name": self.name,
            "category": self.category,
            "description": self.description,
            "target": self.target,
            "requires_crm": self.requires_crm,
            "supported_crms": list(self.supported_crms),
            "config_schema": self.config_schema(),
        }


class HelperTypes:
    """The registry of helper types, by type name."""

    def __init__(self, types: Iterable[HelperType] = ()) -> None:
        self._types: dict[str, HelperType] = {}
        for t in types:
            self.add(t)

    def add(self, helper_type: HelperType) -> None:
        if helper_type.type in self._types:
            raise ValueError(f"helper type {helper_type.type} registered twice")
        if helper_type.category not in CATEGORIES:
            raise ValueError(f"helper type {helper_type.type}: unknown category {helper_type.category}")
        self._types[helper_type.type] = helper_type

    def get(self, name: str) -> HelperType:
        try:
            return self._types[name]
        except KeyError:
            raise NotFound(f"Unknown helper type '{name}'") from None

    def all(self) -> list[HelperType]:
        return sorted(self._types.values(), key=lambda t: (t.category, t.type))

    def categories(self) -> list[str]:
        return sorted({t.category for t in self._types.values()})
