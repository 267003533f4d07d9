"""`/data/*`: the data explorer (MyFusion "Data Explorer Service" shapes) and ad CSV imports
(MIA "file insights"). Routes translate only; the work is in `tools.explorer`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile

from frontdesk import clock
from frontdesk.agent.nl_filters import ModelFilters, plan_filters
from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.data import CatalogOut, ImportOut, QueryOut, SyncOut
from frontdesk.api.services import Services
from frontdesk.errors import Invalid, TooLarge
from frontdesk.storage.lake.filters import Filters
from frontdesk.storage.lake.query import MAX_LIMIT
from frontdesk.tools.base import ToolContext
from frontdesk.tools.explorer.files import MAX_EXPORT_ROWS, MAX_UPLOAD_BYTES, export_rows, import_ad_export
from frontdesk.tools.explorer.sync import sync_as
from frontdesk.tools.explorer.tools import PERMISSION, connection_objects

router = APIRouter(prefix="/data", tags=["data"])
PLATFORMS = ("meta_ads", "google_ads")
UPLOAD_FIELDS = {"meta_csv": "meta_ads", "google_csv": "google_ads", "file": None}
OFFLINE = "offline"
PLANNER_HEADER = "X-Frontdesk-Planner"
EXPORT_CONTENT = {
    "text/csv": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
}
_FILE = {"type": "string", "format": "binary"}
IMPORT_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "meta_csv": _FILE,
                    "google_csv": _FILE,
                    "file": _FILE,
                    "platform": {"type": "string", "enum": list(PLATFORMS)},
                    "currency": {"type": "string"},
                    "ad_account_id": {"type": "string"},
                },
            }
        }
    },
}


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connection_id: str
    nl_query: str | None = Field(default=None, max_length=1000)
    filters: Filters | None = None
    sort: list[str] | None = None
    limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0)


class ExportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connection_id: str | None = None
    nl_query: str | None = Field(default=None, max_length=1000)
    filters: Filters | None = None
    sort: list[str] | None = None
    limit: int = Field(default=MAX_EXPORT_ROWS, ge=1, le=MAX_EXPORT_ROWS)


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connection_id: str | None = None
    query: ExportQuery = Field(default_factory=ExportQuery)
    format: Literal["csv", "json"] = "csv"


class SyncIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connection_id: str | None = Field(default=None, description="Omit to sync every connection.")


def _ctx(services: ServicesDep, principal: CurrentPrincipal) -> ToolContext:
    return ToolContext(principal, services.db, services.settings)


async def _model_plan(
    services: Services,
    ctx: ToolContext,
    connection_id: str | None,
    nl_query: str | None,
    filters: Filters | None,
) -> ModelFilters | None:
    """The configured model's filters for `nl_query`; None (-> the offline planner) with the offline
    model, without a question, when explicit filters are given, or when the model had no valid answer."""
    model = services.filter_model
    if model is None or filters is not None or not nl_query or not nl_query.strip():
        return None
    ctx.require(PERMISSION)
    _, objects = await connection_objects(ctx, connection_id)
    catalog = {o.object_type: {f["name"]: f["type"] for f in o.fields} for o in objects}
    today = clock.today()
    timeout = services.settings.model_timeout_seconds
    return await plan_filters(model, nl_query, catalog, today=today, max_seconds=timeout)


@router.post(
    "/query",
    response_model=QueryOut,
    response_model_exclude_unset=True,  # `nl_query`, `understood`, `planner` only for a question
    responses=errors(400, 401, 403, 404, 413, 422),
)
async def query(body: QueryIn, principal: CurrentPrincipal, services: ServicesDep) -> Any:
    """Query a connection's synced objects with structured filters and/or `nl_query` (planned by the
    configured model, else the offline planner; `planner` names which)."""
    ctx = _ctx(services, principal)
    args = body.model_dump(mode="json", by_alias=True, exclude_none=True)
    plan = await _model_plan(services, ctx, body.connection_id, body.nl_query, body.filters)
    if plan is None:
        out = await services.registry.call("data_query", args, ctx)
        return out | ({"planner": OFFLINE} if "understood" in out else {})
    args.pop("nl_query", None)
    args["filters"] = plan.filters.used()
    for key, value in (("sort", plan.sort), ("limit", plan.limit)):
        if value and key not in args:  # explicit sort and limit win
            args[key] = value
    out = await services.registry.call("data_query", args, ctx)
    return out | {"nl_query": body.nl_query, "understood": plan.understood, "planner": plan.planner}


@router.get("/catalog", response_model=CatalogOut, responses=errors(400, 401, 403, 404, 422))
async def get_catalog(
    connection_id: Annotated[str, Query()], principal: CurrentPrincipal, services: ServicesDep
) -> Any:
    """Objects of a connection in the lake: record counts, last sync, fields and their types."""
    return await services.registry.call(
        "data_catalog", {"connection_id": connection_id}, _ctx(services, principal)
    )


@router.post(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {"description": "A CSV or JSON attachment", "content": EXPORT_CONTENT},
        **errors(400, 401, 403, 404, 413, 422),
    },
)
async def export(body: ExportIn, principal: CurrentPrincipal, services: ServicesDep) -> StreamingResponse:
    """Matching rows as a CSV or JSON attachment (at most 10,000), streamed."""
    q = body.query
    connection_id = body.connection_id or q.connection_id
    if connection_id is None:
        raise Invalid("connection_id is required")
    ctx = _ctx(services, principal)
    plan = await _model_plan(services, ctx, connection_id, q.nl_query, q.filters)
    out = await export_rows(
        ctx,
        connection_id,
        nl_query=None if plan else q.nl_query,
        filters=plan.filters if plan else q.filters,
        sort=q.sort or (plan.sort if plan else None),
        fmt=body.format,
        max_rows=q.limit,
    )
    headers = {"Content-Disposition": f'attachment; filename="{out.filename}"'}
    if q.nl_query and q.nl_query.strip():  # which planner read the question
        headers[PLANNER_HEADER] = plan.planner if plan else OFFLINE
    return StreamingResponse(out.chunks, media_type=out.media_type, headers=headers)


@router.post("/sync", response_model=SyncOut, responses=errors(401, 403, 404, 413, 422, 429, 502))
async def sync(principal: CurrentPrincipal, services: ServicesDep, body: SyncIn | None = None) -> Any:
    """Copy a connection's objects (or every connection's) into the lake now."""
    report = await sync_as(_ctx(services, principal), body.connection_id if body else None)
    return report.public()


async def _read(upload: UploadFile) -> bytes:
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise TooLarge(f"{upload.filename or 'The upload'} is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB")
    return data


@router.post(
    "/import",
    status_code=201,
    response_model=ImportOut,
    responses=errors(400, 401, 403, 413, 415),
    openapi_extra={"requestBody": IMPORT_BODY},
)
async def import_csv(request: Request, principal: CurrentPrincipal, services: ServicesDep) -> Any:
    """Upload Meta Ads (`meta_csv`) and/or Google Ads (`google_csv`) CSV exports, or one `file` with
    an optional `platform`; their rows land in the lake as `ad_daily_metrics`."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > 2 * MAX_UPLOAD_BYTES + 64 * 1024:
        raise TooLarge(f"Uploads are limited to {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB per file")
    async with request.form(max_files=3, max_fields=8) as form:
        platform = form.get("platform")
        if platform is not None and platform not in ("google_ads", "meta_ads"):
            raise Invalid("platform must be google_ads or meta_ads")
        options = {k: str(form[k]) for k in ("currency", "ad_account_id") if isinstance(form.get(k), str)}
        files = [(form[name], fixed) for name, fixed in UPLOAD_FIELDS.items() if name in form]
        if not files or not all(isinstance(f, UploadFile) for f, _ in files):
            raise Invalid("Send the export as a file in meta_csv, google_csv or file")
        imports = []
        for upload, fixed in files:
            assert isinstance(upload, UploadFile)
            imports.append(
                await import_ad_export(
                    _ctx(services, principal),
                    await _read(upload),
                    filename=upload.filename,
                    content_type=upload.content_type,
                    platform=fixed or platform,  # type: ignore[arg-type]
                    **options,
                )
            )
    spend = sum(i["spend"] for i in imports)
    value = sum(i["conversion_value"] for i in imports)
    by = {
        p: sum(i["rows_imported"] for i in imports if i["platform"] == p) for p in ("meta_ads", "google_ads")
    }
    return {
        "imports": imports,
        "summary": {
            "total_records": sum(by.values()),
            "data_sources": {"meta_ads_records": by["meta_ads"], "google_ads_records": by["google_ads"]},
            "total_campaigns": sum(i["campaigns"] for i in imports),
            "total_spend": round(spend, 2),
            "overall_roas": round(value / spend, 2) if spend else None,
        },
    }
