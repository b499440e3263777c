"""Simulate what Waves recorded during an event, and predict what it could detect.

The survey is built from :mod:`station.waves.physics`: each round a random share of the
operators (:func:`~station.waves.population.select_active`) keys the event's template;
their carriers reach the spacecraft in free space while it is above their horizon;
every operator's clock is off by a little (edges blur); the 126 channels get their
quiet levels (the event channel its fitted floor plus terrestrial noise that grows
near Earth) and the survey's fluctuation and quantization.  Rows after the safe-mode
time are absent, as in the archive.

:func:`predict` gives the expected z of every dit and round before any noise is drawn
(same design as the test, :func:`dsp.radiometer.template_standard_errors`), the
probability of detection, and the operators needed for a 90 % chance.

Examples
--------
>>> from station.schedule import load_event
>>> sim = simulate(load_event("juno-2013-10-09"), SimulationConfig(seed=1),
...                rounds=(3,))
>>> sim.series.power.shape[1], sim.truth.rounds[0].number, bool(sim.truth.rounds[0].expected_z > 4)
(126, 3, True)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr

from dsp.radiometer import sidak_z_threshold, template_standard_errors
from dsp.results import AsDict
from station.errors import InputError
from station.schedule import Event
from station.utc import format_unix_s
from station.waves.analyze import DEFAULT_CHANNEL_HZ, DEFAULT_PFA, expected_key_downs
from station.waves.channels import SURVEY_CHANNELS, noise_bandwidths_hz
from station.waves.flyby import trajectory_by_name
from station.waves.physics import (
    FLOOR_PSD,
    background_psd,
    expected_measured_psd,
    measure,
    sample_std_psd,
    signal_psd,
)
from station.waves.population import (
    DEFAULT_ACTIVE_FRACTION,
    DEFAULT_ANTENNA_GAIN_DBI,
    DEFAULT_POWER_W,
    select_active,
    spread_operators,
)
from station.waves.series import PSD_UNITS, WavesSeries, parse_unix_s

__all__ = ["Prediction", "RoundTruth", "SimulationConfig", "Simulation", "predict", "simulate"]

SAFE_MODE_UTC = {"juno-2013-earth-flyby": "2013-10-09T19:24:00Z"}
"""Where the archive's data end.  "Shortly after [closest approach] ... the spacecraft
went into safe mode, so outbound data were lost" (ARRL), yet all four H dits of round 9
were seen (19:20:00-19:23:30, "back above it for the last dit"): data to 19:24."""
SAMPLE_PHASE_S = 0.3
"""HFRH sweeps are stamped at .3 s past each second in the real sample."""
CLOCK_ERROR_S = 1.0
"""Spread (1 sigma) of operators' key edges: a web countdown and a hand on the key, or
an NTP-synchronized keyer (a few ms); 1 s is a round middle.  Edges blur, dits don't."""
MARGIN_S = 1800.0
"""Simulated time before the first key-down and after the last key-up (unless
``full_day``): enough quiet background for the fit either side."""


@dataclass(frozen=True)
class SimulationConfig:
    """Knobs of one simulation (defaults: the 2013 event as reported)."""

    n_operators: int = 1400
    power_w: float = DEFAULT_POWER_W
    antenna_gain_dbi: float = DEFAULT_ANTENNA_GAIN_DBI
    active_fraction: float = DEFAULT_ACTIVE_FRACTION
    seed: int = 0
    clock_error_s: float = CLOCK_ERROR_S
    safe_mode_utc: str | None = "default"
    full_day: bool = False
    cadence_s: float = 1.0

    def __post_init__(self) -> None:
        if self.n_operators < 0:
            raise InputError(f"operators {self.n_operators}: must be >= 0")
        if not 0 <= self.power_w <= 1e7:
            raise InputError(f"power_w {self.power_w}: must be 0-1e7 W")
        if not -50 <= self.antenna_gain_dbi <= 100:
            raise InputError(f"antenna_gain_dbi {self.antenna_gain_dbi}: must be -50-100 dBi")
        if not 0 <= self.seed < 2**63:
            raise InputError(f"seed {self.seed}: must be a whole number >= 0")
        if not 0 <= self.active_fraction <= 1:
            raise InputError(f"active_fraction {self.active_fraction}: must be in [0, 1]")
        if not (self.clock_error_s == 0 or 1e-3 <= self.clock_error_s <= 60):
            raise InputError(f"clock_error_s {self.clock_error_s}: must be 0 or 0.001-60 s")
        if not 0.1 <= self.cadence_s <= 60:
            raise InputError(f"cadence_s {self.cadence_s}: must be 0.1-60 s")
        if self.safe_mode_utc not in (None, "default"):
            try:
                parse_unix_s(self.safe_mode_utc)
            except ValueError:
                raise InputError(
                    f"safe_mode_utc {self.safe_mode_utc!r}: must be a UTC time like "
                    "2013-10-09T19:24:00Z, 'default' or none") from None


