"""The native CRM's contact list: filters, sorts, exact totals and pages, each through an index.

Tags (a contact must carry every tag asked for) are the costly filter at scale, and what each
plan costs depends on how many contacts carry each tag, so the tags are sized first from the
counts kept by triggers in `tag_counts` (one statement of lookups, with the account's contact
count from the rollups), then, rarest first:

- the exact total: one tag's or two tags' count as kept in `tag_counts` (a lookup); three or more
  tags with a rare one among them: the rare tag's links, each probed in the others'
  `(tag_id, contact_id)` index ranges; several broad tags: their ranges merged in contact order
  (SQLite: an ordered INTERSECT; PostgreSQL: a merge join of the ordered ranges), one pass over
  each range instead of a probe per link. On PostgreSQL the ids themselves are read when there
  are at most `DRIVE_MAX` (see `_tagged`), unless the total is known and the page is walked;
- the page: either the sort index walked with each contact probed for the tags (rarest first, as
  inner joins on the link table: `(contact_id, tag_id)` is unique, so a join never repeats a
  contact), or the matching contacts looked up and sorted; `_tag_plan` picks the one that reads
  fewer index entries for this page (a dense match and a shallow page: walk; a sparse match or a
  deep page: find and sort). On PostgreSQL, where a probe costs more, a long walk hashes the
  rarest tag's links once and looks each contact up in them ("hash", see `_tag_plan`).

What stays: a walked page of two broad tags that few contacts carry together passes many
contacts (VIP and customer on 200,000 contacts: about 5,000 for a first page; SQLite probes both
tags for each, ~12-17 ms of CPU on the shared 2-core machine; PostgreSQL hashes VIP's 15,371
links, ~12 ms).

A text search's first page (no tags, no cursor) counts its matches in the statement that sorts
them (a window), one read of the matches instead of two.

Without tags a page is chosen as ids from the sort index alone (a deep offset skips index
entries, not rows; on PostgreSQL the name and company indexes carry the name columns, migration
0023, so that skip is an index-only scan once the table is vacuumed) and its rows are loaded after.
An unfiltered offset of `contact_anchors.FROM_OFFSET` or more seeks from cached sort-key anchors
instead (`contact_anchors`: fewer than 1,000 entries skipped, whatever the depth).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    DateTime,
    Select,
    String,
    any_,
    func,
    intersect,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from frontdesk.errors import Invalid
from frontdesk.paging import Page
from frontdesk.storage import contact_anchors, keyset, rollups, tag_counts
from frontdesk.storage.contact_rows import ContactRow, load_rows
from frontdesk.storage.models import Contact, ContactTag, Tag
from frontdesk.storage.rollups import RecordRollup

CONTACT_SORTS = ("name", "company", "created_at")
MIN_INDEXED_SEARCH = 3  # the trigram indexes answer substrings of 3+ characters; shorter: LIKE
TAG_PROBE_BELOW = 5_000  # a tag with fewer contacts than this drives the count of several tags
TAG_DRIVES_BELOW = 2_000  # with other filters too: fewer tagged contacts drive the page query
DRIVE_MAX = 5_000  # tags alone: up to this many matching ids are read and may drive the page
HASH_PROBE_COST = 12  # PostgreSQL: a tag probe per walked contact costs ~12 hashed links (h9)
HASH_MAX = 50_000  # PostgreSQL hashes a subquery that fits work_mem (4 MB: ~55,000 links), else
# it would rescan the links for every contact walked: larger tags are probed

_FULL_NAME = func.lower(Contact.first_name + literal_column("' '") + Contact.last_name)


def fts5_string(value: str) -> str:
    """`value` as one FTS5 string token (quotes doubled)."""
    return '"' + value.replace('"', '""') + '"'


def _text_filter(dialect: str, value: str, *, company_only: bool) -> Any:
    """Contacts whose name, email or company (or only company) contain `value`, case folded.

    SQLite: the trigram FTS5 table `contacts_fts` (migration 0014) yields the rowids; PostgreSQL:
    the same LIKE over `pg_trgm` GIN indexes on these lower-cased expressions."""
    needle = value.strip().lower()
    if dialect == "sqlite" and len(needle) >= MIN_INDEXED_SEARCH:
        match = ("company : " if company_only else "") + fts5_string(needle)
        rowids = (
            select(literal_column("rowid"))
            .select_from(table("contacts_fts"))
            .where(text("contacts_fts MATCH :contact_match").bindparams(contact_match=match))
        )
        return literal_column("contacts.rowid").in_(rowids)
    like = f"%{needle}%"
    if company_only:
        return func.lower(Contact.company).like(like)
    return or_(
        _FULL_NAME.like(like), func.lower(Contact.email).like(like), func.lower(Contact.company).like(like)
    )


async def _tag_ids(session: AsyncSession, account_id: str, tags: list[str]) -> list[str] | None:
    """The ids of the named tags (case folded), or None when one of them does not exist."""
    wanted = {t.strip().lower() for t in tags if t.strip()}
    if not wanted:
        return []
    rows = await session.execute(
        select(func.lower(Tag.name), Tag.id).where(
            Tag.account_id == account_id, func.lower(Tag.name).in_(wanted)
        )
    )
    found = dict(rows.all())
    return [found[t] for t in sorted(wanted)] if set(found) == wanted else None


async def _rarest_first(
    session: AsyncSession, account_id: str, tag_ids: list[str]
) -> tuple[list[tuple[str, int]], int, int | None]:
    """((tag id, contacts carrying it) rarest first, the account's contacts, how many carry every
    tag when the counts know it: one tag or two), in one statement of lookups: the tags' and the
    pair's counts kept in `tag_counts`, the account's contacts from the daily contact rollups."""
    everyone = select(func.coalesce(func.sum(RecordRollup.n), 0)).where(
        RecordRollup.account_id == account_id, RecordRollup.kind == "contact"
    )
    both = [tag_counts.pair(*tag_ids)] if len(tag_ids) == 2 else []
    found = (
        await session.execute(
            select(*(tag_counts.size(t) for t in tag_ids), everyone.scalar_subquery(), *both)
        )
    ).one()
    sizes, n = [int(k or 0) for k in found[: len(tag_ids)]], int(found[len(tag_ids)])
    ranked = sorted(zip(tag_ids, sizes, strict=True), key=lambda ts: (ts[1], ts[0]))
    carrying = sizes[0] if len(tag_ids) == 1 else int(found[-1] or 0) if both else None
    return ranked, n, carrying


def tagged_ids(tags: list[tuple[str, int]], dialect: str) -> Select[Any]:
    """The ids of the contacts carrying every tag of `tags` (rarest first), one column
    `contact_id`: a single tag's index range; with a rare first tag, its links each probed in
    the others' `(tag_id, contact_id)` ranges; else the ranges merged in contact order, one pass
    over each (SQLite: the ORDER BY makes the INTERSECT merge the two index walks instead of
    building a set; PostgreSQL: ordered subqueries stay unflattened, a merge join of index-only
    range scans)."""
    if len(tags) == 1 or tags[0][1] < TAG_PROBE_BELOW:
        first = aliased(ContactTag)
        stmt = select(first.contact_id).where(first.tag_id == tags[0][0])
        for tag_id, _ in tags[1:]:
            other = aliased(ContactTag)
            stmt = stmt.join(other, (other.contact_id == first.contact_id) & (other.tag_id == tag_id))
        return stmt
    if dialect == "sqlite":
        ranges = [select(ContactTag.contact_id).where(ContactTag.tag_id == t) for t, _ in tags]
        both = intersect(*ranges).order_by(literal_column("contact_id")).subquery()
        return select(both.c.contact_id)
    ordered = [
        select(ContactTag.contact_id).where(ContactTag.tag_id == t).order_by(ContactTag.contact_id).subquery()
        for t, _ in tags
    ]
    stmt = select(ordered[0].c.contact_id)
    for other in ordered[1:]:
        stmt = stmt.join(other, other.c.contact_id == ordered[0].c.contact_id)
    return stmt


@dataclass(frozen=True, slots=True)
class _Filters:
    """The contact list's filters, resolved (tag names to ids, rarest first)."""

    dialect: str
    search: str | None
    tags: list[tuple[str, int]]
    company: str | None
    created_from: datetime | None
    created_to: datetime | None
    carrying: int | None = None  # contacts carrying every tag, when `tag_counts` knows (1-2 tags)

    @property
    def others(self) -> bool:
        """Whether anything but tags filters."""
        return any(v for v in (self.search, self.company, self.created_from, self.created_to))

    @property
    def text(self) -> bool:
        return any(v and v.strip() for v in (self.search, self.company))


