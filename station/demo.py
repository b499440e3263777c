"""The newcomer's demonstration: one QRSS30 "HI" round, written, read back, decoded, detected.

:func:`run_demo` synthesizes the first round of the 9 October 2013 "Say HI to Juno"
event (30 s dits, first key-down 18:00:00 UTC) at SNR2500 -30 dB on 2000 S/s I/Q,
with a carrier offset and drift drawn from a fixed seed, writes it as SigMF, reads it
back through the normal reader, then runs blind decoding and known-template detection.
No hardware or network is needed.  Later issues add the schedule, the Waves analysis
and a plot.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from dsp.results import Decoded, Detection
from station.analysis import decode_recording, detect_recording
from station.clock import SimulatedClock
from station.keyer.base import DryRunKeyer
from station.keyer.runner import RunSummary, run_plan
from station.keyer.safety import SafeKeyer
from station.recording import Recording, read_recording
from station.replay import ReplayResult, replay
from station.schedule import OperatorPlan, load_event, make_plan
from station.synth import Encoded, encode_to_file
from station.waves.workflow import AnalyzedFile, analyze_path

__all__ = [
    "DEMO_DIT_S",
    "DEMO_CALLSIGN",
    "DEMO_EVENT",
    "DEMO_GRID",
    "DEMO_KEY_START_UTC",
    "DEMO_SEED",
    "DEMO_SNR2500_DB",
    "DEMO_TEXT",
    "DemoResult",
    "demo_channel",
    "run_demo",
    "shipped_recording",
]

DEMO_TEXT = "HI"
DEMO_DIT_S = 30.0
DEMO_SNR2500_DB = -30.0
DEMO_SAMPLE_RATE_HZ = 2000.0
DEMO_SEED = 20131009
#: First key-down of round 1 of the 2013 event.
DEMO_KEY_START_UTC = datetime(2013, 10, 9, 18, 0, 0, tzinfo=UTC)
#: The shipped event the demo plans, keys (dry run) and records.
DEMO_EVENT = "juno-2013-10-09"
#: The usual placeholder callsign and a grid (Boston, FN42): the demo's operator.
DEMO_CALLSIGN = "N0CALL"
DEMO_GRID = "FN42"
DEMO_STEM = "juno-2013-round1-hi-qrss30"
#: File name of the Waves figure the demo writes.
WAVES_PNG = "juno-2013-waves-hi.png"


@dataclass(frozen=True, eq=False)
class DemoResult:
    """Everything the demo produced.

    Attributes
    ----------
    plan : station.schedule.OperatorPlan
        The demo operator's plan for the 2013 event.
    rehearsal : station.keyer.runner.RunSummary
        The whole event keyed in a dry run on a simulated clock.
    encoded : station.synth.Encoded
        What was synthesized and written (path, signal, seed).
    recording : station.recording.Recording
        The file read back.
    decoded : dsp.results.Decoded
        Blind decoding of the recording.
    detection : dsp.results.Detection
        Known-template detection of the scheduled round.
    replayed : station.replay.ReplayResult
        Replay of the shipped sample recording (:func:`shipped_recording`) against
        the event, with its QRSS grab written beside the demo recording.
    waves : station.waves.workflow.AnalyzedFile
        Analysis of the shipped simulated Waves survey (:func:`shipped_waves`) and its
        figure, written beside the demo recording.
    """

    plan: OperatorPlan
    rehearsal: RunSummary
    encoded: Encoded
    recording: Recording
    decoded: Decoded
    detection: Detection
    replayed: ReplayResult
    waves: AnalyzedFile

    @property
    def ok(self) -> bool:
        """Tell whether every stage recovered the message (the demo's verdict)."""
        channel = self.replayed.channels[0]
        return (
            bool(self.waves.analysis.stack_detected)
            and self.decoded.text == DEMO_TEXT
            and self.detection.detected
            and self.rehearsal.reason == "completed"
            and channel.decoded.text == DEMO_TEXT
            and channel.detection is not None
            and channel.detection.detected
        )


def demo_channel() -> tuple[float, float, int]:
    """Carrier offset (Hz), drift (Hz/s) and noise seed of the demo, from :data:`DEMO_SEED`.

    Examples
    --------
    >>> offset_hz, drift_hz_per_s, seed = demo_channel()
    >>> abs(offset_hz) <= 200 and abs(drift_hz_per_s * 60) <= 0.5
    True
    """
    rng = np.random.default_rng(DEMO_SEED)
    offset_hz = float(rng.uniform(-200.0, 200.0))
    drift_hz_per_s = float(rng.uniform(-0.5, 0.5)) / 60.0
    return offset_hz, drift_hz_per_s, int(rng.integers(2**32))


def run_demo(
    out_dir: str | os.PathLike[str] | None = None,
    *,
    overwrite: bool = False,
    step: Callable[[str], None] | None = None,
) -> DemoResult:
    """Synthesize, write, read back, decode and detect one QRSS30 "HI" round.

    Parameters
    ----------
    out_dir : str or os.PathLike, optional
        Directory for the SigMF recording (created if missing); a new temporary
        directory when None.
    overwrite : bool, optional
        Replace a demo recording already in ``out_dir``.
    step : callable, optional
        Called with a short description before each stage (for a progress display).

    Returns
    -------
    DemoResult
    """
    say = step or (lambda _text: None)
    if out_dir is None:
        directory = Path(tempfile.mkdtemp(prefix="hi-station-demo-"))
    else:
        directory = Path(out_dir)
        directory.mkdir(parents=True, exist_ok=True)
    say(f"planning {DEMO_CALLSIGN}'s part in {DEMO_EVENT}")
    plan = make_plan(load_event(DEMO_EVENT), DEMO_CALLSIGN, grid=DEMO_GRID)
    say("keying the whole event (dry run, simulated clock)")
    rehearsal = rehearse(plan)
    offset_hz, drift_hz_per_s, seed = demo_channel()
    say("synthesizing QRSS30 'HI' at SNR2500 -30 dB")
    encoded = encode_to_file(
        directory / DEMO_STEM,
        DEMO_TEXT,
        dit_s=DEMO_DIT_S,
        sample_rate_hz=DEMO_SAMPLE_RATE_HZ,
        snr2500_db=DEMO_SNR2500_DB,
        offset_hz=offset_hz,
        drift_hz_per_s=drift_hz_per_s,
        seed=seed,
        center_freq_hz=plan.freq_hz,
        key_start_utc=plan.rounds[0].start_utc,
        overwrite=overwrite,
    )
    say("reading the recording back")
    recording = read_recording(encoded.path)
    say("decoding (unknown text, speed, frequency, drift)")
    decoded = decode_recording(recording)
    say("detecting the scheduled round")
    assert recording.start_utc is not None  # SigMF written with a start time
    detection = detect_recording(recording, plan.rounds_s(recording.start_utc)[:1])
    say("replaying the shipped recording (decode, detect, QRSS grab)")
    replayed = replay(
        shipped_recording(), event=plan.event, png_dir=directory, callsign=DEMO_CALLSIGN,
        grid=DEMO_GRID, overwrite=overwrite,
    )  # fmt: skip
    say("analyzing the shipped (simulated) Juno Waves survey")
    waves = analyze_path(shipped_waves(), plan.event, png=directory / WAVES_PNG,
                         overwrite=overwrite)
    return DemoResult(plan, rehearsal, encoded, recording, decoded, detection, replayed, waves)


def _shipped(name: str) -> Path:
    source_tree = Path(__file__).resolve().parents[1] / "recordings" / name
    return source_tree if source_tree.is_file() else Path(__file__).parent / "samples" / name


def shipped_waves() -> Path:
    """Return the shipped simulated Waves survey of the 2013 flyby (``recordings/``).

    Examples
    --------
    >>> shipped_waves().name
    'WAV_2013282T173000_E_V02.CSV.gz'
    """
    return _shipped("WAV_2013282T173000_E_V02.CSV.gz")


def shipped_recording() -> Path:
    """Return the shipped recording of round 1 (``recordings/``; installed: ``station/samples``).

    Examples
    --------
    >>> shipped_recording().name
    'juno-2013-round1-qrss30-l.sigmf-meta'
    """
    return _shipped("juno-2013-round1-qrss30-l.sigmf-meta")


def rehearse(plan: OperatorPlan) -> RunSummary:
    """Key ``plan`` in a dry run on a simulated clock (the whole event in milliseconds).

    Examples
    --------
    >>> plan = make_plan(load_event(DEMO_EVENT), DEMO_CALLSIGN)
    >>> s = rehearse(plan)
    >>> s.reason, s.edges, s.idents, s.unkeyed
    ('completed', 192, 16, True)
    """
    clock = SimulatedClock(plan.rounds[0].start_utc - timedelta(minutes=1))
    keyer = SafeKeyer(
        DryRunKeyer(), allowed_hz=plan.event.band_hz, max_key_down_s=plan.event.max_key_down_s
    )
    try:
        return run_plan(plan, keyer, clock)
    finally:
        keyer.close()