@dataclass(frozen=True)
class RoundTruth:
    """What the simulation put into one round, and what the test should see."""

    number: int
    start_utc: str
    stop_utc: str
    range_km: float
    altitude_km: float
    n_active: int
    n_visible: float
    signal_psd: float
    background_psd: float
    has_data: bool
    expected_z: float | None
    pd: float | None
    operators_for_pd90: float | None
    dit_expected_z: tuple[float | None, ...]


@dataclass(frozen=True)
class Prediction(AsDict):
    """Expected detectability of every round (``--report``)."""

    event_id: str
    trajectory: str
    pfa: float
    z_threshold_round: float
    z_threshold_dit: float
    config: dict
    rounds: tuple[RoundTruth, ...]


@dataclass(frozen=True, eq=False)
class Simulation:
    """A simulated survey and its truth."""

    series: WavesSeries
    truth: Prediction
    keyed: np.ndarray = field(repr=False)


def _sample_times(cfg: SimulationConfig, kd: np.ndarray, trajectory: str) -> np.ndarray:
    """Survey sample times: the UTC day or the key-downs +- MARGIN_S, until safe mode."""
    if cfg.full_day:
        t0 = kd[0, 0] - kd[0, 0] % 86400.0
        t1 = max(t0 + 86400.0, kd[-1, 1] + 600)
    else:
        t0, t1 = kd[0, 0] - MARGIN_S, kd[-1, 1] + MARGIN_S
    t = np.arange(t0 + SAMPLE_PHASE_S, t1, cfg.cadence_s)
    t = t[t < _safe_mode(cfg, trajectory)]
    if t.size < 2:
        raise InputError(f"safe_mode_utc {cfg.safe_mode_utc!r}: the survey ends before it "
                         "starts (the first key-down is later); give a later time or none")
    return t


def _keyed_fraction(t: np.ndarray, kd: np.ndarray, sigma_s: float) -> np.ndarray:
    """Share of operators key-down at each sample, with clock errors ~ N(0, sigma)."""
    out = np.zeros(t.size)
    for a, b in kd:
        near = (t > a - 6 * sigma_s - 1) & (t < b + 6 * sigma_s + 1)
        if sigma_s == 0:
            out[near] += (t[near] >= a) & (t[near] < b)
        else:
            out[near] += ndtr((t[near] - a) / sigma_s) - ndtr((t[near] - b) / sigma_s)
    return out


def _safe_mode(cfg: SimulationConfig, trajectory: str) -> float:
    text = SAFE_MODE_UTC.get(trajectory) if cfg.safe_mode_utc == "default" else cfg.safe_mode_utc
    return np.inf if not text else parse_unix_s(text)


def simulate(
    event: Event,
    config: SimulationConfig = SimulationConfig(),  # noqa: B008 - frozen, safe
    *,
    rounds: tuple[int, ...] | None = None,
    pfa: float = DEFAULT_PFA,
) -> Simulation:
    """Draw one survey of `event` (all 126 channels) and its truth.

    Parameters
    ----------
    event : Event
        Needs a ``[receiver]`` with a trajectory (the spacecraft's path).
    config : SimulationConfig
        Operators, power, gain, seed, time span, safe mode.
    rounds : tuple of int, optional
        Only these rounds are keyed and (without ``full_day``) simulated.
    pfa : float
        False-alarm probability for the truth's predicted detection.
    """
    if event.receiver is None or not event.receiver.trajectory:
        raise InputError(f"schedule {event.id}: has no [receiver] trajectory to simulate")
    traj = trajectory_by_name(event.receiver.trajectory)
    channel_hz = event.receiver.channel_hz or DEFAULT_CHANNEL_HZ
    kd, labels, _ = expected_key_downs(event)
    if rounds is not None:
        pick = np.isin(labels, rounds)
        kd, labels = kd[pick], [lab for lab, p in zip(labels, pick, strict=True) if p]
    if kd.size == 0:
        raise InputError(f"rounds {rounds}: not in schedule {event.id}")
    t = _sample_times(config, kd, event.receiver.trajectory)
    rng = np.random.default_rng(config.seed)
    ops = spread_operators(config.n_operators, rng, event_table_hz=event.table_hz,
                           power_w=config.power_w, antenna_gain_dbi=config.antenna_gain_dbi)
    signal = np.zeros(t.size)
    keyed = np.zeros(t.size)
    truths_active = {}
    for r in dict.fromkeys(labels):
        mine = kd[[lab == r for lab in labels]]
        active = select_active(ops, rng, fraction=config.active_fraction)
        truths_active[r] = len(active)
        frac = _keyed_fraction(t, mine, config.clock_error_s)
        on = frac > 0
        keyed += frac
        if on.any() and len(active):
            signal[on] += frac[on] * signal_psd(traj, active, t[on],
                                                channel_center_hz=channel_hz).psd_v2_m2_hz
    freq = np.array([c[0] for c in SURVEY_CHANNELS])
    main = int(np.argmin(np.abs(freq - channel_hz)))
    background = background_psd(traj, t)
    terrestrial = background - FLOOR_PSD
    power = np.empty((t.size, freq.size))
    for k, (_, level, band) in enumerate(SURVEY_CHANNELS):
        if k == main:
            true = background + signal
        elif band == "HFRH":
            true = level + terrestrial
        else:
            true = np.full(t.size, level)
        if band == "HFRH":
            power[:, k] = measure(true, rng)
        else:
            power[:, k] = true * rng.gamma(17.1, 1 / 17.1, t.size)
    power[~(power > 0)] = np.nan
    series = WavesSeries(t, freq, noise_bandwidths_hz(), power, f"simulated {event.id}",
                         "pds-csv", PSD_UNITS, tuple(c[2] for c in SURVEY_CHANNELS))
    truth = predict(event, config, t=t, signal=signal, kd=kd, labels=labels,
                    n_active=truths_active, pfa=pfa)
    return Simulation(series, truth, keyed)


