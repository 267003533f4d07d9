"""The server's startup objects moved out of the cyclic garbage collector's reach, once a process.

Why: after startup a server process holds ~400,000 objects the collector tracks (modules,
classes, FastAPI routes and Pydantic schemas, SQLAlchemy mappers, LangGraph graphs, the tool
registry) and that live as long as the process. CPython's full (generation 2) collection walks
every one of them each time it runs — 0.3-0.5 s on the 2-core bench machine, found as one
request's stall in the turn bench's profile (`docs/benchmarks.md`, fifth pass) — and requests
keep promoting objects until the next one is due. `gc.freeze()` after one collection at startup
puts what is alive then in the permanent generation: later full collections walk only what the
requests made since, and nothing that was garbage at startup is kept (it is collected first).

Once per process: a second app in the same process (the tests build many) does not freeze again,
so what a discarded app leaves behind stays collectable. Objects frozen here are never freed by
the cycle collector (reference counting still frees them): right for what the process keeps
until it exits, which is what startup builds.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup_heap() -> bool:
    """Collect, then freeze what is alive (the first call in a process only). True if it froze."""
    global _frozen
    if _frozen or not gc.isenabled():
        return False
    _frozen = True
    gc.collect()
    gc.freeze()
    return True
