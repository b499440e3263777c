"""Find an event's keying in a Waves-like power series: per dit, per round, stacked.

The event file gives every expected key-down in UTC and (``[receiver]``) the channel
to test and a trajectory for the range of each round.  The channel is tested with
:func:`dsp.broadband.broadband_test` against the neighbouring channels (27.5 and
29.5 MHz for Waves) as off-band references: hams add power only in the event
channel, while broadband interference shows in all of them, so bursts the references
show are masked and a template they show too is tested as the event channel's
excess beyond them (vetoed).  Without references,
:func:`dsp.radiometer.radiometer_test` alone.

Examples
--------
>>> import numpy as np
>>> from station.schedule import load_event
>>> from station.waves.series import WavesSeries, parse_unix_s
>>> event = load_event("juno-2013-10-09")
>>> t = parse_unix_s("2013-10-09T17:50:00Z") + np.arange(0.0, 1150.0)
>>> rng = np.random.default_rng(0)
>>> on = (((t - t[0] - 600) % 60) < 30) & (t - t[0] >= 600) & (t - t[0] < 810)
>>> power = 1.5e-15 * rng.gamma(17.0, 1 / 17.0, (t.size, 3)) * (1 + 0.3 * on[:, None] * [0, 1, 0])
>>> s = WavesSeries(t, np.array([27.5e6, 28.5e6, 29.5e6]), np.full(3, 1e6), power, "doc", "npz")
>>> a = analyze_series(s, event)
>>> a.rounds[0].number, a.rounds[0].detected, a.rounds[1].detected, round(a.rounds[0].range_km, -3)
(1, True, None, 55000.0)
>>> [d.letter for d in a.dits[:6]]
['H', 'H', 'H', 'H', 'I', 'I']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import numpy as np

from dsp.broadband import BroadbandResult, broadband_test
from dsp.morse import MORSE_CODE, normalize_text
from dsp.radiometer import radiometer_test
from dsp.results import AsDict
from station.errors import InputError
from station.schedule import Event
from station.utc import format_unix_s
from station.waves.series import WavesSeries

__all__ = ["DEFAULT_PFA", "WavesAnalysis", "WavesDit", "WavesRound", "analyze_series",
           "expected_key_downs"]

DEFAULT_CHANNEL_HZ = 28.5e6
"""The Waves HFRH channel covering 28-29 MHz, used when the event names no receiver."""

DEFAULT_PFA = 1e-4
"""Family-wise false-alarm probability per level (dits, rounds, stack) unless asked.

