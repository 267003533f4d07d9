"""The error handlers: validation failures from custom validators are 422 JSON, never 500."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, field_validator

from frontdesk.api import errors
from tests.conftest import auth, register


class Body(BaseModel):
    name: str

    @field_validator("name")
    @classmethod
    def not_admin(cls, value: str) -> str:
        if value == "admin":
            raise ValueError("name 'admin' is reserved")
        return value


async def test_value_error_in_a_validator_is_a_clear_422() -> None:
    app = FastAPI()
    errors.install(app)

    @app.post("/things")
    async def create(body: Body) -> dict[str, str]:
        return {"name": body.name}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.post("/things", json={"name": "admin"})
        assert r.status_code == 422
        assert "reserved" in r.json()["detail"] and r.json()["code"] == "validation_error"
        assert (await c.post("/things", json={"name": "ok"})).json() == {"name": "ok"}


async def test_out_of_range_dates_are_400_and_crashes_are_json() -> None:
    app = FastAPI()
    errors.install(app)

    @app.get("/day-after")
    async def day_after(day: date) -> dict[str, str]:
        return {"next": str(day + timedelta(days=1))}

    @app.get("/boom")
    async def boom() -> dict[str, str]:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get("/day-after", params={"day": "9999-12-31"})
        assert r.status_code == 400 and r.json()["code"] == "out_of_range"
        r = await c.get("/boom")
        assert r.status_code == 500
        assert r.json() == {"detail": "Internal server error", "code": "internal"}


def test_search_with_date_to_at_the_end_of_time_is_400(client: httpx.Client) -> None:
    h = auth(register(client))
    r = client.get("/api/v1/message-history/search/", params={"q": "x", "date_to": "9999-12-31"}, headers=h)
    assert r.status_code == 400 and "out of range" in r.json()["detail"]
