"""Frozen result types shared by :mod:`dsp.decode`, :mod:`dsp.detect` and :mod:`dsp.stack`.

Every field carries its unit in its name; :meth:`to_dict` gives plain JSON-ready values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = [
    "AsDict",
    "Decoded",
    "DecodedElement",
    "DecodedSignal",
    "Detection",
    "DitResult",
    "KeyingTest",
    "RoundResult",
    "Settling",
    "SteadyCarrier",
    "shift_frequencies",
]


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
class KeyingTest(AsDict):
    """Whether a track is keyed: key-down against key-up energy (:mod:`dsp.keyed`).

    Attributes
    ----------
    p_steady : float
        p-value of "noise plus a steady carrier of any level" for this track alone.
    false_alarm_probability : float
        ``p_steady`` times the choices made before the test (tracks, timings, key
        patterns; a union bound), at most 1.
    key_down_c_n0_hz, key_up_c_n0_hz : float
        Carrier-to-noise density during key-down and key-up, Hz (0 when at the noise).
    keyed : bool
        Significant at the requested false-alarm probability, and the key-up level
        at most a fifth of the key-down level.
    """

    p_steady: float
    false_alarm_probability: float
    key_down_c_n0_hz: float
    key_up_c_n0_hz: float
    keyed: bool


@dataclass(frozen=True, slots=True)
class Settling(AsDict):
    """A carrier settling exponentially onto a straight line.

    ``f(t) = offset_hz + drift_hz_per_s * t + settle_hz * exp(-t / tau_s)``, t from
    the recording's first sample (:mod:`dsp.track` finds it relative to a straight
    track; a decoded signal reports it on the band's axis).

    Attributes
    ----------
    settle_hz : float
        How far the carrier starts from where it settles, Hz (the move is
        ``-settle_hz``).
    tau_s : float
        Time constant, s.
    offset_hz, drift_hz_per_s : float
        The straight line it settles onto (frequency at t = 0, Hz; drift, Hz/s).
    """

    settle_hz: float
    tau_s: float
    offset_hz: float = 0.0
    drift_hz_per_s: float = 0.0


@dataclass(frozen=True, slots=True)
class DecodedSignal(AsDict):
    """One keyed signal found by blind decoding.

    Attributes
    ----------
    text : str
        Decoded text; empty when the carrier is keyed but the text is not sure
        enough to report (``text_confidence`` below the decoder's threshold).
    freq_hz : float
        Carrier frequency at the first sample, Hz (baseband offset for I/Q, tone for
        audio).
    drift_hz_per_s : float
        Linear drift, Hz/s.
    dit_s : float
        Dit length, s.
    wpm : float
        Speed in words per minute (PARIS), ``1.2 / dit_s``.
    snr2500_db : float
        Carrier-to-noise ratio in 2500 Hz during key-down, dB.
    false_alarm_probability : float
        Probability that noise, or a steady carrier, gives a keyed decode at least
        this strong anywhere in the search: the larger of the carrier's and the
        keying test's.
    carrier_false_alarm_probability : float
        Of the carrier track alone (presence; Bonferroni over the search).
    keying : KeyingTest
        Key-down against key-up on the decoded pattern.
    text_confidence : float
        Posterior probability of the decoded key sequence (every unit right) under
        the grammar, given the unit energies.
    reason : str
        One sentence on what was found.
    elements : tuple of DecodedElement
        Mark/space timeline.
    settling : Settling or None
        The carrier's frequency was settling (a rig warming up): its track, whose
        value at t = 0 is ``freq_hz``; None for a straight line.
    """

    text: str
    freq_hz: float
    drift_hz_per_s: float
    dit_s: float
    wpm: float
    snr2500_db: float
    false_alarm_probability: float
    carrier_false_alarm_probability: float
    keying: KeyingTest
    text_confidence: float
    reason: str
    elements: tuple[DecodedElement, ...] = ()
    settling: Settling | None = None


@dataclass(frozen=True, slots=True)
class SteadyCarrier(AsDict):
    """A carrier that is present but not keyed (a birdie, the DC spike, an unkeyed rig).

    Attributes
    ----------
    freq_hz : float
        Frequency at the first sample, Hz.
    drift_hz_per_s : float
        Linear drift, Hz/s.
    snr2500_db : float
        Its SNR2500, dB.
    false_alarm_probability : float
        Of its track (presence).
    reason : str
        Why it is not keyed.
    """

    freq_hz: float
    drift_hz_per_s: float
    snr2500_db: float
    false_alarm_probability: float
    reason: str


@dataclass(frozen=True, slots=True)
class Decoded(AsDict):
    """Result of blind decoding: every keyed signal of the band, most significant first.

    The top-level fields repeat those of the first signal (``signals[0]``), so a
    caller interested in one signal reads them directly.

    Attributes
    ----------
    text : str
        Decoded text of the first signal; empty when nothing was decoded.
    detected : bool
        Whether a keyed signal with text was found at the requested false-alarm
        probability.
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
        Of the first signal (see :class:`DecodedSignal`); with no signal, of the
        strongest track searched.
    elements : tuple of DecodedElement
        Mark/space timeline of the first signal.
    text_confidence : float or None
        Of the first signal.
    signals : tuple of DecodedSignal
        Every keyed signal found, readable ones first, each most significant first.
    steady_carriers : tuple of SteadyCarrier
        Carriers found present but not keyed (never decoded as text).
    blanked_fraction : float
        Fraction of the recording blanked as impulsive noise.
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
    text_confidence: float | None = None
    signals: tuple[DecodedSignal, ...] = ()
    steady_carriers: tuple[SteadyCarrier, ...] = ()
    blanked_fraction: float = 0.0


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
        Sum of the normalised key-down energies along the best keyed track (the
        strongest track when none is keyed).
    false_alarm_probability : float
        Probability of noise, or a steady carrier, giving this track anywhere in the
        search: the sum of the presence and keying probabilities.
    detected : bool
        Each at most ``pfa / 2`` (the track lies in the keying test's region).
    freq_hz : float
        Carrier frequency of the best track at the round's first key-down, Hz.
    drift_hz_per_s : float
        Drift of the best track, Hz/s.
    snr2500_db : float or None
        Carrier SNR2500 estimated from the statistic.
    dits : tuple of DitResult
        Per-element results on this track.
    presence_false_alarm_probability : float or None
        Of the key-down sum alone (noise; Bonferroni over the cells).
    keying : KeyingTest or None
        Key-down against key-up on this track (a steady carrier of any level as
        the null).
    timing_offset_s : float
        The keying found this much later than scheduled, s (an operator's clock;
        ``dits`` are at the found times).
    track_hz : tuple of float
        For the stack: the carrier's frequency at each round's first key-down along
        the track across rounds (empty for a single round).
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
    presence_false_alarm_probability: float | None = None
    keying: KeyingTest | None = None
    timing_offset_s: float = 0.0
    track_hz: tuple[float, ...] = ()


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
    steady_carriers_hz : tuple of float
        Steady carriers masked before the search (frequency of each, Hz).
    """

    pfa: float
    search_cells: int
    rounds: tuple[RoundResult, ...]
    stacked: RoundResult | None
    detected: bool
    steady_carriers_hz: tuple[float, ...] = ()


R = TypeVar("R")

#: Fields holding frequencies on a recording's axis (moved by :func:`shift_frequencies`).
FREQUENCY_FIELDS = frozenset({"freq_hz", "offset_hz", "track_hz", "steady_carriers_hz"})


def shift_frequencies(result: R, shift_hz: float) -> R:
    """Return ``result`` with every frequency moved by ``shift_hz`` (nested results too).

    For results found in a channel whose 0 Hz is ``shift_hz`` on the recording's axis.
    Rates (drifts), widths and carrier-to-noise densities are unchanged.

    Examples
    --------
    >>> c = SteadyCarrier(12.0, 0.0, -20.0, 1e-9, "birdie")
    >>> shift_frequencies(c, 1000.0).freq_hz
    1012.0
    >>> d = Decoded("", False, "none", None, None, None, None, None, 1.0, steady_carriers=(c,))
    >>> shift_frequencies(d, -2.0).steady_carriers[0].freq_hz, shift_frequencies(d, 5.0).freq_hz
    (10.0, None)
    """
    if shift_hz == 0 or not dataclasses.is_dataclass(result):
        return result
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(result):
        value = getattr(result, f.name)
        if f.name in FREQUENCY_FIELDS and value is not None:
            changes[f.name] = (tuple(v + shift_hz for v in value) if isinstance(value, tuple)
                               else value + shift_hz)  # fmt: skip
        elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            changes[f.name] = tuple(shift_frequencies(v, shift_hz) for v in value)
        elif dataclasses.is_dataclass(value):
            changes[f.name] = shift_frequencies(value, shift_hz)
    return dataclasses.replace(result, **changes)  # type: ignore[type-var]
