"""The HubSpot CRM v3 connector (contacts, companies, deals) over httpx, async.

Wire protocol (https://api.hubapi.com, bearer private-app or OAuth access token):
  list    GET   /crm/v3/objects/{type}?limit=&after=&properties=a,b&archived=false
                -> {"results": [{"id", "properties", "createdAt", "updatedAt", "archived"}],
                    "paging": {"next": {"after": "..."}}}   (no `paging` on the last page)
  get     GET   /crm/v3/objects/{type}/{id}?properties=...
  search  POST  /crm/v3/objects/{type}/search {"query", "limit", "properties"}
                -> {"total", "results", "paging"}
  update  PATCH /crm/v3/objects/{type}/{id} {"properties": {name: "string value"}}
  test    GET   /account-info/v3/details -> {"portalId", "timeZone", "companyCurrency", ...}
Errors: 401/403 -> `ConnectorAuthError`; 404 -> `NotFound`; 400 -> `Invalid`; 429 and 502/503/504
are retried (`Retry-After` if given, else 1 s, 2 s, 4 s), up to `max_retries` times and never
waiting longer than `MAX_WAIT_SECONDS`; a daily-limit 429 is not retried; still limited ->
`RateLimited` with the platform's `Retry-After`.

HubSpot has no contact tags: tags live in a multi-checkbox contact property, `frontdesk_tags` by
default (connection setting `tag_property`), whose values are `;`-separated. The token is only
ever put in the Authorization header; it is never logged or put in an error message.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx

from frontdesk.errors import Invalid, NotFound, RateLimited
from frontdesk.tools.connectors.base import ConnectionTest, ConnectorAuthError, ConnectorError, ObjectPage

BASE_URL = "https://api.hubapi.com"
MAX_WAIT_SECONDS = 10.0
MAX_PAGE = 100  # HubSpot's own page-size limit for list and search
PROPERTIES = {
    "contacts": ("firstname", "lastname", "email", "phone", "company", "jobtitle", "lifecyclestage"),
    "companies": ("name", "domain", "industry", "city", "numberofemployees"),
    "deals": ("dealname", "amount", "dealstage", "pipeline", "closedate"),
}
RENAMES = {
    "contacts": {"firstname": "first_name", "lastname": "last_name", "jobtitle": "position"}
    | {"lifecyclestage": "lifecycle_stage"},
    "companies": {"numberofemployees": "employees"},
    "deals": {"dealname": "name", "dealstage": "stage", "closedate": "close_date"},
}
_DROP = {"createdate", "lastmodifieddate", "hs_object_id", "hs_lastmodifieddate"}
_PROPERTY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
_OBJECT_ID = re.compile(r"^[0-9]{1,20}$")

Sleep = Callable[[float], Awaitable[None]]


def _check(object_type: str) -> None:
    if object_type not in PROPERTIES:
        raise Invalid(f"Unknown object type '{object_type}'; HubSpot serves {', '.join(PROPERTIES)}")


def _message(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.reason_phrase
    return (
        str(body.get("message") or resp.reason_phrase)[:300] if isinstance(body, dict) else resp.reason_phrase
    )


class HubSpotConnector:
    platform = "hubspot"

    def __init__(
        self,
        access_token: str,
        *,
        tag_property: str = "frontdesk_tags",
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        max_retries: int = 3,
        timeout: float = 20.0,
    ) -> None:
        if not access_token:
            raise Invalid("The HubSpot connection has no access token")
        if not _PROPERTY_NAME.match(tag_property):
            raise Invalid(f"Invalid HubSpot tag property name {tag_property!r}")
        self._token = access_token
        self.tag_property = tag_property
        self._transport = transport
        self._sleep = sleep
        self.max_retries = max_retries
        self.timeout = timeout

    def __repr__(self) -> str:  # never show the token
        return f"HubSpotConnector(tag_property={self.tag_property!r})"

    def object_types(self) -> Sequence[str]:
        return tuple(PROPERTIES)

    def _properties(self, object_type: str) -> list[str]:
        extra = [self.tag_property] if object_type == "contacts" else []
        return [*PROPERTIES[object_type], *extra]

    def _record(self, object_type: str, raw: dict[str, Any]) -> dict[str, Any]:
        props = dict(raw.get("properties") or {})
        record: dict[str, Any] = {"id": str(raw["id"])}
        if object_type == "contacts":
            tags = props.pop(self.tag_property, None) or ""
            record["tags"] = sorted({t.strip() for t in tags.split(";") if t.strip()})
        renames = RENAMES[object_type]
        for key, value in props.items():
            if key not in _DROP:
                record[renames.get(key, key)] = value
        if object_type == "contacts":
            record["name"] = f"{record.get('first_name') or ''} {record.get('last_name') or ''}".strip()
        record["created_at"] = raw.get("createdAt")
        record["updated_at"] = raw.get("updatedAt")
        record["archived"] = bool(raw.get("archived", False))
        return record

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        async with httpx.AsyncClient(
            base_url=BASE_URL, transport=self._transport, timeout=self.timeout, headers=headers
        ) as client:
            attempt = 0
            while True:
                try:
                    resp = await client.request(method, path, **kwargs)
                except httpx.TimeoutException as e:
                    raise ConnectorError("HubSpot did not answer in time") from e
                except httpx.HTTPError as e:
                    raise ConnectorError(f"HubSpot could not be reached ({type(e).__name__})") from e
                if resp.status_code not in (429, 502, 503, 504):
                    return self._result(resp)
                wait = self._retry_wait(resp, attempt)
                if attempt >= self.max_retries or wait is None or wait > MAX_WAIT_SECONDS:
                    if resp.status_code == 429:
                        retry_after = max(1, math.ceil(wait)) if wait is not None else 3600
                        raise RateLimited(f"HubSpot rate limit reached: {_message(resp)}", retry_after)
                    raise ConnectorError(f"HubSpot is unavailable ({resp.status_code})")
                attempt += 1
                await self._sleep(wait)

    @staticmethod
    def _retry_wait(resp: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when retrying cannot help (daily limit)."""
        if resp.status_code == 429:
            try:
                if resp.json().get("policyName") == "DAILY":
                    return None
            except (ValueError, AttributeError):
                pass
        header = resp.headers.get("Retry-After", "")
        if header.isdigit():
            return float(header)
        return float(2**attempt)

    @staticmethod
    def _result(resp: httpx.Response) -> dict[str, Any]:
        status = resp.status_code
        if status in (401, 403):
            raise ConnectorAuthError(
                f"HubSpot rejected the connection's credentials ({status}): {_message(resp)}"
            )
        if status == 404:
            raise NotFound(f"Not found in HubSpot: {_message(resp)}")
        if 400 <= status < 500:
            raise Invalid(f"HubSpot refused the request ({status}): {_message(resp)}")
        if status >= 500:
            raise ConnectorError(f"HubSpot failed ({status})")
        if status == 204 or not resp.content:
            return {}
        try:
            body = resp.json()
        except ValueError as e:
            raise ConnectorError("HubSpot answered with something other than JSON") from e
        if not isinstance(body, dict):
            raise ConnectorError("HubSpot answered with an unexpected shape")
        return body

    async def list_objects(
        self, object_type: str, *, cursor: str | None = None, limit: int = 100
    ) -> ObjectPage:
        _check(object_type)
        params: dict[str, Any] = {
            "limit": max(1, min(limit, MAX_PAGE)),
            "properties": ",".join(self._properties(object_type)),
            "archived": "false",
        }
        if cursor:
            params["after"] = cursor
        body = await self._call("GET", f"/crm/v3/objects/{object_type}", params=params)
        after = ((body.get("paging") or {}).get("next") or {}).get("after")
        records = [self._record(object_type, r) for r in body.get("results", [])]
        return ObjectPage(records, next_cursor=str(after) if after else None, total=body.get("total"))

    async def get_object(self, object_type: str, object_id: str) -> dict[str, Any]:
        _check(object_type)
        if not _OBJECT_ID.match(object_id):
            raise NotFound(f"{object_type} {object_id} not found in HubSpot (ids are numeric)")
        params = {"properties": ",".join(self._properties(object_type))}
        body = await self._call("GET", f"/crm/v3/objects/{object_type}/{object_id}", params=params)
        return self._record(object_type, body)

    async def search_objects(self, object_type: str, query: str, *, limit: int = 25) -> list[dict[str, Any]]:
        _check(object_type)
        payload = {
            "query": query[:3000],
            "limit": max(1, min(limit, MAX_PAGE)),
            "properties": self._properties(object_type),
        }
        body = await self._call("POST", f"/crm/v3/objects/{object_type}/search", json=payload)
        return [self._record(object_type, r) for r in body.get("results", [])]

    async def _patch(self, object_type: str, object_id: str, properties: dict[str, str]) -> dict[str, Any]:
        if not _OBJECT_ID.match(object_id):
            raise NotFound(f"{object_type} {object_id} not found in HubSpot (ids are numeric)")
        body = await self._call(
            "PATCH", f"/crm/v3/objects/{object_type}/{object_id}", json={"properties": properties}
        )
        return self._record(object_type, body)

    async def apply_tag(self, object_id: str, tag: str) -> dict[str, Any]:
        tag = tag.strip()
        if not tag or ";" in tag or len(tag) > 100:
            raise Invalid("A HubSpot tag is 1-100 characters without ';'")
        current = await self.get_object("contacts", object_id)
        if tag.lower() in {t.lower() for t in current["tags"]}:
            return current
        value = ";".join([*current["tags"], tag])
        return await self._patch("contacts", object_id, {self.tag_property: value})

    async def update_field(self, object_type: str, object_id: str, field: str, value: Any) -> dict[str, Any]:
        _check(object_type)
        back = {ours: theirs for theirs, ours in RENAMES[object_type].items()}
        prop = back.get(field, field)
        if not _PROPERTY_NAME.match(prop) or prop in _DROP:
            raise Invalid(f"Invalid HubSpot property name {field!r}")
        text = "" if value is None else str(value)
        if len(text) > 65_536:
            raise Invalid("HubSpot property values are at most 65,536 characters")
        return await self._patch(object_type, object_id, {prop: text})

    async def test_connection(self) -> ConnectionTest:
        try:
            body = await self._call("GET", "/account-info/v3/details")
        except (ConnectorError, NotFound, Invalid) as e:  # ConnectorAuthError: rejected credentials
            return ConnectionTest(False, e.detail)
        info = {
            "portal_id": body.get("portalId"),
            "time_zone": body.get("timeZone"),
            "currency": body.get("companyCurrency"),
        }
        return ConnectionTest(True, f"Connected to HubSpot portal {info['portal_id']}", info)
