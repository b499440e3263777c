"""Calibrate the wandering stack's false-alarm probability on noise (``dsp.stack_wander``).

Runs the 16-round detect of ``bench/realism_stack.py`` (2013 event, 2.7 h, 200 S/s,
+-80 Hz) on recordings of noise alone, with and without steady drifting carriers,
and records the best marginalised stack statistic ``S`` of each.  With
``WANDER_CELLS = 1`` the probability a search reports is ``m = cells * sf(S)``; the
factor that makes the reported probability honest is ``q / m_q`` at the empirical
``q``-quantile ``m_q`` of ``m``.  The table prints it for several ``q``, and the
fraction of recordings the detector (with the shipped factor) calls detected by the
wandering stack.

Run:  python bench/wander_null.py [--n 200] [--workers 2]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402

import numpy as np  # noqa: E402

import dsp.detect  # noqa: E402
import dsp.stack_wander as sw  # noqa: E402
from dsp.impair import Band, Carrier, render_band  # noqa: E402

FS = 200.0
SEARCH_HZ = 80.0
LEAD_S = 60.0
DURATION_S = LEAD_S + 16 * 600.0


def _rounds():
    from dsp.morse import key_intervals

    one = key_intervals("HI", 30.0, start_s=0.0)
    return [one + LEAD_S + 600.0 * k for k in range(16)]


def job(seed: int) -> tuple[float, float, bool]:
    """Return (nominal m, S, detected by the wandering stack) for one noise recording."""
    rng = np.random.default_rng([1009, seed])
    carriers = ()
    if seed % 2:
        carriers = (Carrier(float(rng.uniform(-30, -10)), float(rng.uniform(-50, 50)),
                            float(rng.uniform(-0.03, 0.03)) / 60),)  # fmt: skip
    x = render_band(Band(FS, DURATION_S, carriers=carriers), rng)
    seen = {}
    inner = dsp.detect.wander_sums

    def spy(*a, **k):
        g = inner(*a, **k)
        seen["grid"] = g
        return g

    dsp.detect.wander_sums = spy
    try:
        det = dsp.detect.detect(x, FS, _rounds(), search_hz=SEARCH_HZ, per_round=False)
    finally:
        dsp.detect.wander_sums = inner
    g = seen["grid"]
    s = float(g.best.max())
    cells = g.best.size * g.drifts.size * 2  # two families, as dsp.detect counts
    m = cells * sw.wander_sf(s, 6, 16, g.sigma_bins)
    st = det.stacked
    by_wander = bool(st.detected and st.timing_offset_s == 0.0 and len(st.track_hz) == 16)
    return m, s, by_wander


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with ProcessPoolExecutor(args.workers) as pool:
        res = list(pool.map(job, range(args.n)))
    m = np.array([r[0] for r in res])
    print(f"wandering stack on {args.n} noise recordings (half with a steady carrier)")
    print(f"{'q':>6} {'m_q (factor 1)':>16} {'factor q/m_q':>13}")
    for q in (0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01):
        mq = float(np.quantile(m, q))
        print(f"{q:6.2f} {mq:16.3g} {q / mq if mq > 0 else float('inf'):13.3g}")
    print(f"shipped WANDER_CELLS = {sw.WANDER_CELLS}; detections {sum(r[2] for r in res)}"
          f"/{args.n}; S median {np.median([r[1] for r in res]):.2f}")


if __name__ == "__main__":
    main()