def predict(
    event: Event,
    config: SimulationConfig = SimulationConfig(),  # noqa: B008 - frozen, safe
    *,
    t: np.ndarray | None = None,
    signal: np.ndarray | None = None,
    kd: np.ndarray | None = None,
    labels: list[int] | None = None,
    n_active: dict[int, int] | None = None,
    pfa: float = DEFAULT_PFA,
) -> Prediction:
    """Predict z, the detection probability and the operators needed, per round.

    Without `t`/`signal` (planning), the signal is the mean over random operator
    draws: every operator keys with probability ``active_fraction``.
    """
    traj_name = event.receiver.trajectory if event.receiver else ""
    traj = trajectory_by_name(traj_name)
    if kd is None or labels is None:
        kd, labels, _ = expected_key_downs(event)
    if t is None or signal is None:
        t = _sample_times(config, kd, traj_name)
        ops = spread_operators(config.n_operators, np.random.default_rng(config.seed),
                               event_table_hz=event.table_hz, power_w=config.power_w,
                               antenna_gain_dbi=config.antenna_gain_dbi)
        keyed = _keyed_fraction(t, kd, config.clock_error_s)
        signal = np.zeros(t.size)
        on = keyed > 0
        if on.any() and len(ops):
            signal[on] = keyed[on] * config.active_fraction * signal_psd(
                traj, ops, t[on]).psd_v2_m2_hz
        n_active = {r: round(config.active_fraction * config.n_operators) for r in labels}
    background = background_psd(traj, t)
    level = background + signal  # the survey's noise grows with the signal near Earth
    grid = np.geomspace(level.min(), level.max() * 1.0001, 32)
    table = [sample_std_psd(g) for g in grid]
    # z is read against the noise without the signal (the analyzer's null); the
    # signal's own fluctuation only widens z's spread around its mean.
    dit_se, round_se = template_standard_errors(t, kd, labels, np.interp(background, grid, table))
    round_spread = template_standard_errors(t, kd, labels, np.interp(level, grid, table))[1] \
        / round_se  # fmt: skip
    gain = np.array([expected_measured_psd(b + s) - expected_measured_psd(b)
                     for b, s in zip(background[::10], signal[::10], strict=True)])
    lift = np.interp(t, t[::10], gain)  # quantization-aware mean added power
    order = list(dict.fromkeys(labels))
    # Thresholds as the analyzer will set them: over the dits and rounds with data.
    z_round = sidak_z_threshold(pfa, max(int(np.isfinite(round_se).sum()), 1))
    z_dit = sidak_z_threshold(pfa, max(int(np.isfinite(dit_se).sum()), 1))
    out = []
    for j, r in enumerate(order):
        rows = [k for k, lab in enumerate(labels) if lab == r]
        inside = np.zeros(t.size, dtype=bool)
        for a, b in kd[rows]:
            inside |= (t >= a) & (t < b)
        mid = np.array([(kd[rows[0], 0] + kd[rows[-1], 1]) / 2])
        has = bool(np.isfinite(round_se[j]))
        amp = float(lift[inside].mean()) if inside.any() else 0.0
        z = amp / round_se[j] if has else None
        dz = []
        for k in rows:
            sel = (t >= kd[k, 0]) & (t < kd[k, 1])
            dz.append(float(lift[sel].mean() / dit_se[k]) if np.isfinite(dit_se[k]) else None)
        need = None
        if z is not None and z > 0:
            need = config.n_operators * (z_round + 1.2816) / z
        out.append(RoundTruth(
            number=r, start_utc=format_unix_s(kd[rows[0], 0], 0),
            stop_utc=format_unix_s(kd[rows[-1], 1], 0),
            range_km=float(traj.range_m(mid)[0]) / 1e3,
            altitude_km=float(traj.altitude_m(mid)[0]) / 1e3,
            n_active=int((n_active or {}).get(r, 0)),
            n_visible=float(np.mean(signal[inside] > 0)) if inside.any() else 0.0,
            signal_psd=float(signal[inside].mean()) if inside.any() else 0.0,
            background_psd=float(background[inside].mean()) if inside.any() else float("nan"),
            has_data=has, expected_z=z,
            pd=None if z is None else float(ndtr((z - z_round) / round_spread[j])),
            operators_for_pd90=need, dit_expected_z=tuple(dz)))
    cfg = dataclasses.asdict(config)
    return Prediction(event.id, traj_name, pfa, z_round, z_dit, cfg, tuple(out))
