"""Seeded Waves surveys as interference makes them: bursts, gaps, spikes, a rising signal.

The flyby simulator (:mod:`station.waves.simulate`) draws what the physics predicts;
this generator draws what the analyzer must survive, with every level set exactly:

* **broadband bursts** that raise the event channel and its references alike, timed
  with the key-downs of chosen rounds, at random, or inside a gap;
* **instrument spikes** (pre-amp or attenuator toggling) in every channel at once;
* **gaps** (missing rows) and a **background rising** over the span (the flyby's
  terrestrial noise);
* a HI whose **expected round z** is given per round (e.g. rising steeply near closest
  approach): the added power of round ``r`` is ``z_r`` times the standard error the
  analyzer's own design gives that round on this background
  (:func:`dsp.radiometer.template_standard_errors`), so "expected z" is exact.

Noise is the real 28.5 MHz sample's: square-law Gamma fluctuation and amplitude
quantization (:func:`station.waves.physics.measure`), in three channels (27.5, 28.5,
29.5 MHz) of slightly different floors.  Hand-written: no library draws Waves surveys.

Examples
--------
>>> import numpy as np
>>> from station.schedule import load_event
>>> from station.waves.analyze import analyze_series
>>> event = load_event("juno-2013-10-09")
>>> kd, rounds, _ = expected_key_downs(event)
>>> scene = Scene(event, round_z=8.0, bursts=bursts_on_rounds(kd, rounds, (3,), 1.5))
>>> s, truth = render_survey(scene, np.random.default_rng(1))
>>> s.power.shape, round(float(truth.round_z[0]), 1)
((12600, 3), 8.0)
>>> a = analyze_series(s, event)
>>> sum(bool(r.detected) for r in a.rounds) >= 14, a.rounds[2].vetoed
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dsp.radiometer import template_standard_errors
from station.schedule import Event
from station.waves.analyze import expected_key_downs
from station.waves.physics import FLOOR_PSD, measure, sample_std_psd
from station.waves.series import PSD_UNITS, WavesSeries, parse_unix_s

__all__ = ["Burst", "Scene", "Truth", "bursts_on_rounds", "random_bursts", "render_survey"]

CHANNELS_HZ = (27.5e6, 28.5e6, 29.5e6)
EVENT_CHANNEL = 1
FLOORS = (1.08, 1.0, 0.93)  # each channel's floor / FLOOR_PSD
SPIKE_FACTOR = 80.0  # a 19 dB attenuator toggled for one sample


@dataclass(frozen=True)
class Burst:
    """Broadband interference: every channel's background times ``factor`` in ``[start, stop)``.

    Times are UTC unix seconds.
    """

    start_unix_s: float
    stop_unix_s: float
    factor: float


@dataclass(frozen=True)
class Scene:
    """One survey to draw (see the module docstring).

    Attributes
    ----------
    event : Event
        Gives the key-downs.
    round_z : float or sequence of float or None
        Expected z of each round's HI (one value: every round); None or 0: no HI.
    bursts : tuple of Burst
        Broadband interference.
    gaps : tuple of (float, float)
        ``[start, stop)`` UTC unix seconds without data.
    spikes : int
        Instrument spikes (every channel, one sample, x ``SPIKE_FACTOR``) at random times.
    rise : float
        Background at the end over the background at the start (exponential in time).
    start_utc, stop_utc : str
        Span of the survey (1 sample per second).
    """

    event: Event
    round_z: float | tuple[float, ...] | None = None
    bursts: tuple[Burst, ...] = ()
    gaps: tuple[tuple[float, float], ...] = ()
    spikes: int = 0
    rise: float = 1.0
    start_utc: str = "2013-10-09T17:30:00Z"
    stop_utc: str = "2013-10-09T21:00:00Z"


@dataclass(frozen=True)
class Truth:
    """What was drawn: expected z and added power per round, expected z per key-down.

    Also the spikes' sample indices and the samples inside bursts.
    """

    round_z: np.ndarray
    round_amplitude: np.ndarray
    dit_z: np.ndarray
    spike_index: np.ndarray
    burst_mask: np.ndarray = field(repr=False)


def bursts_on_rounds(kd: np.ndarray, rounds: list[int], which, factor: float) -> tuple:
    """One burst on every key-down of each round in ``which`` (timed with the keying)."""
    return tuple(Burst(float(a), float(b), factor)
                 for (a, b), r in zip(kd, rounds, strict=True) if r in set(which))  # fmt: skip


def random_bursts(rng: np.random.Generator, n: int, start_unix_s: float, stop_unix_s: float,
                  factor=(1.1, 5.0), duration_s=(5.0, 120.0)) -> tuple:  # fmt: skip
    """``n`` bursts at uniform times, log-uniform factor and duration."""
    out = []
    for _ in range(n):
        d = float(np.exp(rng.uniform(*np.log(duration_s))))
        a = float(rng.uniform(start_unix_s, stop_unix_s - d))
        out.append(Burst(a, a + d, float(np.exp(rng.uniform(*np.log(factor))))))
    return tuple(out)


def render_survey(scene: Scene, rng: np.random.Generator) -> tuple[WavesSeries, Truth]:
    """Draw ``scene``: a three-channel :class:`WavesSeries` and its :class:`Truth`."""
    t = np.arange(parse_unix_s(scene.start_utc), parse_unix_s(scene.stop_utc), 1.0)
    span = max(t[-1] - t[0], 1.0)
    background = FLOOR_PSD * scene.rise ** ((t - t[0]) / span)
    excess = np.zeros(t.size)
    for burst in scene.bursts:
        excess[(t >= burst.start_unix_s) & (t < burst.stop_unix_s)] += burst.factor - 1.0
    kd, rounds, _ = expected_key_downs(scene.event)
    present = np.ones(t.size, bool)
    for a, b in scene.gaps:
        present &= ~((t >= a) & (t < b))
    order = list(dict.fromkeys(rounds))
    z = np.zeros(len(order)) if not scene.round_z else \
        np.broadcast_to(np.asarray(scene.round_z, float), (len(order),)).copy()  # fmt: skip
    # Each round's added power from its expected z, on the analyzer's own design.
    std = np.array([sample_std_psd(b) for b in background])
    dit_se, se = template_standard_errors(t[present] - kd[0, 0], kd - kd[0, 0], rounds,
                                          std[present])  # fmt: skip
    amp = np.where(np.isfinite(se), z * np.nan_to_num(se), 0.0)
    dit_z = np.array([amp[order.index(r)] for r in rounds]) / dit_se
    signal = np.zeros(t.size)
    for (a, b), r in zip(kd, rounds, strict=True):
        signal[(t >= a) & (t < b)] += amp[order.index(r)]
    power = np.empty((t.size, len(CHANNELS_HZ)))
    for k, floor in enumerate(FLOORS):
        true = background * floor * (1.0 + excess) + (signal if k == EVENT_CHANNEL else 0.0)
        power[:, k] = measure(true, rng)
    spikes = np.sort(rng.choice(t.size, size=scene.spikes, replace=False)) if scene.spikes \
        else np.zeros(0, int)  # fmt: skip
    power[spikes] *= SPIKE_FACTOR
    power[~present] = np.nan
    power[~(power > 0)] = np.nan
    series = WavesSeries(t, np.array(CHANNELS_HZ), np.full(3, 1e6), power, "hostile survey",
                         "pds-csv", PSD_UNITS, ("HFRH",) * 3)  # fmt: skip
    return series, Truth(z, amp, dit_z, spikes, excess > 0)
