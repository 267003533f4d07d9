"""Where the lake's Parquet files live and how they are written.

Layout: `<root>/<account>/<connection>/<object_type>.parquet`, one file per object type of a
connection, where `<account>` and `<connection>` are the ids with `:` written as `-`. Every path is
built from validated parts and checked to stay inside its account's directory; a file is written
to a temporary name in the same directory and renamed over the old one, so a reader sees either the
old file or the new one, never half of one. Directories are created owner-only (0700) and files
owner-only (0600): the lake holds every account's CRM data.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from frontdesk.config import Settings
from frontdesk.errors import Invalid, NotFound
from frontdesk.storage.lake.schema import check_object_type, prepare

_ID_RE = re.compile(r"[a-z_]{1,32}:[A-Za-z0-9_-]{1,100}")


def _segment(identifier: str) -> str:
    if not _ID_RE.fullmatch(identifier or ""):
        raise Invalid(f"Invalid id '{identifier}'")
    return identifier.replace(":", "-")


@dataclass(frozen=True, slots=True)
class WrittenFile:
    path: Path
    relative: str
    record_count: int
    size_bytes: int
    schema: pa.Schema


class Lake:
    """The Parquet lake under one root directory (`<data_dir>/lake` by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    @classmethod
    def for_settings(cls, settings: Settings) -> Lake:
        return cls(settings.data_dir / "lake")

    def account_dir(self, account_id: str) -> Path:
        return self.root / _segment(account_id)

    def path(self, account_id: str, connection_id: str, object_type: str) -> Path:
        """The file of one object type; refuses anything that would leave the account's directory."""
        base = self.account_dir(account_id)
        path = (base / _segment(connection_id) / f"{check_object_type(object_type)}.parquet").resolve()
        if not path.is_relative_to(base):
            raise NotFound(f"Unknown object type '{object_type}'")
        return path

    def resolve(self, account_id: str, relative: str) -> Path:
        """A catalog path (relative to the root) -> the file, only if it is inside the account."""
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.account_dir(account_id)) or path.suffix != ".parquet":
            raise NotFound("Object not found")
        return path

    def write(self, account_id: str, connection_id: str, object_type: str, table: pa.Table) -> WrittenFile:
        """Write `table` as the object's Parquet file atomically (temp file + rename). Blocking."""
        path = self.path(account_id, connection_id, object_type)
        table = prepare(object_type, table)
        self._private_dirs(path.parent)
        tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.tmp")
        try:
            pq.write_table(table, tmp, compression="zstd", row_group_size=64 * 1024)
            os.chmod(tmp, 0o600)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return WrittenFile(
            path=path,
            relative=path.relative_to(self.root).as_posix(),
            record_count=table.num_rows,
            size_bytes=path.stat().st_size,
            schema=table.schema,
        )

    def _private_dirs(self, directory: Path) -> None:
        """Create `directory` and any missing parents up to and including the root as 0700."""
        missing = [
            d for d in (directory, *directory.parents) if d.is_relative_to(self.root) and not d.exists()
        ]
        if missing:
            self.root.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        for d in reversed(missing):
            d.mkdir(mode=0o700, exist_ok=True)

    def read(self, account_id: str, connection_id: str, object_type: str) -> pa.Table | None:
        """The whole object as an Arrow table, or None when it was never written. Blocking."""
        path = self.path(account_id, connection_id, object_type)
        return pq.read_table(path) if path.exists() else None

    def files(self, account_id: str, object_type: str) -> list[Path]:
        """The object's files across every connection of the account."""
        base = self.account_dir(account_id)
        name = f"{check_object_type(object_type)}.parquet"
        return sorted(p for p in base.glob(f"*/{name}") if p.is_file())
