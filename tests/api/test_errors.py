"""The error handlers: validation failures from custom validators are 422 JSON, never 500."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, field_validator

from frontdesk.api import errors


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
