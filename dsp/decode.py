"""Blind slow-Morse decoding of every keyed signal in a band: text, speed, frequency, drift.

Method (details and the reasons for each step in ``docs/design.md``):

1. **Noise as it is** (:mod:`dsp.noise`): broadband impulses are blanked; frame
   spectra are normalised by a floor local in frequency and in time.
2. **Candidates** (:mod:`dsp.candidates`): the strongest drift track of the band, its
   Gamma-law false-alarm probability, and its frame profile.  After each candidate is
   judged it is masked and the next strongest found, until no track is significant.
3. **Steady or keyed.**  Each candidate is refined (coherent whole-recording FFT
   over a fine drift grid), timed and decoded (:mod:`dsp.timing`), and the decoded
   key-down units are tested against the key-up units on the same track
   (:func:`dsp.keyed.keying_test`: a steady carrier of *any* level is the null, with
   a union bound over the timings and key patterns the decoder could have chosen).
   Key-up as strong as key-down: a steady carrier.
4. **No garbage.**  The text's confidence is the posterior probability of the whole
   decoded key sequence under the grammar (:func:`dsp.grammar.sequence_posterior`);
   below :data:`MIN_TEXT_CONFIDENCE` the signal is reported keyed, without text.
5. **Images and side bands.**  For I/Q, a keyed signal mirrored about the
   recording's centre (``image_center_hz``) with the same dit and at least
   :data:`IMAGE_MARGIN_DB` weaker than one already found is its I/Q image; a
   signal's keying side bands and frame side lobes are masked with it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.special

from dsp.acquire import narrowband, refine
from dsp.candidates import Acquisition, TrackSearch, side_lobe_hz
from dsp.errors import DspValueError, check_samples, check_search
from dsp.grammar import log_path_count, posteriors, sequence_posterior
from dsp.keyed import STEADY_CELLS, keying_test
from dsp.morse import elements_to_text, units_to_elements
from dsp.noise import blank_impulses
from dsp.results import Decoded, DecodedElement, DecodedSignal, Settling, SteadyCarrier
from dsp.spectrum import to_baseband
from dsp.timing import decode_units, find_timing
from dsp.track import follow, settling_phase

__all__ = [
    "IMAGE_MARGIN_DB",
    "MIN_TEXT_CONFIDENCE",
    "decode",
    "is_image_of",
    "with_signals",
]

#: Text is reported only when the decoded key sequence is at least this probable
#: (near the decoding limit, -35 to -38 dB for 30 s dits, 0.9 keeps 80 of 82 right
#: readings and 2 of 8 wrong ones, 120 recordings; 0.5 kept all 8).
MIN_TEXT_CONFIDENCE = 0.9
#: An I/Q image is at least this much weaker than its signal (0.3 dB / 2 degrees of
#: imbalance give about 32 dB).
IMAGE_MARGIN_DB = 15.0
#: Candidates judged at most (keyed, steady and images together).
MAX_CANDIDATES = 16


def _snr_db(c_n0_hz: float) -> float:
    return float(10 * np.log10(max(c_n0_hz, 1e-12) / 2500.0))


class _Band:
    """The searched band and what has been found in it so far."""

    def __init__(self, baseband, rate, search, center_hz, image_center_hz, args):
        self.baseband, self.rate, self.search = baseband, rate, search
        self.center_hz, self.image_center_hz = center_hz, image_center_hz
        self.min_dit_s, self.max_dit_s, self.pfa = args
        self.signals: list[DecodedSignal] = []
        self.steady: list[SteadyCarrier] = []

    def steady_carrier(self, acq: Acquisition, reason: str, freq=None, drift=None) -> None:
        prof = np.asarray(acq.profile)
        c_n0 = max(float(np.median(prof)) - 1.0, 0.0) / self.search.frame_s
        f = acq.freq_hz if freq is None else freq
        d = acq.drift_hz_per_s if drift is None else drift
        self.steady.append(SteadyCarrier(self.center_hz + f, d, _snr_db(c_n0),
                                         acq.false_alarm_probability, reason))  # fmt: skip
        self.search.mask(f, d, side_lobe_hz(float(prof.max(initial=0.0)), self.search.frame_s))

    def is_image(self, freq_hz: float, drift: float, dit_s: float, snr_db: float) -> bool:
        if self.image_center_hz is None:
            return False
        mirror = 2 * self.image_center_hz - (self.center_hz + freq_hz)
        return any(is_image_of(mirror, -drift, dit_s, snr_db, s) for s in self.signals)


def is_image_of(mirror_hz: float, mirror_drift_hz_per_s: float, dit_s: float,
                snr2500_db: float, other: DecodedSignal) -> bool:  # fmt: skip
    """Whether a signal mirrored to ``mirror_hz`` is the I/Q image of ``other``.

    Same frequency within 1 Hz once mirrored (and its drift mirrored), same dit within
    3 %, and at least :data:`IMAGE_MARGIN_DB` weaker.
    """
    return bool(
        abs(other.freq_hz - mirror_hz) <= 1.0
        and abs(other.drift_hz_per_s - mirror_drift_hz_per_s) <= 0.01
        and abs(other.dit_s / dit_s - 1) <= 0.03
        and other.snr2500_db >= snr2500_db + IMAGE_MARGIN_DB
    )


def _timeline(path, p_down, dit, phase, duration_s):
    elements = units_to_elements(path)
    first = int(np.flatnonzero(path)[0])
    right = np.where(path, p_down, 1.0 - p_down)
    out = []
    for e in elements:
        a = first + e.start_units
        out.append(DecodedElement(
            start_s=max(phase + (a - 1) * dit, 0.0),
            stop_s=min(phase + (a + e.length_units - 1) * dit, duration_s),
            key_down=e.key_down,
            kind=e.kind,
            confidence=float(np.prod(right[a : a + e.length_units])),
        ))  # fmt: skip
    return elements, tuple(out)


#: Widest keying side band masked, Hz: beyond about twice the inverse of a keyer's
#: 5 ms edges a keyed carrier's spectrum falls away steeply.
MAX_SIDEBAND_HZ = 400.0


def _keying_band_hz(peak: float, dit_s: float) -> float:
    """Half-width where a keyed carrier's side bands fall to a quarter of the noise.

    Keying at dit ``dit_s`` puts side-band lines about ``1 / (pi f dit)**2`` below the
    carrier at ``f`` from it (a regular pattern such as "EEEE" or "VVV" gathers them
    into lines as strong as that); ``peak`` is the carrier's strongest frame in noise
    units.  At least three times the dit rate, at most :data:`MAX_SIDEBAND_HZ`.
    """
    spread = np.sqrt(max(peak, 0.0) / 0.25) / (np.pi * dit_s)
    return float(min(max(3.0 / dit_s, spread), max(MAX_SIDEBAND_HZ, 3.0 / dit_s)))


def _straight_or_settling(band: _Band, acq: Acquisition):
    """(baseband, freq, drift, settling): the reading of the carrier with more energy.

    Straight: the refined drift line.  Settling (:func:`dsp.track.follow`, which
    keeps it only when its 30 s segments hold more energy than the line's): its
    exponential move removed from the baseband, and the line it settles onto.
    """
    freq, drift = refine(band.baseband, band.rate, acq)
    found = follow(band.baseband, band.rate, freq_hz=freq, drift_hz_per_s=drift)
    if found is None:
        return band.baseband, freq, drift, None
    phase = settling_phase(found, band.baseband.size, band.rate)
    settled = band.baseband * np.exp(-1j * phase).astype(np.complex64)
    f2, d2 = freq + found.offset_hz, drift + found.drift_hz_per_s
    return settled, f2, d2, Settling(found.settle_hz, found.tau_s, band.center_hz + f2, d2)


def _examine(band: _Band, acq: Acquisition) -> None:
    """Judge one candidate: steady, image, or a keyed signal (with or without text)."""
    search = band.search
    baseband, freq, drift, settling = _straight_or_settling(band, acq)
    rate_n = min(band.rate, max(10.0 / band.min_dit_s, 4.0))
    z, rate_n = narrowband(baseband, band.rate, freq_hz=freq, drift_hz_per_s=drift,
                           half_band_hz=rate_n / 2)  # fmt: skip
    duration_s = z.size / rate_n
    # Noise that rises and falls (band noise, AGC) is divided out, frame by frame.
    z = z / np.sqrt(search.noise_level_at(np.arange(z.size) / rate_n)).astype(np.float32)
    prefix = np.concatenate(([0], np.cumsum(z.astype(np.complex128))))
    timing = find_timing(prefix, rate_n, acq.noise_psd * rate_n, min_dit_s=band.min_dit_s,
                         max_dit_s=band.max_dit_s, duration_s=duration_s)  # fmt: skip
    peak = float(np.max(acq.profile, initial=0.0))
    if timing is None:
        search.mask(freq, drift, side_lobe_hz(peak, search.frame_s))
        return
    s = timing.energies
    path, llr, rho = decode_units(s, timing.dit_s)
    valid = s > 0
    on, off = path & valid, ~path & valid
    dit = timing.dit_s
    if not on.any() or not off.any():
        band.steady_carrier(acq, "no key-up found in the decoded timing", freq, drift)
        return
    # (x 2: the straight and the settling reading of the carrier were both tried)
    log_factor = (log_path_count(int(valid.sum())) + np.log(timing.hypotheses)
                  + np.log(STEADY_CELLS) + np.log(2))  # fmt: skip
    keying = keying_test(float(s[on].sum()), float(s[off].sum()), int(on.sum()),
                         int(off.sum()), on.sum() * dit, off.sum() * dit,
                         log_search_factor=log_factor, pfa=band.pfa)  # fmt: skip
    width = max(side_lobe_hz(peak, search.frame_s), _keying_band_hz(peak, dit))
    if not keying.keyed:
        band.steady_carrier(acq, "key-up as strong as key-down: not keyed", freq, drift)
        return
    snr_db = float(10 * np.log10(rho / (2500.0 * dit)))
    if settling is not None:  # mask the whole move, and report where it starts
        width += abs(settling.settle_hz) / 2
        search.mask(freq + settling.settle_hz / 2, drift, width)
        freq += settling.settle_hz
    else:
        search.mask(freq, drift, width)
    if band.is_image(freq, drift, dit, snr_db):
        return
    p_down, _ = posteriors(llr)
    # Given the timing, times the odds of this dit against three times it.
    confidence = sequence_posterior(llr, path) * float(scipy.special.expit(timing.log_odds))
    elements, timeline = _timeline(path, p_down, dit, timing.phase_s, duration_s)
    text = elements_to_text(elements)
    fap = max(acq.false_alarm_probability, keying.false_alarm_probability)
    if confidence >= MIN_TEXT_CONFIDENCE:
        reason = (f"decoded {len(text)} characters at {1.2 / dit:.3g} WPM (dit {dit:.4g} s), "
                  f"confidence {confidence:.3f}")  # fmt: skip
    else:
        reason = (f"keyed carrier, dit {dit:.4g} s, but the text is uncertain (confidence "
                  f"{confidence:.2g} < {MIN_TEXT_CONFIDENCE:g}; best reading {text!r})")
        text = ""
    band.signals.append(DecodedSignal(
        text=text, freq_hz=band.center_hz + freq, drift_hz_per_s=drift, dit_s=dit,
        wpm=1.2 / dit, snr2500_db=snr_db, false_alarm_probability=fap,
        carrier_false_alarm_probability=acq.false_alarm_probability, keying=keying,
        text_confidence=confidence, reason=reason, elements=timeline, settling=settling,
    ))  # fmt: skip


def _result(band: _Band, strongest: Acquisition, blanked: float) -> Decoded:
    f = band.center_hz + strongest.freq_hz
    if band.steady:
        reason = (f"no keyed carrier found: {len(band.steady)} steady carrier(s) "
                  f"(strongest at {band.steady[0].freq_hz:.2f} Hz) are not keyed")
        fap = 1.0
    else:
        reason = (f"no keyed carrier found: the strongest track ({f:.1f} Hz) has "
                  f"false-alarm probability {strongest.false_alarm_probability:.2g} > "
                  f"pfa {band.pfa:g}")  # fmt: skip
        fap = strongest.false_alarm_probability
    empty = Decoded(text="", detected=False, reason=reason, dit_s=None, wpm=None, freq_hz=None,
                    drift_hz_per_s=None, snr2500_db=None, false_alarm_probability=fap,
                    steady_carriers=tuple(band.steady), blanked_fraction=blanked)  # fmt: skip
    return with_signals(empty, band.signals)


def with_signals(decoded: Decoded, signals: Sequence[DecodedSignal]) -> Decoded:
    """Rebuild ``decoded`` around ``signals`` (readable first, most significant first).

    The top-level fields follow the new first signal; with none, those of ``decoded``
    without a signal are kept (its reason and false-alarm probability).  Used to drop
    signals found to be images of signals in other channels.

    Examples
    --------
    >>> d = Decoded("", False, "no keyed carrier found", None, None, None, None, None, 1.0)
    >>> with_signals(d, []).reason
    'no keyed carrier found'
    """
    signals = sorted(signals, key=lambda s: (not s.text, s.false_alarm_probability))
    extra: dict[str, Any] = dict(signals=tuple(signals),
                                 steady_carriers=decoded.steady_carriers,
                                 blanked_fraction=decoded.blanked_fraction)  # fmt: skip
    if not signals:
        if not decoded.signals:
            return dataclasses.replace(decoded, **extra)
        return Decoded(text="", detected=False, reason="no keyed signal left", dit_s=None,
                       wpm=None, freq_hz=None, drift_hz_per_s=None, snr2500_db=None,
                       false_alarm_probability=1.0, **extra)  # fmt: skip
    s = signals[0]
    more = f"; {len(signals) - 1} more signal(s)" if len(signals) > 1 else ""
    return Decoded(
        text=s.text, detected=bool(s.text), reason=s.reason + more, dit_s=s.dit_s, wpm=s.wpm,
        freq_hz=s.freq_hz, drift_hz_per_s=s.drift_hz_per_s, snr2500_db=s.snr2500_db,
        false_alarm_probability=s.false_alarm_probability, elements=s.elements,
        text_confidence=s.text_confidence, **extra,
    )  # fmt: skip


def _check_limits(pfa: float, max_drift_hz_per_s: float, min_dit_s: float, max_dit_s: float,
                  max_signals: int) -> None:  # fmt: skip
    """Raise :class:`DspValueError` naming the first search limit out of range."""
    check_search(pfa, max_drift_hz_per_s)
    if min_dit_s > max_dit_s:
        raise DspValueError(f"min_dit_s={min_dit_s} is larger than max_dit_s={max_dit_s}")
    if max_signals < 1:
        raise DspValueError(f"max_signals={max_signals} must be >= 1")


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
    max_signals: int = 8,
    image_center_hz: float | None = 0.0,
) -> Decoded:
    """Decode every keyed signal of unknown text, speed, frequency and drift.

    Parameters
    ----------
    samples : ndarray
        Complex IQ (carriers near ``center_hz``) or real audio (tones near ``center_hz``).
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
        False-alarm probability of each reported signal (carrier and keying).
    max_signals : int, optional
        Most keyed signals reported.
    image_center_hz : float or None, optional
        For I/Q, the frequency (on the axis of ``center_hz``) about which an I/Q
        imbalance mirrors signals: 0 for a recording's own centre, None to keep
        images (ignored for audio).

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
    >>> y += 0.3 * np.exp(2j * np.pi * 155.0 * np.arange(y.size) / 2000.0)   # a birdie
    >>> d = decode(y, 2000.0)
    >>> d.text, round(d.dit_s, 2), round(d.freq_hz), [round(c.freq_hz) for c in d.steady_carriers]
    ('HI', 2.0, -321, [155])
    """
    x = check_samples(
        samples, sample_rate_hz, search_hz=search_hz, min_dit_s=min_dit_s, max_dit_s=max_dit_s
    )
    _check_limits(pfa, max_drift_hz_per_s, min_dit_s, max_dit_s, max_signals)
    baseband, rate = to_baseband(x, sample_rate_hz, center_hz=center_hz, half_band_hz=search_hz)
    duration_s = baseband.size / rate
    if duration_s < 4 * min_dit_s:
        raise DspValueError(
            f"recording of {duration_s:g} s is too short for min_dit_s={min_dit_s:g} "
            "(need at least 4 dits)"
        )
    baseband, blanked = blank_impulses(baseband, rate)
    search = TrackSearch(baseband, rate, search_hz=search_hz,
                         max_drift_hz_per_s=max_drift_hz_per_s)  # fmt: skip
    images = image_center_hz if np.iscomplexobj(x) else None
    band = _Band(baseband, rate, search, center_hz, images, (min_dit_s, max_dit_s, pfa))
    strongest: Acquisition | None = None
    for _ in range(MAX_CANDIDATES):
        acq = search.best()
        strongest = strongest or acq
        if acq.false_alarm_probability > pfa or len(band.signals) >= max_signals:
            break
        _examine(band, acq)
    assert strongest is not None  # MAX_CANDIDATES >= 1: the loop ran
    return _result(band, strongest, blanked)
