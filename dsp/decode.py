"""Blind slow-Morse decoding: unknown text, dit length, carrier frequency and drift.

Method (details and the reasons for each step in ``docs/design.md``):

1. **Acquisition** (:mod:`dsp.acquire`): drift-track search of frame spectra for the
   strongest carrier; its Gamma-law false-alarm probability gates everything
   else, so noise gives no text.
2. **Refinement**: coherent whole-recording FFT over a fine drift grid, so the
   carrier is known to far better than the 1/30 Hz matched bandwidth of a 30 s dit.
3. **Timing**: the carrier is mixed to 0 Hz and integrated coherently over unit
   slots (one dit each) with a prefix sum.  Every (dit length, slot phase)
   hypothesis is scored by a Viterbi search over the Morse grammar
   (:mod:`dsp.grammar`) with a penalised-energy score ``sum(s_k - eta)`` over the
   key-down units, ``eta = max(1 + ln(units), max(s) / 10)``.  The penalty makes a
   dit length that is a third of the true one (which would read "HI" as
   "TTTT TT") lose, keeps the expected score of noise the same for every dit
   length, and stays meaningful at high SNR.  A coarse pass
   scores 16-unit windows (so a slightly wrong dit length only misaligns inside a
   window); the best candidates are then refined over the whole recording.
4. **Decoding**: at the best timing, each unit's noncoherent log-likelihood ratio
   ``-rho + ln I0(2 sqrt(rho s))`` (``rho`` = estimated Es/N0 per dit) feeds a
   Viterbi decoder over the grammar: the maximum-likelihood key sequence.
"""

from __future__ import annotations

import numpy as np
import scipy.special

from dsp.acquire import acquire, narrowband, refine
from dsp.errors import DspValueError, check_samples, check_search
from dsp.grammar import viterbi_path, viterbi_scores
from dsp.morse import elements_to_text, units_to_elements
from dsp.results import Decoded, DecodedElement
from dsp.spectrum import to_baseband

__all__ = ["decode", "unit_energies"]

_WINDOW_UNITS = 16
_COARSE_RATIO = 1.03
_COARSE_PHASES = 8
_FINE_PHASES = 32


def unit_energies(
    prefix: np.ndarray, rate_hz: float, noise_var: float, dit_s: float, phase_s: np.ndarray
) -> np.ndarray:
    """Normalised coherent energy of every unit slot, shape ``(len(phase_s), K)``.

    ``prefix`` is the cumulative sum (with a leading 0) of a carrier mixed to 0 Hz;
    slot ``k`` of phase ``p`` spans ``[p + (k-1) dit, p + k dit)``, clipped to the
    recording; slots holding less than a quarter dit are set to 0.  Noise alone gives
    exponential values with mean 1; a carrier adds Es/N0 of the covered key-down.
    """
    n = prefix.size - 1
    duration_s = n / rate_hz
    # Slots from one dit before 0 to past the end: partial slots at either end are
    # clipped to the recording and normalised by the samples they really hold.
    k_units = int(np.ceil(duration_s / dit_s)) + 1
    edges = (phase_s[:, None] + dit_s * np.arange(-1, k_units)[None, :]) * rate_hz
    edges = np.clip(edges, 0, n)
    i0 = np.floor(edges).astype(int)
    i1 = np.minimum(i0 + 1, n)
    frac = edges - i0
    c = prefix[i0] * (1 - frac) + prefix[i1] * frac
    z = np.diff(c, axis=1)
    width = np.maximum(np.diff(edges, axis=1), 1e-9)
    s = (z.real**2 + z.imag**2) / (noise_var * width)
    return np.where(width >= 0.25 * dit_s * rate_hz, s, 0.0)


def _penalty(s: np.ndarray) -> float:
    """Per key-down-unit penalty ``eta`` for unit energies ``s`` of one dit hypothesis.

    ``1 + ln(units)`` keeps the expected score of noise the same for every dit length;
    the floor of a tenth of the strongest unit keeps the penalty meaningful at high SNR,
    where a fixed penalty is negligible and slot-alignment trifles would pick a finer
    dit (for a 3-unit mark at half the dit, one empty unit must cost more than edge
    effects gain).
    """
    return float(max(1.0 + np.log(max(s.shape[-1], 2)), 0.1 * np.max(s, initial=0.0)))