def _where(
    stmt: Select[Any], account_id: str, f: _Filters, *, tags: str, ids: list[str] | None = None
) -> Select[Any]:
    """`stmt` over `contacts` narrowed to the account and the filters. `tags`: "drive" (the
    contacts carrying them: `ids` when given, else `tagged_ids`), "walk" (inner joins probing
    each contact; the sort index drives), "hash" (PostgreSQL: a walk that looks each contact up
    in the rarest tag's links, hashed once, and probes the others) or "none" (the caller applies
    them)."""
    indexed = tags == "drive" or any(
        v and len(v.strip()) >= MIN_INDEXED_SEARCH for v in (f.search, f.company)
    )
    if f.dialect == "sqlite" and indexed:  # "+": let the tag / FTS5 rowid lists drive, not the account index
        stmt = stmt.where(literal_column("+contacts.account_id") == account_id)
    else:
        stmt = stmt.where(Contact.account_id == account_id)
    if f.search and f.search.strip():
        stmt = stmt.where(_text_filter(f.dialect, f.search, company_only=False))
    if f.company and f.company.strip():
        stmt = stmt.where(_text_filter(f.dialect, f.company, company_only=True))
    if f.tags and tags == "drive" and ids is not None:  # PostgreSQL: one array parameter
        listed = Contact.id == any_(literal(ids, ARRAY(String))) if f.dialect == "postgresql" else None
        stmt = stmt.where(listed if listed is not None else Contact.id.in_(ids))
    elif f.tags and tags == "drive":
        stmt = stmt.where(Contact.id.in_(tagged_ids(f.tags, f.dialect)))
    elif f.tags and tags in ("walk", "hash"):
        probed = f.tags
        if tags == "hash":  # "OR false" keeps the IN a filter: PostgreSQL pulls a bare IN up into
            # a join (a probe per contact, or a hash join, which loses the sort index's order);
            # as a filter it is a hashed SubPlan, the rarest tag's range read once
            rarest = select(ContactTag.contact_id).where(ContactTag.tag_id == f.tags[0][0])
            stmt = stmt.where(or_(Contact.id.in_(rarest), literal_column("false", Boolean)))
            probed = f.tags[1:]
        for tag_id, _ in probed:
            link = aliased(ContactTag)
            stmt = stmt.join(link, (link.contact_id == Contact.id) & (link.tag_id == tag_id))
    if f.created_from:
        stmt = stmt.where(Contact.created_at >= f.created_from)
    if f.created_to:
        stmt = stmt.where(Contact.created_at < f.created_to)
    return stmt


