"""What Waves measured in its 28.5 MHz channel: signal, background and the detector.

* :func:`signal_psd`: the spectral density the ground transmitters put on the Waves
  dipole, free-space propagation while Juno is above each station's horizon.
* :func:`background_psd`: receiver + galactic floor plus terrestrial noise ~ 1/range^2.
* :func:`measure`: one survey sample per second: square-law radiometer fluctuation and
  the instrument's amplitude quantization, calibrated on a real Waves sample.
* :func:`sample_std_psd`: the per-sample standard deviation of :func:`measure`.

All spectral densities are electric-field PSDs in V^2 m^-2 Hz^-1, the units of the
calibrated survey files.  No file I/O, no clock; randomness from a passed Generator.

Examples
--------
>>> from station.waves.flyby import JUNO_2013
>>> from station.waves.population import Transmitters
>>> from station.waves.series import parse_unix_s
>>> one = Transmitters(np.array([-35.8]), np.array([-69.4]), np.array(["A"]),
...                    np.array([28.02e6]), np.array([100.0]), np.array([0.0]))
>>> t = parse_unix_s("2013-10-09T18:40:00Z")
>>> sig = signal_psd(JUNO_2013, one, np.array([t]))
>>> int(sig.n_visible[0]), f"{sig.psd_v2_m2_hz[0]:.2e}", f"{sig.range_m[0] / 1e3:.0f}"
(1, '2.58e-18', '30330')
>>> f"{background_psd(JUNO_2013, np.array([t]))[0]:.3e}"
'1.759e-15'
>>> f"{sample_std_psd(FLOOR_PSD):.2e}"
'4.02e-16'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.special import gammainc

from station.errors import InputError
from station.waves.flyby import look, site_ecef_m
from station.waves.population import Transmitters

__all__ = [
    "AMPLITUDE_STEP",
    "CHANNEL_BANDWIDTH_HZ",
    "CHANNEL_CENTER_HZ",
    "DIPOLE_PROJECTION",
    "DWELL_S",
    "FLOOR_PSD",
    "GAMMA_K",
    "NOTCH_HALF_WIDTH_HZ",
    "REF_RANGE_M",
    "TERRESTRIAL_PSD_AT_REF",
    "Z0_OHM",
    "SignalModel",
    "Trajectory",
    "background_psd",
    "expected_measured_psd",
    "in_channel",
    "measure",
    "sample_std_psd",
    "signal_psd",
]

#: Impedance of free space, ohm (CODATA 2018: 376.730 313).
Z0_OHM = 376.730
#: Centre of the Waves HFR channel used in 2013, Hz ("tuned to 28MHz, the center
#: frequency is 28.5 MHz", event FAQ; juno-2013-event.md §1.1).
CHANNEL_CENTER_HZ = 28.5e6
#: Noise bandwidth of that channel, Hz ("a band width of 1 MHz", FAQ).
CHANNEL_BANDWIDTH_HZ = 1.0e6
#: Half width of the gap around the mixing frequency, Hz: the FAQ's "50 kHz high pass
#: filter" read as removing |f - 28.5 MHz| < 50 kHz (juno-2013-event.md §1.2).
NOTCH_HALF_WIDTH_HZ = 50.0e3
#: Mean of cos^2(angle between E and the dipole).  The Waves dipole lies across the spin
#: axis and spins with it; the spin axis (with the high-gain antenna) pointed near Earth
#: on the way in, so waves from Earth arrive roughly along the axis and the spin average
#: of cos^2 is 1/2 for any polarisation (also the mean over random polarisations of many
#: stations).  Waves arriving across the axis would give 1/4; ignored.
DIPOLE_PROJECTION = 0.5

# ---- detector, calibrated on the real 28.5 MHz channel of the das2C sample --------
# /work/shared/data/juno_waves_sample_2017-01-01.d2t (2017-01-01 00:00-00:05, 300 HFRH
# sweeps, 26th value of each `:40:` row; waves-survey-format.md §4): levels 9.384e-16,
# 1.277e-15, 1.668e-15, 2.112e-15, 2.607e-15 with counts 13, 148, 38, 100, 1; mean
# 1.5946e-15, std 4.022e-16, median 1.277e-15.
#: Amplitude quantization step, V m^-1 Hz^-1/2: least squares of sqrt(level) = n q over
#: n = 6..10 gives 5.1057e-9 (each level within 1.3e-4 of n q).
AMPLITUDE_STEP = 5.106e-9
#: Degrees of freedom / 2 of the square-law detector: X ~ Gamma(k, 1/k), k = B tau.
#: Fitted with FLOOR_PSD by matching the exact (quantized) mean and std of the sample
#: (scipy Nelder-Mead on the level probabilities): k = 17.14, floor 1.5924e-15; model
#: mean 1.5946e-15, std 4.022e-16 (both exact); maximum likelihood on the level counts
#: gives nearly the same (k = 17.6, floor 1.593e-15).  Residual: per 300 samples the
#: model puts 24.6, 93.5, 116.2, 53.4, 9.8 on the five levels (and 1.7 below, 0.8
#: above) where the sample has 13, 148, 38, 100, 1: the real histogram is bimodal
#: (level n = 8 depleted; its time series is white, no spin period), an instrument
#: effect a Gamma cannot make, so the model's median is one level higher (1.668e-15;
#: the sample has 53.7 % at or below 1.277e-15, the model 39.9 %).  Mean and std, which
#: set detectability, are matched.
GAMMA_K = 17.14
#: Equivalent dwell (integration) time of one survey sample, s: k / B = 17.1 us.
DWELL_S = GAMMA_K / CHANNEL_BANDWIDTH_HZ
#: True (pre-detector) receiver + galactic floor, V^2 m^-2 Hz^-1 (fit above).  From a
#: 2017 cruise/Jupiter sample; the 2013 floor may differ.
FLOOR_PSD = 1.5924e-15
#: Range where the terrestrial noise is given, m: the perigee radius (559 km altitude).
REF_RANGE_M = 6_937_000.0
#: Terrestrial noise at REF_RANGE_M (man-made noise and ordinary 10 m traffic leaking
#: through the ionosphere), V^2 m^-2 Hz^-1.  No published value: ASSUMED twice the floor,
#: i.e. it triples the background at closest approach and adds 3.0 % at 56,700 km
#: (round 1) and 3.9 % at 50,000 km; ~1/range^2 as seen from far away.
TERRESTRIAL_PSD_AT_REF = 2.0 * FLOOR_PSD


class Trajectory(Protocol):
    """What the physics needs of a trajectory (:mod:`station.waves.flyby`)."""

    def position_ecef_m(self, time_unix_s: np.ndarray) -> np.ndarray:  # noqa: D102
        ...

    def range_m(self, time_unix_s: np.ndarray) -> np.ndarray:  # noqa: D102
        ...

    def altitude_m(self, time_unix_s: np.ndarray) -> np.ndarray:  # noqa: D102
        ...


@dataclass(frozen=True, eq=False)
class SignalModel:
    """Signal at Waves if every transmitter were key-down, per time step.

    Attributes
    ----------
    psd_v2_m2_hz : numpy.ndarray
        (n_t,) aggregate spectral density in the channel, V^2 m^-2 Hz^-1.
    n_visible : numpy.ndarray
        (n_t,) transmitters that contribute: in the channel, outside the notch and
        with Juno above ``min_elevation_deg``.
    range_m, altitude_m : numpy.ndarray
        (n_t,) geocentric range and altitude of the spacecraft, m.
    """

    psd_v2_m2_hz: np.ndarray
    n_visible: np.ndarray
    range_m: np.ndarray
    altitude_m: np.ndarray


def in_channel(
    freq_hz: np.ndarray,
    *,
    channel_center_hz: float = CHANNEL_CENTER_HZ,
    channel_bandwidth_hz: float = CHANNEL_BANDWIDTH_HZ,
    notch_half_width_hz: float = NOTCH_HALF_WIDTH_HZ,
) -> np.ndarray:
    """Tell which carriers land in the channel and outside the high-pass notch.

    Examples
    --------
    >>> in_channel(np.array([27.9e6, 28.02e6, 28.47e6, 28.5e6, 28.93e6, 29.01e6])).tolist()
    [False, True, False, False, True, False]
    """
    offset = np.abs(np.asarray(freq_hz, dtype=float) - channel_center_hz)
    return (offset < channel_bandwidth_hz / 2) & (offset >= notch_half_width_hz)


def signal_psd(
    trajectory: Trajectory,
    transmitters: Transmitters,
    time_unix_s: np.ndarray,
    *,
    channel_center_hz: float = CHANNEL_CENTER_HZ,
    channel_bandwidth_hz: float = CHANNEL_BANDWIDTH_HZ,
    notch_half_width_hz: float = NOTCH_HALF_WIDTH_HZ,
    min_elevation_deg: float = 0.0,
    projection: float = DIPOLE_PROJECTION,
    chunk_elements: int = 1 << 21,
) -> SignalModel:
    """Aggregate PSD of all transmitters at the Waves dipole (free space, line of sight).

    Per transmitter in view: flux S = P G / (4 pi d^2) at slant range d, field
    E^2 = S Z0, PSD = E^2 * projection / channel bandwidth; carriers add incoherently
    (powers add: many stations on different frequencies).  Ionospheric refraction and
    absorption (small at 28 MHz above ~10 deg) are ignored.

    Parameters
    ----------
    trajectory : Trajectory
        e.g. :data:`station.waves.flyby.JUNO_2013`.
    transmitters : Transmitters
    time_unix_s : numpy.ndarray
        (n_t,) UTC unix seconds.
    channel_center_hz, channel_bandwidth_hz, notch_half_width_hz : float
        The channel; carriers outside it or inside the notch contribute nothing.
    min_elevation_deg : float
        A station counts while Juno is strictly above this elevation.
    projection : float
        Mean cos^2 between the field and the dipole (:data:`DIPOLE_PROJECTION`).
    chunk_elements : int
        Upper bound on transmitters x times held at once (memory ~ 40 bytes each).

    Returns
    -------
    SignalModel
    """
    if not channel_bandwidth_hz > 0:
        raise InputError(f"channel_bandwidth_hz {channel_bandwidth_hz!r}: must be > 0")
    if not 0.0 <= projection <= 1.0:
        raise InputError(f"projection {projection!r}: must be in [0, 1]")
    t = np.atleast_1d(np.asarray(time_unix_s, dtype=float))
    sat = trajectory.position_ecef_m(t)
    keep = in_channel(
        transmitters.freq_hz,
        channel_center_hz=channel_center_hz,
        channel_bandwidth_hz=channel_bandwidth_hz,
        notch_half_width_hz=notch_half_width_hz,
    ) & (transmitters.eirp_w > 0)
    coef = transmitters.eirp_w[keep] * Z0_OHM * projection / (4.0 * np.pi * channel_bandwidth_hz)
    sites = site_ecef_m(transmitters.lat_deg[keep], transmitters.lon_deg[keep])
    psd = np.zeros(len(t))
    n_vis = np.zeros(len(t), dtype=int)
    if coef.size:
        sin_min = np.sin(np.radians(min_elevation_deg))
        step = max(1, int(chunk_elements) // coef.size)
        for lo in range(0, len(t), step):
            sin_el, dist = look(sites, sat[lo : lo + step])
            seen = sin_el > sin_min
            psd[lo : lo + step] = np.where(seen, coef[:, None] / dist**2, 0.0).sum(axis=0)
            n_vis[lo : lo + step] = seen.sum(axis=0)
    return SignalModel(
        psd_v2_m2_hz=psd,
        n_visible=n_vis,
        range_m=trajectory.range_m(t),
        altitude_m=trajectory.altitude_m(t),
    )


def background_psd(
    trajectory: Trajectory,
    time_unix_s: np.ndarray,
    *,
    floor_psd: float = FLOOR_PSD,
    terrestrial_psd_at_ref: float = TERRESTRIAL_PSD_AT_REF,
    ref_range_m: float = REF_RANGE_M,
) -> np.ndarray:
    """Return the true background PSD: floor plus terrestrial noise ~ (ref_range / range)^2.

    Examples
    --------
    >>> from station.waves.flyby import JUNO_2013
    >>> b = background_psd(JUNO_2013, np.array([JUNO_2013.perigee_unix_s]))
    >>> round(float(b[0] / FLOOR_PSD), 6)
    3.0
    """
    rng_m = trajectory.range_m(np.atleast_1d(np.asarray(time_unix_s, dtype=float)))
    return floor_psd + terrestrial_psd_at_ref * (ref_range_m / rng_m) ** 2


def measure(
    psd_true: np.ndarray,
    rng: np.random.Generator,
    *,
    gamma_k: float = GAMMA_K,
    amplitude_step: float = AMPLITUDE_STEP,
) -> np.ndarray:
    """One survey sample per element: ``(round(sqrt(psd_true X) / q) q)^2``.

    X ~ Gamma(k, 1/k) (mean 1, variance 1/k) is the fluctuation of a square-law detector
    with 2k degrees of freedom; q is the amplitude step.  Elements whose amplitude
    rounds to zero come out 0 (readers treat values <= 0 as missing).

    Examples
    --------
    >>> m = measure(np.full(4, FLOOR_PSD), np.random.default_rng(0))
    >>> bool(np.allclose(np.sqrt(m) / AMPLITUDE_STEP, np.rint(np.sqrt(m) / AMPLITUDE_STEP)))
    True
    """
    p = np.asarray(psd_true, dtype=float)
    x = rng.gamma(gamma_k, 1.0 / gamma_k, size=p.shape)
    return (np.rint(np.sqrt(p * x) / amplitude_step) * amplitude_step) ** 2


def _level_moments(psd_true: float, gamma_k: float, amplitude_step: float) -> tuple[float, float]:
    """Exact mean and variance of :func:`measure` at one true level."""
    if not psd_true > 0:
        return 0.0, 0.0
    q = amplitude_step
    sd_amp = np.sqrt(psd_true) * (1.0 + 12.0 / np.sqrt(gamma_k))  # generous upper tail
    n_max = int(sd_amp / q) + 3
    if n_max > 200_000:  # fine quantization: continuous Gamma + uniform rounding noise
        return psd_true, psd_true**2 / gamma_k + (2.0 * np.sqrt(psd_true) * q) ** 2 / 12.0
    n = np.arange(n_max + 1, dtype=float)
    edges = (np.concatenate([[0.0], n + 0.5]) * q) ** 2 / psd_true
    prob = np.diff(gammainc(gamma_k, gamma_k * edges))
    value = (n * q) ** 2
    mean = float(prob @ value)
    return mean, float(prob @ (value - mean) ** 2)


def sample_std_psd(
    psd_true: float, *, gamma_k: float = GAMMA_K, amplitude_step: float = AMPLITUDE_STEP
) -> float:
    """Return the std of one :func:`measure` sample at a true PSD (exact, analytic).

    Sums over the quantization levels with the Gamma probabilities (no Monte Carlo).

    Examples
    --------
    >>> f"{sample_std_psd(3 * FLOOR_PSD):.2e}"
    '1.17e-15'
    """
    return float(np.sqrt(_level_moments(float(psd_true), gamma_k, amplitude_step)[1]))


def expected_measured_psd(
    psd_true: float, *, gamma_k: float = GAMMA_K, amplitude_step: float = AMPLITUDE_STEP
) -> float:
    """Return the mean of :func:`measure` at a true PSD (quantization bias included).

    Examples
    --------
    >>> round(expected_measured_psd(FLOOR_PSD) / FLOOR_PSD, 4)
    1.0014
    """
    return _level_moments(float(psd_true), gamma_k, amplitude_step)[0]