def _coarse_scores(prefix, rate_hz, noise_var, dits):
    """Windowed penalised-energy score of each dit length (timing phase free per window)."""
    blocks, owners = [], []
    for j, dit in enumerate(dits):
        phases = np.arange(_COARSE_PHASES) * dit / _COARSE_PHASES
        s = unit_energies(prefix, rate_hz, noise_var, dit, phases)
        k_units = s.shape[1]
        eta = _penalty(s)
        w = min(_WINDOW_UNITS, k_units)
        n_win = -(-k_units // w)
        e = np.zeros((_COARSE_PHASES, n_win * w))
        e[:, :k_units] = s - eta
        blocks.append(e.reshape(_COARSE_PHASES * n_win, w).T)
        owners.append((j, n_win, w))
    scores = np.full(len(dits), -np.inf)
    by_width: dict[int, list[int]] = {}
    for idx, (_, _, w) in enumerate(owners):
        by_width.setdefault(w, []).append(idx)
    for members in by_width.values():
        best = viterbi_scores(np.concatenate([blocks[i] for i in members], axis=1))
        pos = 0
        for i in members:
            j, n_win, _ = owners[i]
            block = best[pos : pos + _COARSE_PHASES * n_win].reshape(_COARSE_PHASES, n_win)
            scores[j] = block.max(axis=0).sum()
            pos += _COARSE_PHASES * n_win
    return scores


def _fine_search(prefix, rate_hz, noise_var, dit_c, duration_s):
    """Whole-recording penalised score around ``dit_c``; returns (score, dit_s, phase_s)."""
    k_units = max(duration_s / dit_c, 1.0)
    step = min(1.0 / (4 * k_units), 0.005)
    n = int(min(np.ceil(np.log(_COARSE_RATIO * 1.5) / step), 60))
    dits = dit_c * np.exp(np.linspace(-n * step, n * step, 2 * n + 1))
    best = (-np.inf, dit_c, 0.0)
    for dit in dits:
        phases = np.arange(_FINE_PHASES) * dit / _FINE_PHASES
        s = unit_energies(prefix, rate_hz, noise_var, dit, phases)
        if s.shape[1] == 0:
            continue
        sc = viterbi_scores((s - _penalty(s)).T)
        i = int(np.argmax(sc))
        if sc[i] > best[0]:
            best = (float(sc[i]), float(dit), float(phases[i]))
    return best


def _llr(s: np.ndarray, rho: float) -> np.ndarray:
    """Log-likelihood ratio of key-down for normalised unit energies ``s`` at Es/N0 ``rho``."""
    x = 2.0 * np.sqrt(rho * np.maximum(s, 0.0))
    return -rho + np.log(scipy.special.i0e(x)) + x


def _decode_units(s: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """ML key sequence of unit energies ``s``; returns (key_down, llr, rho)."""
    path, _ = viterbi_path(s - _penalty(s))
    for _ in range(3):
        rho = float(max(np.mean(s[path]) - 1.0, 1.0)) if path.any() else 1.0
        llr = _llr(s, rho)
        new, _ = viterbi_path(llr)
        if np.array_equal(new, path):
            break
        path = new
    return path, llr, rho


def _tripled(path: np.ndarray) -> bool:
    """Whether every mark lasts 3 units and every space between marks a multiple of 3."""
    elements = units_to_elements(path)
    return bool(elements) and all(
        e.length_units == 3 if e.key_down else e.length_units % 3 == 0 for e in elements
    )


def _no_text(reason: str, fap: float, **known) -> Decoded:
    fields = dict(dit_s=None, wpm=None, freq_hz=None, drift_hz_per_s=None, snr2500_db=None)
    fields.update(known)
    return Decoded(text="", detected=False, reason=reason, false_alarm_probability=fap, **fields)


def decode(
    samples: np.ndarray,
    sample_rate_hz: float,
    *,
    center_hz: float = 0.0,
    search_hz: float = 1000.0,
    min_dit_s: float = 0.04,
    max_dit_s: float = 130.0,
    max_drift_hz_per_s: float = 1 / 60,
    pfa: float = 1e-3,
) -> Decoded:
    """Decode Morse of unknown text, speed, frequency and drift.

    Parameters
    ----------
    samples : ndarray
        Complex IQ (carrier near ``center_hz``) or real audio (tone near ``center_hz``).
    sample_rate_hz : float
        Sample rate in Hz.
    center_hz : float, optional
        Centre of the frequency search, Hz.
    search_hz : float, optional
        Half-width of the frequency search, Hz.
    min_dit_s, max_dit_s : float, optional
        Range of dit lengths searched, seconds (0.04 s is 30 WPM; 130 s is QRSS120+).
    max_drift_hz_per_s : float, optional
        Largest linear drift searched, Hz/s (default 1 Hz/min).
    pfa : float, optional
        False-alarm probability of the carrier search; below it nothing is decoded.

    Returns
    -------
    Decoded

    Examples
    --------
    >>> from dsp.keying import keyed_baseband
    >>> from dsp.morse import key_intervals
    >>> from dsp.channel import Channel, apply_channel
    >>> iv = key_intervals("HI", 2.0, start_s=3.0)
    >>> x = keyed_baseband(iv, 2000.0, duration_s=35.0)
    >>> y = apply_channel(x, 2000.0, Channel(-15.0, offset_hz=-321.0), np.random.default_rng(1))
    >>> d = decode(y, 2000.0)
    >>> d.text, round(d.dit_s, 2), round(d.freq_hz)
    ('HI', 2.0, -321)
    """
    x = check_samples(
        samples, sample_rate_hz, search_hz=search_hz, min_dit_s=min_dit_s, max_dit_s=max_dit_s
    )
    check_search(pfa, max_drift_hz_per_s)
    if min_dit_s > max_dit_s:
        raise DspValueError(f"min_dit_s={min_dit_s} is larger than max_dit_s={max_dit_s}")
    baseband, rate = to_baseband(x, sample_rate_hz, center_hz=center_hz, half_band_hz=search_hz)
    duration_s = baseband.size / rate
    if duration_s < 4 * min_dit_s:
        raise DspValueError(
            f"recording of {duration_s:g} s is too short for min_dit_s={min_dit_s:g} "
            "(need at least 4 dits)"
        )
    acq = acquire(baseband, rate, search_hz=search_hz, max_drift_hz_per_s=max_drift_hz_per_s)
    fap = acq.false_alarm_probability
    if fap > pfa:
        return _no_text(
            f"no keyed carrier found: the strongest track ({center_hz + acq.freq_hz:.1f} Hz) "
            f"has false-alarm probability {fap:.2g} > pfa {pfa:g}",
            fap,
        )
    freq, drift = refine(baseband, rate, acq)
    rate_n = min(rate, max(10.0 / min_dit_s, 4.0))
    z, rate_n = narrowband(
        baseband, rate, freq_hz=freq, drift_hz_per_s=drift, half_band_hz=rate_n / 2
    )
    noise_var = acq.noise_psd * rate_n
    prefix = np.concatenate(([0], np.cumsum(z.astype(np.complex128))))
    known = dict(freq_hz=center_hz + freq, drift_hz_per_s=drift)
    lo = max(min_dit_s, 4.0 / rate_n)
    hi = min(max_dit_s, duration_s / 4)
    if hi < lo:
        return _no_text("carrier found but the recording is too short to time it", fap, **known)
    dits = lo * _COARSE_RATIO ** np.arange(int(np.log(hi / lo) / np.log(_COARSE_RATIO)) + 1)
    coarse = _coarse_scores(prefix, rate_n, noise_var, dits)
    peaks = [i for i in range(dits.size) if coarse[i] == coarse[max(i - 2, 0) : i + 3].max()]
    peaks = sorted(peaks, key=lambda i: coarse[i], reverse=True)[:3]
    best = max(_fine_search(prefix, rate_n, noise_var, dits[i], duration_s) for i in peaks)
    _, dit, phase = best
    s = unit_energies(prefix, rate_n, noise_var, dit, np.array([phase]))[0]
    path, llr, rho = _decode_units(s)
    if _tripled(path) and 3 * dit <= duration_s:
        # Marks all 3 units and gaps all multiples of 3: the same key pattern is
        # grammatical at three times the dit.  Read it there (the longest dit
        # consistent with the grammar), as a high SNR can favour the finer grid.
        _, dit, phase = _fine_search(prefix, rate_n, noise_var, 3 * dit, duration_s)
        s = unit_energies(prefix, rate_n, noise_var, dit, np.array([phase]))[0]
        path, llr, rho = _decode_units(s)
    if not path.any():
        return _no_text("carrier found but no Morse timing fits it", fap, **known)
    snr_db = float(10 * np.log10(rho / (2500.0 * dit)))
    elements = units_to_elements(path)
    first = int(np.flatnonzero(path)[0])
    post = scipy.special.expit(np.where(path, llr, -llr))
    timeline = tuple(
        DecodedElement(
            start_s=max(phase + (first + e.start_units - 1) * dit, 0.0),
            stop_s=min(phase + (first + e.start_units + e.length_units - 1) * dit, duration_s),
            key_down=e.key_down,
            kind=e.kind,
            confidence=float(np.prod(post[first + e.start_units : first + e.start_units
                                          + e.length_units])),
        )
        for e in elements
    )
    text = elements_to_text(elements)
    return Decoded(
        text=text,
        detected=True,
        reason=f"decoded {len(text)} characters at {1.2 / dit:.3g} WPM (dit {dit:.4g} s)",
        dit_s=float(dit),
        wpm=float(1.2 / dit),
        snr2500_db=snr_db,
        false_alarm_probability=fap,
        elements=timeline,
        **known,
    )
