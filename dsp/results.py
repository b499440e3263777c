"""Frozen result types shared by :mod:`dsp.decode`, :mod:`dsp.detect` and :mod:`dsp.stack`.

Every field carries its unit in its name; :meth:`to_dict` gives plain JSON-ready values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ["AsDict", "Decoded", "DecodedElement", "Detection", "DitResult", "RoundResult"]


class AsDict:
    """Mixin for frozen result dataclasses: :meth:`to_dict` for ``--json`` output."""

    def to_dict(self) -> dict:
        """Plain ``dict`` of the fields (nested results too), ready for ``json.dumps``."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True)
class DecodedElement(AsDict):
    """One decoded mark or space.

    Attributes
    ----------
    start_s, stop_s : float
        Element edges in seconds from the first sample.
    key_down : bool
        True for a mark.
    kind : str
        ``dit``, ``dah``, ``gap``, ``letter-space`` or ``word-space``.
    confidence : float
        Posterior probability (0-1) that every unit of the element has the decoded
        key state, from the per-unit likelihood ratios.
    """

    start_s: float
    stop_s: float
    key_down: bool
    kind: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Decoded(AsDict):
    """Result of blind decoding.

    Attributes
    ----------
    text : str
        Decoded text; empty when nothing was decoded.
    detected : bool
        Whether a keyed carrier was found at the requested false-alarm probability.
    reason : str
        One sentence saying what was found, or why nothing was decoded.
    dit_s : float or None
        Estimated dit length in seconds.
    wpm : float or None
        Speed in words per minute (PARIS), ``1.2 / dit_s``.
    freq_hz : float or None
        Carrier frequency at the first sample, in Hz (baseband offset for IQ, tone
        frequency for audio).
    drift_hz_per_s : float or None
        Estimated linear drift in Hz per second.
    snr2500_db : float or None
        Estimated carrier-to-noise ratio in 2500 Hz during key-down, in dB.
    false_alarm_probability : float
        Probability that noise alone would give a carrier at least this strong
        anywhere in the searched frequencies and drifts.
    elements : tuple of DecodedElement
        Mark/space timeline.
    """

    text: str
    detected: bool
    reason: str
    dit_s: float | None
    wpm: float | None
    freq_hz: float | None
    drift_hz_per_s: float | None
    snr2500_db: float | None
    false_alarm_probability: float
    elements: tuple[DecodedElement, ...] = ()


@dataclass(frozen=True, slots=True)
class DitResult(AsDict):
    """Known-template test of one key-down element at the detected frequency track.

    Attributes
    ----------
    start_s, stop_s : float
        Scheduled key-down, seconds from the first sample.
    statistic : float
        Matched-filter energy normalised to the noise (noise alone: exponential, mean 1).
    snr2500_db : float or None
        Carrier SNR2500 estimated from this element alone (None if below the noise).
    false_alarm_probability : float
        Probability of noise alone exceeding ``statistic`` at this known frequency.
    detected : bool
        ``false_alarm_probability <= pfa`` of the detection.
    """

    start_s: float
    stop_s: float
    statistic: float
    snr2500_db: float | None
    false_alarm_probability: float
    detected: bool


@dataclass(frozen=True, slots=True)
class RoundResult(AsDict):
    """Detection of one round (or of the stack of all rounds).

    Attributes
    ----------
    index : int
        Round number from 1; 0 for the stack.
    start_s : float
        First scheduled key-down of the round, seconds from the first sample.
    statistic : float
        Sum of the normalised element energies along the best track.
    false_alarm_probability : float
        Probability of noise alone giving this statistic anywhere in the search
        (frequency x drift cells, Bonferroni-corrected).
    detected : bool
        ``false_alarm_probability <= pfa``.
    freq_hz : float
        Carrier frequency of the best track at the round's first key-down, Hz.
    drift_hz_per_s : float
        Drift of the best track, Hz/s.
    snr2500_db : float or None
        Carrier SNR2500 estimated from the statistic.
    dits : tuple of DitResult
        Per-element results on this track.
    """

    index: int
    start_s: float
    statistic: float
    false_alarm_probability: float
    detected: bool
    freq_hz: float
    drift_hz_per_s: float
    snr2500_db: float | None
    dits: tuple[DitResult, ...] = ()


@dataclass(frozen=True, slots=True)
class Detection(AsDict):
    """Known-template detection over all rounds.

    Attributes
    ----------
    pfa : float
        Requested false-alarm probability per test.
    search_cells : int
        Number of frequency x drift cells searched per test (the Bonferroni factor).
    rounds : tuple of RoundResult
        Each round searched on its own.
    stacked : RoundResult or None
        All rounds combined (index 0); None for a single round.
    detected : bool
        The stack (or the single round) is detected.
    """

    pfa: float
    search_cells: int
    rounds: tuple[RoundResult, ...]
    stacked: RoundResult | None
    detected: bool
