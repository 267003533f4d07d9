"""The database triggers that keep the rollup tables (`frontdesk.storage.rollups`) and
`conversations.message_count` equal to a recount, inside the transaction of every write.

Triggers rather than Python hooks: every writer (turns, doors, CRM tools, imports, cascades,
`DELETE ... WHERE`) is covered without knowing about rollups, and a counter moves in the same
transaction as the row it counts. Counters are upserts (`ON CONFLICT DO UPDATE SET n = n + d`),
so concurrent writers on PostgreSQL serialise on the counter row and never lose an increment.

What moves what (each message counts in a daily and an hourly bucket, UTC):
- a message insert/delete/update: `message_rollups` (messages, tokens, replies by channel, role,
  department) and `conversation_buckets` (which conversations were active, for distinct counts),
  and `conversations.message_count`;
- a conversation's department change: its messages without `agent_used` move to the new
  department (their department is the conversation's); its own `record_rollups` row moves too;
- contacts and leads: `record_rollups` by day (leads by source and status, with their value);
  since `0024_dashboard` also `record_months`, the same counts by UTC month (`YYYY-MM`), so the
  dashboard's all-time and month-to-date totals read about a dozen rows per key, not every day;
- `bucket_totals` (migration `0022_day_totals`): per account and UTC day and hour, the messages,
  tokens, replies and distinct conversations of the bucket, whatever their channel, role or
  department. A message insert adds its conversation when it is the conversation's first message
  of the bucket (the conversation's `conversation_buckets` rows of that bucket, just updated, sum
  to 1); a delete takes it away when it was the last (they sum to 0). A department move changes
  none of it. Since 0022 `message_rollups` also has a month grain ("m", `YYYY-MM`), so a
  breakdown over a year reads about 13 months and a few days.
- `day_conversations` (migration `0018_day_conversations`, dropped by 0022 for `bucket_totals`):
  the per-day conversation count alone, kept the same way.

Deleting a conversation deletes its messages first (a BEFORE DELETE trigger), so the message
triggers still see the conversation's department. While an account is being deleted the
counters are left to its ON DELETE CASCADE.

The statements are generated for both dialects from one template, at three schema levels named
by the migration that installs them (`LEVELS`): `0014_scale` (the first rollups),
`0018_day_conversations` (plus the `day_conversations` counter), `0022_day_totals` (the
`bucket_totals` rows and the month grain instead of it) and `0024_dashboard` (plus
`record_months`: `CURRENT`, what the code expects). Each
migration asks for its own level, so upgrading to any revision leaves triggers that write only
tables that exist there. `bulk_demo` drops them around a bulk load, re-creates `CURRENT` and adds
the load's counts itself.
"""

from __future__ import annotations

from typing import Literal

Dialect = Literal["sqlite", "postgresql"]

GRAINS = {
    "sqlite": "(SELECT 'd' AS grain, '%Y-%m-%d' AS fmt UNION ALL SELECT 'h', '%Y-%m-%dT%H') g",
    "postgresql": "(SELECT 'd' AS grain, 'YYYY-MM-DD' AS fmt UNION ALL SELECT 'h', 'YYYY-MM-DD\"T\"HH24') g",
}
# `message_rollups` since 0022: the day and hour grains and the month ("m", `YYYY-MM`)
MONTH_GRAINS = {
    "sqlite": GRAINS["sqlite"].removesuffix(") g") + " UNION ALL SELECT 'm', '%Y-%m') g",
    "postgresql": GRAINS["postgresql"].removesuffix(") g") + " UNION ALL SELECT 'm', 'YYYY-MM') g",
}
MESSAGE_KEY = "account_id, grain, bucket, channel, role, department"
PRESENCE_KEY = "account_id, grain, bucket, conversation_id, channel, role, department"
RECORD_KEY = "account_id, kind, day, k1, k2"
MONTH_KEY = "account_id, kind, month, k1, k2"
DAY_KEY = "account_id, day"
TOTALS_KEY = "account_id, grain, bucket"


def bucket(dialect: Dialect, column: str, fmt: str = "g.fmt") -> str:
    if dialect == "sqlite":
        return f"strftime({fmt}, {column})"
    return f"to_char({column} AT TIME ZONE 'UTC', {fmt})"


def _day(dialect: Dialect, column: str) -> str:
    return bucket(dialect, column, "'%Y-%m-%d'" if dialect == "sqlite" else "'YYYY-MM-DD'")


def _upsert(table: str, key: str, values: dict[str, str]) -> str:
    cols = ", ".join(values)
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in values)
    return f"INSERT INTO {table} ({key}, {cols}) {{select}} ON CONFLICT ({key}) DO UPDATE SET {sets}"


