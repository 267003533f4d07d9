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
  are at most `DRIVE_MAX` (see `tagged`), unless the total is known and the page is walked;
- the page: either the sort index walked with each contact probed for the tags (rarest first, as
  inner joins on the link table: `(contact_id, tag_id)` is unique, so a join never repeats a
  contact), or the matching contacts looked up and sorted; `tag_plan` picks the one that reads
  fewer index entries for this page (a dense match and a shallow page: walk; a sparse match or a
  deep page: find and sort). On PostgreSQL, where a probe costs more, a long walk hashes the
  rarest tag's links once and looks each contact up in them ("hash", see `tag_plan`).

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

The whole read of a page, over these statements: `storage/contact_list.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    Select,
    String,
    any_,
    bindparam,
    func,
    intersect,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import aliased

from frontdesk.storage import tag_counts
from frontdesk.storage.models import Contact, ContactTag, Tag
from frontdesk.storage.rollups import RecordRollup
from frontdesk.storage.write_tx import Plan, Tx

MIN_INDEXED_SEARCH = 3  # the trigram indexes answer substrings of 3+ characters; shorter: LIKE
TAG_PROBE_BELOW = 5_000  # a tag with fewer contacts than this drives the count of several tags
TAG_DRIVES_BELOW = 2_000  # with other filters too: fewer tagged contacts drive the page query
DRIVE_MAX = 5_000  # tags alone: up to this many matching ids are read and may drive the page
HASH_PROBE_COST = 12  # PostgreSQL: a tag probe per walked contact costs ~12 hashed links (h9)
HASH_MAX = 50_000  # PostgreSQL hashes a subquery that fits work_mem (4 MB: ~55,000 links), else
# it would rescan the links for every contact walked: larger tags are probed

_FULL_NAME = func.lower(Contact.first_name + literal_column("' '") + Contact.last_name)
_ACCOUNT = bindparam("account_id")
Params = dict[str, Any]


def fts5_string(value: str) -> str:
    """`value` as one FTS5 string token (quotes doubled)."""
    return '"' + value.replace('"', '""') + '"'


def _search_kind(dialect: str, value: str | None) -> str:
    """How a text filter is matched: "" (not given), "fts" (SQLite's trigram FTS5 table) or "like"."""
    needle = value.strip().lower() if value else ""
    if not needle:
        return ""
    return "fts" if dialect == "sqlite" and len(needle) >= MIN_INDEXED_SEARCH else "like"


def _text_filter(kind: str, *, company_only: bool) -> Any:
    """Contacts whose name, email or company (or only company) contain the needle, case folded:
    `:contact_match` / `:company_match` (an FTS5 string) or `:contact_like` / `:company_like`.

    SQLite: the trigram FTS5 table `contacts_fts` (migration 0014) yields the rowids; PostgreSQL:
    the same LIKE over `pg_trgm` GIN indexes on these lower-cased expressions."""
    prefix = "company" if company_only else "contact"
    if kind == "fts":
        rowids = (
            select(literal_column("rowid"))
            .select_from(table("contacts_fts"))
            .where(text(f"contacts_fts MATCH :{prefix}_match").bindparams(bindparam(f"{prefix}_match")))
        )
        return literal_column("contacts.rowid").in_(rowids)
    like = bindparam(f"{prefix}_like")
    if company_only:
        return func.lower(Contact.company).like(like)
    return or_(
        _FULL_NAME.like(like), func.lower(Contact.email).like(like), func.lower(Contact.company).like(like)
    )


def _text_params(dialect: str, search: str | None, company: str | None) -> Params:
    params: Params = {}
    for prefix, value in (("contact", search), ("company", company)):
        kind = _search_kind(dialect, value)
        needle = value.strip().lower() if value else ""
        if kind == "fts":
            params[f"{prefix}_match"] = ("company : " if prefix == "company" else "") + fts5_string(needle)
        elif kind:
            params[f"{prefix}_like"] = f"%{needle}%"
    return params


_PLANS: dict[tuple[Any, ...], Plan] = {}


def plan_of(key: tuple[Any, ...], build: Callable[[], Any]) -> Plan:
    """The statement of `key` (a list shape), built the first time it is asked for."""
    found = _PLANS.get(key)
    if found is None:
        found = _PLANS[key] = Plan(build())
    return found


def tag_ids(tx: Tx, account_id: str, tags: list[str]) -> list[str] | None:
    """The ids of the named tags (case folded), or None when one of them does not exist."""
    wanted = sorted({t.strip().lower() for t in tags if t.strip()})
    if not wanted:
        return []
    plan = plan_of(
        ("tag_ids", len(wanted)),
        lambda: select(func.lower(Tag.name), Tag.id).where(
            Tag.account_id == _ACCOUNT,
            func.lower(Tag.name).in_([bindparam(f"name_{i}") for i in range(len(wanted))]),
        ),
    )
    found = dict(
        tx.execute(plan, {"account_id": account_id, **{f"name_{i}": t for i, t in enumerate(wanted)}})
    )
    return [found[t] for t in wanted] if set(found) == set(wanted) else None


def _everyone() -> Any:
    """The account's contacts, from the daily contact rollups (kept by triggers)."""
    return select(func.coalesce(func.sum(RecordRollup.n), 0)).where(
        RecordRollup.account_id == _ACCOUNT, RecordRollup.kind == "contact"
    )


def rarest_first(
    tx: Tx, account_id: str, tag_ids: list[str]
) -> tuple[list[tuple[str, int]], int, int | None]:
    """((tag id, contacts carrying it) rarest first, the account's contacts, how many carry every
    tag when the counts know it: one tag or two), in one statement of lookups: the tags' and the
    pair's counts kept in `tag_counts`, the account's contacts from the daily contact rollups."""
    n = len(tag_ids)

    def build() -> Any:
        both = [tag_counts.pair(bindparam("pair_low"), bindparam("pair_high"))] if n == 2 else []
        sizes = (tag_counts.size(bindparam(f"tag_id_{i}")) for i in range(n))
        return select(*sizes, _everyone().scalar_subquery(), *both)

    params: Params = {"account_id": account_id, **{f"tag_id_{i}": t for i, t in enumerate(tag_ids)}}
    if n == 2:
        params["pair_low"], params["pair_high"] = sorted(tag_ids)
    found = tx.execute(plan_of(("sizes", n), build), params)[0]
    sizes, everyone = [int(k or 0) for k in found[:n]], int(found[n])
    ranked = sorted(zip(tag_ids, sizes, strict=True), key=lambda ts: (ts[1], ts[0]))
    carrying = sizes[0] if n == 1 else int(found[-1] or 0) if n == 2 else None
    return ranked, everyone, carrying


def _probing(tags: list[tuple[str, int]]) -> bool:
    """Whether `tagged_ids` probes the rarest tag's links in the others' ranges (else merges)."""
    return len(tags) == 1 or tags[0][1] < TAG_PROBE_BELOW


def tagged_ids(tags: list[tuple[str, int]], dialect: str) -> Select[Any]:
    """The ids of the contacts carrying every tag of `tags` (rarest first; their ids are the
    parameters `:tag_0`, `:tag_1`, ... in that order), one column `contact_id`: a single tag's
    index range; with a rare first tag, its links each probed in the others' `(tag_id,
    contact_id)` ranges; else the ranges merged in contact order, one pass over each (SQLite: the
    ORDER BY makes the INTERSECT merge the two index walks instead of building a set;
    PostgreSQL: ordered subqueries stay unflattened, a merge join of index-only range scans)."""
    ids = [bindparam(f"tag_{i}") for i in range(len(tags))]
    if _probing(tags):
        first = aliased(ContactTag)
        stmt = select(first.contact_id).where(first.tag_id == ids[0])
        for tag_id in ids[1:]:
            other = aliased(ContactTag)
            stmt = stmt.join(other, (other.contact_id == first.contact_id) & (other.tag_id == tag_id))
        return stmt
    if dialect == "sqlite":
        ranges = [select(ContactTag.contact_id).where(ContactTag.tag_id == t) for t in ids]
        both = intersect(*ranges).order_by(literal_column("contact_id")).subquery()
        return select(both.c.contact_id)
    ordered = [
        select(ContactTag.contact_id).where(ContactTag.tag_id == t).order_by(ContactTag.contact_id).subquery()
        for t in ids
    ]
    stmt = select(ordered[0].c.contact_id)
    for other in ordered[1:]:
        stmt = stmt.join(other, other.c.contact_id == ordered[0].c.contact_id)
    return stmt


@dataclass(frozen=True, slots=True)
class Filters:
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

    @property
    def shape(self) -> tuple[Any, ...]:
        """What the statements' text depends on (not the values)."""
        return (
            self.dialect,
            _search_kind(self.dialect, self.search),
            _search_kind(self.dialect, self.company),
            self.created_from is not None,
            self.created_to is not None,
            len(self.tags),
            bool(self.tags) and _probing(self.tags),
        )

    def params(self, account_id: str) -> Params:
        """The values of the statements' parameters."""
        params = {"account_id": account_id, **_text_params(self.dialect, self.search, self.company)}
        params |= {f"tag_{i}": tag_id for i, (tag_id, _) in enumerate(self.tags)}
        if self.created_from is not None:
            params["created_from"] = self.created_from
        if self.created_to is not None:
            params["created_to"] = self.created_to
        return params


def filtered(stmt: Select[Any], f: Filters, *, tags: str, ids: bool = False) -> Select[Any]:
    """`stmt` over `contacts` narrowed to the account and the filters (their values are the
    parameters of `Filters.params`). `tags`: "drive" (the contacts carrying them: the array
    `:ids` when `ids`, else `tagged_ids`), "walk" (inner joins probing each contact; the sort
    index drives), "hash" (PostgreSQL: a walk that looks each contact up in the rarest tag's
    links, hashed once, and probes the others) or "none" (the caller applies them)."""
    search, company = _search_kind(f.dialect, f.search), _search_kind(f.dialect, f.company)
    if f.dialect == "sqlite" and (tags == "drive" or "fts" in (search, company)):
        # "+": let the tag / FTS5 rowid lists drive, not the account index
        stmt = stmt.where(literal_column("+contacts.account_id") == _ACCOUNT)
    else:
        stmt = stmt.where(Contact.account_id == _ACCOUNT)
    if search:
        stmt = stmt.where(_text_filter(search, company_only=False))
    if company:
        stmt = stmt.where(_text_filter(company, company_only=True))
    tag_ids = [bindparam(f"tag_{i}") for i in range(len(f.tags))]
    if f.tags and tags == "drive" and ids:  # PostgreSQL: one array parameter (only it reads ids)
        stmt = stmt.where(Contact.id == any_(bindparam("ids", type_=ARRAY(String))))
    elif f.tags and tags == "drive":
        stmt = stmt.where(Contact.id.in_(tagged_ids(f.tags, f.dialect)))
    elif f.tags and tags in ("walk", "hash"):
        probed = tag_ids
        if tags == "hash":  # "OR false" keeps the IN a filter: PostgreSQL pulls a bare IN up into
            # a join (a probe per contact, or a hash join, which loses the sort index's order);
            # as a filter it is a hashed SubPlan, the rarest tag's range read once
            rarest = select(ContactTag.contact_id).where(ContactTag.tag_id == tag_ids[0])
            stmt = stmt.where(or_(Contact.id.in_(rarest), literal_column("false", Boolean)))
            probed = tag_ids[1:]
        for tag_id in probed:
            link = aliased(ContactTag)
            stmt = stmt.join(link, (link.contact_id == Contact.id) & (link.tag_id == tag_id))
    if f.created_from:
        stmt = stmt.where(Contact.created_at >= bindparam("created_from"))
    if f.created_to:
        stmt = stmt.where(Contact.created_at < bindparam("created_to"))
    return stmt


def count_matches(tx: Tx, params: Params, f: Filters, ids: list[str] | None = None) -> int:
    """How many contacts match: the daily contact rollups when nothing filters, the tag index
    alone when only tags do, else a count over the filtered query (the tagged contacts' `ids`
    when in hand)."""
    if not f.others and not f.tags:
        return int(tx.execute(plan_of(("everyone",), _everyone), params)[0][0])
    if not f.others:
        return tagged(tx, params, f)[0]
    plan = plan_of(
        ("count", f.shape, ids is not None),
        lambda: filtered(select(func.count()).select_from(Contact), f, tags="drive", ids=ids is not None),
    )
    return int(tx.execute(plan, params | ({"ids": ids} if ids is not None else {}))[0][0] or 0)


def tagged(tx: Tx, params: Params, f: Filters) -> tuple[int, list[str] | None]:
    """(how many contacts carry every tag, on PostgreSQL their ids when at most `DRIVE_MAX`).

    PostgreSQL reads the ids up to one more than that (the same index ranges the count would
    read) and counts in full only past it: a page query given the ids as an array is planned
    for that many rows, where a subquery's estimate (tags taken as independent) can be off a
    thousandfold and send it scanning. SQLite, which plans by indexes, not estimates, only
    counts (handing it thousands of ids costs more than the subquery)."""
    if f.carrying is not None and (f.carrying > DRIVE_MAX or f.dialect == "sqlite"):  # exact already
        return f.carrying, None
    key = (f.dialect, len(f.tags), _probing(f.tags))
    if f.dialect == "postgresql":
        plan = plan_of(("tagged_ids", *key), lambda: tagged_ids(f.tags, f.dialect).limit(bindparam("most")))
        ids = [row[0] for row in tx.execute(plan, params | {"most": DRIVE_MAX + 1})]
        if len(ids) <= DRIVE_MAX:
            return len(ids), ids
    plan = plan_of(
        ("tagged_count", *key),
        lambda: select(func.count()).select_from(tagged_ids(f.tags, f.dialect).subquery()),
    )
    return int(tx.execute(plan, params)[0][0] or 0), None


def tag_plan(f: Filters, total: int, ids: list[str] | None, depth: int, everyone: int) -> str:
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
