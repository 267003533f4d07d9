"""The scale-out suite makes its own PostgreSQL databases and Redis server, so it runs once: in the
pass on the embedded default. The suite's second pass (FRONTDESK_DATABASE_URL pointing at a shared
PostgreSQL database) leaves it out rather than run three more servers for the same proofs."""

import os

collect_ignore_glob = ["test_*.py"] if os.environ.get("FRONTDESK_DATABASE_URL") else []
