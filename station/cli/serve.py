"""``hi-station serve``: the browser dashboard of a run folder (:mod:`station.web`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from station.errors import InputError

if TYPE_CHECKING:
    from station.web import RunningServer

__all__ = ["serve_command"]


def _announce(running: RunningServer) -> None:
    where = "loopback only" if running.token is None else "token required"
    print(f"dashboard: {running.url} ({where}; Ctrl-C stops)", flush=True)


def serve_command(
    run_dir: Annotated[Path, typer.Argument(help="Run folder (from `hi-station run --out`).")],
    host: Annotated[
        str, typer.Option(help="Address to bind; beyond loopback a token is printed and needed.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port).")] = 8017,
    control: Annotated[
        bool, typer.Option("--control", help="Refused: the dashboard is read-only.")
    ] = False,
) -> None:
    """Serve a live page of RUN_DIR (read-only): countdown, key state, waterfall, rounds."""
    try:
        from station.web import serve
    except ImportError as exc:  # the web extra is not installed
        raise InputError(f"hi-station serve needs the web extra ({exc.name} missing): "
                         "pip install 'hi-station[web]'") from None
    reason = serve(run_dir, host=host, port=port, control=control, announce=_announce)
    print(f"dashboard stopped ({reason})")
