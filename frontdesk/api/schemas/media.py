"""`/chat/send-media` and `/chat/send-url`: what they take (the answer is `/chat/send`'s `SendOut`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SendUrlIn(BaseModel):
    url: str = Field(min_length=1, max_length=2048, description="An http(s) URL of a public page.")
    message: str = Field(default="", max_length=4000, description="What to ask about the page.")
    session_id: str | None = Field(default=None, max_length=128)
