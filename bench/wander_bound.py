"""How well can any test of one cell do on the wandering 16-round stack?  A bound.

The "wander" rows of ``bench/realism_stack.py`` (16 rounds of QRSS30 "HI", the
carrier off its straight track by an independent 0.2 Hz rms in every round, a
search of +-80 Hz and +-0.05 Hz/min) are decided by the marginalised statistic of
:mod:`dsp.stack_wander`.  This benchmark asks what the best test of the *true* cell
(frequency and drift known, each round's offset not) reaches at the level the search
demands, so that the measured Pd can be read against it:

* **detector**: the shipped statistic, ``log sum_w prior(w) exp(a s_r(k + w))``
  (the exponential tilt ``a = 0.6``, the likelihood ratio of a Rayleigh-faded
  element), prior by box filters, as ``dsp.stack_wander`` computes it;
* **Neyman-Pearson**: the likelihood ratio of the simple hypothesis the rows are
  made from, a steady carrier of the row's Es/N0 per element at an offset drawn
  from the exact Gaussian prior, ``prod_r sum_w prior(w) prod_i exp(-E)
  I0(2 sqrt(E p_ri(k + w)))`` (bins taken as independent).  At one cell, no test
  does better (Neyman-Pearson lemma, up to the correlation of 2x zero-padded bins).

Each statistic's per-cell tail is the Pearson type III law of a sum of 16
independent round terms, with the term's moments measured here on noise spectra
made as :mod:`dsp.pieces` makes them (30 s dits, 2x zero padding); the per-cell
level is ``pfa / 2`` (presence's half) over the search's effective cells:
``bins x drifts x 2 families x factor``, the factor measured on noise searches by
``bench/wander_null.py`` (0.073 at the 0.05 quantile, 0.019 at the median; the
detector ships twice the largest, 0.15).  Pd is counted at the true cell, so a
search's maximum near the truth can add a little (the detector's measured Pd is
0.55 at -47 dB where its true-cell Pd here is about 0.5).

Run:  python bench/wander_bound.py [--n 2000]
"""

from __future__ import annotations

import argparse

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.special
import scipy.stats

from dsp.stack_track import stack_drifts
from dsp.stack_wander import TILT, WANDER_CELLS, _marginal

ROUNDS, N_ON = 16, 6
DIT_S, PAD, LENGTH = 30.0, 2, 64  # a dit of LENGTH samples, zero-padded PAD x
DF = 1 / (PAD * DIT_S)
WANDER_HZ = 0.2
SIGMA_BINS = WANDER_HZ / DF
SEARCH_HZ = 80.0
MIDS_S = 60.0 + 600.0 * np.arange(ROUNDS) + 195.0
PFA = 1e-3


def dit_powers(rng, rows: int, es_n0: float = 0.0, bins_off=None) -> np.ndarray:
    """Normalised powers (N_ON, rows, PAD x LENGTH) of 2x zero-padded dits."""
    n = PAD * LENGTH
    t = np.arange(LENGTH)
    out = np.empty((N_ON, rows, n))
    for i in range(N_ON):
        z = (rng.normal(size=(rows, LENGTH)) + 1j * rng.normal(size=(rows, LENGTH))) / np.sqrt(2)
        if es_n0 > 0:
            phase = rng.uniform(0, 2 * np.pi, (rows, 1))
            z += np.sqrt(es_n0 / LENGTH) * np.exp(1j * (2 * np.pi * bins_off[:, None] / n * t
                                                       + phase))  # fmt: skip
        out[i] = np.abs(scipy.fft.fft(z, n, axis=-1)) ** 2 / LENGTH
    return out


def detector_terms(p: np.ndarray, es_n0: float) -> np.ndarray:
    """Return the shipped round term of ``dsp.stack_wander`` (``es_n0`` unused)."""
    return _marginal(p.sum(axis=0), N_ON, SIGMA_BINS)