def day_delta(dialect: Dialect, row: str, sign: int, where: str) -> str:
    """Count message `row`'s conversation in (sign 1) or out of (sign -1) its day, when the
    conversation's daily presence rows (already moved by this message) sum to 1 (first message of
    the day) or 0 (last one gone)."""
    day = _day(dialect, f"{row}.created_at")
    present = (
        f"(SELECT sum(cb.messages) FROM conversation_buckets cb WHERE cb.account_id = {row}.account_id "
        f"AND cb.grain = 'd' AND cb.bucket = {day} AND cb.conversation_id = {row}.conversation_id)"
    )
    condition = f"{present} = {1 if sign > 0 else 0}"
    where = f"{where} AND {condition}" if where else f"WHERE {condition}"
    return _upsert("day_conversations", DAY_KEY, {"conversations": ""}).format(
        select=f"SELECT {row}.account_id, {day}, {sign} {where}"
    )


def totals_delta(dialect: Dialect, row: str, sign: int, where: str) -> str:
    """Add message `row` to (sign 1) or take it from (sign -1) its day's and hour's
    `bucket_totals`, counting its conversation in or out when the conversation's presence rows of
    the bucket (already moved by this message) sum to 1 (first message) or 0 (last one gone)."""
    b = bucket(dialect, f"{row}.created_at")
    tokens = f"({row}.tokens_in + {row}.tokens_out)"
    present = (
        f"(SELECT sum(cb.messages) FROM conversation_buckets cb WHERE cb.account_id = {row}.account_id "
        f"AND cb.grain = g.grain AND cb.bucket = {b} AND cb.conversation_id = {row}.conversation_id)"
    )
    values = {"messages": "", "tokens": "", "replies": "", "conversations": ""}
    return _upsert("bucket_totals", TOTALS_KEY, values).format(
        select=f"SELECT {row}.account_id, g.grain, {b}, {sign}, {sign} * {tokens}, "
        f"CASE WHEN {tokens} > 0 THEN {sign} ELSE 0 END, "
        f"CASE WHEN {present} = {1 if sign > 0 else 0} THEN {sign} ELSE 0 END "
        f"FROM {GRAINS[dialect]} {where or 'WHERE 1 = 1'}"  # (SQLite's upsert needs a WHERE)
    )


def message_delta(
    dialect: Dialect, row: str, sign: int, *, guard: bool, day_counter: bool, totals: bool = False
) -> list[str]:
    """Statements adding (sign 1) or removing (sign -1) message `row` (`new`/`old`) everywhere:
    with `totals` the month grain and `bucket_totals` (0022), else with `day_counter` the
    `day_conversations` counter (0018), else neither (0014)."""
    dept = (
        f"coalesce({row}.agent_used, (SELECT department FROM conversations "
        f"WHERE id = {row}.conversation_id), 'none')"
    )
    tokens = f"({row}.tokens_in + {row}.tokens_out)"
    where = f"WHERE EXISTS (SELECT 1 FROM accounts WHERE id = {row}.account_id)" if guard else "WHERE 1 = 1"
    head = f"{row}.account_id, g.grain, {bucket(dialect, f'{row}.created_at')}"
    counts = _upsert("message_rollups", MESSAGE_KEY, {"messages": "", "tokens": "", "replies": ""}).format(
        select=f"SELECT {head}, {row}.channel, {row}.role, {dept}, {sign}, {sign} * {tokens}, "
        f"CASE WHEN {tokens} > 0 THEN {sign} ELSE 0 END FROM {(MONTH_GRAINS if totals else GRAINS)[dialect]} "
        f"{where}"
    )
    presence = _upsert("conversation_buckets", PRESENCE_KEY, {"messages": ""}).format(
        select=f"SELECT {head}, {row}.conversation_id, {row}.channel, {row}.role, {dept}, {sign} "
        f"FROM {GRAINS[dialect]} {where}"
    )
    count = (
        f"UPDATE conversations SET message_count = message_count + {sign} WHERE id = {row}.conversation_id"
    )
    if dialect == "postgresql" and sign < 0:  # not while the conversation itself is being deleted
        count += " AND pg_trigger_depth() < 2"
    exists = f"WHERE EXISTS (SELECT 1 FROM accounts WHERE id = {row}.account_id)" if guard else ""
    if totals:
        days = [totals_delta(dialect, row, sign, exists)]
    else:
        days = [day_delta(dialect, row, sign, exists)] if day_counter else []
    return [counts, presence, *days, count]


