"""`/api/docs`: Swagger UI over the merged OpenAPI document, from the files of the `swagger-ui-bundle-v2`
package (served by the gateway, so the page works offline and loads nothing from a CDN)."""

import base64
import hashlib
import re

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from services.common.errors import NotFound

router = APIRouter(include_in_schema=False)
ASSETS = "/api/docs/assets"
ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


def _page() -> tuple[bytes, str]:
    """The page, and its Content-Security-Policy: the start-up script FastAPI writes inline is allowed by
    its hash, nothing else inline runs."""
    html = get_swagger_ui_html(
        openapi_url="/api/openapi.json",
        title="Floorwalker API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
    ).body
    inline = re.findall(rb"<script>(.*?)</script>", html, flags=re.DOTALL)
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" for s in inline)
    csp = (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    return bytes(html), csp


PAGE, PAGE_CSP = _page()


@router.get("/api/docs")
async def docs() -> HTMLResponse:
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": PAGE_CSP})


@router.get(ASSETS + "/{name}")
async def docs_asset(name: str) -> FileResponse:
    media_type = ASSET_TYPES.get(name)
    if media_type is None:
        raise NotFound("No such file.", code="not_found")
    return FileResponse(
        swagger_ui_path / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
    )
