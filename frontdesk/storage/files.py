"""The artifact store: uploaded files' bytes under `<data_dir>/files/` and their rows (`files`).

A file belongs to the user who uploaded it (in that account): every read is scoped to both, and
another user's file is `NotFound`. Bytes are written under a generated name
(`files/<2 hex>/<32 hex>.<ext>`), never one a client chose, and are kept when the row is deleted
(Mezzofy keeps them for audit). Uploads and deletions are written to the audit trail in the same
transaction as the row.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import uuid
from pathlib import Path

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import NotFound
from frontdesk.storage import audit
from frontdesk.storage.db import Database
from frontdesk.storage.file_models import StoredFile
from frontdesk.storage.ids import new_id
from frontdesk.types import Principal

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")
AUDITED = frozenset({"filename", "content_type", "file_type", "size_bytes", "sha256"})


def files_dir(data_dir: Path) -> Path:
    return data_dir / "files"


def display_name(filename: str | None, extension: str) -> str:
    """The name shown for a file: the client's base name without control characters or slashes."""
    base = _UNSAFE.sub("_", (filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return (base or f"upload.{extension}")[:255]


def blob_path(data_dir: Path, storage_name: str) -> Path:
    return files_dir(data_dir) / storage_name[:2] / storage_name


def file_path(data_dir: Path, row: StoredFile) -> Path:
    return blob_path(data_dir, row.storage_name)


def _write_new(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


async def save_file(
    db: Database,
    data_dir: Path,
    principal: Principal,
    data: bytes,
    *,
    filename: str | None,
    content_type: str,
    file_type: str,
) -> StoredFile:
    """Write the bytes under a generated name, then the row; return the row."""
    storage_name = f"{uuid.uuid4().hex}.{re.sub(r'[^a-z0-9]', '', file_type.lower())[:8] or 'bin'}"
    row = StoredFile(
        id=new_id("file"),
        account_id=principal.account_id,
        user_id=principal.user_id,
        filename=display_name(filename, file_type),
        content_type=content_type,
        file_type=file_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_name=storage_name,
    )
    await asyncio.to_thread(_write_new, file_path(data_dir, row), data)

    async def insert(s: AsyncSession) -> StoredFile:
        s.add(row)
        after = audit.snapshot(row, AUDITED)
        audit.record_change(s, row.account_id, row.user_id, "file.create", ("file", row.id), {}, after)
        return row

    return await db.run_write(insert)


def _mine(principal: Principal) -> tuple[ColumnElement[bool], ...]:
    """Rows of the principal's own files (their user, in their account)."""
    return (StoredFile.user_id == principal.user_id, StoredFile.account_id == principal.account_id)


async def list_files(
    db: Database, principal: Principal, *, limit: int, offset: int
) -> tuple[list[StoredFile], int]:
    async with db.session() as s:
        total = await s.scalar(select(func.count()).select_from(StoredFile).where(*_mine(principal)))
        rows = await s.scalars(
            select(StoredFile)
            .where(*_mine(principal))
            .order_by(StoredFile.created_at.desc(), StoredFile.id)
            .limit(limit)
            .offset(offset)
        )
        return list(rows), int(total or 0)


async def get_file(db: Database, principal: Principal, file_id: str) -> StoredFile:
    async with db.session() as s:
        row = await s.scalar(select(StoredFile).where(StoredFile.id == file_id, *_mine(principal)))
    if row is None:
        raise NotFound("File not found")
    return row


async def delete_file(db: Database, principal: Principal, file_id: str) -> None:
    """Delete the row (the bytes stay on disk)."""

    async def delete(s: AsyncSession) -> None:
        row = await s.scalar(select(StoredFile).where(StoredFile.id == file_id, *_mine(principal)))
        if row is None:
            raise NotFound("File not found")
        before = audit.snapshot(row, AUDITED)
        audit.record_change(s, row.account_id, principal.user_id, "file.delete", ("file", row.id), before, {})
        await s.delete(row)

    await db.run_write(delete)