def neyman_pearson_terms(p: np.ndarray, es_n0: float) -> np.ndarray:
    """Log of the round's likelihood ratio, averaged over the exact Gaussian prior."""
    x = 2 * np.sqrt(es_n0 * p)
    log_lr = (np.log(scipy.special.i0e(x)) + x - es_n0).sum(axis=0)
    peak = log_lr.max(axis=-1, keepdims=True)
    smooth = scipy.ndimage.gaussian_filter1d(np.exp(log_lr - peak), SIGMA_BINS, axis=-1,
                                             mode="nearest", truncate=5.0)  # fmt: skip
    return np.log(smooth) + peak


def cells(factor: float) -> float:
    """Effective cells of the +-80 Hz, +-0.05 Hz/min search of two families."""
    drifts = stack_drifts(MIDS_S, DF * max(SIGMA_BINS / 2, 1.0), 0.05 / 60).size
    return 2 * SEARCH_HZ / DF * drifts * 2 * factor


def threshold(terms, es_n0: float, factor: float, rng) -> float:
    """Return the per-cell threshold of ``terms`` at ``pfa / 2`` over the effective cells."""
    edge = int(5 * SIGMA_BINS) + 2
    v = np.concatenate([terms(dit_powers(rng, 500), es_n0)[:, edge:-edge].ravel()
                        for _ in range(30)])  # fmt: skip
    mean, var = v.mean(), v.var()
    skew = np.mean((v - mean) ** 3) / var**1.5 / np.sqrt(ROUNDS)
    level = PFA / 2 / max(cells(factor), 1.0)
    return float(scipy.stats.pearson3.isf(level, skew, loc=ROUNDS * mean,
                                          scale=np.sqrt(ROUNDS * var)))  # fmt: skip


def true_cell_pd(terms, snr_db: float, factor: float, n: int, seed: int) -> float:
    """Pd of ``terms`` at the true cell, ``n`` stacks of 16 wandering rounds."""
    es_n0 = DIT_S * 2500.0 * 10 ** (snr_db / 10)
    rng = np.random.default_rng(seed)
    thr = threshold(terms, es_n0, factor, rng)
    centre = PAD * LENGTH // 2
    total = np.zeros(n)
    for _ in range(ROUNDS):
        off = rng.normal(0, SIGMA_BINS, n) + rng.uniform(-0.5, 0.5, n)
        total += terms(dit_powers(rng, n, es_n0, centre + off), es_n0)[:, centre]
    return float(np.mean(total > thr))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="stacks per row")
    ap.add_argument("--seed", type=int, default=2013)
    a = ap.parse_args()
    print(f"# Ideal tests of the true cell, wander 0.2 Hz rms, 16 rounds, tilt {TILT}")
    print("| SNR2500 dB | factor | effective cells | detector statistic Pd | "
          "Neyman-Pearson Pd |")
    print("| --- | --- | --- | --- | --- |")
    for snr in (-48.0, -47.0, -46.5, -46.0):
        for factor in (WANDER_CELLS, 0.073, 0.019):
            pd = [true_cell_pd(t, snr, factor, a.n, a.seed)
                  for t in (detector_terms, neyman_pearson_terms)]  # fmt: skip
            print(f"| {snr:g} | {factor:g} | {cells(factor):.3g} | {pd[0]:.3f} | {pd[1]:.3f} |",
                  flush=True)
    print("\n# How small must the search be for the Neyman-Pearson test to reach Pd 0.9 "
          "at -47 dB?")
    print("| effective cells | Neyman-Pearson Pd |\n| --- | --- |")
    for c in (1e4, 1e3, 1e2, 1e1):
        pd = true_cell_pd(neyman_pearson_terms, -47.0, c / cells(1.0), a.n, a.seed)
        print(f"| {c:.0e} | {pd:.3f} |", flush=True)


if __name__ == "__main__":
    main()