def department_move(dialect: Dialect, department: str, sign: int, *, months: bool = False) -> list[str]:
    """Statements moving the conversation's messages without `agent_used` out of (sign -1) or
    into (sign 1) `department` (an expression over the trigger's `old`/`new`), in the month grain
    of `message_rollups` too when `months` (0022)."""
    tokens = "(m.tokens_in + m.tokens_out)"
    head = f"m.account_id, g.grain, {bucket(dialect, 'm.created_at')}"
    dept = f"coalesce({department}, 'none')"
    where = "WHERE m.conversation_id = new.id AND m.agent_used IS NULL"
    source = f"FROM messages m, {GRAINS[dialect]} {where}"
    month_source = f"FROM messages m, {(MONTH_GRAINS if months else GRAINS)[dialect]} {where}"
    counts = _upsert("message_rollups", MESSAGE_KEY, {"messages": "", "tokens": "", "replies": ""}).format(
        select=f"SELECT {head}, m.channel, m.role, {dept}, {sign} * count(*), {sign} * sum({tokens}), "
        f"{sign} * sum(CASE WHEN {tokens} > 0 THEN 1 ELSE 0 END) {month_source} "
        f"GROUP BY m.account_id, g.grain, 3, m.channel, m.role"
    )
    presence = _upsert("conversation_buckets", PRESENCE_KEY, {"messages": ""}).format(
        select=f"SELECT {head}, m.conversation_id, m.channel, m.role, {dept}, {sign} * count(*) {source} "
        f"GROUP BY m.account_id, g.grain, 3, m.conversation_id, m.channel, m.role"
    )
    return [counts, presence]


def record_delta(
    dialect: Dialect, kind: str, row: str, sign: int, *, guard: bool, months: bool = False
) -> list[str]:
    """Statements adding (sign 1) or removing (sign -1) record `row` of `kind`: its day's
    `record_rollups` row, and with `months` (0024) its month's `record_months` row."""
    k1, k2, value = {
        "conversation": (f"{row}.channel", f"coalesce({row}.department, 'none')", "0"),
        "contact": ("''", "''", "0"),
        "lead": (f"{row}.source", f"{row}.status", f"{row}.value"),
    }[kind]
    where = f"WHERE EXISTS (SELECT 1 FROM accounts WHERE id = {row}.account_id)" if guard else "WHERE 1 = 1"
    values = f"{k1}, {k2}, {sign}, {sign} * {value} {where}"
    day = _upsert("record_rollups", RECORD_KEY, {"n": "", "value": ""}).format(
        select=f"SELECT {row}.account_id, '{kind}', {_day(dialect, f'{row}.created_at')}, {values}"
    )
    if not months:
        return [day]
    month = bucket(dialect, f"{row}.created_at", "'%Y-%m'" if dialect == "sqlite" else "'YYYY-MM'")
    return [
        day,
        _upsert("record_months", MONTH_KEY, {"n": "", "value": ""}).format(
            select=f"SELECT {row}.account_id, '{kind}', {month}, {values}"
        ),
    ]


_RECORD_TABLES = {"conversation": "conversations", "contact": "contacts", "lead": "leads"}
_RECORD_COLUMNS = {
    "conversation": "channel, department, created_at",
    "contact": "created_at",
    "lead": "source, status, value, created_at",
}
_MESSAGE_COLUMNS = "account_id, conversation_id, role, channel, agent_used, tokens_in, tokens_out, created_at"


def _sqlite_triggers(day: bool, totals: bool, months: bool = False) -> list[tuple[str, str]]:
    """(name, CREATE TRIGGER statement) pairs for SQLite."""
    d: Dialect = "sqlite"
    kw = {"day_counter": day, "totals": totals}

    def body(statements: list[str]) -> str:
        return "BEGIN " + "; ".join(statements) + "; END"

    out = [
        ("rollup_messages_insert",
         f"AFTER INSERT ON messages {body(message_delta(d, 'new', 1, guard=False, **kw))}"),
        ("rollup_messages_delete",
         f"AFTER DELETE ON messages {body(message_delta(d, 'old', -1, guard=True, **kw))}"),
        (
            "rollup_messages_update",
            f"AFTER UPDATE OF {_MESSAGE_COLUMNS} ON messages "
            + body(
                message_delta(d, "old", -1, guard=True, **kw) + message_delta(d, "new", 1, guard=False, **kw)
            ),
        ),
        (
            "rollup_conversations_department",
            "AFTER UPDATE OF department ON conversations WHEN old.department IS NOT new.department "
            + body(
                department_move(d, "old.department", -1, months=totals)
                + department_move(d, "new.department", 1, months=totals)
            ),
        ),
        ("rollup_conversations_delete_messages", "BEFORE DELETE ON conversations "
         "BEGIN DELETE FROM messages WHERE conversation_id = old.id; END"),
    ]  # fmt: skip
    for kind, table in _RECORD_TABLES.items():
        out += [
            (f"rollup_{table}_insert",
             f"AFTER INSERT ON {table} {body(record_delta(d, kind, 'new', 1, guard=False, months=months))}"),
            (f"rollup_{table}_delete",
             f"AFTER DELETE ON {table} {body(record_delta(d, kind, 'old', -1, guard=True, months=months))}"),
            (f"rollup_{table}_update",
             f"AFTER UPDATE OF {_RECORD_COLUMNS[kind]} ON {table} "
             + body(record_delta(d, kind, "old", -1, guard=True, months=months)
                    + record_delta(d, kind, "new", 1, guard=False, months=months))),
        ]  # fmt: skip
    return out