async def _count(session: AsyncSession, account_id: str, f: _Filters, ids: list[str] | None = None) -> int:
    """How many contacts match: the daily contact rollups when nothing filters, the tag index
    alone when only tags do, else a count over the filtered query (the tagged contacts' `ids`
    when in hand)."""
    if not f.others and not f.tags:
        found = await rollups.record_totals(session, account_id, "contact", "k1")
        return sum(n for n, _ in found.values())
    if not f.others:
        return (await _tagged(session, f))[0]
    stmt = _where(select(func.count()).select_from(Contact), account_id, f, tags="drive", ids=ids)
    return int(await session.scalar(stmt) or 0)


async def _tagged(session: AsyncSession, f: _Filters) -> tuple[int, list[str] | None]:
    """(how many contacts carry every tag, on PostgreSQL their ids when at most `DRIVE_MAX`).

    PostgreSQL reads the ids up to one more than that (the same index ranges the count would
    read) and counts in full only past it: a page query given the ids as an array is planned
    for that many rows, where a subquery's estimate (tags taken as independent) can be off a
    thousandfold and send it scanning. SQLite, which plans by indexes, not estimates, only
    counts (handing it thousands of ids costs more than the subquery)."""
    if f.carrying is not None and (f.carrying > DRIVE_MAX or f.dialect == "sqlite"):  # exact already
        return f.carrying, None
    matches = tagged_ids(f.tags, f.dialect)
    if f.dialect == "postgresql":
        ids = list(await session.scalars(matches.limit(DRIVE_MAX + 1)))
        if len(ids) <= DRIVE_MAX:
            return len(ids), ids
    return int(await session.scalar(select(func.count()).select_from(matches.subquery())) or 0), None


