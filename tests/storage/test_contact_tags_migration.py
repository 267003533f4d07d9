"""Migration 0023_contact_tags on a database of its own (the `fresh` fixture of the 0020 test):
on PostgreSQL upgrade gives the contact list's name and company sort indexes their INCLUDE
columns (same names, same keys), downgrade restores 0014's definitions and upgrading again
restores the covering ones; on SQLite both directions leave the schema as it was."""

from __future__ import annotations

from sqlalchemy import text

from frontdesk.storage.db import Database
from frontdesk.storage.migrate import downgrade, upgrade
from tests.storage.test_crm_lists_migration import fresh

__all__ = ["fresh"]  # the fixture, used by name
SORT_INDEXES = ("ix_contacts_account_name", "ix_contacts_account_company")


async def definitions(db: Database) -> dict[str, str]:
    """{index name: its definition} of the contact list's sort indexes, and the heads applied."""
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            rows = await conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
        else:
            rows = await conn.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'contacts'")
            )
        found = {n: str(d) for n, d in rows.all() if n in SORT_INDEXES}
        found["heads"] = " ".join(
            sorted((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())
        )
    return found


async def test_upgrade_covers_downgrade_restores_and_upgrade_covers_again(fresh: Database) -> None:
    await upgrade(fresh)
    covering = await definitions(fresh)
    assert "0025_tag_counts" in covering["heads"]  # (0023's child on this branch)
    assert set(covering) == {*SORT_INDEXES, "heads"}

    await downgrade(fresh, "0025_tag_counts@-2")  # 0025 and 0023 below it; the other heads stay
    plain = await definitions(fresh)
    assert "0025_tag_counts" not in plain["heads"] and "0020_crm_lists" in plain["heads"], plain["heads"]
    assert set(plain) == {*SORT_INDEXES, "heads"}  # the indexes themselves stay (0014's)
    if fresh.is_sqlite:
        assert {k: v for k, v in plain.items() if k != "heads"} == {
            k: v for k, v in covering.items() if k != "heads"
        }
    else:
        assert "INCLUDE (last_name, first_name)" in covering["ix_contacts_account_name"]
        assert "INCLUDE (company, last_name)" in covering["ix_contacts_account_company"]
        for name in SORT_INDEXES:
            assert "INCLUDE" not in plain[name]
            assert plain[name] == covering[name][: covering[name].index(" INCLUDE")]  # same keys

    await upgrade(fresh)
    assert await definitions(fresh) == covering
