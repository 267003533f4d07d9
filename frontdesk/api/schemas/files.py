"""Files (Mezzofy's artifact store): upload, list, delete."""

from __future__ import annotations

from frontdesk.api.schemas.base import PageFields, Public, Timestamp


class FileUploaded(Public):
    artifact_id: str
    filename: str
    file_type: str
    content_type: str
    size_bytes: int
    download_url: str
    created_at: Timestamp | None


class FilePublic(Public):
    id: str
    filename: str
    file_type: str
    content_type: str
    size_bytes: int
    download_url: str
    created_at: Timestamp | None


class FileList(PageFields):
    artifacts: list[FilePublic]
    count: int


class FileDeleted(Public):
    deleted: bool
    artifact_id: str
