"""Who transmitted: operators spread over the continents, each on its letter's frequency.

"Over 1,400 operators from every continent, including Antarctica" took part in 2013
(juno-2013-event.md §0); no breakdown by country was published.  :data:`DEFAULT_REGIONS`
is therefore an **assumption**: regional weights from amateur licence counts (circa
2013, round numbers) scaled by how likely operators were to be on the air at
18:00-20:40 UTC on a Wednesday for an event organised from the USA; within a region,
operators cluster around a few population centres with a Gaussian spread (some land in
the sea; at the ranges of the flyby that does not matter).

Examples
--------
>>> from station.schedule import load_event
>>> table = load_event("juno-2013-10-09").table_hz
>>> tx = spread_operators(1400, np.random.default_rng(1), event_table_hz=table)
>>> len(tx), sorted(set(tx.region.tolist()))[:3], float(tx.power_w[0])
(1400, ['Africa', 'Antarctica', 'Asia'], 100.0)
>>> bool(np.all(tx.freq_hz == [table[c] for c in tx.letter]))
True
>>> len(select_active(tx, np.random.default_rng(2)))  # DEFAULT_ACTIVE_FRACTION
770
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from station.errors import InputError

__all__ = [
    "DEFAULT_ACTIVE_FRACTION",
    "DEFAULT_ANTENNA_GAIN_DBI",
    "DEFAULT_POWER_W",
    "DEFAULT_REGIONS",
    "Centre",
    "Region",
    "Transmitters",
    "select_active",
    "spread_operators",
]

#: Transmitter output, W.  No power instruction was published; "most no more powerful
#: than 100 Watts" (fogghorn, third-party; §1.1), and 100 W is the usual HF transceiver.
DEFAULT_POWER_W = 100.0
#: Mean gain toward the spacecraft, dBi.  Juno was seen at 20-90 deg elevation by most
#: stations in view, where 10 m antennas differ a lot: a vertical or ground plane has
#: -3 to -10 dBi (zenith null), a Yagi at one wavelength (built for 10-15 deg) has
#: lobes of 0 to +5 dBi and nulls up there, a dipole or inverted V at half a wavelength
#: +5 to +7 dBi toward the zenith, and some operators tilted beams at Juno.  A mix
#: averages about -1 dBi; minus ~1 dB of feed-line loss at 28 MHz: -2 dBi.  The
#: cross-polarised share of the spinning linear receiver is not in here but in
#: :data:`station.waves.physics.DIPOLE_PROJECTION`.  Calibrated together with
#: :data:`DEFAULT_ACTIVE_FRACTION` (see below).
DEFAULT_ANTENNA_GAIN_DBI = -2.0
#: Share of the registered operators keyed down in a given round.  ARRL counts "more
#: than a thousand" operators, jarphys "over 1,400" registered: about 0.7 keyed at
#: all, and over 2 h 40 min on a weekday most of those missed some of the 16 rounds
#: (say 0.8 of them on the air per round): 0.55.  An assumption.  With the gain above,
#: 100 W and :mod:`station.waves.physics` it gives the reported picture: round 1
#: (56,700 km) at the detection threshold (z = 3.9), rounds 2-4 clear (z = 5.0, 6.6,
#: 9.1), single dits "at or just above the noise" (z = 1.5-4.2 in rounds 1-4), and the
#: first three dits of round 9 (closest approach, z = 53-76) 4-6 times the strongest
#: earlier dit (round 8) and 15-50 times those of rounds 1-4, the fourth dit 25.
#: tests/station/waves/test_physics.py prints the table.
DEFAULT_ACTIVE_FRACTION = 0.55


@dataclass(frozen=True)
class Centre:
    """A population centre: geocentric latitude, longitude (deg), 1-sigma spread (deg)."""

    lat_deg: float
    lon_deg: float
    spread_deg: float
    share: float = 1.0


@dataclass(frozen=True)
class Region:
    """A continent: its weight among all operators and its population centres."""

    name: str
    weight: float
    centres: tuple[Centre, ...]


#: Regional weights (sum 1) and centres.  Reasoning, licences circa 2013:
#: North America 0.46 (USA ~710,000 + Canada ~57,000; US-organised event, 11:00-16:40
#: local); Europe 0.30 (~400,000, evening 20:00-22:40 CEST); Asia 0.09 (Japan has
#: ~400,000 but it was 03:00-05:40 JST; Middle East, India, Korea, SE Asia few on HF);
#: South America 0.07 (~100,000, afternoon); Africa 0.04 (South Africa ~6,000 and a
#: few elsewhere); Oceania 0.039 (VK ~15,000 + ZL ~5,000, 05:00-07:40 local);
#: Antarctica 0.001 (a few base stations).  Every region gets at least one operator.
DEFAULT_REGIONS: tuple[Region, ...] = (
    Region("North America", 0.46, (
        Centre(41.0, -75.0, 3.0, 0.22), Centre(33.5, -84.0, 4.0, 0.15),
        Centre(42.0, -88.0, 4.0, 0.15), Centre(31.0, -97.0, 3.0, 0.10),
        Centre(36.0, -120.0, 3.0, 0.14), Centre(46.5, -122.0, 2.0, 0.06),
        Centre(40.0, -105.0, 3.0, 0.06), Centre(45.0, -76.0, 2.5, 0.08),
        Centre(20.0, -99.0, 3.0, 0.04))),
    Region("Europe", 0.30, (
        Centre(51.0, 10.0, 2.5, 0.22), Centre(53.0, -2.0, 2.0, 0.16),
        Centre(43.0, 12.0, 2.5, 0.12), Centre(40.0, -4.0, 2.5, 0.09),
        Centre(47.0, 2.0, 3.0, 0.10), Centre(51.0, 19.0, 3.0, 0.12),
        Centre(60.0, 15.0, 4.0, 0.08), Centre(55.5, 38.0, 4.0, 0.11))),
    Region("Asia", 0.09, (
        Centre(36.0, 138.0, 2.5, 0.40), Centre(37.0, 127.5, 1.5, 0.10),
        Centre(31.0, 115.0, 6.0, 0.10), Centre(20.0, 78.0, 6.0, 0.12),
        Centre(8.0, 105.0, 6.0, 0.13), Centre(32.0, 35.0, 2.0, 0.15))),
    Region("South America", 0.07, (
        Centre(-23.0, -46.5, 3.0, 0.38), Centre(-34.6, -58.4, 3.0, 0.27),
        Centre(-33.5, -70.7, 2.0, 0.12), Centre(5.0, -74.0, 4.0, 0.13),
        Centre(-12.0, -77.0, 2.0, 0.10))),
    Region("Africa", 0.04, (
        Centre(-26.5, 28.0, 2.5, 0.45), Centre(-33.9, 18.6, 1.0, 0.20),
        Centre(-1.0, 37.0, 2.0, 0.10), Centre(33.0, 5.0, 5.0, 0.15),
        Centre(7.0, 5.0, 3.0, 0.10))),
    Region("Oceania", 0.039, (
        Centre(-35.0, 148.0, 3.0, 0.45), Centre(-27.5, 153.0, 2.0, 0.15),
        Centre(-32.0, 116.0, 1.5, 0.12), Centre(-40.0, 175.0, 2.0, 0.23),
        Centre(21.3, -157.8, 0.5, 0.05))),
    Region("Antarctica", 0.001, (
        Centre(-77.8, 166.7, 0.5, 0.5), Centre(-62.2, -58.9, 0.5, 0.5))),
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class Transmitters:
    """One row per operator (numpy arrays of equal length).

    Attributes
    ----------
    lat_deg, lon_deg : numpy.ndarray
        Geocentric position, degrees (east positive).
    letter : numpy.ndarray
        Last letter of the callsign, ``'A'``-``'Z'``.
    freq_hz : numpy.ndarray
        Carrier frequency, Hz.
    power_w : numpy.ndarray
        Transmitter output, W.
    gain_dbi : numpy.ndarray
        Antenna gain toward the spacecraft (losses included), dBi.
    region : numpy.ndarray
        Region name (see :data:`DEFAULT_REGIONS`); ``""`` when unknown.
    """

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    letter: np.ndarray
    freq_hz: np.ndarray
    power_w: np.ndarray
    gain_dbi: np.ndarray
    region: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.lat_deg)
        if self.region is None:
            object.__setattr__(self, "region", np.full(n, "", dtype="<U1"))
        for name in ("lon_deg", "letter", "freq_hz", "power_w", "gain_dbi", "region"):
            if len(getattr(self, name)) != n:
                raise InputError(f"Transmitters.{name}: {len(getattr(self, name))} rows, not {n}")

    def __len__(self) -> int:
        return len(self.lat_deg)

    @property
    def eirp_w(self) -> np.ndarray:
        """Effective radiated power toward the spacecraft, P G, W."""
        return self.power_w * 10.0 ** (self.gain_dbi / 10.0)

    def subset(self, index: np.ndarray | Sequence[int]) -> Transmitters:
        """Select rows by an index array or a boolean mask."""
        idx = np.asarray(index)
        names = ("lat_deg", "lon_deg", "letter", "freq_hz", "power_w", "gain_dbi", "region")
        return Transmitters(*(getattr(self, k)[idx] for k in names))


def _apportion(n: int, weights: np.ndarray) -> np.ndarray:
    """Largest-remainder counts of `n` by `weights`, at least one each when n allows."""
    counts = np.zeros(len(weights), dtype=int)
    if n >= len(weights):
        counts += 1
    rest = n - counts.sum()
    exact = rest * weights / weights.sum()
    counts += np.floor(exact).astype(int)
    short = n - counts.sum()
    counts[np.argsort(-(exact - np.floor(exact)), kind="stable")[:short]] += 1
    return counts


def spread_operators(
    n: int,
    rng: np.random.Generator,
    *,
    event_table_hz: Mapping[str, float],
    power_w: float = DEFAULT_POWER_W,
    antenna_gain_dbi: float = DEFAULT_ANTENNA_GAIN_DBI,
    regions: Sequence[Region] = DEFAULT_REGIONS,
) -> Transmitters:
    """Place `n` operators over the continents and give each its letter's frequency.

    Parameters
    ----------
    n : int
        Number of operators (>= 0).
    rng : numpy.random.Generator
        The only source of randomness.
    event_table_hz : mapping
        The event's letter -> Hz table (:attr:`station.schedule.Event.table_hz`): 26
        letters, or ``{"*": f}`` for a single-frequency event.
    power_w, antenna_gain_dbi : float
        Same for every operator.
    regions : sequence of Region
        Weights and centres; counts per region are apportioned deterministically
        (largest remainder, at least one per region when ``n`` allows), positions and
        letters are random.  Letters are uniform over A-Z: no published reason to
        weight them.

    Raises
    ------
    InputError
        For a negative `n`, a non-positive power, or a table missing letters.
    """
    if n < 0:
        raise InputError(f"n {n}: the number of operators must be >= 0")
    if not power_w > 0:
        raise InputError(f"power_w {power_w!r}: must be > 0")
    letters = np.array(list(string.ascii_uppercase))
    single = event_table_hz.get("*")
    missing = [c for c in letters if c not in event_table_hz]
    if single is None and missing:
        raise InputError(
            f"event_table_hz: no frequency for letter(s) {''.join(missing)}; "
            "give all 26 letters A-Z or a single '*' entry"
        )
    counts = _apportion(n, np.array([r.weight for r in regions], dtype=float))
    lat, lon, name = [], [], []
    for region, k in zip(regions, counts, strict=True):
        share = np.array([c.share for c in region.centres], dtype=float)
        pick = rng.choice(len(share), size=k, p=share / share.sum())
        centre = np.array([[c.lat_deg, c.lon_deg, c.spread_deg] for c in region.centres])[pick]
        la = np.clip(centre[:, 0] + centre[:, 2] * rng.standard_normal(k), -89.9, 89.9)
        stretch = 1.0 / np.maximum(np.cos(np.radians(centre[:, 0])), 0.05)
        lo = centre[:, 1] + centre[:, 2] * stretch * rng.standard_normal(k)
        lat.append(la)
        lon.append(np.mod(lo + 180.0, 360.0) - 180.0)
        name.append(np.full(k, region.name))
    letter = letters[rng.integers(0, 26, size=n)]
    freq = np.array([single if single is not None else event_table_hz[c] for c in letter],
                    dtype=float)  # fmt: skip
    return Transmitters(
        lat_deg=np.concatenate(lat) if lat else np.zeros(0),
        lon_deg=np.concatenate(lon) if lon else np.zeros(0),
        letter=letter,
        freq_hz=freq,
        power_w=np.full(n, float(power_w)),
        gain_dbi=np.full(n, float(antenna_gain_dbi)),
        region=np.concatenate(name) if name else np.zeros(0, dtype="<U1"),
    )


def select_active(
    transmitters: Transmitters,
    rng: np.random.Generator,
    *,
    fraction: float = DEFAULT_ACTIVE_FRACTION,
) -> Transmitters:
    """Pick a random ``round(fraction * n)`` of the operators: those keying in a round.

    Raises
    ------
    InputError
        When `fraction` is outside [0, 1].
    """
    if not 0.0 <= fraction <= 1.0:
        raise InputError(f"fraction {fraction!r}: the active fraction must be in [0, 1]")
    k = round(fraction * len(transmitters))
    return transmitters.subset(np.sort(rng.choice(len(transmitters), size=k, replace=False)))
