"""The event report as a PNG heat map: rounds x channels, coloured by stations that heard it.

Each cell is one round (the last row: the stack of all rounds) in one channel; its
colour is the number of stations that heard it, its text that number and the best
SNR2500.  Cells no recording covered are hatched (not covered is not "not heard"); a
red triangle marks cells an operator's TX log keyed.  The figure has its own Agg
canvas (no pyplot state) and a size fixed by the grid (:func:`heatmap_size_px`); the
file is written crash-safely and never replaces one without ``overwrite``.

Examples
--------
>>> heatmap_size_px(3, 3)
(600, 340)
>>> check_png_target(Path("surely-missing-folder") / "map.png", overwrite=False)
Traceback (most recent call last):
...
station.errors.InputError: --png=surely-missing-folder/map.png: folder surely-missing-folder \
does not exist; create it first
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from station._atomic import write_bytes_atomic
from station.batch.report import EventReport
from station.errors import InputError

__all__ = ["DPI", "check_png_target", "heatmap_figure", "heatmap_size_px", "write_heatmap"]

#: Pixels per inch of the PNG.
DPI = 100


def heatmap_size_px(rounds: int, channels: int) -> tuple[int, int]:
    """Width and height of the PNG for ``rounds`` event rounds (plus the stack) and channels."""
    width_in = max(6.0, 2.4 + 1.1 * channels)
    height_in = max(3.4, 1.6 + 0.45 * (rounds + 1))
    return int(round(width_in * DPI)), int(round(height_in * DPI))


def check_png_target(path: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Refuse a ``--png`` target in a missing folder, a folder, or an existing file.

    Raises
    ------
    InputError
        Naming the path and the rule.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise InputError(f"--png={target}: folder {target.parent} does not exist; create it first")
    if target.is_dir():
        raise InputError(f"--png={target} is a folder; give a file name")
    if target.exists() and not overwrite:
        raise InputError(f"--png={target} already exists; use --overwrite to replace it")
    return target


def _grid(report: EventReport) -> tuple[np.ndarray, np.ndarray]:
    """Stations that heard each cell, and whether any recording covered it (rows x columns)."""
    rows, cols = report.round_numbers, report.channels
    heard = np.zeros((len(rows), len(cols)))
    covered = np.zeros((len(rows), len(cols)), bool)
    for i, n in enumerate(rows):
        for j, ch in enumerate(cols):
            cell = report.cell(n, ch.label)
            heard[i, j] = cell.stations
            covered[i, j] = cell.state != "not covered"
    return heard, covered


def _annotate(ax: Any, report: EventReport, top: float) -> bool:
    """Write each cell's count and best SNR, hatch the uncovered, mark the keyed."""
    from matplotlib.patches import Rectangle

    keyed_any = False
    for i, n in enumerate(report.round_numbers):
        for j, ch in enumerate(report.channels):
            cell = report.cell(n, ch.label)
            if cell.state == "not covered":
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///",
                                       edgecolor="0.65", linewidth=0))  # fmt: skip
            else:
                text = str(cell.stations)
                if cell.best_snr2500_db is not None:
                    text += f"\n{cell.best_snr2500_db:.1f} dB"
                bright = cell.stations / top > 0.6
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="black" if bright else "white")  # fmt: skip
            if cell.keyed_by:
                keyed_any = True
                ax.plot(j + 0.36, i - 0.3, marker="v", color="red", markersize=7,
                        markeredgecolor="black", markeredgewidth=0.5)  # fmt: skip
    return keyed_any


def heatmap_figure(report: EventReport) -> Any:
    """Draw the heat map as a matplotlib Figure (its own Agg canvas, no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    width, height = heatmap_size_px(report.rounds, len(report.channels))
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.11, 0.2, 0.72, 0.68))
    heard, covered = _grid(report)
    top = float(max(1, len(report.stations)))
    shown = np.ma.masked_array(heard, mask=~covered)
    image = ax.imshow(shown, cmap="viridis", vmin=0, vmax=top, aspect="auto",
                      interpolation="nearest")  # fmt: skip
    ax.set_facecolor("white")
    keyed = _annotate(ax, report, top)
    ax.axhline(len(report.round_numbers) - 1.5, color="black", linewidth=1.5)
    ax.set_xticks(
        range(len(report.channels)),
        [f"{c.label}\n{c.freq_hz / 1e6:.3f}" for c in report.channels],
        fontsize=8,
    )
    ax.set_yticks(
        range(len(report.round_numbers)),
        [str(n) if n else "stack" for n in report.round_numbers],
        fontsize=8,
    )
    ax.set_xlabel("channel (letter, MHz)")
    ax.set_ylabel("round")
    ax.set_title(f"{report.event_name} ({report.event_id}): stations that heard each round, "
                 f"of {len(report.stations)}; best SNR2500", fontsize=9)  # fmt: skip
    cax = fig.add_axes((0.86, 0.2, 0.025, 0.68))
    bar = fig.colorbar(image, cax=cax)
    bar.set_label("stations", fontsize=8)
    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()
    handles = [Line2D([], [], linestyle="none", marker="s", markerfacecolor="white",
                      markeredgecolor="0.65", label="hatched: not covered")]  # fmt: skip
    if keyed:
        handles.append(Line2D([], [], linestyle="none", marker="v", color="red",
                              label="keyed (TX logs)"))  # fmt: skip
    fig.legend(handles=handles, loc="lower right", fontsize=7, frameon=False, ncols=2)
    return fig


def write_heatmap(report: EventReport, path: str | os.PathLike[str], *,
                  overwrite: bool = False) -> Path:  # fmt: skip
    """Draw the heat map and write it to ``path`` (PNG; its folder must exist).

    Raises
    ------
    InputError
        See :func:`check_png_target`.
    """
    target = check_png_target(path, overwrite=overwrite)
    fig = heatmap_figure(report)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return write_bytes_atomic(target, buf.getvalue(), overwrite=overwrite)
