"""Response models of the REST routes, one small module per resource (`ContactPublic`, `LeadList`, ...).

They are the OpenAPI document's promise about each answer. `Public` forbids keys it does not name,
so a route that starts returning a new key fails its tests instead of silently dropping it."""