# One advisory lock per account, taken by the first rollup trigger of a transaction and held to
# its end: counter rows are then always updated by one writer of the account at a time, so two
# transactions touching the same counters in different orders wait instead of deadlocking.
_PG_LOCK = (
    "PERFORM pg_advisory_xact_lock(hashtextextended('rollups:' || "
    "CASE WHEN TG_OP = 'DELETE' THEN OLD.account_id ELSE NEW.account_id END, 0));"
)


def _pg_function(name: str, branches: dict[str, list[str]], result: str = "NULL") -> str:
    parts = []
    for op, statements in branches.items():
        parts.append(f"IF TG_OP = '{op}' THEN " + " ".join(s + ";" for s in statements) + " END IF;")
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {_PG_LOCK} "
        + " ".join(parts)
        + f" RETURN {result}; END $$"
    )


def _postgres_statements(day: bool, totals: bool, months: bool = False) -> list[str]:
    d: Dialect = "postgresql"
    kw = {"day_counter": day, "totals": totals}
    out = [
        _pg_function(
            "rollup_messages",
            {
                "INSERT": message_delta(d, "new", 1, guard=False, **kw),
                "DELETE": message_delta(d, "old", -1, guard=True, **kw),
                "UPDATE": message_delta(d, "old", -1, guard=True, **kw)
                + message_delta(d, "new", 1, guard=False, **kw),
            },
        ),
        "CREATE TRIGGER rollup_messages AFTER INSERT OR DELETE OR UPDATE OF "
        f"{_MESSAGE_COLUMNS} ON messages FOR EACH ROW EXECUTE FUNCTION rollup_messages()",
        _pg_function(
            "rollup_conversations_department",
            {
                "UPDATE": department_move(d, "old.department", -1, months=totals)
                + department_move(d, "new.department", 1, months=totals)
            },
        ),
        "CREATE TRIGGER rollup_conversations_department AFTER UPDATE OF department ON conversations "
        "FOR EACH ROW WHEN (old.department IS DISTINCT FROM new.department) "
        "EXECUTE FUNCTION rollup_conversations_department()",
        _pg_function(
            "rollup_conversations_delete_messages",
            {"DELETE": ["DELETE FROM messages WHERE conversation_id = old.id"]},
            "old",
        ),
        "CREATE TRIGGER rollup_conversations_delete_messages BEFORE DELETE ON conversations "
        "FOR EACH ROW EXECUTE FUNCTION rollup_conversations_delete_messages()",
    ]
    for kind, table in _RECORD_TABLES.items():
        out += [
            _pg_function(
                f"rollup_{table}",
                {
                    "INSERT": record_delta(d, kind, "new", 1, guard=False, months=months),
                    "DELETE": record_delta(d, kind, "old", -1, guard=True, months=months),
                    "UPDATE": record_delta(d, kind, "old", -1, guard=True, months=months)
                    + record_delta(d, kind, "new", 1, guard=False, months=months),
                },
            ),
            f"CREATE TRIGGER rollup_{table} AFTER INSERT OR DELETE OR UPDATE OF {_RECORD_COLUMNS[kind]} "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION rollup_{table}()",
        ]
    return out


LEVELS = ("0014_scale", "0018_day_conversations", "0022_day_totals", "0024_dashboard")
CURRENT = LEVELS[-1]


def create_statements(dialect: str, level: str = CURRENT) -> list[str]:
    """The triggers (and PostgreSQL functions) to create at schema `level` (one of `LEVELS`)."""
    if level not in LEVELS:
        raise ValueError(f"unknown rollup trigger level {level!r}")
    day, months = level == "0018_day_conversations", level == "0024_dashboard"
    totals = level == "0022_day_totals" or months
    if dialect == "sqlite":
        return [f"CREATE TRIGGER {name} {rest}" for name, rest in _sqlite_triggers(day, totals, months)]
    if dialect == "postgresql":
        return _postgres_statements(day, totals, months)
    return []


def drop_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name, _ in _sqlite_triggers(False, False)]
    if dialect == "postgresql":
        tables = (
            {"rollup_messages": "messages"}
            | {
                "rollup_conversations_department": "conversations",
                "rollup_conversations_delete_messages": "conversations",
            }
            | {f"rollup_{t}": t for t in _RECORD_TABLES.values()}
        )
        return [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in tables.items()]
    return []
