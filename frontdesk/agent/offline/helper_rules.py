"""Planner rules for helpers (configured automations) and their executions."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from frontdesk.agent.offline.crm_rules import _CONTACT_ID
from frontdesk.agent.offline.request import Plan, Request

_HELPER_ID = re.compile(r"\bhelper:[\w-]{4,64}\b", re.I)
_EXEC_ID = re.compile(r"\bexec(?:ution)?:[\w-]{4,64}\b", re.I)
_HELPER_NOUN = r"\bhelpers?\b|\bautomations?\b|\bworkflows?\b"
_RUNS = r"\bexecutions?\b|\bruns\b|\bjobs?\b"
_EXEC_STATUS = {
    r"failed|failing|errors?|errored": "failed",
    r"completed|succeeded|successful|finished": "completed",
    r"running|in progress": "running",
    r"queued|pending|waiting": "queued",
}
_PERSON = r"((?:[A-Z][\w'-]+)(?:\s+[A-Z][\w'-]+){0,2})"


def rule_helper_ids(req: Request) -> Plan | None:
    if m := _EXEC_ID.search(req.text):
        return Plan("get_execution", {"execution_id": m.group(0)}, "detail", m.group(0))
    helper = _HELPER_ID.search(req.text)
    if helper is None:
        return None
    helper_id = helper.group(0)
    if req.has(r"^(?:please\s+)?(?:run|invoke|trigger|execute|start|fire)\b"):
        if contact := _CONTACT_ID.search(req.text):
            return Plan(
                "invoke_helper", {"helper_id": helper_id, "contact_id": contact.group(0)}, "action", helper_id
            )
        if name := re.search(r"\b(?:on|for)\s+" + _PERSON, req.text):
            return Plan(
                "get_contacts",
                {"search": name.group(1), "limit": 5},
                "action",
                f"matching '{name.group(1)}'",
                then_tool="invoke_helper",
                then_args={"helper_id": helper_id},
            )
        return Plan("invoke_helper", {"helper_id": helper_id}, "action", helper_id)
    if req.has(_RUNS + r"|\bhistory\b|\blast run\b"):
        return Plan(
            "list_executions", {"helper_id": helper_id, "limit": req.page()}, "list", f"of {helper_id}"
        )
    return Plan("get_helper_config", {"helper_id": helper_id}, "detail", helper_id)


def rule_helpers(req: Request) -> Plan | None:
    helpers = req.has(_HELPER_NOUN)
    runs = req.has(_RUNS) and (helpers or req.has(r"\bexecutions?\b"))
    if not (helpers or runs):
        return None
    if runs:
        args: dict[str, Any] = {"limit": req.page()}
        for words, status in _EXEC_STATUS.items():
            if req.has(rf"\b(?:{words})\b"):
                args["status"] = status
                break
        if req.when and req.when.start:
            args["created_from"] = f"{req.when.start.isoformat()}T00:00:00Z"
        if req.when and req.when.end:
            args["created_to"] = f"{(req.when.end + timedelta(days=1)).isoformat()}T00:00:00Z"
        return Plan("list_executions", args, "count" if req.counting else "list", args.get("status", ""))
    if req.has(
        r"\btypes?\b|\bkinds?\b|\bwhat (?:helpers|automations) (?:can|could)\b|\bavailable\b"
        r"|\bcan i (?:set up|create|configure)\b"
    ):
        args = {}
        if m := re.search(r"\bin (?:the )?([\w-]+) category\b", req.low):
            args["category"] = m.group(1)
        return Plan("list_helper_types", args, "list", "")
    args = {"limit": 50}
    if req.has(r"\b(?:disabled|paused|inactive|turned off)\b"):
        args["enabled"] = False
    elif req.has(r"\b(?:enabled|active|running|turned on|live)\b"):
        args["enabled"] = True
    return Plan("list_helpers", args, "count" if req.counting else "list", "")


RULES = (rule_helper_ids, rule_helpers)
