"""Connector credentials, encrypted at rest.

`connections.credentials_encrypted` holds a Fernet token (AES-128-CBC + HMAC-SHA256) of the
credentials' JSON. The Fernet key is derived from the app secret (`FRONTDESK_SECRET_KEY`, or the
generated `data/secret.key`) with HKDF-SHA256, so no second key has to be managed; changing the
app secret makes stored credentials unreadable (connections then need their credentials again).
Decrypted credentials are never logged and never returned by any tool or route.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from frontdesk.errors import ToolFailure

_SALT = b"frontdesk/connections"
_INFO = b"connection credentials v1"


@lru_cache(maxsize=8)
def _cipher(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_credentials(secret: str, credentials: dict[str, Any]) -> str:
    return _cipher(secret).encrypt(json.dumps(credentials, sort_keys=True).encode()).decode("ascii")


def decrypt_credentials(secret: str, token: str | None) -> dict[str, Any]:
    """The credentials stored in `token` ({} when there are none)."""
    if not token:
        return {}
    try:
        data = json.loads(_cipher(secret).decrypt(token))
    except (InvalidToken, ValueError) as e:
        raise ToolFailure(
            "The connection's stored credentials cannot be decrypted (was the secret key changed?); "
            "update the connection's credentials"
        ) from e
    if not isinstance(data, dict):
        raise ToolFailure("The connection's stored credentials are malformed")
    return data
