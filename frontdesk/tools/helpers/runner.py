"""Run one claimed execution: load its helper, run the helper type in one transaction, record the
outcome (output or error, duration). Used by the in-process worker; any other worker process
would call the same function."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from frontdesk.errors import FrontdeskError, NotFound
from frontdesk.storage.db import Database
from frontdesk.storage.helper_executions import finish_execution
from frontdesk.storage.helper_models import Execution, Helper
from frontdesk.storage.notifications import execution_failed
from frontdesk.tools.helpers.base import HelperInput, HelperRun, HelperTypes
from frontdesk.tools.helpers.net import OutboundHttp

log = logging.getLogger(__name__)


def _json_safe(output: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(output, default=str))  # type: ignore[no-any-return]


async def _run(
    db: Database, types: HelperTypes, http: OutboundHttp, execution_id: str, budget_seconds: float
) -> dict[str, Any]:
    async with db.session() as session:
        execution = await session.get(Execution, execution_id)
        if execution is None:
            raise NotFound(f"Execution {execution_id} not found")
        helper = await session.get(Helper, execution.helper_id)
        if helper is None or helper.status == "deleted" or not helper.enabled:
            raise FrontdeskError("The helper was disabled or deleted before this execution ran")
        helper_type = types.get(helper.helper_type)
        config = helper_type.validate_config(helper.config)
        lead_id = execution.input.get("lead_id")
        inp = HelperInput(
            contact_id=execution.contact_id,
            lead_id=lead_id if isinstance(lead_id, str) else None,
            data=dict(execution.input),
        )
        ctx = HelperRun(session, execution.account_id, execution.user_id, helper.id, execution.id, http)
        async with asyncio.timeout(budget_seconds):
            output = await helper_type.run(ctx, config, inp)
        await session.commit()
    return _json_safe(output)


async def run_execution(
    db: Database, types: HelperTypes, http: OutboundHttp, execution_id: str, *, budget_seconds: float
) -> None:
    """Run a `running` execution to `completed` or `failed`. Its CRM edits commit only on success."""
    started = time.monotonic()
    output: dict[str, Any] | None = None
    error: str | None = None
    cancelled = False
    try:
        output = await _run(db, types, http, execution_id, budget_seconds)
    except FrontdeskError as e:
        error = e.detail
    except TimeoutError:
        error = f"Timed out after {budget_seconds:g}s"
    except asyncio.CancelledError:
        error, cancelled = "Interrupted: the server stopped while this execution was running", True
    except Exception as e:  # a bug in a helper type: the execution fails, the worker lives on
        log.exception("helper execution %s crashed", execution_id)
        error = f"Internal error ({type(e).__name__})"
    duration_ms = int((time.monotonic() - started) * 1000)
    async with db.session() as session:
        await finish_execution(session, execution_id, output=output, error=error, duration_ms=duration_ms)
    if cancelled:
        raise asyncio.CancelledError
    if error is not None:  # the user who queued it hears about it (unless they turned that off)
        await db.run_write(lambda s: execution_failed(s, execution_id, error))
