"""Errors of the model layer. Adapters turn their SDK's exceptions into these, so the retry and
fallback logic (`providers.resilient`) and the turn runner see one shape for every provider.

FrontdeskError
└── ModelError         502  a provider refused or failed (carries status, retry_after, retryable)
    ├── ModelTimeout   504  no answer within the configured timeout
    └── ModelUnavailable 502  every model of the fallback chain failed
"""

from __future__ import annotations

from frontdesk.errors import FrontdeskError

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


class ModelError(FrontdeskError):
    status_code = 502
    code = "model_error"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.retry_after = retry_after
        self.retryable = retryable if retryable is not None else status in RETRYABLE_STATUS


class ModelTimeout(ModelError):
    status_code = 504
    code = "model_timeout"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, retryable=False)


class ModelUnavailable(ModelError):
    code = "model_unavailable"


def retry_after_seconds(headers: object) -> float | None:
    """Seconds from a `retry-after-ms` or `retry-after` header (numbers only; dates are ignored)."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            continue
    return None
