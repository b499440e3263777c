"""Rendering of ``hi-station demo``: one line per stage of the chain (printing only)."""

from __future__ import annotations

from pathlib import Path

from station.cli._common import out_console
from station.cli.render import print_detection
from station.demo import DEMO_DIT_S, DEMO_SNR2500_DB, DEMO_TEXT, DemoResult
from station.utc import format_hms

__all__ = ["print_demo"]


def print_demo(result: DemoResult) -> None:
    """Print the plan, the rehearsal, the synthesis, decoding, detection, replay, Waves, verdict."""
    console = out_console()
    plan = result.plan
    first = plan.rounds[0]
    console.print(
        f"plan: {plan.callsign.text} ({plan.grid}) in {plan.event.name}: "
        f"{plan.freq_hz / 1e6:.6f} MHz {plan.event.mode} ({plan.freq_source}); "
        f"{len(plan.rounds)} rounds {format_hms(first.start_utc)} to "
        f"{format_hms(plan.rounds[-1].end_utc)}, every {plan.event.round_period_s:g} s"
    )
    console.print(
        "round 1 key-downs: "
        + ", ".join(f"{format_hms(k.start_utc, zone=False)}-{format_hms(k.end_utc)}"
                    for k in first.key_downs)
        + (f"; then {plan.ident_text!r}" if plan.ident_text else "")
    )
    r = result.rehearsal
    console.print(
        f"keying rehearsal (dry run, simulated clock): {r.edges} edges, {r.idents} "
        f"identifications, {r.reason}, key released: {r.unkeyed}"
    )
    e = result.encoded
    ch = e.synth.channel
    console.print(
        f"synthesized {DEMO_TEXT!r} at dit {DEMO_DIT_S:g} s, SNR2500 {DEMO_SNR2500_DB:g} dB, "
        f"offset {ch.offset_hz:+.2f} Hz, drift {ch.drift_hz_per_s * 60:+.3f} Hz/min"
    )
    console.print(f"wrote {e.path}")
    d = result.decoded
    if d.detected and d.text:
        freq = "-" if d.freq_hz is None else f"{d.freq_hz:+.2f} Hz"
        dit = "-" if d.dit_s is None else f"{d.dit_s:.3g} s"
        snr = "-" if d.snr2500_db is None else f"{d.snr2500_db:.1f}"
        console.print(
            f"decoded: {d.text} (dit {dit}, carrier {freq}, SNR2500 {snr} dB, "
            f"false-alarm probability {d.false_alarm_probability:.3g})"
        )
    else:
        console.print(f"decode: no Morse found: {d.reason}")
    print_detection(console, result.recording, result.detection)
    rp = result.replayed
    rc = rp.channels[0]
    got = rc.decoded.text if rc.decoded.detected else "nothing"
    det = "detected" if rc.detection is not None and rc.detection.detected else "not detected"
    console.print(
        f"replayed shipped {rp.path.name}: channel {rc.channel.label} "
        f"{rc.channel.freq_hz / 1e6:.6f} MHz decoded {got}, round(s) "
        f"{','.join(map(str, rc.round_numbers)) or '-'} {det}; QRSS grab "
        + ", ".join(str(p) for p in rc.pngs)
    )
    w = result.waves.analysis
    rounds = [wr for wr in w.rounds if wr.detected is not None]
    hits = [str(wr.number) for wr in rounds if wr.detected]
    console.print(
        f"Waves (simulated survey {Path(w.source).name}): HI detected in rounds "
        f"{','.join(hits) or 'none'} of {len(rounds)} with data (round threshold z>"
        f"{w.z_threshold_round:.2f}, Pfa {w.pfa:g}); stacked z {w.stack_z:.1f}; "
        f"{sum(bool(x.detected) for x in w.dits)} of "
        f"{sum(x.detected is not None for x in w.dits)} dits on their own; figure "
        f"{result.waves.png}", markup=False)
    console.print("demo: OK" if result.ok else "demo: the chain did not recover the message")
