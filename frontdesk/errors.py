"""The domain errors of frontdesk. Layers below `api/` raise these; `api/` maps them to HTTP.

FrontdeskError
├── Invalid            400  bad input the schema could not catch
├── Unauthenticated    401  missing or wrong credentials
├── Forbidden          403  authenticated, but not allowed
├── NotFound           404  missing, or belongs to another account
├── Conflict           409  duplicate or state clash
├── TooLarge           413  over a documented size limit
├── RateLimited        429  over a rate limit (carries retry_after seconds)
├── Unavailable        503  a shared part (Redis) cannot be reached right now; retry
└── ToolFailure        a tool could not complete; the agent reports it to the user
"""

from __future__ import annotations


class FrontdeskError(Exception):
    status_code = 500
    code = "error"

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class Invalid(FrontdeskError):
    status_code = 400
    code = "invalid"


class Unauthenticated(FrontdeskError):
    status_code = 401
    code = "unauthenticated"


class Forbidden(FrontdeskError):
    status_code = 403
    code = "forbidden"


class NotFound(FrontdeskError):
    status_code = 404
    code = "not_found"


class Conflict(FrontdeskError):
    status_code = 409
    code = "conflict"


class TooLarge(FrontdeskError):
    status_code = 413
    code = "too_large"


class RateLimited(FrontdeskError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, detail: str, retry_after: int = 60) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Unavailable(FrontdeskError):
    """A part the server shares with its replicas (Redis) did not answer: nothing was done; the
    client may retry (`Retry-After`)."""

    status_code = 503
    code = "unavailable"

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ToolFailure(FrontdeskError):
    status_code = 500
    code = "tool_failure"
