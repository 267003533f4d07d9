"""Planner rules for requests that are several actions, exports and advice.

- "create a contact … and tag her VIP": `create_contact`, then `tag_contact` on the new id.
- "create a lead … and set its status to qualified": `create_lead`, then `update_lead`.
- "tag all contacts at Acme as enterprise", "find the new leads from events and mark them
  contacted": a lookup, then the write on each record found (at most `steps.EACH_MAX`).
- "export the VIP contacts to CSV": `export_data` (a file and its download link).
- "what should I do with my campaigns?", "which campaigns should I pause?": `marketing_advice`
  with the lens the words ask for (optimize, grow, protect, or the summary of the three).
"""

from __future__ import annotations

import re
from typing import Any

from frontdesk.agent.offline import crm_rules, write_rules
from frontdesk.agent.offline.request import Plan, Request, Step
from frontdesk.agent.offline.steps import EACH_MAX

_TAG = r"[\"']?([\w-]+)[\"']?"
_THEN = r"\s*(?:,\s*)?(?:and(?: then)?|then|&)\s+"
_IT = r"(?:her|him|them|it|the (?:new )?(?:contact|lead)|this (?:contact|lead))"
_RANGES = {7: "7_days", 14: "14_days", 30: "30_days", 90: "90_days"}


def _status_word(text: str) -> str | None:
    for words, status in crm_rules._STATUS_WORDS.items():
        if re.match(rf"(?:{words})\b", text.lower()):
            return status
    return None


def rule_create_then(req: Request) -> Plan | None:
    """Create a record, then tag it or set its status."""
    m = re.search(_THEN + r"(tag|label|mark|set|move|change|update)\s+(.*)$", req.text, re.I)
    if not m or not re.match(r"^(?:please\s+)?(?:add|create|new|register|save)\b", req.low):
        return None
    first = write_rules.rule_create(Request.of(req.text[: m.start()], req.today))
    if first is None or first.tool is None:
        return first
    verb, rest = m.group(1).lower(), m.group(2)
    if first.tool == "create_contact" and verb in {"tag", "label", "mark"}:
        tag = re.match(rf"(?:{_IT}\b\s*)?(?:as|with)?\s*(?:the\s+)?(?:tag\s+)?{_TAG}", rest, re.I)
        if tag and not re.fullmatch(_IT, tag.group(1), re.I):
            label = f"tag {first.label} {tag.group(1)}"
            step = Step("tag_contact", {"tags": [tag.group(1)]}, label, use="contact_id")
            return Plan(first.tool, first.arguments, "action", first.label, steps=(step,), shape="sequence")
        note = f"Not done: tagging {first.label}, because you didn't say which tag (say 'tag her VIP')."
        return Plan(
            first.tool, first.arguments, "action", first.label, shape="sequence", spec={"notes": [note]}
        )
    if first.tool == "create_lead":
        found = next((st for w in re.findall(r"[\w-]+", rest) if (st := _status_word(w))), None)
        if found:
            step = Step(
                "update_lead", {"status": found}, f"set {first.label}'s status to {found}", use="lead_id"
            )
            return Plan(first.tool, first.arguments, "action", first.label, steps=(step,), shape="sequence")
    return None


def _lookup(phrase: str, req: Request) -> Plan | None:
    sub = Request.of(phrase, req.today)
    found = crm_rules.rule_leads(sub) or crm_rules.rule_contacts(sub)
    if found is None or found.tool is None:
        return None
    args, label = dict(found.arguments), found.label
    named = re.search(r"\b(?:matching|named|called)\s+[\"']?([\w'-]+(?:\s+[A-Z][\w'-]+)?)", phrase)
    if named and not args.get("search"):
        args["search"] = named.group(1)
        label = f"{label} matching '{named.group(1)}'".strip()
    if not {k for k in args if k not in {"limit", "sort", "order"}}:
        return Plan(None, clarify="Which records should I change? Say which ones (by tag, company, status, "
                    "source, date or name); I don't change every record at once.")  # fmt: skip
    return Plan(found.tool, args | {"limit": EACH_MAX}, "action", label)


_FIND_THEN = (
    r"^(?:please\s+)?(?:find|get|look up|take|select)\s+(.+?)" + _THEN + r"(tag|label|mark|move|set)\s+"
    r"(?:them|each(?: of them)?|all of them|those)\s+(?:all\s+)?(?:as|with|to)?\s*(.+?)\s*\.?$"
)
_VERB_ALL = (
    r"^(?:please\s+)?(tag|label|mark|move|set)\s+(?:all|every|each)\s+(?:of\s+)?(?:the\s+)?(.+?)"
    r"\s+(?:as|with|to)\s+(.+?)\s*\.?$"
)


