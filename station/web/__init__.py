"""The browser dashboard of a run folder (``hi-station serve DIR``, ``run --web``).

feed.py reads the folder, hub.py fans its changes out as Server-Sent Events, auth.py
the token, app.py the Starlette routes, server.py uvicorn in a thread
(:func:`~station.web.server.start_server`) or blocking (:func:`~station.web.server.serve`);
static/ the page (no CDN).  Needs the ``web`` extra (Starlette, uvicorn); nothing is
imported until a name is used.
"""

from station._lazy import lazy_exports

_NAMES = {
    "RunningServer": "station.web.server",
    "serve": "station.web.server",
    "start_server": "station.web.server",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
