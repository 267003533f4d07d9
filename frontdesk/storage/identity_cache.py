"""Who a verified access token is, remembered for a second: a chat turn, a list, a poll do not each
spend a session and a SQL statement (users + membership + account + deny-list) on it.

    identity = await access_identity(db, claims)   # claims: decode_access_token(...) of this request

The token's expiry is still checked on every request, and its signature the first time this
process sees the token string (by the caller, before this: `security.decode_access_token`);
what is cached here is the store's answer for that token (`accounts.identity_for_access_token`), by
its claims (`sub`, `acc`, `jti`, `ep`). Refusals are never cached.

How it stays true (`storage.read_cache`):

- A write in this process to a user, a membership, an account or the deny-list (logout, password
  reset, deactivation, role change, account deletion: each goes through an ORM session) clears the
  whole cache when it flushes or executes and again when it commits, so the next request asks the
  store: a logout here refuses the token at once.
- A write by another process (a replica on the same PostgreSQL, `frontdesk admin` on the same
  SQLite file) reaches this process at most `TTL_SECONDS` late: within that second a token logged
  out or a user deactivated elsewhere is still accepted here. That is the one difference from
  asking the store on every request, and the price of the saved statement.

The cached `Identity` objects are shared by the requests that read them in that second: routes
only read them (and any write to their rows clears the cache).
"""

from __future__ import annotations

from typing import Any

from frontdesk.storage.accounts import Identity, identity_for_access_token
from frontdesk.storage.db import Database
from frontdesk.storage.models import Account, Membership, RevokedAccessToken, User
from frontdesk.storage.read_cache import ReadCache

TTL_SECONDS = 1.0

_identities: ReadCache[Identity] = ReadCache(
    "access_identities", watches=(User, Membership, Account, RevokedAccessToken), ttl=TTL_SECONDS
)


async def access_identity(db: Database, claims: dict[str, Any]) -> Identity:
    """The identity of a decoded, verified access token: from the cache, else from the store
    (`Unauthenticated` when it was logged out, reset or its user or membership is gone)."""
    key = (claims.get("sub"), claims.get("acc"), claims.get("jti"), claims.get("ep", 0))

    async def load() -> Identity:
        async with db.session() as s:
            return await identity_for_access_token(s, claims)

    return await _identities.get(key, load)
