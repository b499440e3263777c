"""The Waves-team-style figure: survey spectrogram with every expected dit marked.

Top: time-frequency spectrogram of the receiver band (dB above each channel's running
level, :func:`dsp.bursts.running_level`, so a 1 MHz channel lighting up stands out
whatever the band's shape), every expected key-down outlined (thin unfilled box, so
the data inside stays visible) on the event channel, green if detected on its own,
grey if not, dashed where there was too little data, red where it was vetoed (the
off-band references rise too, or it lies in a masked burst).  Boxes are clipped to
the data: none past the last sample, none across a gap.  The frequency axis is
logarithmic, as the Waves team's das2 streams ask (``yScaleType="log"``), unless the
file asks for linear.
Middle: the event channel (1-s samples and 30-s means) against its off-band
references, each key-down shaded in its colour.  In both panels every interval left
out as a broadband burst the references showed (``masked_utc``) is hatched light
red (hatch only in the spectrogram), and a legend says what red means.  Bottom: each
round's statistic against the round-level threshold, with the range of the
spacecraft where known; a vetoed round's bar is red with its event channel's own
``z`` outlined and "veto" and its short reason ("burst": mostly masked, "refs": the
references rise too) above it.

Examples
--------
>>> import tempfile
>>> import numpy as np
>>> from pathlib import Path
>>> from station.schedule import load_event
>>> from station.waves.analyze import analyze_series
>>> from station.waves.series import WavesSeries, parse_unix_s
>>> t = parse_unix_s("2013-10-09T17:50:00Z") + np.arange(0.0, 1800.0)
>>> power = 1.5e-15 * np.random.default_rng(0).gamma(17.0, 1 / 17.0, (t.size, 3))
>>> s = WavesSeries(t, np.array([27.5e6, 28.5e6, 29.5e6]), np.full(3, 1e6), power, "doc", "npz")
>>> a = analyze_series(s, load_event("juno-2013-10-09"))
>>> out = render_waves_png(s, a, Path(tempfile.mkdtemp()) / "hi.png")
>>> out.read_bytes()[1:4]
b'PNG'
>>> fig = waves_figure(s, a)
>>> fig.axes[0].get_yscale(), fig.axes[2].get_xlabel()
('log', 'UTC, 2013-10-09  (doc)')
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dsp.bursts import running_level
from station._atomic import write_bytes_atomic
from station.utc import utc_from_unix_s
from station.waves._plot_data import covered_unix_s, display_source, freq_axis_scale, with_gaps
from station.waves.analyze import WavesAnalysis, WavesRound
from station.waves.series import WavesSeries, parse_unix_s

__all__ = ["render_waves_png", "waves_figure"]

DETECTED = "#2ca02c"
MISSED = "#9a9a9a"
VETOED = "#d62728"
VETOED_BAR = "#f08c8c"
MASKED = "#f4a3a3"
VETO_LABEL = "vetoed: the references rise too"
MASK_LABEL = "masked: broadband burst in the references"


@dataclass(frozen=True, slots=True)
class _Frame:
    """What every panel needs: the analysis, the shown span and UTC -> axis numbers."""

    analysis: WavesAnalysis
    t: np.ndarray
    to_num: Any
    freqs: np.ndarray
    main: int
    half: float
    covered: list[tuple[float, float]] = field(default_factory=list)

    def span(self, start_utc: str, stop_utc: str) -> tuple[float, float]:
        return self.to_num(parse_unix_s(start_utc)), self.to_num(parse_unix_s(stop_utc))

    def pieces(self, start_utc: str, stop_utc: str) -> list[tuple[float, float]]:
        """Return the parts of ``[start, stop)`` with data on the event channel (axis units)."""
        a, b = parse_unix_s(start_utc), parse_unix_s(stop_utc)
        return [(self.to_num(max(a, c0)), self.to_num(min(b, c1)))
                for c0, c1 in self.covered if min(b, c1) > max(a, c0)]

    def masked(self) -> list[tuple[float, float]]:
        """Return the masked intervals overlapping the shown span (clipped: x limits stay)."""
        out = []
        for start, stop in self.analysis.masked_utc:
            a, b = max(parse_unix_s(start), self.t[0]), min(parse_unix_s(stop), self.t[-1])
            if b > a:
                out.append((self.to_num(a), self.to_num(b)))
        return out


def _means(t: np.ndarray, x: np.ndarray, block_s: float = 30.0):
    edges = np.arange(t[0], t[-1] + block_s, block_s)
    idx = np.digitize(t, edges) - 1
    ok = np.isfinite(x)
    sums = np.bincount(idx[ok], weights=x[ok], minlength=edges.size)
    counts = np.bincount(idx[ok], minlength=edges.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return edges + block_s / 2, np.where(counts > 0, sums / counts, np.nan)


def _dit_colour(detected: bool | None, vetoed: bool) -> str:
    return VETOED if vetoed else (DETECTED if detected else MISSED)


def _shade_masked(ax, frame: _Frame, *, hatch_only: bool = False) -> bool:
    """Hatch every masked interval on `ax`; True if any was drawn."""
    spans = frame.masked()
    for a, b in spans:
        if hatch_only:  # over the spectrogram: hatch lines, no face, the data shows through
            ax.axvspan(a, b, facecolor="none", hatch="////", edgecolor=MASKED, linewidth=0)
        else:
            ax.axvspan(a, b, facecolor=MASKED, alpha=0.35, hatch="////", edgecolor=VETOED,
                       linewidth=0)
    return bool(spans)


def _mask_handle():
    from matplotlib.patches import Patch

    return Patch(facecolor=MASKED, alpha=0.6, hatch="////", edgecolor=VETOED, label=MASK_LABEL)


def _freq_axis(ax, freqs: np.ndarray, half: float, scale: str) -> None:
    """Frequency axis in MHz: limits at the outer channel edges, plain-number log ticks."""
    from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

    if freqs.size > 1:
        low = freqs[0] - half if freqs[0] - half > 0 else freqs[0] / 1.2
        ax.set_ylim(low, freqs[-1] + half)
    ax.set_yscale(scale)
    if scale == "log":
        lo, hi = ax.get_ylim()
        ticks = [v for v in (0.05, 0.1, 0.2, 0.5, 1, 2, 3, 5, 7, 10, 15, 20, 30, 40)
                 if lo <= v <= hi]
        if len(ticks) >= 3:
            ax.yaxis.set_major_locator(FixedLocator(ticks))
            ax.yaxis.set_major_formatter(ScalarFormatter())
            ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel(f"frequency (MHz, {scale})")


def _dit_boxes(ax, frame: _Frame) -> int:
    """Outline each dit on the event channel, clipped to the data; dits with none, counted."""
    from matplotlib.patches import Rectangle

    f_c, half, unseen = frame.freqs[frame.main], frame.half, 0
    for d in frame.analysis.dits:
        pieces = frame.pieces(d.start_utc, d.stop_utc)
        unseen += not pieces
        for x0, x1 in pieces:
            # Spans the channel and its neighbours, so the keyed channel shows inside.
            ax.add_patch(Rectangle((x0, f_c - 3 * half), x1 - x0, 6 * half, fill=False,
                                   edgecolor=_dit_colour(d.detected, d.vetoed),
                                   linewidth=1.0 if d.vetoed else 0.7,
                                   linestyle="--" if d.detected is None else "-"))
    return unseen


def _spectrogram_panel(fig, axes, frame: _Frame, db: np.ndarray, scale: str) -> None:
    from matplotlib.patches import Patch

    ax, a, freqs = axes[0], frame.analysis, frame.freqs
    t, values = with_gaps(frame.t, np.nan_to_num(db, nan=0.0))
    mesh = ax.pcolormesh(frame.to_num(t), freqs, values.T, shading="nearest", cmap="viridis",
                         vmin=-3, vmax=6, rasterized=True)
    fig.colorbar(mesh, ax=axes, shrink=0.35, anchor=(0, 1), label="dB above running background")
    unseen = _dit_boxes(ax, frame)
    handles = []
    if any(d.vetoed for d in a.dits):
        handles.append(Patch(fill=False, edgecolor=VETOED, linewidth=1.0, label=VETO_LABEL))
    if _shade_masked(ax, frame, hatch_only=True):
        handles.append(Patch(facecolor="none", hatch="////", edgecolor=MASKED, label=MASK_LABEL))
    if handles:
        ax.legend(handles=handles, fontsize=7, loc="lower right", framealpha=0.85)
    _freq_axis(ax, freqs, frame.half, scale)
    red = ", red vetoed" if any(d.vetoed for d in a.dits) else ""
    ax.set_title(
        f"{a.event_id}: expected dits outlined on {freqs[frame.main]:g} MHz - green detected, "
        f"grey not{red} (Pfa {a.pfa:g} over all dits)"
        + (f"\n{unseen} of {len(a.dits)} dits have no data (after the data ends or in a gap): "
           "not drawn" if unseen else ""), fontsize=9, loc="left")


def _channels_panel(ax, frame: _Frame, power: np.ndarray, units: str) -> None:
    a, freqs, to_num = frame.analysis, frame.freqs, frame.to_num
    refs = [(int(np.argmin(np.abs(freqs - r / 1e6))), c)
            for r, c in zip(a.reference_channels_hz, ("tab:blue", "tab:orange"), strict=False)]
    for k, colour in ((frame.main, "black"), *refs):
        x = power[:, k]
        if k == frame.main:
            ax.plot(to_num(frame.t), x, ",", color="0.6")
        mid, mean = _means(frame.t, x)
        ax.step(to_num(mid), mean, where="mid", color=colour, linewidth=1,
                label=f"{freqs[k]:g} MHz, 30-s means")
    for d in a.dits:  # behind the lines (zorder), clipped to the data as the boxes above
        for x0, x1 in frame.pieces(d.start_utc, d.stop_utc):
            ax.axvspan(x0, x1, color=_dit_colour(d.detected, d.vetoed),
                       alpha=0.25 if d.vetoed else 0.15, linewidth=0, zorder=0)
    ax.set_yscale("log")
    ax.set_ylabel(units.replace("**", "^"), fontsize=8)
    handles, _labels = ax.get_legend_handles_labels()
    if any(d.vetoed for d in a.dits):
        from matplotlib.patches import Patch

        handles.append(Patch(color=VETOED, alpha=0.25, linewidth=0, label="vetoed dit"))
    if _shade_masked(ax, frame):
        handles.append(_mask_handle())
    ax.legend(handles=handles, fontsize=7, loc="upper right")


def _veto_tag(r: WavesRound) -> str:
    """Return "veto" and a one-word reason: mostly masked ("burst"), references rise ("refs")."""
    why = [w for key, w in (("masked", "burst"), ("rise", "refs")) if key in r.veto_reason]
    return "veto" + (f" ({'+'.join(why)})" if why else "")


def _rounds_panel(ax, frame: _Frame) -> None:
    from matplotlib.patches import Patch

    a, highest = frame.analysis, 0.0
    for r in a.rounds:
        if r.z is None:
            continue
        x0, x1 = frame.span(r.start_utc, r.stop_utc)
        mid, top = (x0 + x1) / 2, max(r.z, 0)
        colour = VETOED_BAR if r.vetoed else (DETECTED if r.detected else MISSED)
        ax.bar(mid, r.z, width=x1 - x0, color=colour, edgecolor=VETOED if r.vetoed else None)
        if r.vetoed and r.event_z is not None:  # the event channel's own z, hollow
            ax.bar(mid, r.event_z, width=x1 - x0, fill=False, edgecolor=VETOED,
                   linestyle=":", linewidth=1)
            top = max(top, r.event_z)
        label = [] if not r.vetoed else [_veto_tag(r)]
        highest = max(highest, top) if r.vetoed else highest
        if r.range_km is not None:
            label.append(f"{r.range_km / 1e3:.0f}k km")
        if label:
            ax.annotate("\n".join(label), (mid, top), fontsize=6, ha="center", va="bottom",
                        color=VETOED if r.vetoed else "black")
    ax.axhline(a.z_threshold_round, color="tab:red", linewidth=0.8,
               label=f"round threshold z={a.z_threshold_round:.2f}")
    handles, _labels = ax.get_legend_handles_labels()
    if any(r.vetoed for r in a.rounds):
        handles.append(Patch(facecolor=VETOED_BAR, edgecolor=VETOED,
                             label="vetoed round: excess beyond the references "
                                   "(dotted: own z)"))
        ax.set_ylim(top=max(ax.get_ylim()[1], 1.8 * highest))  # room for the tags
    ax.set_ylabel("round z")
    ax.legend(handles=handles, fontsize=7, loc="upper left", ncol=2)


def waves_figure(series: WavesSeries, analysis: WavesAnalysis, *, margin_s: float = 600.0):
    """Return the figure of `analysis` over `series` (a :class:`matplotlib.figure.Figure`).

    No pyplot state is touched: the figure has its own Agg canvas and is freed with its
    last reference.  Parameters as :func:`render_waves_png`.
    """
    import matplotlib.dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    t0 = parse_unix_s(analysis.dits[0].start_utc) - margin_s
    t1 = parse_unix_s(analysis.dits[-1].stop_utc) + margin_s
    view = series.between(t0, t1)
    if view.time_unix_s.size < 2:
        view = series
    t = view.time_unix_s
    days = mdates.date2num([utc_from_unix_s(x) for x in (t[0], t[-1])])
    to_num = np.poly1d(np.polyfit([t[0], t[-1]], days, 1)) if t[-1] > t[0] else (lambda x: x)
    order = np.argsort(view.freq_hz)
    freqs = view.freq_hz[order] / 1e6
    power = view.power[:, order]
    block = max(1, round(60.0 / view.cadence_s)) if view.cadence_s > 0 else 60
    with np.errstate(invalid="ignore", divide="ignore"):
        db = 10 * np.log10(power / running_level(power, block=block))
    half = (analysis.channel_bandwidth_hz / 2e6) if np.isfinite(analysis.channel_bandwidth_hz) \
        else 0.5
    main = int(np.argmin(np.abs(freqs - analysis.channel_hz / 1e6)))
    frame = _Frame(analysis, t, to_num, freqs, main, half, covered_unix_s(t, power[:, main]))

    fig = Figure(figsize=(12, 8.5), dpi=120)
    FigureCanvasAgg(fig)
    axes = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.6, 1.2]})
    _spectrogram_panel(fig, axes, frame, db, freq_axis_scale(view))
    _channels_panel(axes[1], frame, power, view.units)
    _rounds_panel(axes[2], frame)
    ax = axes[2]
    ax.set_xlim(to_num(t[0]), to_num(t[-1]))  # the data's span: nothing drawn past it
    locator = mdates.AutoDateLocator(minticks=4, maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(
        mdates.DateFormatter("%H:%M:%S" if t[-1] - t[0] < 1200 else "%H:%M"))
    ax.set_xlabel(f"UTC, {utc_from_unix_s(t[0]):%Y-%m-%d}  ({display_source(view.source)})")
    return fig


def render_waves_png(
    series: WavesSeries,
    analysis: WavesAnalysis,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    margin_s: float = 600.0,
) -> Path:
    """Write the figure of `analysis` over `series` to `path` (never replaced unless asked).

    Parameters
    ----------
    series : WavesSeries
        The survey: ideally the whole receiver band (every channel is drawn), at least
        the analysed channel.
    analysis : WavesAnalysis
        From :func:`~station.waves.analyze.analyze_series` on the same data.
    path : str or os.PathLike
        PNG file to write; its directory must exist.
    overwrite : bool
        Replace an existing file.
    margin_s : float
        Time shown before the first and after the last key-down (within the data).
    """
    fig = waves_figure(series, analysis, margin_s=margin_s)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return write_bytes_atomic(path, buf.getvalue(), overwrite=overwrite)
