"""The built-in helper types, in one registry."""

from __future__ import annotations

from frontdesk.tools.helpers import contact_types, date_types, dedupe, lead_types, outbound_types
from frontdesk.tools.helpers.base import HelperTypes


def builtin_types() -> HelperTypes:
    return HelperTypes(
        [
            *contact_types.TYPES,
            *date_types.TYPES,
            *lead_types.TYPES,
            *dedupe.TYPES,
            *outbound_types.TYPES,
        ]
    )


HELPER_TYPES = builtin_types()
