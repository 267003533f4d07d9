"""The offline planner's request table: 150+ chat requests through a real server (one module-scoped
uvicorn server, the demo account), each checked for the tool calls it made AND for the figure its
answer must carry, computed here from the REST API (`/api/leads`, `/api/contacts`, `/api/v1/ads/*`,
`/files`) with this file's own date arithmetic, filtering and sums — not the planner's code path.

Two more accounts join the demo one: "fresh" (three contacts, three leads of its own, made through
the REST API) and "empty"; the greeting's examples must name each account's own values.

Categories: talk, memory, lookup, period, compare, group, rank, filter, followup, multi, export,
advice. `test_category_accuracy` prints the per-category accuracy published in docs/benchmarks.md.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from frontdesk import clock
from tests.conftest import _reset_postgres, _settings, auth, demo_login, register, serve

pytestmark = pytest.mark.usefixtures("pinned_today")

TODAY = clock.today()
SOURCES = ("website", "referral", "social", "email", "event", "ads")
STATUSES = ("new", "contacted", "qualified", "converted")
RESULTS: dict[str, list[bool]] = {}


# -- independent dates -------------------------------------------------------------------------
def month(y: int, m: int) -> tuple[date, date]:
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])


def last_month() -> tuple[date, date]:
    first = TODAY.replace(day=1) - timedelta(days=1)
    return month(first.year, first.month)


def this_month() -> tuple[date, date]:
    return TODAY.replace(day=1), TODAY


def this_quarter() -> tuple[date, date]:
    return date(TODAY.year, 3 * ((TODAY.month - 1) // 3) + 1, 1), TODAY


def last_week() -> tuple[date, date]:
    monday = TODAY - timedelta(days=TODAY.weekday())
    return monday - timedelta(days=7), monday - timedelta(days=1)


def since_monday() -> tuple[date, date]:
    return TODAY - timedelta(days=TODAY.weekday()), TODAY


def last_days(n: int) -> tuple[date, date]:
    return TODAY - timedelta(days=n - 1), TODAY


def this_year() -> tuple[date, date]:
    return date(TODAY.year, 1, 1), TODAY


# -- formatting as people read it (what the answer must contain) ----------------------------------
def usd(v: float) -> str:
    return f"${v:,.0f}" if abs(v) >= 1000 or float(v).is_integer() else f"${v:,.2f}"


def n(v: float) -> str:
    return f"{round(v):,}"


# -- the REST side ---------------------------------------------------------------------------------
@dataclass
class World:
    client: httpx.Client
    headers: dict[str, str]
    convs: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, dict[str, str]] = field(default_factory=dict)  # other accounts' headers

    def view(self, who: str) -> World:
        """The same server seen as another account (its own REST data and conversations)."""
        if who == "demo":
            return self
        return World(self.client, self.accounts[who], self.convs, self.accounts)

    def get(self, path: str, **params: Any) -> Any:
        r = self.client.get(path, params=params, headers=self.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def leads(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            page = self.get("/api/leads", limit=100, offset=len(out))
            out += page["leads"]
            if not page["pagination"]["hasMore"]:
                return out

    def leads_where(self, span: tuple[date, date] | None = None, **eq: Any) -> list[dict[str, Any]]:
        rows = self.leads()
        if span:
            rows = [r for r in rows if span[0].isoformat() <= r["createdAt"][:10] <= span[1].isoformat()]
        return [r for r in rows if all(r[k] == v for k, v in eq.items())]

    def contacts_created(self, span: tuple[date, date]) -> int:
        out: list[dict[str, Any]] = []
        while True:
            page = self.get("/api/contacts", limit=100, offset=len(out))
            out += page["contacts"]
            if not page["pagination"]["hasMore"]:
                break
        return sum(1 for c in out if span[0].isoformat() <= c["createdAt"][:10] <= span[1].isoformat())

    def contacts_total(self, **params: Any) -> int:
        return int(self.get("/api/contacts", limit=1, **params)["total"])

    def ads(self, span: tuple[date, date] | None = None, platform: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if span:
            params |= {"start_date": span[0].isoformat(), "end_date": span[1].isoformat()}
        if platform:
            params["platform"] = platform
        return self.get("/api/v1/ads/performance", **params)

    def campaigns(self, span: tuple[date, date] | None = None) -> list[dict[str, Any]]:
        params = {"limit": 100}
        if span:
            params |= {"start_date": span[0].isoformat(), "end_date": span[1].isoformat()}  # type: ignore[dict-item]
        return self.get("/api/v1/ads/campaigns", **params)["campaigns"]

    def ask(self, text: str, conv: str | None) -> tuple[list[dict[str, Any]], str]:
        key = (f"{self.headers['Authorization'][-12:]}:{conv}" if conv else None) or f"solo-{len(self.convs)}"
        if key not in self.convs:
            r = self.client.post("/chat/conversations", json={"title": key}, headers=self.headers)
            self.convs[key] = r.json()["conversation_id"]
        r = self.client.post(
            f"/chat/conversations/{self.convs[key]}/messages", json={"content": text}, headers=self.headers
        )
        assert r.status_code == 200, r.text
        events = [json.loads(line[6:]) for line in r.text.split("\n") if line.startswith("data: ")]
        calls = [e for e in events if e.get("type") == "tool_call"]
        done = events[-1]
        assert done["type"] == "done", done
        return calls, done["content"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = _settings(tmp_path_factory.mktemp("requests"))
    if not settings.resolved_database_url.startswith("sqlite"):
        _reset_postgres(settings.resolved_database_url)
    with serve(settings) as url, httpx.Client(base_url=url, timeout=60) as client:
        w = World(client, demo_login(client))
        w.accounts["fresh"] = auth(register(client, "Fresh"))
        w.accounts["empty"] = auth(register(client, "Empty"))
        for name, company, tags in FRESH_CONTACTS:
            body = {"name": name, "company": company, "tags": tags}
            assert client.post("/api/contacts", json=body, headers=w.accounts["fresh"]).status_code == 201
        for name, status, value in FRESH_LEADS:
            body = {"name": name, "status": status, "source": "event", "value": value}
            assert client.post("/api/leads", json=body, headers=w.accounts["fresh"]).status_code == 201
        yield w


# -- the table ---------------------------------------------------------------------------------------
Expect = Callable[[World], list[str]]


@dataclass(frozen=True)
class Case:
    category: str
    text: str
    tools: tuple[str, ...] | Callable[[World], tuple[str, ...]]  # the calls made, in order
    expect: Expect  # figures (as text) the answer must contain, computed from the REST API
    conv: str | None = None  # cases with the same conv run in one conversation, in order
    absent: tuple[str, ...] = ()  # text the answer must not contain
    who: str = "demo"  # the account asking: demo, fresh (a few records of its own) or empty


def count(span: Callable[[], tuple[date, date]] | None = None, **eq: Any) -> Expect:
    return lambda w: [n(len(w.leads_where(span() if span else None, **eq)))]


def value(span: Callable[[], tuple[date, date]] | None = None, **eq: Any) -> Expect:
    return lambda w: [usd(sum(r["value"] for r in w.leads_where(span() if span else None, **eq)))]


def group(key: str, span: Callable[[], tuple[date, date]] | None = None, by_value: bool = False) -> Expect:
    def run(w: World) -> list[str]:
        rows = w.leads_where(span() if span else None)
        values = SOURCES if key == "source" else STATUSES
        out = []
        for v in values:
            mine = [r for r in rows if r[key] == v]
            out.append(f"- {v}: {n(len(mine))} ({usd(sum(r['value'] for r in mine))})")
        out.append(f"Total: {n(len(rows))} lead" + ("" if len(rows) == 1 else "s"))
        return out

    return run


def compare_leads(
    a: Callable[[], tuple[date, date]], b: Callable[[], tuple[date, date]], **eq: Any
) -> Expect:
    def run(w: World) -> list[str]:
        x, y = len(w.leads_where(a(), **eq)), len(w.leads_where(b(), **eq))
        diff = x - y
        out = [f": {n(x)}", f": {n(y)}", ("+" if diff >= 0 else "-") + n(abs(diff))]
        if y:
            out.append(f"({diff / y * 100:+.1f}%)")
        return out

    return run


def compare_sources(s1: str, s2: str) -> Expect:
    def run(w: World) -> list[str]:
        x, y = len(w.leads_where(source=s1)), len(w.leads_where(source=s2))
        verdict = s1 if x > y else s2
        return [f"- {s1}: {n(x)}", f"- {s2}: {n(y)}", f"Verdict: {verdict} is ahead" if x != y else "level"]

    return run


AD_KIND = {"spend": "money", "clicks": "count", "impressions": "count", "conversions": "number"}


def ad_fig(v: float | None, kind: str) -> str:
    if v is None:
        return "n/a"
    if kind == "money":
        return usd(float(v))
    if kind == "count":
        return n(v)
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


def compare_platforms(metric: str, span: Callable[[], tuple[date, date]] | None) -> Expect:
    def run(w: World) -> list[str]:
        s = span() if span else None
        g, m = (w.ads(s, p)["totals"][metric] for p in ("google_ads", "meta_ads"))
        winner = "Google Ads" if g > m else "Meta Ads"
        kind = AD_KIND[metric]
        return [f"- Google Ads: {ad_fig(g, kind)}", f"- Meta Ads: {ad_fig(m, kind)}", f"Verdict: {winner}"]

    return run


def compare_ad_periods(
    metric: str, a: Callable[[], tuple[date, date]], b: Callable[[], tuple[date, date]]
) -> Expect:
    def run(w: World) -> list[str]:
        x, y = w.ads(a())["totals"][metric], w.ads(b())["totals"][metric]
        kind = AD_KIND[metric]
        return [f": {ad_fig(x, kind)}", f": {ad_fig(y, kind)}", f"({(x - y) / y * 100:+.1f}%)"]

    return run


def by_platform(metric: str, span: Callable[[], tuple[date, date]] | None) -> Expect:
    def run(w: World) -> list[str]:
        rows = w.ads(span() if span else None)["by_platform"]
        return [f"- {r['platform']}: {ad_fig(r[metric], AD_KIND[metric])}" for r in rows]

    return run


def metric_text(metric: str, v: float) -> str:
    if metric == "roas":
        return f"{v:.2f}x"
    if metric in {"cpa", "cpc"}:
        return usd(v)
    return ad_fig(v, AD_KIND[metric])


def rank_campaigns(
    metric: str, k: int, best: bool, span: Callable[[], tuple[date, date]] | None, platform: str | None = None
) -> Expect:
    lower_better = metric in {"cpa", "cpc"}

    def run(w: World) -> list[str]:
        rows = [c for c in w.campaigns(span() if span else None) if c["metrics"].get(metric) is not None]
        rows = [c for c in rows if platform in {None, c["platform"]}]
        rows.sort(key=lambda c: (c["metrics"][metric], c["name"]), reverse=(lower_better != best))
        shown = [metric_text(metric, c["metrics"][metric]) for c in rows[:k]]
        if k == 1:
            return [f": {rows[0]['name']} [", shown[0]]
        return [f"{i}. {c['name']}" for i, c in enumerate(rows[:k], 1)] + shown

    return run


def rank_leads(k: int, smallest: bool = False, **eq: Any) -> Expect:
    def run(w: World) -> list[str]:
        rows = sorted(
            w.leads_where(**eq), key=lambda r: (r["value"], r["id"]) if smallest else (-r["value"], r["id"])
        )
        top = rows[:k]
        return [f"{usd(r['value'])}" for r in top] + [f"of {n(len(rows))}"]

    return run


def worth(low: float | None = None, high: float | None = None, strict: bool = True, **eq: Any) -> Expect:
    def run(w: World) -> list[str]:
        rows = w.leads_where(**eq)
        if low is not None:
            rows = [r for r in rows if (r["value"] > low if strict else r["value"] >= low)]
        if high is not None:
            rows = [r for r in rows if (r["value"] < high if strict else r["value"] <= high)]
        return (
            [f"{n(len(rows))} lead", f"worth {usd(sum(r['value'] for r in rows))} in total"]
            if rows
            else ["no leads"]
        )

    return run


def nothing(*words: str) -> Expect:
    return lambda w: list(words)


def tagged(name: str, tag: str) -> Expect:
    def run(w: World) -> list[str]:
        found = w.get("/api/contacts", search=name, limit=5)["contacts"]
        assert found and tag in found[0]["tags"], found
        return [f"Created contact {name}", tag]

    return run


def lead_status(name: str, status: str) -> Expect:
    def run(w: World) -> list[str]:
        found = [r for r in w.leads() if r["name"] == name]
        assert found and found[0]["status"] == status, found
        return [f"Created lead {name}", f"status {status}"]

    return run


def export_rows(tag: str | None = None, what: str = "contacts") -> Expect:
    def run(w: World) -> list[str]:
        total = (
            w.contacts_total(tags=tag)
            if tag
            else w.contacts_total()
            if what == "contacts"
            else len(w.leads())
        )
        files = w.get("/files/")["artifacts"]
        body = w.client.get(files[0]["download_url"], headers=w.headers)
        assert body.status_code == 200
        rows = list(csv.reader(io.StringIO(body.text)))
        assert len(rows) - 1 == total, (len(rows) - 1, total)
        return [f"Exported {n(total)} ", f"/files/{files[0]['id']}"]

    return run


def advice_names_campaign() -> Expect:
    def run(w: World) -> list[str]:
        names = {c["name"] for c in w.campaigns(last_days(30))}
        return [next(iter(names))[:0]]  # the answer's campaign names are checked in the test

    return run


# the "fresh" account's own records: the greeting's examples must name these, not the demo's
FRESH_CONTACTS = (("Nia Quartz", "Nimbus Ltd", ["gold"]), ("Omar Quartz", "Nimbus Ltd", ["gold", "beta"]),
                  ("Pia Quartz", "Quasar Inc", ["silver"]))  # fmt: skip
FRESH_LEADS = (("Nia Quartz", "contacted", 900.0), ("Omar Quartz", "contacted", 1500.0),
               ("Pia Quartz", "new", 400.0))  # fmt: skip
GREETING = ("pipeline_summary", "get_contacts")


def all_contacts(w: World) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        page = w.get("/api/contacts", limit=100, offset=len(out))
        out += page["contacts"]
        if not page["pagination"]["hasMore"]:
            return out


def top(counts: Counter[str]) -> str:
    return min(counts, key=lambda k: (-counts[k], k.lower()))


def greeting_examples(name: str = "") -> Expect:
    """The greeting's examples, from this account's REST data: its biggest open lead stage with
    the count, the commonest tag and company among its 25 newest contacts."""

    def run(w: World) -> list[str]:
        stages = Counter(r["status"] for r in w.leads())
        open_ = Counter({k: v for k, v in stages.items() if k != "converted"}) or stages
        newest = sorted(all_contacts(w), key=lambda c: c["createdAt"], reverse=True)[:25]
        tags = Counter(t for c in newest for t in c["tags"])
        companies = Counter(c["company"] for c in newest if c["company"])
        status = max(open_, key=lambda k: (open_[k], k))
        return [f"Hi {name}!" if name else "Hi!", "I'm frontdesk", "Try, for example:",
                f"Which {status} leads are worth the most? (you have {n(open_[status])})",
                f"How many contacts are tagged {top(tags)}?",
                f"Show the contacts at {top(companies)}"]  # fmt: skip

    return run


def contact_groups(key: str, **having: Any) -> Expect:
    """Contacts per tag / company (of those with all `having` tags), from the full REST listing."""

    def run(w: World) -> list[str]:
        rows = [c for c in all_contacts(w) if set(having.get("tags", [])) <= set(c["tags"])]
        given = {t.lower() for t in having.get("tags", [])}
        values = Counter(
            v
            for c in rows
            for v in (c["tags"] if key == "tag" else [c["company"]])
            if v and v.lower() not in given
        )
        lines = [f"- {v}: {n(k)}" for v, k in values.items()]
        return [*lines, f"Total: {n(len(rows))} contact" + ("" if len(rows) == 1 else "s")]

    return run


def group_tools(key: str, **having: Any) -> Callable[[World], tuple[str, ...]]:
    """Three pages read to find the values, then one counting call per value."""

    def run(w: World) -> tuple[str, ...]:
        rows = [c for c in all_contacts(w) if set(having.get("tags", [])) <= set(c["tags"])]
        given = {t.lower() for t in having.get("tags", [])}
        values = {
            v
            for c in rows
            for v in (c["tags"] if key == "tag" else [c["company"]])
            if v and v.lower() not in given
        }
        return ("get_contacts",) * (3 + min(len(values), 15))

    return run


PLATFORM = {"google_ads": "Google Ads", "meta_ads": "Meta Ads"}


def per_campaign(metric: str, span: Callable[[], tuple[date, date]] | None = None,
                 platform: str | None = None) -> Expect:  # fmt: skip
    def run(w: World) -> list[str]:
        rows = [c for c in w.campaigns(span() if span else None) if platform in {None, c["platform"]}]
        rows = [c for c in rows if c["metrics"].get(metric) is not None]
        rows.sort(key=lambda c: (c["metrics"][metric], c["name"]), reverse=True)
        out = [f"- {c['name']} [{PLATFORM[c['platform']]}]: {metric_text(metric, c['metrics'][metric])}"
               for c in rows[:15]]  # fmt: skip
        total = sum(c["metrics"][metric] for c in rows)
        return [*out, f"Total over {len(rows)} campaigns: {metric_text(metric, total)}"]

    return run


def pipeline_values() -> Expect:
    def run(w: World) -> list[str]:
        rows = w.leads()
        out = []
        for st in STATUSES:
            mine = [r["value"] for r in rows if r["status"] == st]
            out.append(f"- {st}: {n(len(mine))} ({usd(sum(mine))})")
        return out

    return run


def per_channel(metric: str) -> Expect:
    def run(w: World) -> list[str]:
        by = w.get("/api/v1/analytics/daily/", metric_type=metric, days=30)["breakdown"]["channel"]
        return [f"- {ch}: {n(k)}" for ch, k in by.items()] + ["by channel ("]

    return run


def mine(n_of: Callable[[World], int], *words: str) -> Expect:
    return lambda w: [f"{n(n_of(w))} ", *words]


CASES: list[Case] = []
add = CASES.append

# talk: a bare greeting reads nothing; a request for help reads two small things and gives
# examples naming this account's real values; never a list of records
for text in ("hello", "hi", "hey there", "good morning"):
    add(Case("talk", text, (), nothing("I'm frontdesk", "Try, for example:"), absent=("I found",)))
for text in ("hello, who are you and what can you do?", "what can you do?", "who are you?", "help",
             "how can you help?", "hey, what can you help me with?"):  # fmt: skip
    add(Case("talk", text, GREETING, greeting_examples(), absent=("I found", "I'm not sure")))
for text in ("cheers!", "thanks", "thank you", "bye"):
    add(Case("talk", text, (), nothing(), absent=("I'm not sure", "I found")))
# another account, other data: its own values in the examples, none of the demo's
add(Case("talk", "hello, who are you and what can you do?", GREETING, greeting_examples(), who="fresh",
         absent=("VIP", "newsletter", "Acme Corp")))  # fmt: skip
add(Case("talk", "How many contacts are tagged gold?", ("get_contacts",),
         lambda w: [n(w.contacts_total(tags="gold"))], who="fresh"))  # fmt: skip
add(Case("talk", "what can you do?", GREETING, nothing("Your account is empty so far", "Leads per source"),
         who="empty", absent=("Which ",)))  # fmt: skip
add(Case("talk", "my name is Rita Quartz", (), nothing("Rita Quartz"), conv="t1", who="fresh"))
add(Case("talk", "what can you do?", GREETING, greeting_examples("Rita Quartz"), conv="t1", who="fresh"))

# memory: stated facts recalled and used
add(Case("memory", "my name is Ana Costa", (), nothing("Ana Costa"), conv="m1"))
add(Case("memory", "I look after the Porto team", (), nothing("Porto team"), conv="m1"))
add(Case("memory", "what's my name?", (), nothing("Ana Costa"), conv="m1"))
add(Case("memory", "which team do I look after?", (), nothing("Porto team"), conv="m1"))
add(Case("memory", "hello", (), nothing("Hi Ana Costa!"), conv="m1"))
add(
    Case("memory", "how many leads came from referral?", ("list_leads",), count(source="referral"), conv="m1")
)
add(Case("memory", "what do you know about me?", (), nothing("Ana Costa", "Porto team"), conv="m1"))
add(Case("memory", "thanks", (), nothing("Ana Costa"), conv="m1"))
add(Case("memory", "I'm Bruno and I work at Globex", (), nothing("Bruno", "Globex"), conv="m2"))
add(Case("memory", "who am i?", (), nothing("Bruno"), conv="m2"))
add(Case("memory", "remind me who I am", (), nothing("Bruno", "Globex"), conv="m2"))

# facts about the user's remit narrow "my …" requests, and the answer says so; a team the data
# has no field for is said to be not applied
add(Case("memory", "I'm in charge of Google Ads", (), nothing("in charge of Google Ads"), conv="p1"))
add(Case("memory", "how are my campaigns doing?", ("get_campaigns",),
         lambda w: ["Filtered to Google Ads, as you told me", *per_campaign("spend", None, "google_ads")(w)],
         conv="p1", absent=("[Meta Ads]",)))  # fmt: skip
add(Case("memory", "what are my top 3 campaigns by ROAS last month?", ("get_campaigns",),
         lambda w: ["Google Ads only, as you told me",
                    *rank_campaigns("roas", 3, True, last_month, "google_ads")(w)], conv="p1"))  # fmt: skip
add(Case("memory", "spend per campaign for my ads", ("get_campaigns",),
         lambda w: ["Filtered to Google Ads", *per_campaign("spend", None, "google_ads")(w)],
         conv="p1"))  # fmt: skip
add(Case("memory", "I look after the Acme Corp account", (), nothing("Acme Corp account"), conv="p2"))
add(Case("memory", "show my contacts", ("get_contacts",),
         mine(lambda w: sum(1 for c in all_contacts(w) if c["company"] == "Acme Corp"),
              "filtered to Acme Corp, as you told me"), conv="p2"))  # fmt: skip
add(Case("memory", "how many of my leads are qualified?", ("list_leads",),
         mine(lambda w: len(w.leads_where(status="qualified", company="Acme Corp")),
              "filtered to Acme Corp, as you told me"), conv="p2"))  # fmt: skip
add(Case("memory", "I look after the Porto team", (), nothing("Porto team"), conv="p3"))
add(Case("memory", "show my contacts", ("get_contacts",),
         mine(lambda w: len(all_contacts(w)),
              "not narrowed to the Porto team: contacts have no team or city field"),
         conv="p3"))  # fmt: skip
add(Case("memory", "how many leads do I have?", ("list_leads",), count(), conv="p3"))
add(Case("memory", "I manage the VIP customers", (), nothing("VIP contacts"), conv="p4"))
add(Case("memory", "how many of my contacts are there?", ("get_contacts",),
         mine(lambda w: w.contacts_total(tags="VIP"), "filtered to the VIP tag"), conv="p4"))  # fmt: skip

# lookups: one call, the asked-for figure
for s in SOURCES:
    add(
        Case(
            "lookup",
            f"how many leads came from {'the ' if s == 'website' else ''}{s}?",
            ("list_leads",),
            count(source=s),
        )
    )
for st in STATUSES:
    add(Case("lookup", f"how many {st} leads do we have?", ("list_leads",), count(status=st)))
    add(Case("lookup", f"what is the total value of {st} leads?", ("list_leads",), value(status=st)))
add(
    Case(
        "lookup",
        "how many contacts are tagged VIP?",
        ("get_contacts",),
        lambda w: [n(w.contacts_total(tags="VIP"))],
    )
)
add(Case("lookup", "how many contacts do we have?", ("get_contacts",), lambda w: [n(w.contacts_total())]))
add(
    Case(
        "lookup",
        "How is the pipeline looking?",
        ("pipeline_summary",),
        lambda w: [n(len(w.leads())) + " leads"],
    )
)

# periods with calendar meaning, on CRM queries
PERIODS: list[tuple[str, Callable[[], tuple[date, date]]]] = [
    ("last month", last_month), ("this month", this_month), ("this quarter", this_quarter),
    ("last week", last_week), ("since Monday", since_monday), ("in the last 30 days", lambda: last_days(30)),
    ("this year", this_year), ("in the last 7 days", lambda: last_days(7)),
]  # fmt: skip
for phrase, span in PERIODS:
    add(Case("period", f"how many leads did we get {phrase}?", ("list_leads",), count(span)))
    add(
        Case(
            "period",
            f"how many leads from referral {phrase}?",
            ("list_leads",),
            count(span, source="referral"),
        )
    )
add(
    Case(
        "period",
        "how many converted leads last month?",
        ("list_leads",),
        count(last_month, status="converted"),
    )
)
add(
    Case(
        "period",
        "what's the value of new leads this quarter?",
        ("list_leads",),
        value(this_quarter, status="new"),
    )
)
SPRING = TODAY.year if TODAY.month >= 5 else TODAY.year - 1  # the latest May not after today
add(Case("period", "how many leads from March to May?", ("list_leads",),
         count(lambda: (date(SPRING, 3, 1), min(date(SPRING, 5, 31), TODAY)))))  # fmt: skip

for phrase, span in PERIODS[:4]:
    add(Case("period", f"how many contacts were created {phrase}?", ("get_contacts",),
             lambda w, span=span: [n(w.contacts_created(span()))]))  # fmt: skip
for tag in ("newsletter", "partner"):
    add(Case("lookup", f"how many contacts are tagged {tag}?", ("get_contacts",),
             lambda w, tag=tag: [n(w.contacts_total(tags=tag))]))  # fmt: skip

# comparisons: two calls, difference in numbers and %, a verdict
for a, b, fa, fb in (("this month", "last month", this_month, last_month),
                     ("last week", "this week", last_week, since_monday)):  # fmt: skip
    add(Case("compare", f"compare leads {a} vs {b}", ("list_leads", "list_leads"), compare_leads(fa, fb)))
    add(Case("compare", f"how many leads from website {a} compared to {b}?", ("list_leads", "list_leads"),
             compare_leads(fa, fb, source="website")))  # fmt: skip
for s1, s2 in (
    ("referral", "website"),
    ("social", "email"),
    ("event", "ads"),
    ("website", "social"),
    ("email", "referral"),
):
    add(Case("compare", f"leads from {s1} vs {s2}", ("list_leads", "list_leads"), compare_sources(s1, s2)))
for metric in ("spend", "clicks", "impressions", "conversions"):
    for phrase, span in (("last month", last_month), ("", None)):
        add(Case("compare", f"compare Google Ads and Meta Ads {metric} {phrase}".strip(),
                 ("get_ad_performance", "get_ad_performance"), compare_platforms(metric, span)))  # fmt: skip
TWO_ADS = ("get_ad_performance", "get_ad_performance")
add(Case("compare", "google vs meta: which had more clicks last week?", TWO_ADS,
         compare_platforms("clicks", last_week)))  # fmt: skip
for metric in ("spend", "clicks"):
    add(Case("compare", f"ad {metric} this month vs last month", ("get_ad_performance", "get_ad_performance"),
             compare_ad_periods(metric, this_month, last_month)))  # fmt: skip

# group-by: one row per group
add(Case("group", "leads per source", ("list_leads",) * 6, group("source")))
add(Case("group", "how many leads from each source?", ("list_leads",) * 6, group("source")))
add(Case("group", "lead value by source", ("list_leads",) * 6, group("source")))
for phrase, span in PERIODS[:4]:
    add(Case("group", f"leads by source {phrase}", ("list_leads",) * 6, group("source", span)))
    add(Case("group", f"leads by status {phrase}", ("list_leads",) * 4, group("status", span)))
add(Case("group", "last month's pipeline", ("list_leads",) * 4, group("status", last_month)))
add(Case("group", "show me the pipeline this quarter", ("list_leads",) * 4, group("status", this_quarter)))
# contacts by tag / company: values found, then one counting call each; figures from the REST listing
add(Case("group", "contacts by tag", group_tools("tag"), contact_groups("tag")))
add(Case("group", "how many contacts per company?", group_tools("company"), contact_groups("company")))
add(Case("group", "VIP contacts by company", group_tools("company", tags=["VIP"]),
         contact_groups("company", tags=["VIP"])))  # fmt: skip
add(Case("group", "contacts tagged newsletter broken down by tag", group_tools("tag", tags=["newsletter"]),
         contact_groups("tag", tags=["newsletter"])))  # fmt: skip
add(Case("group", "contacts per tag", group_tools("tag"), contact_groups("tag"), who="fresh"))
# groupings the data has no field for: said plainly
add(Case("group", "contacts per source", (), nothing("Contacts have no source field")))
add(Case("group", "leads by owner", (), nothing("no owner or assignee field")))
add(Case("group", "how many leads per assignee?", (), nothing("no owner or assignee field")))
# value per status / source
add(Case("group", "lead value by status", ("pipeline_summary",), pipeline_values()))
add(Case("group", "lead value per source last month", ("list_leads",) * 6, group("source", last_month)))
# ad figures per campaign, each campaign's own row
add(Case("group", "spend per campaign", ("get_campaigns",), per_campaign("spend")))
add(Case("group", "clicks by campaign last month", ("get_campaigns",), per_campaign("clicks", last_month)))
add(Case("group", "conversions for each campaign this month", ("get_campaigns",),
         per_campaign("conversions", this_month)))  # fmt: skip
add(Case("group", "google ads spend per campaign", ("get_campaigns",),
         per_campaign("spend", None, "google_ads"),
         absent=("[Meta Ads]",)))  # fmt: skip
add(Case("group", "conversations per channel", ("daily_stats",), per_channel("conversations_started")))
for metric in ("spend", "clicks", "conversions"):
    add(
        Case(
            "group",
            f"ad {metric} by platform last month",
            ("get_ad_performance",),
            by_platform(metric, last_month),
        )
    )
    add(Case("group", f"{metric} per platform", ("get_ad_performance",), by_platform(metric, None)))

# rankings: top/bottom N by a metric
for metric, k in (("spend", 3), ("clicks", 5), ("roas", 3), ("conversions", 2), ("impressions", 4)):
    add(
        Case(
            "rank",
            f"top {k} campaigns by {metric} last month",
            ("get_campaigns",),
            rank_campaigns(metric, k, True, last_month),
        )
    )
    add(
        Case(
            "rank",
            f"bottom {k} campaigns by {metric}",
            ("get_campaigns",),
            rank_campaigns(metric, k, False, None),
        )
    )
add(
    Case(
        "rank",
        "which campaign had the best CPA last month?",
        ("get_campaigns",),
        rank_campaigns("cpa", 1, True, last_month),
    )
)
add(
    Case(
        "rank", "which campaign had the worst CPA?", ("get_campaigns",), rank_campaigns("cpa", 1, False, None)
    )
)
for k in (3, 5):
    add(Case("rank", f"top {k} leads by value", ("list_leads",), rank_leads(k)))
add(
    Case(
        "rank",
        "the 3 smallest deals from referral",
        ("list_leads",),
        rank_leads(3, smallest=True, source="referral"),
    )
)
add(Case("rank", "biggest 4 qualified leads", ("list_leads",), rank_leads(4, status="qualified")))
add(Case("rank", "show the 3 most valuable deals", ("list_leads",), rank_leads(3)))

# numeric filters and ranges
for amount, words in ((10000, "10k"), (5000, "$5,000"), (20000, "20k"), (1000, "1000 dollars")):
    add(Case("filter", f"leads worth more than {words}", ("list_leads",), worth(low=amount)))
for amount, words in ((2000, "$2,000"), (500, "500 dollars")):
    add(Case("filter", f"leads under {words}", ("list_leads",), worth(high=amount)))
add(Case("filter", "leads worth at least 10k", ("list_leads",), worth(low=10000, strict=False)))
add(
    Case("filter", "leads worth between 1k and 5k", ("list_leads",), worth(low=1000, high=5000, strict=False))
)
add(Case("filter", "referral leads worth over 5k", ("list_leads",), worth(low=5000, source="referral")))
add(Case("filter", "qualified leads above $8,000", ("list_leads",), worth(low=8000, status="qualified")))

add(
    Case(
        "filter",
        "how many deals over 30k came from website?",
        ("list_leads",),
        worth(low=30000, source="website"),
    )
)
add(
    Case(
        "filter", "converted leads worth less than 3k", ("list_leads",), worth(high=3000, status="converted")
    )
)


def campaigns_where(
    metric: str, low: float | None, high: float | None, span: Callable[[], tuple[date, date]]
) -> Expect:
    def run(w: World) -> list[str]:
        rows = [c for c in w.campaigns(span()) if c["metrics"].get(metric) is not None]
        rows = [c for c in rows if (low is None or c["metrics"][metric] > low)]
        rows = [c for c in rows if (high is None or c["metrics"][metric] < high)]
        if not rows:
            return ["No campaign"]
        return [f"{len(rows)} campaign"] + [f"- {c['name']} [" for c in rows[:10]]

    return run


for text, metric, low, high in (
    ("campaigns with spend over $5k last month", "spend", 5000, None),
    ("campaigns with more than 5000 clicks last month", "clicks", 5000, None),
    ("which campaigns had a CPA under $20 last month?", "cpa", None, 20),
    ("campaigns with ROAS above 5 last month", "roas", 5, None),
):
    add(Case("filter", text, ("get_campaigns",), campaigns_where(metric, low, high, last_month)))

# follow-ups refine the previous request
add(Case("followup", "show me the leads from website", ("list_leads",), count(source="website"), conv="f1"))
add(Case("followup", "above 10k", ("list_leads",), worth(low=10000, source="website"), conv="f1"))
add(Case("followup", "list the qualified leads", ("list_leads",), count(status="qualified"), conv="f2"))
add(
    Case(
        "followup",
        "only the ones worth more than 5k",
        ("list_leads",),
        worth(low=5000, status="qualified"),
        conv="f2",
    )
)
add(Case("followup", "how many leads from referral?", ("list_leads",), count(source="referral"), conv="f3"))
add(
    Case(
        "followup", "what about last month?", ("list_leads",), count(last_month, source="referral"), conv="f3"
    )
)

add(
    Case(
        "followup", "leads per source this month", ("list_leads",) * 6, group("source", this_month), conv="f4"
    )
)
add(Case("followup", "what about last month?", ("list_leads",) * 6, group("source", last_month), conv="f4"))
add(Case("followup", "top 3 campaigns by clicks this month", ("get_campaigns",),
         rank_campaigns("clicks", 3, True, this_month), conv="f5"))  # fmt: skip
add(
    Case(
        "followup",
        "and last month?",
        ("get_campaigns",),
        rank_campaigns("clicks", 3, True, last_month),
        conv="f5",
    )
)

# exports: a file and its row count
add(Case("export", "export the VIP contacts to CSV", ("export_data",), export_rows("VIP")))
add(Case("export", "export all contacts as csv", ("export_data",), export_rows()))
add(
    Case(
        "export",
        "export contacts tagged newsletter to a CSV file",
        ("export_data",),
        export_rows("newsletter"),
    )
)

# advice from the ad data
for text in ("what should I do to improve my ads?", "which campaigns should I pause?",
             "where should I shift budget?", "any risks in my campaigns?"):  # fmt: skip
    add(Case("advice", text, ("marketing_advice",), lambda w: []))

add(Case("advice", "why did CPC go up in the last 30 days?", ("explain_metric",), lambda w: ["CPC"]))

# multi-step: every step called and reported, and the change is really there
add(
    Case(
        "multi",
        "create a contact named Zoe Table and tag her VIP",
        ("create_contact", "tag_contact"),
        tagged("Zoe Table", "VIP"),
    )
)
add(
    Case(
        "multi",
        "add a contact named Yuri Table, then tag them partner",
        ("create_contact", "tag_contact"),
        tagged("Yuri Table", "partner"),
    )
)
add(Case("multi", "create a lead for Xena Table from referral worth $5k and set its status to qualified",
         ("create_lead", "update_lead"), lead_status("Xena Table", "qualified")))  # fmt: skip
add(Case("multi", "create a lead for Walt Table and mark it as contacted", ("create_lead", "update_lead"),
         lead_status("Walt Table", "contacted")))  # fmt: skip
add(Case("multi", "tag all contacts named Table as tabletest", ("get_contacts", "tag_contact", "tag_contact"),
         lambda w: ["Found 2 contacts", "tabletest", str(w.contacts_total(tags="tabletest"))]))  # fmt: skip
TWO_UPDATES = ("list_leads", "update_lead", "update_lead")
add(Case("multi", "find the leads matching Table and mark them converted", TWO_UPDATES,
         lambda w: ["Found 2 leads", "status converted"]))  # fmt: skip
add(Case("multi", "create a contact named Vera Nobody and tag her", ("create_contact",),
         nothing("Created contact Vera Nobody", "Not done: tagging Vera Nobody")))  # fmt: skip
add(Case("multi", "mark all leads as converted", (), nothing("Which records should I change?")))
add(Case("multi", "find the leads matching Nobody-At-All and mark them converted", ("list_leads",),
         lambda w: ["Found 0 leads", "Not done", "no leads matched"]))  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[f"{c.category}:{c.text[:50]}" for c in CASES])
def test_request(world: World, case: Case) -> None:
    ok = False
    w = world.view(case.who)
    try:
        calls, answer = w.ask(case.text, case.conv)
        tools = case.tools(w) if callable(case.tools) else case.tools
        assert tuple(c["tool"] for c in calls) == tools, (calls, answer)
        for figure in case.expect(w):
            assert figure in answer, (figure, answer)
        for word in case.absent:
            assert word not in answer, (word, answer)
        if case.category == "advice" and case.tools == ("marketing_advice",):
            names = {c["name"] for c in world.campaigns()}
            assert any(name in answer for name in names) or "No " in answer, answer
        ok = True
    finally:
        RESULTS.setdefault(case.category, []).append(ok)


def test_table_size_and_accuracy() -> None:
    assert len(CASES) >= 150, len(CASES)
    counts = Counter(c.category for c in CASES)
    assert set(counts) == {"talk", "memory", "lookup", "period", "compare", "group", "rank", "filter",
                           "followup", "export", "advice", "multi"}  # fmt: skip
    lines = [f"{cat}: {sum(v)}/{len(v)}" for cat, v in sorted(RESULTS.items())]
    print("\n".join(lines))
