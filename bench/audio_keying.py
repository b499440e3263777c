r"""Audio-tone keying through a real PulseAudio null sink: edge timing and key clicks.

Starts its own PulseAudio (null sink ``hs``, as the tests do:
``tests/station/audio_fixtures.py``), keys a practice event ("HI", ``--rounds`` rounds
at ``--dit-s`` dits, VOX) through :class:`station.keyer.audio.AudioKeyer` and the real
safety layer on the real clock, records the sink's monitor, and prints:

* edge timing: |recorded edge - planned edge - reported output latency| per round
  (the recording's sample times come from PortAudio's ADC timestamps on the real-time
  clock); the bars are median <= 20 ms, max <= 50 ms;
* key clicks: the Welch spectrum (1 s Blackman-Harris segments, 1 Hz bins) of the
  whole keyed recording, the highest bin beyond +-100 Hz of the carrier against the
  carrier's bin (bar: 40 dB below), and the same in the frames around the edges alone
  (0.2 s Blackman-Harris around each edge, averaged: where clicks show), for the
  keyer's 20 ms raised-cosine edges and, for comparison, short runs with 5 ms edges and
  with hard keying.

Usage: ``python bench/audio_keying.py --rounds 3 --dit-s 2`` (about 100 s).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import signal as sps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/station/audio_fixtures

from station.clock import SystemClock  # noqa: E402
from station.keyer.audio import AudioKeyer  # noqa: E402
from station.keyer.records import EdgeRecord, record_from_json  # noqa: E402
from station.keyer.session import transmit_plan  # noqa: E402
from station.keyer.txlog import read_tx_log  # noqa: E402
from station.schedule import load_event, make_plan  # noqa: E402
from station.schedule.practice import practice_event_toml  # noqa: E402
from tests.station.audio_fixtures import MonitorRecorder, start_pulse, tone_edges  # noqa: E402

__all__ = ["click_db", "key_event"]

TONE_HZ = 1500.0


def key_event(folder: Path, *, rounds: int, dit_s: float, rise_s: float, message: str = "HI"):
    """Key one practice event on the tone while recording the monitor."""
    from datetime import UTC, datetime, timedelta

    units = 13 if message == "HI" else 3
    period_s = units * dit_s + 4 * dit_s
    toml = folder / f"p{rise_s:g}.toml"
    toml.write_text(practice_event_toml(
        start_utc=datetime.now(UTC) + timedelta(seconds=2), message=message, dit_s=dit_s,
        round_period_s=period_s, rounds=rounds, ident_rule="none", ident_wpm=30,
        target="TEST"))  # fmt: skip
    plan = make_plan(load_event(str(toml)), "N0CALL")
    keyer = AudioKeyer("pulse", tone_hz=TONE_HZ, rise_s=rise_s)
    log = folder / f"tx{rise_s:g}.jsonl"
    with MonitorRecorder() as rec:
        summary = transmit_plan(plan, keyer, SystemClock(), log)
        if summary.reason != "completed":
            raise SystemExit(summary.message)
        time.sleep(0.3)
    records = [record_from_json(r, "tx") for r in read_tx_log(log)]
    edges = [r for r in records if isinstance(r, EdgeRecord)]
    return rec, edges, keyer.latency_s, period_s


def click_db(y: np.ndarray, fs: float, *, beyond_hz: float = 100.0) -> float:
    """Highest Welch bin beyond +-``beyond_hz`` of the carrier against the carrier, dB."""
    f, p = sps.welch(y, fs, window="blackmanharris", nperseg=int(fs), noverlap=int(fs) // 2)
    carrier = p[np.argmin(np.abs(f - TONE_HZ))]
    side = p[(np.abs(f - TONE_HZ) >= beyond_hz) & (np.abs(f - TONE_HZ) <= 1000)]
    return float(10 * np.log10(side.max() / carrier))


def _edge_frames_db(y: np.ndarray, fs: float, t_edges_s: np.ndarray) -> float:
    half = int(0.1 * fs)
    frames = [y[int(t * fs) - half : int(t * fs) + half] for t in t_edges_s]
    frames = [fr for fr in frames if len(fr) == 2 * half]
    w = sps.get_window("blackmanharris", 2 * half)
    spec = np.mean([np.abs(np.fft.rfft(fr * w)) ** 2 for fr in frames], axis=0)
    f = np.fft.rfftfreq(2 * half, 1 / fs)
    side = spec[(np.abs(f - TONE_HZ) >= 100) & (np.abs(f - TONE_HZ) <= 1000)]
    return float(10 * np.log10(side.max() / spec[np.argmin(np.abs(f - TONE_HZ))]))


def _errors(rec, edges, latency_s: float, period_s: float):
    rises, falls = tone_edges(rec.samples, rec.rate_hz, TONE_HZ)
    got = rec.unix_of(np.sort(np.concatenate([rises, falls])))
    planned = np.array([e.planned_utc.timestamp() for e in edges])
    rounds = np.array([e.round_number for e in edges])
    if len(got) != len(planned):
        raise SystemExit(f"recorded {len(got)} edges, planned {len(planned)}")
    return 1e3 * (got - planned - latency_s), rounds


def main() -> None:  # noqa: D103
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dit-s", type=float, default=2.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hs-audio-") as tmp:
        folder = Path(tmp)
        pulse = start_pulse(folder)
        os.environ.update(PULSE_SERVER=pulse.server, PULSE_COOKIE=str(folder / "cookie"),
                          PULSE_RUNTIME_PATH=str(folder))  # fmt: skip
        try:
            import sounddevice as sd

            sd._terminate()
            sd._initialize()
            sd.playrec(np.zeros(4800, np.float32), 48000, channels=1, device="pulse",
                       blocking=True)  # fmt: skip
            rec, edges, lat, period = key_event(folder, rounds=args.rounds, dit_s=args.dit_s,
                                                rise_s=0.02)  # fmt: skip
            err, rounds = _errors(rec, edges, lat, period)
            print(f"audio keying via PulseAudio null sink: {args.rounds} rounds of 'HI' at "
                  f"{args.dit_s:g} s dits, reported output latency {lat * 1e3:.1f} ms")  # fmt: skip
            print(f"{'round':>6} {'edges':>6} {'median |err| ms':>16} {'max |err| ms':>13}"
                  f" {'mean err ms':>12}")  # fmt: skip
            for r in sorted(set(rounds.tolist())) + ["all"]:
                e = err if r == "all" else err[rounds == r]
                print(f"{r!s:>6} {len(e):>6} {np.median(np.abs(e)):>16.1f} "
                      f"{np.max(np.abs(e)):>13.1f} {np.mean(e):>12.1f}")  # fmt: skip
            print("bars: median <= 20 ms, max <= 50 ms")
            print("\nkey clicks: highest Welch bin beyond +-100 Hz (+-300 Hz) of the carrier, "
                  "dB re the carrier's bin")  # fmt: skip
            print(f"{'edges':>22} {'whole signal':>13} {'(300 Hz)':>9} {'edge frames':>12}")
            runs = [("raised cosine 20 ms", rec)]
            for rise_s, name in ((0.005, "raised cosine 5 ms"), (0.0, "hard (no shaping)")):
                runs.append((name, key_event(folder, rounds=1, dit_s=args.dit_s, rise_s=rise_s,
                                             message="I")[0]))  # fmt: skip
            for name, r in runs:
                y = r.samples.astype(float)
                t_edges = np.sort(np.concatenate(tone_edges(y, r.rate_hz, TONE_HZ)))
                print(f"{name:>22} {click_db(y, r.rate_hz):>13.1f} "
                      f"{click_db(y, r.rate_hz, beyond_hz=300):>9.1f} "
                      f"{_edge_frames_db(y, r.rate_hz, t_edges):>12.1f}")  # fmt: skip
            print("bar: whole keyed signal <= -40 dB")
        finally:
            pulse.stop()


if __name__ == "__main__":
    main()
