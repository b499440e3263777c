"""The Waves-team-style figure: survey spectrogram with every expected dit marked.

Top: time-frequency spectrogram of the receiver band (dB above each channel's median,
so a 1 MHz channel lighting up stands out whatever the band's shape), every expected
key-down outlined on the event channel, green if detected on its own, grey if not,
dashed where there was no data.  Middle: the event channel (1-s samples and 30-s
means) against its off-band references.  Bottom: each round's statistic against the
round-level threshold, with the range of the spacecraft where known.

Examples
--------
>>> import tempfile
>>> import numpy as np
>>> from pathlib import Path
>>> from station.schedule import load_event
>>> from station.waves.analyze import analyze_series
>>> from station.waves.series import WavesSeries, parse_utc
>>> t = parse_utc("2013-10-09T17:50:00Z") + np.arange(0.0, 1800.0)
>>> power = 1.5e-15 * np.random.default_rng(0).gamma(17.0, 1 / 17.0, (t.size, 3))
>>> s = WavesSeries(t, np.array([27.5e6, 28.5e6, 29.5e6]), np.full(3, 1e6), power, "doc", "npz")
>>> a = analyze_series(s, load_event("juno-2013-10-09"))
>>> out = render_waves_png(s, a, Path(tempfile.mkdtemp()) / "hi.png")
>>> out.read_bytes()[1:4]
b'PNG'
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from station._atomic import write_bytes_atomic
from station.waves.analyze import WavesAnalysis
from station.waves.series import WavesSeries, parse_utc, to_datetime

__all__ = ["render_waves_png"]

DETECTED = "#2ca02c"
MISSED = "#9a9a9a"


def _means(t: np.ndarray, x: np.ndarray, block_s: float = 30.0):
    edges = np.arange(t[0], t[-1] + block_s, block_s)
    idx = np.digitize(t, edges) - 1
    ok = np.isfinite(x)
    sums = np.bincount(idx[ok], weights=x[ok], minlength=edges.size)
    counts = np.bincount(idx[ok], minlength=edges.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return edges + block_s / 2, np.where(counts > 0, sums / counts, np.nan)


def _running_background(t: np.ndarray, power: np.ndarray, block_s: float = 60.0,
                        blocks: int = 11) -> np.ndarray:
    """Per-channel background: running median of 1-min medians over ~11 min.

    Long enough to ignore 30-s dits, short enough to follow the flyby's rising noise,
    so the figure shows the keying rather than the range.
    """
    import warnings

    from scipy.ndimage import median_filter

    edges = np.arange(t[0], t[-1] + block_s, block_s)
    idx = np.clip(np.digitize(t, edges) - 1, 0, edges.size - 1)
    med = np.full((edges.size, power.shape[1]), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN blocks stay NaN
        for b in np.unique(idx):
            med[b] = np.nanmedian(power[idx == b], axis=0)
        fill = np.nanmedian(med, axis=0)
    med = np.where(np.isfinite(med), med, fill)
    smooth = median_filter(med, size=(blocks, 1), mode="nearest")
    return smooth[idx]


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
        Time shown before the first and after the last key-down.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    t0 = parse_utc(analysis.dits[0].start_utc) - margin_s
    t1 = parse_utc(analysis.dits[-1].stop_utc) + margin_s
    view = series.between(t0, t1)
    if view.time_unix_s.size < 2:
        view = series
    t = view.time_unix_s
    days = mdates.date2num([to_datetime(x) for x in (t[0], t[-1])])
    to_num = np.poly1d(np.polyfit([t[0], t[-1]], days, 1)) if t[-1] > t[0] else (lambda x: x)
    order = np.argsort(view.freq_hz)
    freqs = view.freq_hz[order] / 1e6
    with np.errstate(invalid="ignore", divide="ignore"):
        db = 10 * np.log10(view.power[:, order] / _running_background(t, view.power[:, order]))
    main = int(np.argmin(np.abs(freqs - analysis.channel_hz / 1e6)))
    half = (analysis.channel_bandwidth_hz / 2e6) if np.isfinite(analysis.channel_bandwidth_hz) \
        else 0.5

    fig, axes = plt.subplots(3, 1, figsize=(11, 8.5), dpi=100, sharex=True,
                             gridspec_kw={"height_ratios": [3, 1.6, 1.2]})
    try:
        ax = axes[0]
        mesh = ax.pcolormesh(to_num(t), freqs, np.nan_to_num(db.T, nan=0.0), shading="nearest",
                             cmap="viridis", vmin=-3, vmax=6, rasterized=True)
        fig.colorbar(mesh, ax=axes, shrink=0.35, anchor=(0, 1),
                     label="dB above running background")
        f_c = freqs[main]
        for d in analysis.dits:
            a, b = to_num(parse_utc(d.start_utc)), to_num(parse_utc(d.stop_utc))
            color = DETECTED if d.detected else MISSED
            # Boxes span the channel and its neighbours, so the keyed channel shows inside.
            ax.add_patch(Rectangle((a, f_c - 3 * half), b - a, 6 * half, fill=False,
                                   edgecolor=color, linewidth=1.1,
                                   linestyle="--" if d.detected is None else "-"))
        ax.set_ylabel("frequency (MHz)")
        if freqs.size > 1:
            ax.set_ylim(freqs[0] - half, freqs[-1] + half)
        ax.set_title(
            f"{analysis.event_id}: expected dits on {f_c:g} MHz - green detected, grey not "
            f"(Pfa {analysis.pfa:g} over all dits)", fontsize=9)

        ax = axes[1]
        for k, colour in ((main, "black"), *[(int(np.argmin(np.abs(freqs - r / 1e6))), c)
                          for r, c in zip(analysis.reference_channels_hz,
                                          ("tab:blue", "tab:orange"), strict=False)]):
            x = view.power[:, order][:, k]
            if k == main:
                ax.plot(to_num(t), x, ",", color="0.6")
            mid, mean = _means(t, x)
            ax.step(to_num(mid), mean, where="mid", color=colour, linewidth=1,
                    label=f"{freqs[k]:g} MHz, 30-s means")
        for d in analysis.dits:
            ax.axvspan(to_num(parse_utc(d.start_utc)), to_num(parse_utc(d.stop_utc)),
                       color=DETECTED if d.detected else MISSED, alpha=0.15, linewidth=0)
        ax.set_yscale("log")
        ax.set_ylabel(view.units.replace("**", "^"), fontsize=8)
        ax.legend(fontsize=7, loc="upper right")

        ax = axes[2]
        for r in analysis.rounds:
            if r.z is None:
                continue
            mid = (parse_utc(r.start_utc) + parse_utc(r.stop_utc)) / 2
            ax.bar(to_num(mid), r.z, width=to_num(parse_utc(r.stop_utc)) - to_num(
                parse_utc(r.start_utc)), color=DETECTED if r.detected else MISSED)
            if r.range_km is not None:
                ax.annotate(f"{r.range_km / 1e3:.0f}k km", (to_num(mid), max(r.z, 0)),
                            fontsize=6, ha="center", va="bottom")
        ax.axhline(analysis.z_threshold_round, color="tab:red", linewidth=0.8,
                   label=f"round threshold z={analysis.z_threshold_round:.2f}")
        ax.set_ylabel("round z")
        ax.legend(fontsize=7, loc="upper left")
        ax.xaxis.set_major_locator(mdates.MinuteLocator(byminute=[0, 20, 40]))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
        ax.set_xlabel(f"UTC, {to_datetime(t[0]):%Y-%m-%d}  ({analysis.source})")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
    finally:
        plt.close(fig)
    return write_bytes_atomic(path, buf.getvalue(), overwrite=overwrite)
