"""Replay throughput on one core: cu8 read-and-convert, whole-band channelizing, memory.

Writes ~60 s of synthetic cu8 noise at 240 kS/s and at 2.4 MS/s to SigMF recordings in
a temporary folder (with :class:`station.recording.sigmf_stream.SigmfStreamWriter`), then times,
in the same run and on one core (``*_NUM_THREADS=1``, ``scipy.fft`` ``workers=1``):

* ``write`` the streaming writer storing the recording (for reference, no bar);
* ``read+convert`` reading the data file block by block (``readinto``) and converting
  u8 -> complex64 (``dsp.channelize.cu8_to_complex64``);
* ``channelize`` the same plus :class:`dsp.channelize.Channelizer` into narrow channels
  (26 event frequencies at 2 kS/s over 28-29 MHz for 2.4 MS/s; 3 for 240 kS/s);
* ``replay`` end to end (read, channelize, decode every channel);

the last two once per FFT engine (:mod:`dsp.fft`: scipy's pocketfft, and FFTW when
``pyfftw`` is installed), so their ratio is measured in one run.

Speeds are "x real time" (signal seconds per wall second; best of ``--repeat``) with the
ratio to the issue's bars (replay at >= 300x for 240 kS/s and >= 30x for 2.4 MS/s).
Then peak memory (``ru_maxrss`` of a fresh subprocess) while channelizing two stream
lengths (the file read repeatedly), to show it does not grow with length.  The data
is read from a warm page cache (just written), i.e. the CPU cost, not the disk's.

Rows are functions in ``STAGES`` (``Workload -> Row``); add one to add a row, e.g. an
end-to-end ``replay``.

Usage::

    python bench/throughput.py [--seconds 60] [--repeat 2] [--long-min 60 60]
    python bench/throughput.py --keep-up-only [--capture-s 20] [--grab-frame-s 10]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from dsp.channelize import Channelizer, channel_offsets_for, cu8_to_complex64  # noqa: E402
from dsp.fft import fftw_available  # noqa: E402
from station.recording import SigmfStreamWriter  # noqa: E402

BLOCK_S = 0.25  # signal time per block read
OUT_RATE_HZ = 2000.0


@dataclass(frozen=True)
class Workload:
    """One recording to replay and what to channelize it into."""

    name: str
    sample_rate_hz: float
    center_freq_hz: float
    freqs_hz: tuple[float, ...]
    bar_x: float
    data_path: Path | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    workload: str
    stage: str
    signal_s: float
    wall_s: float
    bar_x: float | None
    note: str = ""

    @property
    def x_real_time(self) -> float:
        """Signal seconds per wall-clock second."""
        return self.signal_s / self.wall_s


def event_freqs() -> tuple[float, ...]:
    from station.schedule import load_event

    return tuple(sorted(load_event("juno-2013-10-09").table_hz.values()))


def workloads() -> list[Workload]:
    return [
        Workload("240 kS/s", 240_000.0, 28.075e6, (28.05e6, 28.08e6, 28.11e6), 300.0),
        Workload("2.4 MS/s", 2_400_000.0, 28.5e6, event_freqs(), 30.0),
    ]


def make_recording(w: Workload, folder: Path, seconds: float) -> tuple[Workload, Row]:
    """Write ``seconds`` of cu8 white noise (never repeating) as a SigMF pair; time the writer.

    (Noise repeated block after block would be periodic, i.e. a comb of carriers, and
    send the decoder into its full timing search on every channel.)
    """
    rng = np.random.default_rng(1)
    block = int(w.sample_rate_hz * BLOCK_S)
    n_blocks = int(round(seconds / BLOCK_S))
    base = folder / "".join(c for c in w.name if c.isalnum())
    wall = 0.0
    with SigmfStreamWriter(
        base, datatype="cu8", sample_rate_hz=w.sample_rate_hz, center_freq_hz=w.center_freq_hz,
        start_utc=datetime.now(UTC), hardware="synthetic noise", overwrite=True,
    ) as writer:  # fmt: skip
        for _ in range(n_blocks):
            chunk = np.clip(rng.normal(128.0, 8.0, 2 * block), 0, 255).astype(np.uint8)
            t0 = time.perf_counter()
            writer.write(chunk)
            wall += time.perf_counter() - t0
    done = Workload(**{**w.__dict__, "data_path": writer.data_path, "seconds": n_blocks * BLOCK_S})
    return done, Row(w.name, "write (SigMF cu8, fsync 1/s)", done.seconds, wall, None)


def blocks(w: Workload, passes: int = 1):
    """Yield u8 blocks of the data file, ``passes`` times over, into one reused buffer."""
    buf = np.empty(2 * int(w.sample_rate_hz * BLOCK_S), np.uint8)
    for _ in range(passes):
        with open(w.data_path, "rb", buffering=0) as fh:
            while n := fh.readinto(memoryview(buf)):
                yield buf[: n - n % 2]


def read_convert(w: Workload) -> Row:
    t0 = time.perf_counter()
    n = 0
    for raw in blocks(w):
        n += cu8_to_complex64(raw).size
    return Row(w.name, "read+convert", n / w.sample_rate_hz, time.perf_counter() - t0, w.bar_x)


def channelize(w: Workload, engine: str = "scipy") -> Row:
    offsets = channel_offsets_for(w.center_freq_hz, w.freqs_hz)
    ch = Channelizer(w.sample_rate_hz, offsets, OUT_RATE_HZ, fft_engine=engine)
    t0 = time.perf_counter()
    n = 0
    for raw in blocks(w):
        n += raw.size // 2
        ch.process(cu8_to_complex64(raw))
    ch.flush()
    note = f"{ch.n_channels} ch x {OUT_RATE_HZ:g} S/s, FFT {ch.fft_size}/{ch.hop}"
    return Row(
        w.name, f"read+convert+channelize {engine}", n / w.sample_rate_hz,
        time.perf_counter() - t0,
        w.bar_x, note,
    )  # fmt: skip


def replay_stage(w: Workload, engine: str = "scipy") -> Row:
    """End to end: ``station.replay.replay`` (read, channelize, then decode every channel)."""
    from station.replay import replay

    meta = w.data_path.with_suffix(".sigmf-meta")
    t0 = time.perf_counter()
    result = replay(meta, freqs_hz=list(w.freqs_hz), fft_engine=engine)
    wall = time.perf_counter() - t0
    note = (
        f"{len(result.channels)} ch; channelize {result.channelize_s:.2f} s + decode "
        f"{result.analyse_s:.2f} s"
    )
    return Row(w.name, f"replay {engine}", result.duration_s, wall, w.bar_x, note)


def _engines() -> tuple[str, ...]:
    """Return the FFT engines to time: scipy's pocketfft always, FFTW when pyfftw is installed."""
    return ("scipy", "fftw") if fftw_available() else ("scipy",)


