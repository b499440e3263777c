"""``hi-station batch``: many recordings analysed as ``replay`` does, on Dask, resumably."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from station.batch.manifest import batch_options, event_text
from station.batch.run import BatchRequest, run_batch
from station.channels import DEFAULT_CHANNEL_RATE_HZ
from station.cli._replay_options import (
    CenterMhz,
    ChannelRateHz,
    DialMhz,
    FreqMhz,
    Pfa,
    SampleRateHz,
    Schedule,
    Sideband,
    check_replay_options,
)
from station.cli.render_batch import batch_progress
from station.errors import InputError
from station.schedule import load_event
from station.signals import Interrupted

__all__ = ["batch"]


@contextlib.contextmanager
def _stops() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`~station.signals.Interrupted` (as Ctrl-C raises).

    So a stopped batch still closes its cluster and removes ``DIR/.dask``; every result
    written so far stays.  A signal the process was started ignoring stays ignored.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum)

    old = {}
    for num in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(num) is not signal.SIG_IGN:
            old[num] = signal.signal(num, handler)
    try:
        yield
    finally:
        for num, was in old.items():
            signal.signal(num, was)


def batch(
    inputs: Annotated[
        list[str],
        typer.Argument(help="Recordings, folders (searched: *.sigmf-meta, *.cu8, *.wav), globs."),
    ],
    out: Annotated[Path, typer.Option(help="The batch folder (results, table; resumable).")],
    schedule: Schedule = None,
    freq_mhz: FreqMhz = None,
    pfa: Pfa = 1e-3,
    channel_rate_hz: ChannelRateHz = DEFAULT_CHANNEL_RATE_HZ,
    sample_rate_hz: SampleRateHz = None,
    center_mhz: CenterMhz = None,
    dial_mhz: DialMhz = None,
    sideband: Sideband = "usb",
    workers: Annotated[
        int | None, typer.Option(help="Worker processes of the local cluster (default: CPUs).")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Run on this Dask scheduler (tcp://HOST:PORT).")
    ] = None,
    scheduler_file: Annotated[
        Path | None, typer.Option(help="Run on the Dask scheduler this file names.")
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Analyse every recording of INPUTS as replay does (no grabs), as Dask tasks, into --out.

    Results are keyed by content: a rerun skips finished recordings and redoes changed
    ones.  A recording replay refuses gets a result with its error; the batch goes on
    and exits 2 at the end.
    """
    side = check_replay_options(sample_rate_hz=sample_rate_hz, channel_rate_hz=channel_rate_hz,
                                center_mhz=center_mhz, pfa=pfa, sideband=sideband,
                                dial_mhz=dial_mhz, freq_mhz=freq_mhz)  # fmt: skip
    n_workers = (os.cpu_count() or 1) if workers is None else workers
    if not 1 <= n_workers <= 1024:
        raise InputError(f"--workers={workers} must be from 1 to 1024")
    if scheduler and scheduler_file:
        raise InputError("give --scheduler or --scheduler-file, not both")
    event = None if schedule is None else load_event(schedule)
    text = event_text(event)
    freqs_hz = [f * 1e6 for f in freq_mhz or []] or None
    center_hz = None if center_mhz is None else center_mhz * 1e6
    dial_hz = None if dial_mhz is None else dial_mhz * 1e6
    options = batch_options(event, text, pfa=pfa, channel_rate_hz=channel_rate_hz,
                            sample_rate_hz=sample_rate_hz, sideband=side, freqs_hz=freqs_hz,
                            center_freq_hz=center_hz, dial_hz=dial_hz)  # fmt: skip
    replay_options = {"event": event, "pfa": pfa, "channel_rate_hz": channel_rate_hz,
                      "sample_rate_hz": sample_rate_hz, "sideband": side, "freqs_hz": freqs_hz,
                      "center_freq_hz": center_hz, "dial_hz": dial_hz}  # fmt: skip
    request = BatchRequest(tuple(inputs), out.absolute(), options, text, replay_options,
                           n_workers, scheduler, scheduler_file)  # fmt: skip
    try:
        with _stops(), batch_progress() as progress:
            summary = run_batch(request, progress)
    except (Interrupted, KeyboardInterrupt) as exc:
        name = exc.name if isinstance(exc, Interrupted) else "SIGINT"
        print(f"batch: stopped ({name}); the results written so far are kept in {out}: "
              "the same command again does the rest", file=sys.stderr)
        raise typer.Exit(exc.exit_code if isinstance(exc, Interrupted) else 130) from None
    for error in summary.errors:
        print(f"error: {error}", file=sys.stderr)
    print(summary.line(), file=sys.stderr)
    if json_:
        print(json.dumps(summary.to_dict(), indent=2))
    if summary.refused or summary.failed:
        raise typer.Exit(2)
