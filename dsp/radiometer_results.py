"""Frozen result types of :func:`dsp.radiometer.radiometer_test`.

Amplitudes are in the units of the tested power series (V²/m²/Hz for Waves data);
``detected`` is None where there were no samples to test.

Examples
--------
>>> DitPower.no_data(round_label=3, index=0, start_s=0.0, stop_s=30.0, n_samples=0).detected is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

from dsp.results import AsDict

__all__ = ["DitPower", "RadiometerResult", "RoundPower", "StackPower"]


@dataclass(frozen=True, slots=True)
class DitPower(AsDict):
    """The test of one expected key-down.

    Attributes
    ----------
    round_label : int
        Round the key-down belongs to.
    index : int
        Position within its round, from 0.
    start_s, stop_s : float
        Expected key-down, in the time base of the input.
    n_samples : int
        Samples inside it that were used.
    amplitude : float or None
        Estimated power added while keyed (input units); may be negative in noise.
    sigma : float or None
        Standard error of `amplitude` from the fitted noise model.
    z : float or None
        ``amplitude / sigma``.
    p_value : float or None
        One-sided false-alarm probability of this `z` alone.
    detected : bool or None
        ``z`` above the Šidák threshold of the dit level; None without data.
    background : float or None
        Mean fitted background during the key-down (input units).
    snr_db : float or None
        ``10 log10(amplitude / background)``; None unless both are positive.
    """

    round_label: int
    index: int
    start_s: float
    stop_s: float
    n_samples: int
    amplitude: float | None
    sigma: float | None
    z: float | None
    p_value: float | None
    detected: bool | None
    background: float | None
    snr_db: float | None

    @classmethod
    def no_data(cls, **fields) -> DitPower:
        """Make the result of a key-down with too few samples to test."""
        return cls(**fields, amplitude=None, sigma=None, z=None, p_value=None,
                   detected=None, background=None, snr_db=None)


@dataclass(frozen=True, slots=True)
class RoundPower(AsDict):
    """The test of one round's whole template (its key-downs with data).

    Attributes
    ----------
    round_label : int
        The round.
    start_s, stop_s : float
        First key-down start and last key-down stop of the round.
    amplitude, sigma, z, p_value : float or None
        As for :class:`DitPower`, for one amplitude shared by the round's key-downs.
    detected : bool or None
        Above the Šidák threshold of the round level; None without data.
    """

    round_label: int
    start_s: float
    stop_s: float
    amplitude: float | None
    sigma: float | None
    z: float | None
    p_value: float | None
    detected: bool | None

    @classmethod
    def no_data(cls, **fields) -> RoundPower:
        """Make the result of a round with no testable key-down."""
        return cls(**fields, amplitude=None, sigma=None, z=None, p_value=None, detected=None)


@dataclass(frozen=True, slots=True)
class StackPower(AsDict):
    """All rounds combined, inverse-variance weighted, with the fit's full covariance.

    Attributes
    ----------
    n_rounds : int
        Rounds with data.
    z, p_value : float
        Combined statistic and its one-sided false-alarm probability.
    detected : bool
        ``z`` above the single-test threshold.
    """

    n_rounds: int
    z: float
    p_value: float
    detected: bool


@dataclass(frozen=True, slots=True)
class RadiometerResult(AsDict):
    """Everything :func:`~dsp.radiometer.radiometer_test` found.

    Attributes
    ----------
    dits, rounds : tuple
        :class:`DitPower` per key-down (input order), :class:`RoundPower` per round.
    stack : StackPower or None
        None when no round had data.
    pfa : float
        Requested family-wise false-alarm probability per level.
    z_threshold_dit, z_threshold_round, z_threshold_stack : float
        The Šidák-corrected thresholds used.
    noise_relative_std : float
        Fitted per-sample standard deviation relative to the level.
    variance_inflation : float
        Measured correlated-noise factor applied to variances (1 for white noise).
    n_samples_used, n_spikes : int
        Samples in the fit; outliers removed.
    background_knot_s : float
        Knot spacing of the background spline.
    """

    dits: tuple[DitPower, ...]
    rounds: tuple[RoundPower, ...]
    stack: StackPower | None
    pfa: float
    z_threshold_dit: float
    z_threshold_round: float
    z_threshold_stack: float
    noise_relative_std: float
    variance_inflation: float
    n_samples_used: int
    n_spikes: int
    background_knot_s: float