def _tag_plan(f: _Filters, total: int, ids: list[str] | None, depth: int, everyone: int) -> str:
    """ "walk", "hash" or "drive" for a page `depth` entries deep (offset + limit) of `total`
    matches.

    Walking the sort index probes about depth x contacts / total contacts before the page is
    full; driving looks up each match (about two probes' work; plus the rarest tag's links when
    the ids are not in hand) and sorts them. On PostgreSQL a probe costs about `HASH_PROBE_COST`
    times a hashed link (7 against 0.5-0.6 us, h9's measure on the 200k store), so a walk that
    would probe more than the rarest tag's size / `HASH_PROBE_COST` contacts hashes that tag's
    links (up to `HASH_MAX`) once instead ("hash": VIP and customer, 2,032 of 200,000, first
    page: 4,457 contacts walked, 12 ms against 27 ms probing and 40 ms reading the ids and
    driving). With other filters as well: drive when few contacts carry the tags."""
    if f.others:
        return "drive" if ids is not None or total <= TAG_DRIVES_BELOW else "walk"
    drive = 2 * total + (0 if ids is not None else f.tags[0][1])
    if depth * everyone >= drive * total:
        return "drive"
    walked = depth * everyone // max(total, 1)
    rarest = f.tags[0][1]
    hashed = f.dialect == "postgresql" and walked * HASH_PROBE_COST > rarest and rarest <= HASH_MAX
    return "hash" if hashed else "walk"


async def search_contacts(
    session: AsyncSession, account_id: str, **filters: Any
) -> tuple[list[ContactRow], int]:
    """One page of the account's contacts that match and how many match in all (the arguments of
    `contacts_page`)."""
    page = await contacts_page(session, account_id, **filters)
    return page.items, page.total


