"""The built SPAs: the widget loader and chat UI, and the operator console."""

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from services.common.settings import Settings

router = APIRouter(include_in_schema=False)
WIDGET_FILES = ("widget.js", "widget-chat.js")


def _missing(what: str) -> Response:
    return JSONResponse(
        {"error": {"code": "not_built", "message": f"The {what} is not built: run `make build`."}}, status_code=404
    )


def mount_static(app: FastAPI, settings: Settings) -> None:
    widget_dist = (settings.static_dir / "widget" / "dist").resolve()
    console_dist = (settings.static_dir / "console" / "dist").resolve()

    for name in WIDGET_FILES:

        async def serve(name: str = name) -> Response:
            path = widget_dist / name
            if not path.is_file():
                return _missing("widget")
            return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=300"})

        app.add_api_route(f"/{name}", serve, methods=["GET"], include_in_schema=False)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/console/")

    @app.get("/console", include_in_schema=False)
    async def console_slash() -> RedirectResponse:
        return RedirectResponse("/console/")

    if console_dist.is_dir():
        app.mount("/console", StaticFiles(directory=console_dist, html=True), name="console")
    else:

        @app.get("/console/{rest:path}", include_in_schema=False)
        async def console_missing(rest: str) -> Response:
            return _missing("console")