A file is three families (the stack's strongest-round half adds no file the rounds
do not), so a calibrated test falsely detects something in about ``2.5 pfa`` of the
files without HI: at 1e-3 one survey in 400, about one in four sets of 100 files
with one or more; at 1e-4 one in 4,000.  The cost: the round threshold rises from
z 3.92 to 4.48 (16 rounds; a dit's from 4.51 to 5.07), and per-round Pd at an
expected round z of 6 falls from 0.953 to 0.863, about 0.4 dB more power for the
same Pd (``bench/waves_interference.py``)."""


@dataclass(frozen=True, slots=True)
class WavesDit(AsDict):
    """One expected key-down tested in the event channel (fields as in the table)."""

    round: int
    index: int
    letter: str
    start_utc: str
    stop_utc: str
    n_samples: int
    z: float | None
    p_value: float | None
    detected: bool | None
    snr_db: float | None
    amplitude: float | None
    event_z: float | None = None
    reference_mean_z: float | None = None
    vetoed: bool = False
    veto_reason: str = ""


@dataclass(frozen=True, slots=True)
class WavesRound(AsDict):
    """One round: its template tested as a whole, and the same in the reference channels.

    Attributes
    ----------
    number : int
        Round number as in the event (from 1).
    start_utc, stop_utc : str
        First key-down and last key-up.
    range_km, altitude_km : float or None
        Spacecraft geocentric range and altitude at mid-round (trajectory model).
    z, p_value, detected, amplitude : float, float, bool or None
        Round statistic, its one-sided p, the decision at the round-level Šidák
        threshold (None: no data), the added power (units of the series).  Where the
        references show the round (``vetoed``), ``z`` is the event channel's excess
        beyond them (:mod:`dsp.broadband`).
    dits_detected : int
        Key-downs of this round detected on their own.
    reference_z : tuple of float or None
        The same statistic in each reference channel.
    event_z : float or None
        The event channel's own ``z``, before the references are considered.
    reference_mean_z : float or None
        The references' mean relative amplitude over its standard error.
    vetoed, veto_reason : bool, str
        Whether the references (or bursts they show) decided the test, and why.
    """

    number: int
    start_utc: str
    stop_utc: str
    range_km: float | None
    altitude_km: float | None
    z: float | None
    p_value: float | None
    detected: bool | None
    amplitude: float | None
    dits_detected: int
    reference_z: tuple[float | None, ...]
    event_z: float | None = None
    reference_mean_z: float | None = None
    vetoed: bool = False
    veto_reason: str = ""


@dataclass(frozen=True, slots=True)
class WavesAnalysis(AsDict):
    """The whole analysis of one series against one event (``--json`` prints this)."""

    source: str
    file_format: str
    event_id: str
    channel_hz: float
    channel_bandwidth_hz: float
    reference_channels_hz: tuple[float, ...]
    span_start_utc: str
    span_stop_utc: str
    cadence_s: float
    units: str
    pfa: float
    z_threshold_dit: float
    z_threshold_round: float
    z_threshold_stack: float
    stack_z: float | None
    stack_p_value: float | None
    stack_detected: bool | None
    reference_stack_z: tuple[float | None, ...]
    noise_relative_std: float
    variance_inflation: float
    n_spikes: int
    trajectory: str
    rounds: tuple[WavesRound, ...]
    dits: tuple[WavesDit, ...]
    stack_z_strongest: float | None = None
    n_outliers: int = 0
    masked_utc: tuple[tuple[str, str], ...] = ()


def expected_key_downs(event: Event) -> tuple[np.ndarray, list[int], list[str]]:
    """Every key-down of `event` as UTC unix seconds, with its round number and letter.

    Examples
    --------
    >>> from station.schedule import load_event
    >>> kd, rounds, letters = expected_key_downs(load_event("juno-2013-10-09"))
    >>> kd.shape, rounds[6], "".join(letters[:6])
    ((96, 2), 2, 'HHHHII')
    """
    letters: list[str] = []
    for token in normalize_text(event.message).split():
        for char in _glyphs(token):
            letters += [char] * len(MORSE_CODE[char])
    if len(letters) != len(event.key_down_s):  # explicit key_down_s: no letters
        letters = [""] * len(event.key_down_s)
    kd, rounds, labels = [], [], []
    for r in range(event.rounds):
        t0 = event.round_start_utc(r).timestamp()
        for (a, b), letter in zip(event.key_down_s, letters, strict=True):
            kd.append((t0 + a, t0 + b))
            rounds.append(r + 1)
            labels.append(letter)
    return np.array(kd, dtype=np.float64), rounds, labels


def _glyphs(token: str) -> list[str]:
    out, i = [], 0
    while i < len(token):
        if token[i] == "<" and ">" in token[i:]:
            j = token.index(">", i) + 1
            out.append(token[i:j])
            i = j
        else:
            out.append(token[i])
            i += 1
    return out


def _trajectory_km(name: str, t_unix_s: np.ndarray):
    """Geocentric range and altitude (km) from the named trajectory; Nones without one."""
    if not name:
        return None, None
    from station.waves.flyby import trajectory_by_name

    traj = trajectory_by_name(name)
    return traj.range_m(t_unix_s) / 1e3, traj.altitude_m(t_unix_s) / 1e3


class _TestOptions(TypedDict):
    """The options ``analyze_series`` hands on to the radiometer and broadband tests."""

    pfa: float
    background_knot_s: float
    edge_guard_s: float


def analyze_series(
    series: WavesSeries,
    event: Event,
    *,
    channel_hz: float | None = None,
    reference_hz: tuple[float, ...] | None = None,
    pfa: float = DEFAULT_PFA,
    background_knot_s: float = 600.0,
    edge_guard_s: float = 0.0,
    trajectory: str | None = None,
) -> WavesAnalysis:
    """Test `event`'s keying in `series` per dit, per round and stacked.

    Parameters
    ----------
    series : WavesSeries
        Any reader's output; must cover at least one expected key-down.
    event : Event
        The schedule; its ``[receiver]`` table supplies the defaults below.
    channel_hz : float, optional
        Channel to test (default: the event's receiver channel, else 28.5 MHz).
    reference_hz : tuple of float, optional
        Off-band reference channels (default: the neighbours one bandwidth either side,
        where the series has them).
    pfa : float
        Family-wise false-alarm probability per level (dits, rounds, stack);
        :data:`DEFAULT_PFA` unless given.
    background_knot_s, edge_guard_s : float
        See :func:`dsp.radiometer.radiometer_test`.
    trajectory : str, optional
        Trajectory model for the range column (default: the event's); ``""`` for none.

    Raises
    ------
    InputError
        The channel is not in the series, or no key-down falls inside its time span.
    """
    receiver = event.receiver
    main, bandwidth, refs = _channels(series, event, channel_hz, reference_hz)
    kd, rounds, letters = expected_key_downs(event)
    t = series.time_unix_s
    _check_span(event, kd, t)
    margin = 2 * background_knot_s
    rows = (t >= kd[0, 0] - margin) & (t < kd[-1, 1] + margin)
    t0 = float(kd[0, 0])
    test = _TestOptions(pfa=pfa, background_knot_s=background_knot_s, edge_guard_s=edge_guard_s)
    tt = t[rows] - t0
    if refs:
        both = broadband_test(tt, series.power[rows, main], series.power[rows][:, refs].T,
                              kd - t0, rounds, **test)  # fmt: skip
    else:
        alone = radiometer_test(tt, series.power[rows, main], kd - t0, rounds, **test)
        both = BroadbandResult.alone(alone, np.zeros(tt.size, bool))
    res = both.main
    name = receiver.trajectory if (trajectory is None and receiver) else (trajectory or "")
    dits = _dits(both, letters, t0)
    stack = res.stack
    return WavesAnalysis(
        source=series.source, file_format=series.file_format, event_id=event.id,
        channel_hz=float(series.freq_hz[main]), channel_bandwidth_hz=float(bandwidth),
        reference_channels_hz=tuple(float(series.freq_hz[k]) for k in refs),
        span_start_utc=format_unix_s(t[0]), span_stop_utc=format_unix_s(t[-1]),
        cadence_s=series.cadence_s, units=series.units, pfa=pfa,
        z_threshold_dit=res.z_threshold_dit, z_threshold_round=res.z_threshold_round,
        z_threshold_stack=res.z_threshold_stack,
        stack_z=stack.z if stack else None, stack_p_value=stack.p_value if stack else None,
        stack_detected=stack.detected if stack else None,
        reference_stack_z=tuple(x.stack.z if x.stack else None for x in both.references),
        noise_relative_std=res.noise_relative_std, variance_inflation=res.variance_inflation,
        n_spikes=res.n_spikes, trajectory=name, rounds=_rounds(both, dits, t0, name), dits=dits,
        stack_z_strongest=stack.z_strongest if stack else None, n_outliers=res.n_outliers,
        masked_utc=_runs_utc(tt + t0, both.masked),
    )


def _channels(series: WavesSeries, event: Event, channel_hz: float | None,
              reference_hz: tuple[float, ...] | None) -> tuple[int, float, list[int]]:  # fmt: skip
    """Return the event channel's index and bandwidth, and the references' indices."""
    receiver = event.receiver
    channel_hz = channel_hz or (receiver.channel_hz if receiver else DEFAULT_CHANNEL_HZ)
    main = series.channel_index(channel_hz)
    bandwidth = series.bandwidth_hz[main]
    if not np.isfinite(bandwidth):
        bandwidth = receiver.bandwidth_hz if receiver else np.nan
    if reference_hz is None:
        step = bandwidth if np.isfinite(bandwidth) else 1e6
        reference_hz = tuple(
            f for f in (series.freq_hz[main] - step, series.freq_hz[main] + step)
            if np.min(np.abs(series.freq_hz - f)) < step / 4
        )
    return main, bandwidth, [series.channel_index(f) for f in reference_hz]


def _check_span(event: Event, kd: np.ndarray, t: np.ndarray) -> None:
    """Raise :class:`InputError` unless some key-down falls inside the file's span."""
    if t.size == 0 or kd.size == 0:
        span = (f" ({format_unix_s(kd[0, 0], 0)} to {format_unix_s(kd[-1, 1], 0)})"
                if kd.size else "")  # fmt: skip
        raise InputError(
            f"schedule {event.id}: no sample of the file lies in the event's time{span}; "
            "the file covers other times (`hi-station waves inspect` shows its span)"
        )
    if not np.any((kd[:, 1] > t[0]) & (kd[:, 0] < t[-1])):
        raise InputError(
            f"schedule {event.id}: its key-downs ({format_unix_s(kd[0, 0], 0)} to "
            f"{format_unix_s(kd[-1, 1], 0)}) are all outside the file's span "
            f"({format_unix_s(t[0], 0)} to {format_unix_s(t[-1], 0)})"
        )


def _dits(both: BroadbandResult, letters: list[str], t0: float) -> tuple[WavesDit, ...]:
    """Every dit's result in UTC, with its broadband check."""
    return tuple(
        WavesDit(round=d.round_number, index=d.index, letter=letter,
                 start_utc=format_unix_s(d.start_s + t0, 0),
                 stop_utc=format_unix_s(d.stop_s + t0, 0),
                 n_samples=d.n_samples, z=d.z, p_value=d.p_value, detected=d.detected,
                 snr_db=d.snr_db, amplitude=d.amplitude,
                 event_z=c.event_z, reference_mean_z=c.reference_z, vetoed=c.vetoed,
                 veto_reason=c.reason)
        for d, letter, c in zip(both.main.dits, letters, both.dits, strict=True)
    )  # fmt: skip


def _rounds(both: BroadbandResult, dits: tuple[WavesDit, ...], t0: float,
            trajectory: str) -> tuple[WavesRound, ...]:  # fmt: skip
    """Every round's result in UTC, with its range and broadband check."""
    res = both.main
    mids = np.array([(r.start_s + r.stop_s) / 2 + t0 for r in res.rounds])
    range_km, altitude_km = _trajectory_km(trajectory, mids)
    out = []
    for j, (r, c) in enumerate(zip(res.rounds, both.rounds, strict=True)):
        out.append(WavesRound(
            number=r.round_number, start_utc=format_unix_s(r.start_s + t0, 0),
            stop_utc=format_unix_s(r.stop_s + t0, 0),
            range_km=None if range_km is None else float(range_km[j]),
            altitude_km=None if altitude_km is None else float(altitude_km[j]),
            z=r.z, p_value=r.p_value, detected=r.detected, amplitude=r.amplitude,
            dits_detected=sum(bool(d.detected) for d in dits if d.round == r.round_number),
            reference_z=tuple(x.rounds[j].z for x in both.references),
            event_z=c.event_z, reference_mean_z=c.reference_z,
            vetoed=c.vetoed, veto_reason=c.reason,
        ))  # fmt: skip
    return tuple(out)


def _runs_utc(t: np.ndarray, mask: np.ndarray) -> tuple[tuple[str, str], ...]:
    """Return the ``[start, stop)`` UTC of every run of ``mask``."""
    if not mask.any():
        return ()
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    step = float(np.median(np.diff(t))) if t.size > 1 else 1.0
    return tuple((format_unix_s(t[a], 0), format_unix_s(t[b - 1] + step, 0))
                 for a, b in zip(edges[::2], edges[1::2], strict=True))  # fmt: skip
