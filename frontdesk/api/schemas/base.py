"""What every response model shares: the strict base, timestamps, and offset-page fields."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Timestamp = Annotated[
    str, Field(description="UTC, ISO 8601 with `Z`.", json_schema_extra={"format": "date-time"})
]
Day = Annotated[str, Field(description="A day, YYYY-MM-DD.", json_schema_extra={"format": "date"})]


class Public(BaseModel):
    """A response body. Unknown keys are an error, so the model and the route cannot drift apart."""

    model_config = ConfigDict(extra="forbid")


class CamelPublic(Public):
    """A response body in the CRM MVP's camelCase (fields named in snake_case here)."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class PageFields(Public):
    """Offset pagination (`paging.page_fields`)."""

    total: int
    limit: int
    offset: int
    has_more: bool


class DateRange(Public):
    start: Day
    end: Day
    days: int
