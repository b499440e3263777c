"""Run the dashboard: uvicorn in a daemon thread (:func:`start_server`) or blocking (:func:`serve`).

``hi-station serve DIR`` calls :func:`serve`; ``hi-station run --web`` calls
:func:`start_server` on its own run folder.  The address rules:

- default ``127.0.0.1``: loopback only, no token (unless one is given);
- any other ``host``: a token is generated when none is given, and every request
  needs it (:mod:`station.web.auth`); the URL printed carries it;
- ``control=True`` is refused: this dashboard is read-only and has no control
  endpoint (the run folder contract has no control file for it to write).

Examples
--------
>>> import tempfile, urllib.request
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     running = start_server(Path(tmp))
...     with urllib.request.urlopen(running.url + "api/status") as r:
...         print(r.status, r.read())
...     running.stop()
200 b'null'
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from station.errors import InputError
from station.signals import StopRequest, stop_on_signals
from station.web.app import make_app
from station.web.auth import is_loopback, new_token
from station.web.hub import Hub

__all__ = ["RunningServer", "serve", "start_server"]


@dataclass
class RunningServer:
    """A dashboard being served.

    Attributes
    ----------
    url : str
        Where to open it (with ``?token=`` when a token is required).
    host : str
    port : int
        The bound port (the one chosen when 0 was asked).
    token : str or None
    sockets : list of (host, port)
        Every address the server listens on.
    """

    url: str
    host: str
    port: int
    token: str | None
    sockets: list[tuple[str, int]]
    _server: uvicorn.Server
    _thread: threading.Thread
    _hub: Hub
    _loop: asyncio.AbstractEventLoop

    @property
    def clients(self) -> int:
        """Pages connected now."""
        return self._hub.clients

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop serving: end every page's stream, close the sockets, join the thread."""
        if self._thread.is_alive():
            with contextlib.suppress(RuntimeError, TimeoutError):  # the loop already ended
                asyncio.run_coroutine_threadsafe(self._hub.close(), self._loop).result(timeout_s)
        self._server.should_exit = True
        self._thread.join(timeout_s)


def _check(run_dir: Path, host: str, port: int, control: bool) -> None:
    if control:
        raise InputError("--control: this dashboard is read-only (no control endpoint); "
                         "drop --control")  # fmt: skip
    if not Path(run_dir).is_dir():
        raise InputError(f"run folder {run_dir}: not a directory")
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port}: must be 0..65535 (0: any free port)")
    if not host:
        raise InputError("--host '': give an address (e.g. 0.0.0.0) or leave it out")


def start_server(run_dir: Path, *, host: str = "127.0.0.1", port: int = 0,
                 token: str | None = None, control: bool = False,
                 now_s: Callable[[], float] = time.time, poll_s: float = 0.1,
                 ready_timeout_s: float = 10.0) -> RunningServer:  # fmt: skip
    """Serve the dashboard of ``run_dir`` from a daemon thread; return once it listens.

    Parameters
    ----------
    run_dir : Path
        The run folder (it must exist; its files may appear later).
    host, port : str, int
        Address to bind; port 0 picks a free one.
    token : str or None
        Required on every request; generated when ``host`` is not loopback and none
        is given.
    control : bool
        Refused (:class:`~station.errors.InputError`): there is no control endpoint.
    now_s : callable
        The server's clock sent to the page, unix seconds.
    poll_s : float
        Seconds between reads of the run folder.
    ready_timeout_s : float
        How long to wait for the socket.
    """
    _check(run_dir, host, port, control)
    if token is None and not is_loopback(host):
        token = new_token()
    app, hub = make_app(Path(run_dir), token=token, now_s=now_s, poll_s=poll_s)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            lifespan="on", ws="none", http="h11",
                            timeout_graceful_shutdown=1)  # fmt: skip
    server = uvicorn.Server(config)
    loops: list[asyncio.AbstractEventLoop] = []

    async def main() -> None:
        loops.append(asyncio.get_running_loop())
        await server.serve()

    thread = threading.Thread(target=lambda: asyncio.run(main()), name="hi-station-web",
                              daemon=True)  # fmt: skip
    thread.start()
    deadline = time.monotonic() + ready_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(ready_timeout_s)
            raise InputError(f"--host {host} --port {port}: the dashboard could not listen there")
        time.sleep(0.01)
    sockets = [s.getsockname()[:2] for srv in server.servers for s in srv.sockets]
    bound = sockets[0][1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{bound}/" + (f"?token={token}" if token else "")
    return RunningServer(url, host, bound, token, sockets, server, thread, hub, loops[0])


def serve(
    run_dir: Path, *, host: str = "127.0.0.1", port: int = 8017, control: bool = False,
    announce: Callable[[RunningServer], None] = print,
) -> str:
    """Serve the dashboard until SIGINT, SIGTERM or SIGHUP; return what stopped it.

    ``announce`` is called with the :class:`RunningServer` once it listens (the
    command line prints the URL, with the token).
    """
    running = start_server(run_dir, host=host, port=port, control=control)
    stop = StopRequest()
    try:
        with stop_on_signals(stop):
            announce(running)
            while stop.reason is None and running._thread.is_alive():
                time.sleep(0.2)
    finally:
        running.stop()
    return stop.reason or "the server stopped"