#: The measured rows, in order; each takes a written Workload.
STAGES: list[Callable[[Workload], Row]] = [
    read_convert,
    *(partial(stage, engine=e) for stage in (channelize, replay_stage) for e in _engines()),
]


def capture_keep_up(seconds: float, folder: Path, grab_frame_s: float | None = None) -> list[str]:
    """Capture from the in-process rtl_tcp server paced at 2.4 MS/s (26 channels + raw).

    The server streams in real time and counts what a slow client made it skip; the
    capture counts gaps.  Keeping up means both are zero.  With ``grab_frame_s``, live
    QRSS grabs of every channel are drawn too, a frame every ``grab_frame_s`` (short,
    so that several frames of 26 PNGs are drawn while the capture runs).
    """
    from station.capture import plan_capture, run_capture
    from station.qrss import GrabSettings
    from station.sdr.rtltcp_server import RtlTcpServer
    from station.sdr.synthetic import SyntheticSource

    w = workloads()[1]
    src = SyntheticSource(center_freq_hz=w.center_freq_hz, sample_rate_hz=w.sample_rate_hz,
                          seed=3, cu8=False)  # fmt: skip
    src.open()
    server = RtlTcpServer(lambda s, n, rate, freq: src.samples_at(s, n), pace=True).start()
    try:
        host, port = server.address
        plan = plan_capture(
            f"rtl_tcp://{host}:{port}", folder / "keepup", freqs_hz=list(w.freqs_hz),
            center_freq_hz=w.center_freq_hz, sample_rate_hz=w.sample_rate_hz, raw=True,
            duration_s=seconds, overwrite=True,
            grabs=None if grab_frame_s is None else GrabSettings(
                folder / f"grabs-{grab_frame_s:g}", frame_s=grab_frame_s, dit_s=3.0),
        )  # fmt: skip
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        result = run_capture(plan)
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    finally:
        server.close()
    grabs = (
        "" if grab_frame_s is None else
        f", writing QRSS grabs ({len(result.grabs)} PNGs, a {grab_frame_s:g} s frame of every "
        "channel, QRSS3 resolution)"
    )  # fmt: skip
    return [
        f"capture from the rtl_tcp test server paced at 2.4 MS/s: {result.duration_s:.1f} s "
        f"of signal in {wall:.1f} s wall, {len(result.channels)} channels + raw cu8{grabs}",
        f"  samples the server had to skip (client too slow): {server.samples_skipped}; "
        f"gaps in the capture: {result.gaps}; dropped samples: {result.samples_dropped}",
        f"  CPU used {cpu:.1f} s for {result.duration_s:.1f} s of signal "
        f"({result.duration_s / max(cpu, 1e-9):.1f}x real time of headroom on the capture "
        "process, server included)",
    ]


