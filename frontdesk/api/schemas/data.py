"""`/data/*`: the data explorer and ad CSV imports."""

from __future__ import annotations

from typing import Any

from frontdesk.api.schemas.base import Day, Public, Timestamp


class QueryOut(Public):
    """One page of rows. `nl_query`, `understood` and `planner` are there when a question was asked."""

    results: list[dict[str, Any]]
    total: int
    query_time_ms: float
    has_more: bool
    connection_id: str
    object_type: str
    filters: dict[str, Any]
    sort: list[str] | None
    limit: int
    offset: int
    nl_query: str | None = None
    understood: list[str] | None = None
    planner: str | None = None


class LakeObjectPublic(Public):
    object_type: str
    record_count: int
    last_synced: Timestamp | None
    fields: list[str]
    field_types: dict[str, str]
    size_bytes: int | None


class CatalogOut(Public):
    connection_id: str
    platform: str
    name: str
    objects: list[LakeObjectPublic]


class SyncedObject(Public):
    connection_id: str
    platform: str
    object_type: str
    record_count: int
    last_synced: Timestamp | None


class SkippedConnection(Public):
    connection_id: str
    platform: str
    reason: str


class SyncOut(Public):
    synced: list[SyncedObject]
    objects: int
    skipped: list[SkippedConnection]


class ImportedFile(Public):
    connection_id: str
    filename: str | None
    platform: str
    rows_imported: int
    rows_in_lake: int
    date_from: Day
    date_to: Day
    campaigns: int
    spend: float
    conversion_value: float
    roas: float | None


class DataSources(Public):
    meta_ads_records: int
    google_ads_records: int


class ImportSummary(Public):
    total_records: int
    data_sources: DataSources
    total_campaigns: int
    total_spend: float
    overall_roas: float | None


class ImportOut(Public):
    imports: list[ImportedFile]
    summary: ImportSummary
