"""Structured filters over one lake object, and their translation to a DuckDB WHERE clause.

Field names are checked against the object's schema (unknown field -> `Invalid` naming it) and
written as quoted identifiers; every value is a bound parameter.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.errors import Invalid
from frontdesk.storage.lake.schema import DATE_FIELD, SORT, TAG_SEP

Scalar = str | int | float | bool | None


class Range(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gt: float | str | None = None
    gte: float | str | None = None
    lt: float | str | None = None
    lte: float | str | None = None


class Filters(BaseModel):
    """What to select from one object type. All parts combine with AND."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    object_type: str = Field(default="contacts", description="contacts, leads, tags, ad_daily_metrics, ...")
    tags: list[str] | None = Field(default=None, description="Records must carry every one of these tags.")
    date_field: str | None = Field(
        default=None, description="Field for date_from/date_to (default per object)."
    )
    date_from: date | None = Field(default=None, description="On or after this day (UTC).")
    date_to: date | None = Field(default=None, description="On or before this day (UTC).")
    equals: dict[str, Scalar] | None = Field(default=None, description="field -> value (text: any case).")
    in_: dict[str, list[Scalar]] | None = Field(
        default=None, alias="in", description="field -> allowed values."
    )
    ranges: dict[str, Range] | None = Field(default=None, description="field -> {gt, gte, lt, lte}.")
    search: str | None = Field(default=None, description="Text found in any text field (any case).")

    def used(self) -> dict[str, Any]:
        """The filters as applied, without the empty parts (shown in responses)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Compiler:
    """Builds the WHERE and ORDER BY of one query against an object's field types."""

    def __init__(self, object_type: str, field_types: dict[str, str]) -> None:
        self.object_type = object_type
        self.types = field_types
        self.params: list[Any] = []

    def field(self, name: str) -> str:
        if name not in self.types or name.startswith("_"):
            raise Invalid(f"Unknown field '{name}' for object type '{self.object_type}'")
        return name

    def _text(self, name: str) -> bool:
        return self.types[name] == "string"

    def _value(self, name: str, value: Any) -> Any:
        kind = self.types[name]
        try:
            if kind in ("integer", "number"):
                if isinstance(value, bool) or not isinstance(value, int | float | str):
                    raise ValueError(value)
                return float(value)
            if kind == "timestamp":
                parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            if kind == "date":
                return date.fromisoformat(str(value)[:10])
            if kind == "boolean":
                return bool(value)
        except ValueError:
            raise Invalid(f"Field '{name}' is a {kind}; '{value}' is not") from None
        return str(value)

    def _eq(self, name: str, value: Any) -> str:
        col = _quote(self.field(name))
        if value is None:
            return f"{col} IS NULL"
        if self.types[name].startswith("list<"):
            if name == "tags" and "_tags" in self.types:  # the hidden, lower-cased tag text
                self.params.append(f"{TAG_SEP}{str(value).lower()}{TAG_SEP}")
                return 'contains("_tags", ?)'
            self.params.append(str(value).lower())
            return f"list_contains(list_transform({col}, lambda x: lower(x)), ?)"
        if self._text(name):
            self.params.append(str(value).lower())
            return f"lower({col}) = ?"
        self.params.append(self._value(name, value))
        return f"{col} = ?"

    def _in(self, name: str, values: list[Any]) -> str:
        if not values:
            raise Invalid(f"'in' for field '{name}' needs at least one value")
        col = _quote(self.field(name))
        if self._text(name):
            self.params.extend(str(v).lower() for v in values)
            return f"lower({col}) IN ({', '.join('?' * len(values))})"
        self.params.extend(self._value(name, v) for v in values)
        return f"{col} IN ({', '.join('?' * len(values))})"

    def _range(self, name: str, r: Range) -> list[str]:
        col = _quote(self.field(name))
        if self.types[name].startswith("list<") or self.types[name] == "boolean":
            raise Invalid(f"Field '{name}' cannot take a range")
        out = []
        for op, sym in (("gt", ">"), ("gte", ">="), ("lt", "<"), ("lte", "<=")):
            value = getattr(r, op)
            if value is not None:
                self.params.append(self._value(name, value))
                out.append(f"{col} {sym} ?")
        return out

    def _dates(self, f: Filters) -> list[str]:
        if f.date_from and f.date_to and f.date_from > f.date_to:
            raise Invalid(f"date_from {f.date_from} is after date_to {f.date_to}")
        name = f.date_field or DATE_FIELD.get(f.object_type, "created_at")
        col = _quote(self.field(name))
        kind = self.types[name]
        if kind not in ("timestamp", "date"):
            raise Invalid(f"date_field '{name}' is a {kind}, not a date")
        out = []
        if f.date_from:
            start: date | datetime = f.date_from
            if kind == "timestamp":
                start = datetime.combine(f.date_from, time.min, UTC)
            self.params.append(start)
            out.append(f"{col} >= ?")
        if f.date_to:
            if kind == "timestamp":
                self.params.append(datetime.combine(f.date_to + timedelta(days=1), time.min, UTC))
                out.append(f"{col} < ?")
            else:
                self.params.append(f.date_to)
                out.append(f"{col} <= ?")
        return out

    def _search(self, text: str) -> str:
        cols = [n for n, t in self.types.items() if t == "string" and n != "id" and not n.startswith("_")]
        if not cols:
            raise Invalid(f"Object type '{self.object_type}' has no text fields to search")
        exprs = [f"coalesce(lower({_quote(c)}), '')" for c in cols]
        if {"first_name", "last_name"} <= set(cols):
            exprs.append("lower(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))")
        needle = text.strip().lower()
        self.params.extend([needle] * len(exprs))
        return "(" + " OR ".join(f"contains({e}, ?)" for e in exprs) + ")"

    def where(self, f: Filters) -> str:
        conds: list[str] = []
        for tag in f.tags or []:
            if "tags" not in self.types:
                raise Invalid(f"Unknown field 'tags' for object type '{self.object_type}'")
            conds.append(self._eq("tags", tag))
        if f.date_from or f.date_to or f.date_field:
            if f.date_field:
                self.field(f.date_field)
            conds += self._dates(f)
        for name, value in (f.equals or {}).items():
            conds.append(self._eq(name, value))
        for name, values in (f.in_ or {}).items():
            conds.append(self._in(name, values))
        for name, r in (f.ranges or {}).items():
            conds += self._range(name, r)
        if f.search and f.search.strip():
            conds.append(self._search(f.search))
        return " AND ".join(conds) if conds else "TRUE"

    def columns(self) -> str:
        hidden = [_quote(n) for n in self.types if n.startswith("_")]
        return f"* EXCLUDE ({', '.join(hidden)})" if hidden else "*"

    def order_by(self, sort: list[str] | None) -> str:
        keys = sort or SORT.get(self.object_type) or (["-created_at"] if "created_at" in self.types else [])
        parts = []
        for key in keys:
            key = key.strip()
            desc = key.startswith("-") or key.lower().endswith(" desc")
            name = key.lstrip("-+").removesuffix(" desc").removesuffix(" DESC").removesuffix(" asc").strip()
            if not name:
                raise Invalid(f"Invalid sort key '{key}'")
            parts.append(f"{_quote(self.field(name))} {'DESC' if desc else 'ASC'} NULLS LAST")
        if "id" in self.types and not any(k.lstrip("-+").split()[0] == "id" for k in keys):
            parts.append('"id" ASC')
        return ", ".join(parts) if parts else "1"
