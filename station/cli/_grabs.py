"""The QRSS grab options shared by ``capture``, ``run`` and ``replay`` (one declaration each).

Examples
--------
>>> from typing import get_args
>>> get_args(Palette)[0] is str
True
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["Antenna", "DbMax", "DbMin", "FrameS", "OnGrab", "OnGrabTimeoutS", "Palette",
           "Receiver"]  # fmt: skip

FrameS = Annotated[
    float | None, typer.Option(help="Grab frame, s (default: the round period, else 600).")
]
DbMin = Annotated[
    float | None, typer.Option(help="Grab colour scale low end, dB over the noise floor.")
]
DbMax = Annotated[
    float | None, typer.Option(help="Grab colour scale high end (default: automatic).")
]
Palette = Annotated[str, typer.Option(help="Grab palette (a matplotlib colormap).")]
OnGrab = Annotated[
    str | None, typer.Option(help="Run 'CMD ... {path}' after each grab (no shell).")
]
OnGrabTimeoutS = Annotated[
    float, typer.Option(help="Kill the --on-grab command after this long, s.")
]
Receiver = Annotated[str, typer.Option(help="Receiver named on the grabs.")]
Antenna = Annotated[str, typer.Option(help="Antenna named on the grabs.")]
