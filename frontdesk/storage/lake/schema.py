"""The lake's object types: their Arrow schemas, default date field and default sort.

Known object types get a fixed schema so every source (native CRM, connectors, the generator, CSV
imports) writes the same columns with the same types. Other object types a connector serves are
stored with the types Arrow infers from their records.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from frontdesk.errors import Invalid

TS = pa.timestamp("us", tz="UTC")
OBJECT_TYPE_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

SCHEMAS: dict[str, pa.Schema] = {
    "contacts": pa.schema(
        [
            ("id", pa.string()),
            ("first_name", pa.string()),
            ("last_name", pa.string()),
            ("email", pa.string()),
            ("phone", pa.string()),
            ("company", pa.string()),
            ("position", pa.string()),
            ("status", pa.string()),
            ("source", pa.string()),  # acquisition source: the source of the contact's first lead
            ("lifetime_value", pa.float64()),  # summed value of the contact's converted leads
            ("tags", pa.list_(pa.string())),
            ("created_at", TS),
            ("updated_at", TS),
            ("last_contact_date", TS),
        ]
    ),
    "tags": pa.schema(
        [("id", pa.string()), ("name", pa.string()), ("contact_count", pa.int64()), ("created_at", TS)]
    ),
    "leads": pa.schema(
        [
            ("id", pa.string()),
            ("contact_id", pa.string()),
            ("name", pa.string()),
            ("email", pa.string()),
            ("company", pa.string()),
            ("status", pa.string()),
            ("source", pa.string()),
            ("value", pa.float64()),
            ("created_at", TS),
            ("updated_at", TS),
        ]
    ),
    "campaigns": pa.schema(
        [
            ("id", pa.string()),
            ("platform", pa.string()),
            ("ad_account_id", pa.string()),
            ("name", pa.string()),
            ("status", pa.string()),
            ("objective", pa.string()),
            ("daily_budget", pa.float64()),
            ("currency", pa.string()),
            ("start_date", pa.date32()),
        ]
    ),
    # The canonical ad row shared with the ad-metrics tools (see read_ad_daily).
    "ad_daily_metrics": pa.schema(
        [
            ("date", pa.date32()),
            ("platform", pa.string()),  # google_ads | meta_ads
            ("ad_account_id", pa.string()),
            ("campaign_id", pa.string()),
            ("campaign_name", pa.string()),
            ("impressions", pa.int64()),
            ("clicks", pa.int64()),
            ("spend", pa.float64()),
            ("conversions", pa.float64()),
            ("conversion_value", pa.float64()),
            ("currency", pa.string()),
        ]
    ),
    "ga4_daily_metrics": pa.schema(
        [
            ("date", pa.date32()),
            ("property_id", pa.string()),
            ("channel", pa.string()),
            ("sessions", pa.int64()),
            ("users", pa.int64()),
            ("new_users", pa.int64()),
            ("pageviews", pa.int64()),
            ("conversions", pa.float64()),
            ("revenue", pa.float64()),
        ]
    ),
}

DATE_FIELD = {"ad_daily_metrics": "date", "ga4_daily_metrics": "date", "campaigns": "start_date"}
SORT = {
    "ad_daily_metrics": ["-date", "campaign_id"],
    "ga4_daily_metrics": ["-date", "channel"],
    "campaigns": ["name", "id"],
    "tags": ["name"],
}


TAG_SEP = "\x1f"  # wraps and separates tags in the hidden `_tags` column


def prepare(object_type: str, table: pa.Table) -> pa.Table:
    """The table as the lake stores it: newest first by the object's date field (so Parquet
    row-group statistics let date filters skip most of a file), plus, when it has a `tags` list,
    a hidden `_tags` text column (lower case, `TAG_SEP`-wrapped) that tag filters scan fast."""
    date_field = DATE_FIELD.get(object_type, "created_at")
    if date_field in table.column_names and table.num_rows > 1:
        table = table.sort_by([(date_field, "descending")])
    if "tags" in table.column_names and pa.types.is_list(table.schema.field("tags").type):
        joined = pc.binary_join(table["tags"], TAG_SEP)
        hidden = pc.binary_join_element_wise(TAG_SEP, pc.utf8_lower(pc.fill_null(joined, "")), TAG_SEP, "")
        table = table.append_column("_tags", hidden)
    return table


def check_object_type(object_type: str) -> str:
    if not OBJECT_TYPE_RE.fullmatch(object_type or ""):
        raise Invalid(f"Unknown object type '{object_type}'")
    return object_type


def type_name(t: pa.DataType) -> str:
    """A short, stable name for a field type as the catalog shows it."""
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "number"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"list<{type_name(t.value_type)}>"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t):
        return "string"
    return str(t)


def fields_of(schema: pa.Schema) -> list[dict[str, str]]:
    """Every field with its type name; names starting with `_` are the lake's own (hidden)."""
    return [{"name": f.name, "type": type_name(f.type)} for f in schema]


def _timestamp(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _column(values: list[Any], t: pa.DataType) -> pa.Array:
    if pa.types.is_timestamp(t):
        values = [_timestamp(v) for v in values]
    elif pa.types.is_date(t):
        values = [_day(v) for v in values]
    return pa.array(values, type=t)


def _inferred(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def records_to_table(object_type: str, records: list[dict[str, Any]]) -> pa.Table:
    """Plain dict records (as connectors return them) -> an Arrow table of the object's schema.

    Known fields get their schema type (ISO strings become timestamps/dates); fields outside the
    schema keep the type Arrow infers."""
    schema = SCHEMAS.get(object_type)
    names = list(schema.names) if schema is not None else []
    extra = sorted({k for r in records for k in r} - set(names))
    columns: dict[str, pa.Array] = {}
    for name in names:
        assert schema is not None
        try:
            columns[name] = _column([r.get(name) for r in records], schema.field(name).type)
        except (ValueError, TypeError, pa.ArrowInvalid, pa.ArrowTypeError) as e:
            raise Invalid(f"{object_type}.{name}: {e}") from e
    for name in extra:
        if FIELD_RE.fullmatch(name):  # other names are dropped: fields are SQL identifiers
            columns[name] = _inferred([r.get(name) for r in records])
    if not columns:
        return pa.table({"id": pa.array([], pa.string())})
    return pa.table(columns)
