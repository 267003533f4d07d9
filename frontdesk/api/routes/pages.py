"""The pages a browser opens: the chat page (`GET /`), its static files (`/static/...`), and the API
docs (`/docs` Swagger UI, `/redoc` ReDoc) served from vendored assets, so nothing loads from
another host.

The chat page's Content-Security-Policy allows scripts, styles and connections from this origin
only (no inline code at all). The docs pages' inline start-up script is allowed by its SHA-256
hash; their styles need `'unsafe-inline'` (Swagger UI and ReDoc inject `<style>` elements).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(str(files("frontdesk.web") / "static"))
_VENDOR = "/static/vendor"
_FAVICON = "/static/favicon.svg"

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "microphone=(self), camera=(self), geolocation=()",
}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)

router = APIRouter(include_in_schema=False)


class StaticAssets(StaticFiles):
    """The package's static files, revalidated on every load (ETag), with `nosniff`."""

    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


router.mount("/static", StaticAssets(directory=STATIC_DIR), name="static")


def docs_csp(html: str) -> str:
    """The docs pages' policy: this origin only, plus the page's own inline scripts by hash."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )


def _secured(response: Response, csp: str) -> Response:
    response.headers.update(SECURITY_HEADERS | {"Content-Security-Policy": csp, "Cache-Control": "no-cache"})
    return response


@router.api_route("/", methods=["GET", "HEAD"])
async def chat_page() -> Response:
    """The chat page (static HTML; everything else it needs comes from `/static`)."""
    return _secured(FileResponse(STATIC_DIR / "index.html", media_type="text/html"), PAGE_CSP)


@router.get("/docs")
async def swagger_ui(request: Request) -> Response:
    html = get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=f"{_VENDOR}/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{_VENDOR}/swagger-ui/swagger-ui.css",
        swagger_favicon_url=_FAVICON,
        oauth2_redirect_url=None,
    )
    return _docs_page(html)


@router.get("/redoc")
async def redoc(request: Request) -> Response:
    html = get_redoc_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{_VENDOR}/redoc/redoc.standalone.js",
        redoc_favicon_url=_FAVICON,
        with_google_fonts=False,
    )
    return _docs_page(html)


def _docs_page(page: HTMLResponse) -> Response:
    html = bytes(page.body).decode()
    return _secured(HTMLResponse(html), docs_csp(html))
