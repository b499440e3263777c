"""Candidate carriers: every narrow track in a band, strongest first, with its significance.

:class:`TrackSearch` splits the baseband into non-overlapping rectangular frames (a
few seconds, short enough that the largest searched drift stays inside one
resolution cell per frame), normalises the frames-by-bins power by a noise floor
local in frequency and time (:func:`dsp.noise.normalize_power`) and sums frame
powers along every straight drift track (Taylor tree, :func:`dsp.spectrum.best_track`).
For noise each normalised bin is exponential with mean 1 and independent between
frames, so a track sum over M frames is Gamma(M, 1); the probability that *any* of
the searched cells beats the best one by chance is bounded by
``cells * Gamma(M).sf(best)`` (Bonferroni, conservative: neighbouring cells are
correlated).

:meth:`TrackSearch.best` gives the strongest track with its frame-by-frame profile;
:meth:`TrackSearch.mask` removes a signal found (its track, its keying sidebands and
the side lobes of its rectangular frames) so the next call finds the next signal,
the way CW Skimmer and ``wsprd`` report every signal of a band rather than the
strongest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dsp.noise import two_way_floor
from dsp.spectrum import best_track, frame_power
from dsp.stack import family_false_alarm

__all__ = ["Acquisition", "TrackSearch", "side_lobe_hz"]


@dataclass(frozen=True, slots=True)
class Acquisition:
    """A carrier track found by :class:`TrackSearch`.

    Attributes
    ----------
    freq_hz : float
        Carrier frequency at t = 0 relative to the baseband centre, Hz.
    drift_hz_per_s : float
        Linear drift, Hz/s.
    statistic : float
        Sum of normalised frame powers along the track (noise: Gamma(frames, 1)).
    frames : int
        Number of frames summed.
    cells : int
        Number of frequency x drift tracks searched.
    false_alarm_probability : float
        Bonferroni bound on noise giving a track at least this strong.
    noise_psd : float
        Noise power spectral density at the carrier, in (sample units)^2 per Hz.
    freq_step_hz : float
        Bin spacing of the acquisition spectra, Hz.
    drift_step_hz_per_s : float
        Spacing of the searched drifts, Hz/s.
    profile : tuple of float
        Normalised power of each frame on the track (noise: exponential, mean 1).
    """

    freq_hz: float
    drift_hz_per_s: float
    statistic: float
    frames: int
    cells: int
    false_alarm_probability: float
    noise_psd: float
    freq_step_hz: float
    drift_step_hz_per_s: float
    profile: tuple[float, ...] = ()


_ROWS = 64  # frames normalised at a time


def side_lobe_hz(peak: float, frame_s: float) -> float:
    """Half-width where a rectangular frame's side lobes of a ``peak`` fall to 1/4 of noise.

    The side lobes of a carrier ``peak`` times the noise in its bin fall as
    ``peak / (pi k)**2`` at ``k`` resolution cells (``1 / frame_s`` Hz) away.

    Examples
    --------
    >>> round(side_lobe_hz(4270.0, 5.4), 1)       # a -5 dB birdie in 5.4 s frames
    7.7
    """
    k = np.sqrt(max(peak, 0.0) / 0.25) / np.pi
    return float(max(k, 1.0) / frame_s)


class TrackSearch:
    """Drift-track search of a band that can mask what it has found.

    Parameters
    ----------
    baseband : ndarray of complex
        The band, centred on 0 Hz.
    sample_rate_hz : float
        Its sample rate.
    search_hz : float
        Half-width searched, Hz.
    max_drift_hz_per_s : float
        Largest drift searched, Hz/s.
    frame_s : float, optional
        Frame length; default ``0.7 / sqrt(max drift)`` within 0.25-10 s.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(200_000) / 2000.0
    >>> x = (0.1 * np.exp(2j * np.pi * 123.4 * t) + 0.05 * np.exp(-2j * np.pi * 300.0 * t)
    ...      + [1, 1j] @ rng.normal(0, 1, (2, t.size)))
    >>> search = TrackSearch(x, 2000.0, search_hz=1000.0, max_drift_hz_per_s=0.01)
    >>> first = search.best(); search.mask(first.freq_hz, first.drift_hz_per_s, 1.0)
    >>> round(first.freq_hz, 1), round(search.best().freq_hz, 1)
    (123.4, -300.0)
    """

    def __init__(
        self,
        baseband: np.ndarray,
        sample_rate_hz: float,
        *,
        search_hz: float,
        max_drift_hz_per_s: float,
        frame_s: float | None = None,
    ) -> None:
        duration_s = baseband.size / sample_rate_hz
        if frame_s is None:
            # 2 * drift * frame**2 <= 1: the track moves at most one half-width bin per frame.
            frame_s = 0.7 / np.sqrt(max_drift_hz_per_s) if max_drift_hz_per_s > 0 else 10.0
            frame_s = float(np.clip(frame_s, 0.25, 10.0))
        frame_s = min(frame_s, duration_s / 4) if duration_s >= 1.0 else duration_s
        pad = 2
        power = frame_power(baseband, sample_rate_hz, frame_s, pad=pad)
        m, b = power.shape
        self.n_frame = max(int(round(frame_s * sample_rate_hz)), 1)
        self.sample_rate_hz = float(sample_rate_hz)
        self.frame_s = self.n_frame / sample_rate_hz
        self.df = 1.0 / (pad * self.frame_s)
        freqs = (np.arange(b) - b // 2) * self.df
        keep = np.abs(freqs) <= search_hz
        if not keep.all():
            power = power[:, keep]
        self.freqs = freqs[keep]
        self.per_bin, self.per_frame = two_way_floor(power)
        for a in range(0, m, _ROWS):  # in place, by row blocks: bounded float64 scratch
            floor = self.per_bin[None, :] * self.per_frame[a : a + _ROWS, None]
            rows = power[a : a + _ROWS]
            np.divide(rows, floor, out=rows, casting="same_kind")
        self.norm = power
        # Frame levels measure the noise only where it exceeds the side lobes of the
        # strongest carrier at a typical distance (about 1e-8 of its peak); a
        # (near-)noiseless recording has no noise level to follow in time.
        self.floor_is_noise = bool(self.norm.size and float(self.norm.max()) < 1e7)
        self.span_s = (m - 1) * self.frame_s
        self.max_shift = (
            int(np.ceil(max_drift_hz_per_s * self.span_s / self.df)) if m > 1 else 0
        )

    @property
    def frame_times_s(self) -> np.ndarray:
        """Centre of every frame, s from the first sample."""
        return (np.arange(self.norm.shape[0]) + 0.5) * self.frame_s

    def best(self) -> Acquisition:
        """Return the strongest track not yet masked."""
        norm = self.norm
        m = norm.shape[0]
        stat, shift, k, cells = best_track(norm, self.max_shift)
        drift = float(shift * self.df / self.span_s) if m > 1 else 0.0
        rows = np.arange(m)
        cols = np.clip(k + np.rint(shift * rows / max(m - 1, 1)).astype(int), 0,
                       norm.shape[1] - 1)  # fmt: skip
        return Acquisition(
            freq_hz=float(self.freqs[k] - drift * 0.5 * self.frame_s),
            drift_hz_per_s=drift,
            statistic=stat,
            frames=m,
            cells=cells,
            false_alarm_probability=family_false_alarm(stat, m, cells),
            noise_psd=float(self.per_bin[k] / self.n_frame / self.sample_rate_hz),
            freq_step_hz=self.df,
            drift_step_hz_per_s=self.df / self.span_s if m > 1 else 0.0,
            profile=tuple(float(v) for v in norm[rows, cols]),
        )

    def mask(self, freq_hz: float, drift_hz_per_s: float, half_width_hz: float) -> None:
        """Set ``+-half_width_hz`` around the track to the noise mean (1) in every frame."""
        centre = freq_hz + drift_hz_per_s * self.frame_times_s
        lo = np.searchsorted(self.freqs, centre - half_width_hz)
        hi = np.searchsorted(self.freqs, centre + half_width_hz, side="right")
        for row, (a, b) in enumerate(zip(lo, hi, strict=True)):
            self.norm[row, a:b] = 1.0

    def noise_level_at(self, t_s: np.ndarray) -> np.ndarray:
        """Relative noise level (median 1) at times ``t_s``, from the per-frame floor."""
        if not self.floor_is_noise:
            return np.ones_like(t_s)
        return np.interp(t_s, self.frame_times_s, self.per_frame)