async def contacts_page(
    session: AsyncSession,
    account_id: str,
    *,
    search: str | None = None,
    tags: list[str] | None = None,
    company: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    sort: str = "name",
    order: str = "asc",
    limit: int = 50,
    offset: int = 0,
    cursor: str | None = None,
    scope: str = "contacts",
) -> Page[ContactRow]:
    """One page of the account's contacts that match, how many match in all, and the cursor of
    the next page (`cursor` continues after such a cursor of the same `scope`, see `paging`).

    `sort` is one of `CONTACT_SORTS`; `order` is asc or desc; ties break on the id, so offset and
    keyset paging are stable. Every filter and sort goes through an index (migrations 0014,
    0023): tags through `contact_tags(tag_id, contact_id)` (see the module docstring), text
    through the trigram index, sorts through `(account_id, sort keys, id)`; a page is first
    chosen as ids, then its rows are loaded."""
    dialect = session.get_bind().dialect.name
    keys = contact_keys(sort, order, dialect)
    if dialect == "postgresql" and any(v and v.strip() for v in (search, company)):
        keys = [(_unindexed(e), d) for e, d in keys[:-1]] + keys[-1:]
    tag_ids = await _tag_ids(session, account_id, tags or [])
    if tag_ids is None:
        return Page([], 0, None)
    sized, everyone, carrying = (
        ([], 0, None) if not tag_ids else await _rarest_first(session, account_id, tag_ids)
    )
    f = _Filters(dialect, search, sized, company, created_from, created_to, carrying)
    if not sized and f.text and cursor is None:  # every text match is read to sort them anyway
        # (SQLite: FTS5's rowids; PostgreSQL: the trigram bitmap, the keys made unindexed above):
        # count them in the same pass, one read of the matches instead of two
        stmt = _where(select(func.count().over(), *keyset.columns(keys)), account_id, f, tags="none")
        found = (await session.execute(keyset.page(stmt, keys, None, scope, limit, offset))).all()
        total = int(found[0][0]) if found else 0
        if not found and offset:  # past the end: the window saw no row
            total = await _count(session, account_id, f)
    else:
        if (
            sized
            and not f.others
            and f.carrying is not None
            and _tag_plan(f, f.carrying, None, offset + limit, everyone) in ("walk", "hash")
        ):  # the count is known and a walk needs no ids (PostgreSQL read them)
            total, matches = f.carrying, None
        else:
            total, matches = await _tagged(session, f) if sized else (0, None)
        if sized and not total:
            return Page([], 0, None)
        if f.others or not sized:
            total = await _count(session, account_id, f, matches)
        plan = _tag_plan(f, total, matches, offset + limit, everyone) if sized else "none"
        if plan == "drive" and dialect == "postgresql" and not f.text:  # sort the matches found
            keys = [(_unindexed(e), d) for e, d in keys[:-1]] + keys[-1:]  # (not the planner's bet)
        found = None
        if not sized and not f.others and cursor is None:  # deep offsets: seek from anchors
            found = await contact_anchors.deep_page(session, account_id, keys, sort, order, limit, offset)
        if found is None:
            stmt = _where(
                select(*keyset.columns(keys)).select_from(Contact), account_id, f, tags=plan, ids=matches
            )
            found = (await session.execute(keyset.page(stmt, keys, cursor, scope, limit, offset))).all()
    rows = await load_rows(session, [row[-1] for row in found[:limit]])
    return Page(rows, total, keyset.next_cursor(found, keys, limit, scope))


def _unindexed(expr: Any) -> Any:
    """`expr` in the same order but no sort index's: on PostgreSQL a text search then finds its
    matches through the trigram indexes and sorts them, instead of walking the whole sort index
    and testing every contact (the planner's bet when it underestimates how rare a match is)."""
    if isinstance(expr.type, DateTime):
        return func.date_trunc("microseconds", expr, type_=DateTime(timezone=True))
    return expr.concat(literal_column("''"))


def contact_keys(sort: str, order: str, dialect: str) -> list[tuple[Any, bool]]:
    """The sort keys of the contact list, `(expression, descending)`, ending with the id (the
    columns of the matching `ix_contacts_account_*` index after `account_id`)."""
    if sort not in CONTACT_SORTS or order not in ("asc", "desc"):
        raise Invalid(f"Unknown contact sort {sort!r} {order!r}")
    return list(_contact_keys(sort, order, dialect))


@lru_cache(maxsize=32)
def _contact_keys(sort: str, order: str, dialect: str) -> tuple[tuple[Any, bool], ...]:
    """`contact_keys`, built once per sort (SQL expressions are immutable; building them again
    on every request cost more than the page's query)."""
    exprs: list[Any] = {  # (typed: a cursor's values are checked against the key types)
        "name": [func.lower(Contact.last_name, type_=String), func.lower(Contact.first_name, type_=String)],
        "company": [
            func.lower(func.coalesce(Contact.company, literal_column("''")), type_=String),
            func.lower(Contact.last_name, type_=String),
        ],
        "created_at": [keyset.sortable(Contact.created_at, dialect)],
    }[sort]
    return tuple((e, order == "desc") for e in [*exprs, Contact.id])
