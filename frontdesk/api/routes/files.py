"""Mezzofy's artifact store: `POST /files/upload`, `GET /files/`, `GET /files/{id}`, `DELETE /files/{id}`.

A file's type is sniffed from its bytes (`tools/media/sniff`), not taken from the client: other
types are 415, files over `upload_max_mib` 413. Files are the uploading user's: another user's
file is 404 everywhere. Deleting removes the record; the bytes stay on disk for audit.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Query, UploadFile
from fastapi.responses import FileResponse

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.files import FileDeleted, FileList, FileUploaded
from frontdesk.errors import NotFound, TooLarge
from frontdesk.paging import page_fields
from frontdesk.storage import files as store
from frontdesk.storage.file_models import StoredFile
from frontdesk.storage.ids import iso
from frontdesk.tools.media.sniff import Sniffed, sniff

router = APIRouter(prefix="/files", tags=["files"])
ACCEPTED = "image/*, video/*, audio/*, application/pdf, OOXML (docx, xlsx, pptx), text/plain, text/csv"


async def read_upload(upload: UploadFile, max_mib: int, field: str) -> tuple[bytes, Sniffed]:
    """The upload's bytes (at most `max_mib` MiB, else 413) and its sniffed type (else 415)."""
    limit = max_mib * 1024 * 1024
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"{field} is over the {max_mib} MiB limit")
    if not data:
        raise HTTPException(415, f"{field} is empty")
    sniffed = sniff(data, upload.filename or "", upload.content_type or "")
    if sniffed is None:
        raise HTTPException(415, f"{field}: unsupported file type; accepted: {ACCEPTED}")
    return data, sniffed


def _public(row: StoredFile) -> dict[str, Any]:
    return {
        "id": row.id,
        "filename": row.filename,
        "file_type": row.file_type,
        "content_type": row.content_type,
        "size_bytes": row.size_bytes,
        "download_url": f"/files/{row.id}",
        "created_at": iso(row.created_at),
    }


@router.post("/upload", response_model=FileUploaded, responses=errors(401, 413, 415, 422))
async def upload(
    principal: CurrentPrincipal, services: ServicesDep, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Store a file; its `artifact_id` and `download_url` come back."""
    data, sniffed = await read_upload(file, services.settings.upload_max_mib, "file")
    row = await store.save_file(
        services.db,
        services.settings.data_dir,
        principal,
        data,
        filename=file.filename,
        content_type=sniffed.mime,
        file_type=sniffed.file_type,
    )
    public = _public(row)
    return {"artifact_id": public.pop("id"), **public}


@router.get("/", response_model=FileList, responses=errors(401, 422))
async def list_files(
    principal: CurrentPrincipal,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """Your files, newest first."""
    rows, total = await store.list_files(services.db, principal, limit=limit, offset=offset)
    return {
        "artifacts": [_public(r) for r in rows],
        "count": len(rows),
        **page_fields(total, limit, offset, len(rows)),
    }


@router.get(
    "/{file_id}",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The file's bytes, with its sniffed Content-Type",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        },
        **errors(401, 404),
    },
)
async def download(file_id: str, principal: CurrentPrincipal, services: ServicesDep) -> FileResponse:
    """The bytes of one of the caller's uploaded files, with its sniffed content type."""
    row = await store.get_file(services.db, principal, file_id)
    path = store.file_path(services.settings.data_dir, row)
    if not path.is_file():
        raise NotFound("The file's bytes are missing")
    return FileResponse(
        path,
        media_type=row.content_type,
        filename=row.filename,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff"},
    )


@router.delete("/{file_id}", response_model=FileDeleted, responses=errors(401, 404))
async def delete(file_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """Delete the record; the bytes are kept on disk for audit."""
    await store.delete_file(services.db, principal, file_id)
    return {"deleted": True, "artifact_id": file_id}
