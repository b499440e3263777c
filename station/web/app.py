"""The dashboard's Starlette app: the page, its assets, the event stream, the grabs.

Routes (all GET, read-only; there is no control endpoint):

- ``/``: the page (``static/index.html``); ``/static/app.js``, ``/static/style.css``;
- ``/events``: Server-Sent Events from :class:`~station.web.hub.Hub`;
- ``/api/status``: the latest ``status.json`` (``null`` before there is one);
- ``/grabs/NAME``: a PNG from the run folder's ``grabs/`` only (NAME matches
  :data:`~station.web.feed.GRAB_PATTERN`; anything else is 404).

Wrapped in :class:`~station.web.auth.TokenGate` when a token is given.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     app, hub = make_app(Path(tmp))
>>> hub.clients, sorted(ASSETS)
(0, ['app.js', 'index.html', 'style.css'])
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from station.web.auth import TokenGate
from station.web.feed import GRAB_PATTERN, RunFeed
from station.web.hub import Hub

__all__ = ["ASSETS", "make_app"]

_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8"}  # fmt: skip
#: The page's files, shipped as package data (station/web/static/).
ASSETS = ("app.js", "index.html", "style.css")
_GRAB = re.compile(GRAB_PATTERN)
_NO_CACHE = {"Cache-Control": "no-cache"}


def _load_assets() -> dict[str, tuple[bytes, str]]:
    folder = resources.files("station.web") / "static"
    return {n: ((folder / n).read_bytes(), _TYPES[Path(n).suffix]) for n in ASSETS}


def make_app(
    run_dir: Path, *, token: str | None = None, now_s: Callable[[], float] = time.time,
    poll_s: float = 0.1,
) -> tuple[Any, Hub]:
    """Build the ASGI app for ``run_dir`` (behind a token gate if given) and its hub.

    Parameters
    ----------
    run_dir : Path
        The run folder (the contract's layout).
    token : str or None
        Required on every request when given.
    now_s : callable
        The server's clock, unix seconds.
    poll_s : float
        Seconds between reads of the run folder.
    """
    assets = _load_assets()
    hub = Hub(RunFeed(run_dir), now_s=now_s, poll_s=poll_s)
    grabs = (Path(run_dir) / "grabs").resolve()

    def asset(name: str) -> Response:
        body, media = assets[name]
        return Response(body, media_type=media, headers=_NO_CACHE)

    async def page(request: Request) -> Response:
        return asset("index.html")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        return asset(name) if name in assets and name != "index.html" else _not_found()

    async def events(request: Request) -> Response:
        return StreamingResponse(hub.stream(), media_type="text/event-stream",
                                 headers={**_NO_CACHE, "X-Accel-Buffering": "no"})  # fmt: skip

    async def status(request: Request) -> Response:
        return JSONResponse(hub.feed.status, headers=_NO_CACHE)

    async def grab(request: Request) -> Response:
        name = request.path_params["name"]
        path = grabs / name
        if not _GRAB.match(name) or path.parent != grabs or not path.is_file():
            return _not_found()
        return FileResponse(path, media_type="image/png", headers=_NO_CACHE)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        hub.start()
        try:
            yield
        finally:
            await hub.close()

    routes = [Route("/", page), Route("/static/{name}", static), Route("/events", events),
              Route("/api/status", status), Route("/grabs/{name}", grab)]  # fmt: skip
    app = Starlette(routes=routes, lifespan=lifespan)
    return (app if token is None else TokenGate(app, token)), hub


def _not_found() -> Response:
    return Response("404: not found\n", status_code=404, media_type="text/plain")
