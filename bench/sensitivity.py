"""Sensitivity benchmark: blind decoding and known-schedule detection of QRSS30 "HI".

Prints tables of measured success rates beside the theoretical limits of
``reference/slow-cw-detection.md``.  SNR is SNR2500 (carrier power over noise in
2500 Hz).  Conditions: complex baseband at 2000 S/s, random carrier offset within
+-1 kHz (95 % of it, so the carrier stays inside the band for every drift), random
drift within +-0.5 Hz/min, one 400 s recording with the round starting at 5 s.

Run:  python bench/sensitivity.py [--seeds 20] [--quick]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy import optimize, stats

from dsp.channel import Channel, apply_channel
from dsp.decode import decode
from dsp.detect import detect
from dsp.keying import keyed_baseband
from dsp.morse import key_intervals, wpm_to_dit_s

FS = 2000.0
DIT = 30.0
PERIOD = 600.0


def theory_ook_db(dit_s: float, error: float = 0.01) -> float:
    """SNR2500 for a noncoherent on/off element error rate ``error`` (best threshold)."""

    def err(esn0: float) -> float:
        lam = 2 * esn0
        t = np.linspace(0.01, 4 * lam + 20, 4000)
        return float(np.min(0.5 * (stats.chi2.sf(t, 2) + stats.ncx2.cdf(t, 2, lam))))

    e = optimize.brentq(lambda v: err(10 ** (v / 10)) - error, -5, 30)
    return e - 10 * np.log10(2500 * dit_s)


def theory_detect_db(n_elements: int, pfa: float, pd: float = 0.9, dit_s: float = DIT) -> float:
    """SNR2500 for Pd with ``n_elements`` noncoherent elements at per-test Pfa."""
    thr = stats.chi2.isf(pfa, 2 * n_elements)
    e = optimize.brentq(
        lambda x: stats.ncx2.sf(thr, 2 * n_elements, 2 * n_elements * x) - pd, 1e-4, 1e4
    )
    return 10 * np.log10(e) - 10 * np.log10(2500 * dit_s)


def _round(text: str, dit_s: float, snr: float, seed: int, *, lead_s: float, dur_s: float,
           search: float = 1000.0):
    rng = np.random.default_rng(seed)
    # Narrow searches model a known frequency: the carrier starts within +-1 Hz and
    # its drift (up to 3.3 Hz over the round) stays inside the searched band.
    off = rng.uniform(-0.95, 0.95) * search if search >= 100 else rng.uniform(-1.0, 1.0)
    drift = rng.uniform(-0.5, 0.5) / 60
    iv = key_intervals(text, dit_s, start_s=lead_s)
    x = keyed_baseband(iv, FS, duration_s=dur_s)
    ch = Channel(snr, offset_hz=off, drift_hz_per_s=drift)
    return apply_channel(x, FS, ch, rng, carrier_power=1.0), iv


def job_decode(args):
    text, dit_s, snr, seed = args
    lead = 2 * dit_s + 1
    n_units = key_intervals(text, 1.0)[-1, 1]
    dur = n_units * dit_s + 2 * lead
    y, _ = _round(text, dit_s, snr, seed, lead_s=lead, dur_s=dur)
    return decode(y, FS).text == text


def job_detect(args):
    snr, seed, search = args
    y, iv = _round("HI", DIT, snr, seed, lead_s=5.0, dur_s=400.0, search=search)
    return detect(y, FS, [iv], search_hz=search, max_drift_hz_per_s=0.5 / 60).detected


def job_stack(args):
    snr, seed = args
    rng = np.random.default_rng(seed)
    off, drift = rng.uniform(-950, 950), rng.uniform(-0.5, 0.5) / 60
    iv = key_intervals("HI", DIT, start_s=5.0)
    x = keyed_baseband(iv, FS, duration_s=PERIOD)
    ch = Channel(snr, offset_hz=off, drift_hz_per_s=drift)
    y = np.concatenate([apply_channel(x, FS, ch, rng, carrier_power=1.0) for _ in range(16)])
    rounds = [iv + k * PERIOD for k in range(16)]
    return detect(y, FS, rounds, max_drift_hz_per_s=0.5 / 60, per_round=False).detected


def job_noise(seed):
    rng = np.random.default_rng(10_000 + seed)
    y = apply_channel(np.zeros(int(400 * FS), complex), FS, Channel(0.0), rng, carrier_power=1.0)
    iv = key_intervals("HI", DIT, start_s=5.0)
    dec = decode(y, FS)
    det = detect(y, FS, [iv], max_drift_hz_per_s=0.5 / 60)
    return bool(dec.text), det.detected


def rate(pool, fn, jobs):
    res = list(pool.map(fn, jobs))
    return sum(bool(r) for r in res), len(res)


def table(title, rows, header):
    print(f"\n{title}")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for row in rows:
        print(" | ".join(str(c) for c in row))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--noise", type=int, default=100)
    ap.add_argument("--quick", action="store_true", help="fewer SNR points")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    n = a.seeds
    t_all = time.perf_counter()
    with ProcessPoolExecutor(a.workers) as pool:
        th = theory_ook_db(DIT)
        rows = []
        for snr in ([-36, -38] if a.quick else [-34, -35, -36, -37, -38]):
            k, m = rate(pool, job_decode, [("HI", DIT, snr, s) for s in range(n)])
            rows.append((snr, f"{k}/{m}", f"{100 * k / m:.0f} %", f"{th:.1f}"))
        table('Blind decode, QRSS30 "HI" (exact text); bar: >= 50 % at <= -36 dB',
              rows, ["SNR2500 dB", "decoded", "rate", "theory 1 % element error dB"])

        rows = []
        cases = ((1000.0, [-38, -39, -40, -41], 6e4), (5.0, [-40, -41, -42, -43], 1))
        for search, snrs, m_cells in cases:
            bound = theory_detect_db(6, 1e-3 / m_cells)
            for snr in (snrs[1:3] if a.quick else snrs):
                k, m = rate(pool, job_detect, [(snr, s, search) for s in range(n)])
                rows.append((f"+-{search:g} Hz", snr, f"{k}/{m}", f"{k / m:.2f}",
                             f"{bound:.1f}", f"{theory_detect_db(6, 1e-3):.1f}"))
        table("Known-schedule detection, one round, Pfa 1e-3 per recording; bar: Pd >= 0.9 "
              "at <= -42.5 dB", rows,
              ["search", "SNR2500 dB", "detected", "Pd", "theory with search dB",
               "theory known freq dB"])

        rows = []
        for snr in ([-47] if a.quick else [-47, -48, -49, -50]):
            k, m = rate(pool, job_stack, [(snr, s) for s in range(n)])
            rows.append((snr, f"{k}/{m}", f"{k / m:.2f}", f"{theory_detect_db(96, 1e-3 / 6e4):.1f}",
                         f"{theory_detect_db(96, 1e-3):.1f}"))
        table("16 rounds stacked (+-1 kHz search); bar: Pd >= 0.9 at <= -47 dB", rows,
              ["SNR2500 dB", "detected", "Pd", "theory with search dB", "theory known freq dB"])

        res = list(pool.map(job_noise, range(a.noise)))
        table("Noise only (400 s, 2000 S/s); bar: 0 decodes and 0 detections", [
            (a.noise, sum(r[0] for r in res), sum(r[1] for r in res))],
            ["recordings", "decodes", "detections (Pfa 1e-3)"])

        rows = []
        speeds = [("QRSS3", 3.0), ("QRSS10", 10.0), ("QRSS60", 60.0), ("12 WPM", wpm_to_dit_s(12))]
        for name, dit in speeds:
            snr = round(theory_ook_db(dit) + 3.0)
            seeds = max(n // 4, 3)
            k, m = rate(pool, job_decode, [("CQ DE N0CALL", dit, snr, s) for s in range(seeds)])
            rows.append((name, f"{dit:g}", snr, f"{theory_ook_db(dit):.1f}", f"{k}/{m}"))
        table('Blind decode of "CQ DE N0CALL" at other speeds (theory + 3 dB)', rows,
              ["speed", "dit s", "SNR2500 dB", "theory 1 % dB", "decoded"])

    y, _ = _round("HI", DIT, -30.0, 1, lead_s=5.0, dur_s=400.0)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        decode(y, FS)
        times.append(time.perf_counter() - t0)
    table("Decode time, 400 s at 2000 S/s, one core; bar: < 2 s",
          [(f"{min(times):.2f}", f"{np.median(times):.2f}")], ["best s", "median s"])
    print(f"\n(total benchmark time {time.perf_counter() - t_all:.0f} s)")


if __name__ == "__main__":
    main()
