"""Rich rendering of decode and detect results (printing only, no logic)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table

from dsp.results import Decoded, Detection, RoundResult
from station.doctor import StationReport
from station.recording import Recording
from station.recording.recover import RecoverReport
from station.synth import Encoded
from station.utc import format_day_time, format_hms, format_utc

__all__ = [
    "print_json_or",
    "print_decoded",
    "print_detection",
    "print_doctor",
    "print_encoded",
    "print_recovery",
    "print_signals",
    "recording_line",
]


def _utc(recording: Recording, t_s: float) -> str:
    if recording.start_utc is None:
        return ""
    return f"{format_hms(recording.start_utc + timedelta(seconds=t_s))}"


def _db(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _freq(recording: Recording, freq_hz: float | None) -> str:
    if freq_hz is None:
        return "-"
    if recording.is_iq and recording.center_freq_hz:
        return f"{freq_hz:+.2f} Hz ({(recording.center_freq_hz + freq_hz) / 1e6:.6f} MHz)"
    return f"{freq_hz:.2f} Hz" if not recording.is_iq else f"{freq_hz:+.2f} Hz"


def _when(start: datetime | None) -> str:
    return "unknown start time" if start is None else f"starts {format_day_time(start)}"


def recording_line(recording: Recording) -> str:
    """One line describing a recording."""
    what = "I/Q" if recording.is_iq else "audio"
    center = ""
    if recording.center_freq_hz:
        center = f", centre {recording.center_freq_hz / 1e6:.6f} MHz"
    return (
        f"{recording.path}: {what}, {recording.sample_rate_hz:g} S/s, "
        f"{recording.duration_s:.1f} s{center}, {_when(recording.start_utc)}"
    )


def _steady_lines(console: Console, recording: Recording, decoded: Decoded) -> None:
    for c in decoded.steady_carriers:
        console.print(
            f"steady carrier (not keyed, never read) at {_freq(recording, c.freq_hz)}, "
            f"SNR2500 {c.snr2500_db:.1f} dB: {c.reason}"
        )
    if decoded.blanked_fraction > 0:
        share = 100 * decoded.blanked_fraction
        console.print(f"impulsive noise blanked: {share:.2f} % of the time")


def print_signals(console: Console, recording: Recording, decoded: Decoded) -> None:
    """Print one row per keyed signal found (text, speed, carrier, SNR, significance)."""
    table = Table(title=f"{len(decoded.signals)} keyed signal(s)")
    for name in ("#", "text", "dit s", "WPM", "carrier", "Hz/min", "SNR2500", "P(FA)",
                 "confidence"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("text", "carrier") else "right",
                         no_wrap=True)  # fmt: skip
    for i, s in enumerate(decoded.signals, 1):
        table.add_row(
            str(i), s.text or "(keyed, text uncertain)", f"{s.dit_s:.3g}", f"{s.wpm:.3g}",
            _freq(recording, s.freq_hz), f"{s.drift_hz_per_s * 60:+.3f}",
            f"{s.snr2500_db:.1f}", f"{s.false_alarm_probability:.2g}",
            f"{s.text_confidence:.3f}",
        )  # fmt: skip
    console.print(table)
    for i, s in enumerate(decoded.signals, 1):
        if s.settling is not None:  # a rig warming up: where it starts and settles
            console.print(
                f"signal {i} settles (rig warming up): from {_freq(recording, s.freq_hz)} "
                f"to {_freq(recording, s.settling.offset_hz)} by {-s.settling.settle_hz:+.1f} Hz,"
                f" time constant {s.settling.tau_s:.0f} s"
            )


def print_decoded(console: Console, recording: Recording, decoded: Decoded) -> None:
    """Print the decoded text, its parameters, the element timeline and every other signal."""
    console.print(recording_line(recording))
    if not decoded.detected or not decoded.text:
        console.print(f"no Morse found: {decoded.reason}")
        console.print(
            f"false-alarm probability of the strongest carrier: "
            f"{decoded.false_alarm_probability:.3g}"
        )
        if decoded.signals:
            print_signals(console, recording, decoded)
        _steady_lines(console, recording, decoded)
        return
    console.print(f"decoded: {decoded.text}")
    wpm = "-" if decoded.wpm is None else f"{decoded.wpm:.3g}"
    dit = "-" if decoded.dit_s is None else f"{decoded.dit_s:.3g}"
    drift = "-" if decoded.drift_hz_per_s is None else f"{decoded.drift_hz_per_s * 60:+.3f}"
    console.print(
        f"dit {dit} s ({wpm} WPM)  carrier {_freq(recording, decoded.freq_hz)}  "
        f"drift {drift} Hz/min  SNR2500 {_db(decoded.snr2500_db)} dB  "
        f"false-alarm probability {decoded.false_alarm_probability:.3g}"
    )
    console.print(decoded.reason)
    if not decoded.elements:
        _steady_lines(console, recording, decoded)
        return
    with_utc = recording.start_utc is not None
    table = Table(title="element timeline")
    names = ["#", "start s", "stop s"] + (["UTC"] if with_utc else []) + ["element", "confidence"]
    for name in names:
        table.add_column(name, justify="left" if name == "element" else "right", no_wrap=True)
    for i, e in enumerate(decoded.elements, 1):
        utc = [_utc(recording, e.start_s)] if with_utc else []
        times = [str(i), f"{e.start_s:.1f}", f"{e.stop_s:.1f}"]
        table.add_row(*times, *utc, e.kind, f"{e.confidence:.3f}")
    console.print(table)
    if len(decoded.signals) > 1:
        print_signals(console, recording, decoded)
    _steady_lines(console, recording, decoded)


def _round_row(recording: Recording, r: RoundResult) -> list[str]:
    start = _utc(recording, r.start_s) or f"{r.start_s:.1f} s"
    return [
        "stack" if r.index == 0 else str(r.index),
        start,
        f"{r.statistic:.1f}",
        f"{r.false_alarm_probability:.2g}",
        "yes" if r.detected else "no",
        f"{r.freq_hz:+.2f}",
        f"{r.drift_hz_per_s * 60:+.3f}",
        _db(r.snr2500_db),
    ]


def print_detection(console: Console, recording: Recording, detection: Detection) -> None:
    """Print the per-round table, the stacked row and the verdict."""
    console.print(recording_line(recording))
    table = Table(title=f"detection (pfa {detection.pfa:g}, {detection.search_cells} cells)")
    for name in ("round", "start", "stat", "P(FA)", "det", "Hz", "Hz/min", "SNR2500"):
        table.add_column(name, justify="right", no_wrap=True)
    for r in detection.rounds:
        table.add_row(*_round_row(recording, r))
    if detection.stacked is not None:
        table.add_section()
        table.add_row(*_round_row(recording, detection.stacked), style="bold")
    console.print(table)
    best = detection.stacked or (detection.rounds[0] if detection.rounds else None)
    p = "" if best is None else f" (false-alarm probability {best.false_alarm_probability:.3g})"
    console.print(f"detected: {'yes' if detection.detected else 'no'}{p}")
    if best is not None and detection.detected and best.timing_offset_s:
        off = best.timing_offset_s
        console.print(f"keyed {off:+.0f} s from the schedule (the operator's clock)")
    if best is not None and detection.detected and best.track_hz:
        hz = " ".join(f"{f - best.track_hz[0]:+.2f}" for f in best.track_hz)
        console.print(f"stack track from {_freq(recording, best.track_hz[0])}, "
                      f"round by round (Hz): {hz}")  # fmt: skip
    keying = None if best is None else best.keying
    present = best is not None and (best.presence_false_alarm_probability or 1.0) <= detection.pfa
    if present and keying is not None and not keying.keyed:
        console.print(
            "the strongest track is not keyed (key-up "
            f"{keying.key_up_c_n0_hz:.3g} Hz C/N0 against key-down "
            f"{keying.key_down_c_n0_hz:.3g} Hz): a steady carrier, not the schedule"
        )
    if detection.steady_carriers_hz:
        hz = ", ".join(_freq(recording, f) for f in detection.steady_carriers_hz)
        console.print(f"steady carriers masked before the search: {hz}")
    console.print(
        "columns: statistic, false-alarm probability, detected at pfa, carrier "
        "offset, drift, SNR2500 in dB"
    )


def print_encoded(console: Console, done: Encoded, key_start: datetime) -> None:
    """Print what ``encode`` wrote: text, speed, length, rate, noise, channel and seed."""
    s = done.synth
    kind = "audio" if s.tone_hz is not None else "I/Q"
    noise = "no noise" if s.channel.snr2500_db is None else f"SNR2500 {s.channel.snr2500_db:g} dB"
    console.print(
        f"wrote {done.path}: {s.text!r} at dit {s.dit_s:g} s ({1.2 / s.dit_s:.3g} WPM), "
        f"{s.duration_s:.1f} s of {s.sample_rate_hz:g} S/s {kind}, {noise}, "
        f"offset {s.channel.offset_hz:g} Hz, drift {s.channel.drift_hz_per_s * 60:g} Hz/min, "
        f"seed {done.seed}"
    )
    if done.start_utc is not None:
        console.print(
            f"first sample {format_utc(done.start_utc, 'seconds')}, "
            f"first key-down {format_utc(key_start, 'seconds')}"
        )


def print_doctor(console: Console, report: StationReport) -> None:
    """Print what ``doctor`` found: versions, rigctld, RTL-SDR, the clock, the rig."""
    console.print(f"hi-station {report.hi_station} on Python {report.python}")
    console.print("packages: " + ", ".join(f"{k} {v}" for k, v in report.packages.items()))
    console.print(
        f"rigctld: {report.rigctld or 'not found (apt-get install libhamlib-utils)'}",
        markup=False,
    )
    console.print(f"RTL-SDR: {report.rtlsdr}", markup=False)
    clock = report.clock_warning or (
        f"NTP-synchronized (max error {report.clock_max_error_s:.3g} s)"
    )
    console.print(f"clock: {clock}", markup=False)
    note = f" ({report.clock_offset_note})" if report.clock_offset_note else ""
    console.print(f"NTP: {report.clock_offset.describe()}{note}", markup=False)
    if report.rig is not None:
        for check in report.rig.checks:
            state = "ok" if check.ok else "FAILED"
            console.print(f"rig {check.name}: {state}: {check.detail}", markup=False)


def print_recovery(console: Console, report: RecoverReport) -> None:
    """Print what ``recording recover`` kept, dropped and rewrote."""
    duration = "" if report.duration_s is None else f" ({report.duration_s:.3f} s)"
    console.print(f"recovered {report.meta_path}", markup=False)
    console.print(
        f"kept {report.samples_kept} {report.datatype} samples{duration}; "
        f"dropped {report.bytes_dropped} trailing bytes",
        markup=False,
    )
    console.print(
        f"annotations: {report.annotations_dropped} dropped, {report.annotations_clipped} cut "
        f"at the end; capture segments dropped: {report.captures_dropped}",
        markup=False,
    )
    sha = "fresh core:sha512 written" if report.sha512_written else "no core:sha512"
    console.print(f"checksum: previous {report.previous_sha512}; {sha}", markup=False)


def print_json_or(result: Any, json_: bool, render: Callable[[Any], None]) -> None:
    """Print ``result.to_dict()`` as JSON (``--json``), else draw it with ``render``."""
    if json_:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        render(result)
