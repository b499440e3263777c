"""``hi-station replay``: channelize a recording, decode and detect every channel, draw grabs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from station.channels import DEFAULT_CHANNEL_RATE_HZ
from station.cli._common import bounded, out_console, spinner
from station.recording.sigmf_meta import RATE_LIMITS_HZ
from station.replay import ReplayResult, replay
from station.schedule import load_event

__all__ = ["replay_command"]


def _print(result: ReplayResult) -> None:
    console = out_console()
    i = result.info
    start = "unknown start" if i.start_utc is None else f"starts {i.start_utc:%Y-%m-%d %H:%M:%S}Z"
    console.print(
        f"{result.path}: {i.sample_rate_hz / 1e3:g} kS/s centred on "
        f"{i.center_freq_hz / 1e6:.6f} MHz, {result.duration_s:.0f} s, {start}; "
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


def replay_command(
    path: Annotated[Path, typer.Argument(help="SigMF (cu8, ci16, cf32), raw .cu8 or I/Q WAV.")],
    schedule: Annotated[
        str | None, typer.Option(help="Event file or id: its frequencies and rounds.")
    ] = None,
    freq_mhz: Annotated[
        list[float] | None, typer.Option(help="Channel centre, MHz (repeatable).")
    ] = None,
    rate_hz: Annotated[
        float | None, typer.Option(help="Sample rate of a raw .cu8 file (rtl_sdr -s).")
    ] = None,
    center_mhz: Annotated[
        float | None, typer.Option(help="Tuned frequency of a raw .cu8 file (rtl_sdr -f), MHz.")
    ] = None,
    channel_rate_hz: Annotated[
        float, typer.Option(help="Sample rate of each channel.")
    ] = DEFAULT_CHANNEL_RATE_HZ,
    png: Annotated[Path | None, typer.Option(help="Write QRSS grabs into this directory.")] = None,
    callsign: Annotated[str, typer.Option(help="Your callsign, stamped on the grabs.")] = "",
    grid: Annotated[str, typer.Option(help="Your locator, stamped on the grabs.")] = "",
    pfa: Annotated[float, typer.Option(help="False-alarm probability.")] = 1e-3,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON only.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace existing grabs.")] = False,
) -> None:
    """Channelize PATH, decode (and with --schedule detect) every channel, draw QRSS grabs."""
    bounded("--rate-hz", rate_hz, *RATE_LIMITS_HZ, " S/s")
    bounded("--channel-rate-hz", channel_rate_hz, *RATE_LIMITS_HZ, " S/s")
    bounded("--center-mhz", center_mhz, 0.0, 1e5, " MHz")
    event = None if schedule is None else load_event(schedule)
    with spinner(f"replaying {path}") as say:
        result = replay(
            path,
            sample_rate_hz=rate_hz,
            center_freq_hz=None if center_mhz is None else center_mhz * 1e6,
            freqs_hz=None if not freq_mhz else [f * 1e6 for f in freq_mhz],
            event=event,
            channel_rate_hz=channel_rate_hz,
            pfa=pfa,
            png_dir=png,
            callsign=callsign,
            grid=grid,
            overwrite=overwrite,
            progress=lambda stage, frac: say(f"{stage} {100 * frac:.0f} %"),
        )
    if json_:
        print(json.dumps(result.to_dict(), indent=2))
        return
    _print(result)
