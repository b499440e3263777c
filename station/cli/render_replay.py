"""Rendering of ``hi-station replay``: the channel table (printing only, no logic)."""

from __future__ import annotations

from rich.table import Table

from station.cli._common import out_console
from station.replay import ReplayResult
from station.utc import format_day_time

__all__ = ["print_replay"]


def print_replay(result: ReplayResult) -> None:
    """Print the recording line, one row per keyed signal of each channel, grabs and speed."""
    console = out_console()
    info = result.info
    start = ("unknown start" if info.start_utc is None
             else f"starts {format_day_time(info.start_utc)}")  # fmt: skip
    console.print(
        f"{result.path}: {info.sample_rate_hz / 1e3:g} kS/s centred on "
        f"{info.center_freq_hz / 1e6:.6f} MHz, {result.duration_s:.0f} s, {start}; "
        f"{len(result.channels)} channel(s) at {result.channel_rate_hz:g} S/s"
    )
    table = Table(show_edge=False)
    for col in ("ch", "MHz", "decoded", "dit s", "Hz", "SNR2500", "rounds detected", "stack"):
        table.add_column(col, justify="left" if col in ("ch", "decoded") else "right")
    for c in result.channels:
        det = c.detection
        if det is None:
            rounds, stack = "-", "-"
        else:
            hits = [n for n, r in zip(c.round_numbers, det.rounds, strict=True) if r.detected]
            rounds = f"{len(hits)}/{len(det.rounds)}" + (
                f" ({','.join(map(str, hits))})" if hits else ""
            )
            stack = "-" if det.stacked is None else ("yes" if det.stacked.detected else "no")
        # Every keyed signal of every window (one per round of a long recording).
        heard = [s for _, d in c.windows for s in d.signals]
        first = [c.channel.label, f"{c.channel.freq_hz / 1e6:.6f}"]
        if not heard:
            table.add_row(*first, "-", "-", "-", "-", rounds, stack)
        for i, s in enumerate(heard):
            table.add_row(
                *(first if i == 0 else ["", ""]), s.text or "(keyed, unread)",
                f"{s.dit_s:.3g}", f"{s.freq_hz:+.2f}", f"{s.snr2500_db:.1f}",
                *((rounds, stack) if i == 0 else ("", "")),
            )  # fmt: skip
    console.print(table)
    pngs = [p for c in result.channels for p in c.pngs]
    if pngs:
        console.print(f"wrote {len(pngs)} grab(s) in {pngs[0].parent}")
    console.print(
        f"channelized in {result.channelize_s:.2f} s, analysed in {result.analyse_s:.2f} s "
        f"({result.duration_s / max(result.channelize_s + result.analyse_s, 1e-9):.0f}x real time)"
    )