def rule_act_on_each(req: Request) -> Plan | None:
    """Find records, then tag or update each of them."""
    m = re.search(_FIND_THEN, req.text, re.I)
    if m:
        phrase, verb, what = m.group(1), m.group(2).lower(), m.group(3)
    elif m := re.search(_VERB_ALL, req.text, re.I):
        verb, phrase, what = m.group(1).lower(), m.group(2), m.group(3)
    else:
        return None
    lookup = _lookup(phrase, req)
    if lookup is None or lookup.tool is None:
        return lookup
    status = _status_word(what)
    if lookup.tool == "list_leads" and status and verb in {"mark", "move", "set"}:
        step = Step(
            "update_lead", {"status": status}, f"set each lead's status to {status}", use="lead_id", each=True
        )
    elif lookup.tool == "get_contacts" and verb in {"tag", "label", "mark"}:
        tag = re.match(_TAG, what.removeprefix("the tag ").removeprefix("tag "))
        if tag is None:
            return None
        step = Step(
            "tag_contact",
            {"tags": [tag.group(1)]},
            f"tag each contact {tag.group(1)}",
            use="contact_id",
            each=True,
        )
    else:
        return None
    return Plan(lookup.tool, lookup.arguments, "action", lookup.label, steps=(step,), shape="sequence")


def rule_export(req: Request) -> Plan | None:
    if not req.has(
        r"\bexport\b|\bto (?:a )?csv\b|\bas (?:a )?csv\b|\bin csv\b|\bcsv (?:file|export|download)\b"
    ):
        return None
    what = re.sub(
        r"(?i)^(?:please\s+)?(?:can you\s+)?(?:export|download|give me|send me|get me)\s+", "", req.text
    )
    what = re.sub(r"(?i)\s*(?:to|as|in|into)\s+(?:a\s+)?(?:csv|spreadsheet|file)(?:\s+file)?\b", "", what)
    what = re.sub(r"(?i)\b(?:csv|export)\b", "", what).strip(" ?.!,") or "contacts"
    return Plan("export_data", {"nl_query": what}, "action", what, shape="export")


def rule_advice(req: Request) -> Plan | None:
    asks = req.has(
        r"\bwhat should (?:i|we) do\b|\brecommend|\bsuggest|\badvice\b|\badvise\b"
        r"|\bshould (?:i|we) (?:pause|cut|stop|scale|shift|move)\b"
        r"|\bhow (?:can|do|should|could) (?:i|we) (?:improve|grow|optimi[sz]e|do better|get more)\b"
        r"|\bwhere should (?:i|we) (?:put|spend|move|shift|invest)\b"
        r"|\bwhat (?:should (?:i|we)|to) (?:watch|worry)"
        r"|\bwasting (?:money|budget)\b|\bany risks?\b|\bwhat risks?\b"
    )
    if not asks or req.has(crm_rules.LEAD_NOUN + r"|\bcontacts?\b|\bhelpers?\b"):
        return None
    if req.has(r"\bpause\b|\bcut\b|\bstop\b|\bwast|\boptimi[sz]e\b|\bunderperform"):
        lens = "optimize"
    elif req.has(
        r"\bgrow\b|\bscale\b|\bmore budget\b|\bshift\b|\bmove budget\b|\bput (?:more )?(?:money|budget)\b"
        r"|\binvest\b|\bget more\b"
    ):
        lens = "grow"
    elif req.has(r"\brisks?\b|\bwatch\b|\bworr|\bprotect\b|\bdeclin|\brising\b"):
        lens = "protect"
    else:
        lens = "summary"
    args: dict[str, Any] = {"lens": lens}
    if (
        req.when
        and req.when.start
        and req.when.end == req.today
        and (req.today - req.when.start).days + 1 in _RANGES
    ):
        args["date_range"] = _RANGES[(req.today - req.when.start).days + 1]
    elif req.when and req.when.start:
        args["start_date"] = req.when.start.isoformat()
        if req.when.end:
            args["end_date"] = req.when.end.isoformat()
    return Plan("marketing_advice", args, "summary", lens, shape="advice")


_EXPLAINED = {"cpc": "CPC", "cpa": "CPA", "ctr": "CTR", "roas": "ROAS", "spend": "Spend", "clicks": "Clicks",
              "impressions": "Impressions", "conversions": "Conversions", "sessions": "Sessions"}  # fmt: skip


def rule_explain(req: Request) -> Plan | None:
    """ "Why did CPC go up?", "what drove conversions?": the metric's drivers (`explain_metric`)."""
    m = re.search(r"\b(?:why (?:did|is|are|has|have)|what (?:drove|drives|caused|moved)|explain)\b.*?\b("
                  + "|".join(_EXPLAINED) + r")\b", req.low)  # fmt: skip
    if not m:
        return None
    args: dict[str, Any] = {"metric": _EXPLAINED[m.group(1)]}
    if (
        req.when
        and req.when.start
        and req.when.end == req.today
        and (req.today - req.when.start).days + 1 in _RANGES
    ):
        args["date_range"] = _RANGES[(req.today - req.when.start).days + 1]
    return Plan("explain_metric", args, "summary", args["metric"], shape="explain")


RULES = (rule_export, rule_create_then, rule_act_on_each)
