"""`frontdesk demo --contacts N` and `frontdesk data sync` against a real data directory."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from frontdesk.cli import build_parser
from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.storage.demo import DEMO_EMAIL
from frontdesk.storage.lake_models import LakeObject
from frontdesk.storage.models import Connection, User


def _objects(settings: Settings) -> dict[tuple[str, str], int]:
    """(platform, object type) -> record count in the lake catalog, for the demo account only
    (on a shared PostgreSQL database other tests' accounts are in the catalog too)."""

    async def run() -> dict[tuple[str, str], int]:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as s:
                demo_account = (
                    select(User.current_account_id).where(User.email == DEMO_EMAIL).scalar_subquery()
                )
                rows = await s.execute(
                    select(Connection.platform, LakeObject.object_type, LakeObject.record_count)
                    .join(Connection, Connection.id == LakeObject.connection_id)
                    .where(Connection.account_id == demo_account)
                )
                return {(p, o): n for p, o, n in rows.all()}
        finally:
            await db.close()

    return asyncio.run(run())


def test_demo_then_sync(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["demo", "--contacts", "3000", "--anchor", "2026-06-30"])
    assert args.func(args, settings) == 0
    out = capsys.readouterr().out
    assert "generated 3,000 contacts" in out and "connection: conn:" in out
    objects = _objects(settings)
    assert objects[("generated", "contacts")] == 3000
    assert 1500 < objects[("generated", "leads")] < 2100
    assert objects[("generated", "ad_daily_metrics")] == 6 * 365
    args = build_parser().parse_args(["data", "sync"])
    assert args.func(args, settings) == 0
    assert "synced" in capsys.readouterr().out
    objects = _objects(settings)
    assert objects[("native", "contacts")] == settings.demo_contacts
    assert objects[("generated", "contacts")] == 3000  # regenerated the same, not replaced by the CRM
