"""The broadcast overlay page (``/overlay/{match_id}``): static HTML, CSS and ES modules shipped in
the package (``stream/gateway/overlay/``), read once with :mod:`importlib.resources`.

The page carries no match data itself (it fetches it over ``WS /v1/matches/{id}/stream``), so it is
served without a token; it passes the ``?token=`` of its own URL on to the WebSocket.
"""

from __future__ import annotations

from importlib.resources import files

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .params import BadParameter, parse_match_id

__all__ = ["OVERLAY_PREFIX", "overlay_routes"]

OVERLAY_PREFIX = "/overlay/"

# The only files served: a fixed list, so no path from the URL ever reaches the file system.
_ASSETS = {
    "overlay.js": "text/javascript; charset=utf-8",
    "render.js": "text/javascript; charset=utf-8",
    "normalize.js": "text/javascript; charset=utf-8",
    "overlay.css": "text/css; charset=utf-8",
}
# Same origin only: the page's scripts, styles and its WebSocket back to this gateway.
_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:"


def _read(name: str) -> bytes:
    return (files("stream.gateway") / "overlay" / name).read_bytes()


class OverlayPage:
    def __init__(self) -> None:
        self._index = _read("index.html")
        self._assets = {name: (_read(name), media) for name, media in _ASSETS.items()}

    def _headers(self) -> dict[str, str]:
        # no-cache: a browser source revalidates, so a gateway upgrade reaches OBS without a restart.
        return {"Cache-Control": "no-cache", "Content-Security-Policy": _CSP}

    async def page(self, request: Request) -> Response:
        try:
            parse_match_id(request.path_params["match_id"])
        except BadParameter as exc:
            return JSONResponse(
                {"error": "bad_parameter", "parameter": exc.parameter, "detail": exc.problem}, 400
            )
        return Response(self._index, media_type="text/html; charset=utf-8", headers=self._headers())

    async def asset(self, request: Request) -> Response:
        found = self._assets.get(request.path_params["name"])
        if found is None:
            return JSONResponse({"error": "not_found", "detail": "no such overlay file"}, 404)
        body, media = found
        return Response(body, media_type=media, headers=self._headers())


def overlay_routes() -> list[Route]:
    """``/overlay/assets/{name}`` (two segments, so it never shadows a match id) and the page."""
    overlay = OverlayPage()
    return [
        Route(OVERLAY_PREFIX + "assets/{name}", overlay.asset),
        Route(OVERLAY_PREFIX + "{match_id}", overlay.page),
    ]