def replay_memory_child(path: str, freqs: str) -> None:
    """Replay the file end to end; print its signal seconds and peak RSS (MB)."""
    from station.replay import replay

    result = replay(path, freqs_hz=[float(f) for f in freqs.split(",")])
    print(result.duration_s, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def replay_peak_rss_mb(w: Workload, folder: Path, minutes: float) -> tuple[float, float]:
    """Write ``minutes`` of cu8 for ``w`` and replay it end to end in a fresh process."""
    long_w, _ = make_recording(w, folder, minutes * 60.0)
    meta = long_w.data_path.with_suffix(".sigmf-meta")
    out = subprocess.run(
        [sys.executable, __file__, "--replay-memory-child", str(meta),
         ",".join(str(f) for f in w.freqs_hz)],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    long_w.data_path.unlink()
    return float(out[0]), float(out[1])


def best_of(stage: Callable[[Workload], Row], w: Workload, repeat: int) -> Row:
    return min((stage(w) for _ in range(repeat)), key=lambda r: r.wall_s)


def memory_child(name: str, path: str, passes: int) -> None:
    """Channelize ``passes`` times over the file; print signal seconds and peak RSS (MB)."""
    (w,) = [x for x in workloads() if x.name == name]
    w = Workload(**{**w.__dict__, "data_path": Path(path)})
    ch = Channelizer(w.sample_rate_hz, channel_offsets_for(w.center_freq_hz, w.freqs_hz), 2000.0)
    n = 0
    for raw in blocks(w, passes):
        n += raw.size // 2
        ch.process(cu8_to_complex64(raw))
    ch.flush()
    print(n / w.sample_rate_hz, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def peak_rss_mb(w: Workload, passes: int) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", w.name, str(w.data_path), str(passes)],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return float(out[0]), float(out[1])


def print_table(rows: list[Row]) -> None:
    print(f"{'recording':10} {'stage':30} {'signal s':>9} {'wall s':>8} {'x real time':>12} "
          f"{'bar':>6} {'x / bar':>8}  note")  # fmt: skip
    for r in rows:
        bar = f"{r.bar_x:g}x" if r.bar_x else ""
        ratio = f"{r.x_real_time / r.bar_x:.2f}" if r.bar_x else ""
        print(f"{r.workload:10} {r.stage:30} {r.signal_s:9.1f} {r.wall_s:8.3f} "
              f"{r.x_real_time:11.1f}x {bar:>6} {ratio:>8}  {r.note}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="recording length, s")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per row (best kept)")
    parser.add_argument(
        "--long-min", type=float, nargs=2, default=(60.0, 60.0), metavar=("MIN_240K", "MIN_2M4"),
        help="long stream for the memory rows, minutes (240 kS/s, 2.4 MS/s)",
    )  # fmt: skip
    parser.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--replay-memory-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--capture-s", type=float, default=20.0, help="keep-up capture, s")
    parser.add_argument("--grab-frame-s", type=float, default=10.0,
                        help="grab frame of the keep-up capture with grabs, s")  # fmt: skip
    parser.add_argument("--keep-up-only", action="store_true", help="only the keep-up rows")
    parser.add_argument(
        "--replay-min", type=float, nargs=2, default=(20.0, 60.0), metavar=("SHORT", "LONG"),
        help="lengths of the 240 kS/s recordings replayed end to end for memory, minutes",
    )  # fmt: skip
    args = parser.parse_args()
    if args.replay_memory_child:
        replay_memory_child(*args.replay_memory_child)
        return
    if args.memory_child:
        name, path, passes = args.memory_child
        memory_child(name, path, int(passes))
        return
    if args.keep_up_only:
        with tempfile.TemporaryDirectory(prefix="hi-station-bench-") as tmp:
            lines = capture_keep_up(args.capture_s, Path(tmp))
            lines += capture_keep_up(args.capture_s, Path(tmp), grab_frame_s=args.grab_frame_s)
        print("\n".join(lines))
        return
    print(f"one core: numpy {np.__version__}, OMP_NUM_THREADS=1, scipy.fft workers=1; "
          f"{args.seconds:g} s of cu8 per recording, blocks of {BLOCK_S:g} s")  # fmt: skip
    rows: list[Row] = []
    memory: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="hi-station-bench-") as tmp:
        for w, long_min in zip(workloads(), args.long_min, strict=True):
            w, write_row = make_recording(w, Path(tmp), args.seconds)
            rows.append(write_row)
            rows.extend(best_of(stage, w, args.repeat) for stage in STAGES)
            for passes in (1, max(1, round(long_min * 60 / w.seconds))):
                memory.append((w.name, *peak_rss_mb(w, passes)))
        keep_up = capture_keep_up(args.capture_s, Path(tmp))
        keep_up += capture_keep_up(args.capture_s, Path(tmp), grab_frame_s=args.grab_frame_s)
        replay_memory = [
            (workloads()[0].name, *replay_peak_rss_mb(workloads()[0], Path(tmp), minutes))
            for minutes in args.replay_min
        ]
    print()
    print_table(rows)
    print()
    print(
        f"{'recording':10} {'channelized stream':>20} {'peak RSS':>10}  (fresh process; bar 300 MB)"
    )
    for name, signal_s, rss in memory:
        print(f"{name:10} {signal_s / 60:16.1f} min {rss:8.1f} MB")
    print()
    print(
        f"{'recording':10} {'replayed end to end':>20} {'peak RSS':>10}  (fresh process; bar 300)"
    )
    for name, signal_s, rss in replay_memory:
        print(f"{name:10} {signal_s / 60:16.1f} min {rss:8.1f} MB")
    print()
    print("\n".join(keep_up))


if __name__ == "__main__":
    main()
