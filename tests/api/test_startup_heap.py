"""`api.heap`: a real server's startup freezes the objects alive then (once a process), so the
collector's full passes no longer walk them; a later app in the same process does not freeze again."""

from __future__ import annotations

import gc

import httpx

from frontdesk.api import heap


def test_startup_objects_are_frozen_once_a_process(client: httpx.Client) -> None:
    assert client.get("/health").status_code == 200  # the server (the session's app) is up
    frozen = gc.get_freeze_count()
    assert heap._frozen and frozen > 10_000  # modules, routes, schemas, mappers: not a handful
    assert heap.freeze_startup_heap() is False  # the second app of the process leaves it alone
    assert gc.get_freeze_count() == frozen
