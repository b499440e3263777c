"""Juno's Earth-flyby trajectory: a two-body hyperbola, geometry helpers, SPICE.

:class:`TwoBodyFlyby` is an analytic Keplerian hyperbola about a point-mass Earth.
:data:`JUNO_2013` is the 9 October 2013 flyby (perigee 559 km at 19:21:00 UTC,
v∞ 10.389 km/s; juno-2013-event.md §0, §1.3, §5) with the orientation fitted to the
ground facts of §5.1.  :class:`SpiceTrajectory` reads the real reconstruction (or any
SPK) through the optional ``spiceypy``.

Frames: ECEF is "ECI" rotated by the IAU 1982 GMST about z.  Precession, nutation, the
equation of the equinoxes, UT1 - UTC (< 0.9 s, 0.004 deg) and polar motion are ignored.
That costs the two-body model nothing (its orientation was fitted in the same frame);
for J2000 vectors (:class:`SpiceTrajectory`) the precession since 2000 (13.8 yr x
50.3"/yr = 0.19 deg) plus nutation (<= 17") turn Earth-fixed vectors by up to 0.2 deg:
190 km at 56,000 km range, 23 km at perigee, <= 0.2 deg of a station's elevation.  The
Earth is a sphere of radius :data:`EARTH_RADIUS_M` (geocentric latitudes, <= 0.19 deg
from geodetic): fine for horizons and path lengths.  Times are float64 UTC unix seconds.

Examples
--------
>>> from station.waves.series import parse_unix_s
>>> t = np.array([parse_unix_s("2013-10-09T18:00:00Z"), parse_unix_s("2013-10-09T19:21:00Z")])
>>> (JUNO_2013.range_m(t) / 1e3).round(0).tolist()
[56686.0, 6937.0]
>>> lat, lon = subpoint_deg(JUNO_2013.position_ecef_m(t[1:]))
>>> round(float(lat[0])), round(float(lon[0]))  # off the SE coast of South Africa
(-34, 30)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import numpy as np

from station.errors import InputError

__all__ = [
    "EARTH_RADIUS_M",
    "JUNO_2013",
    "MU_EARTH_M3_S2",
    "TRAJECTORIES",
    "SpiceTrajectory",
    "TwoBodyFlyby",
    "elevation_deg",
    "gmst_rad",
    "look",
    "site_ecef_m",
    "slant_range_m",
    "subpoint_deg",
    "trajectory_by_name",
]

#: Earth's GM, m^3/s^2 (398,600.44 km^3/s^2, the value of juno-2013-event.md §1.3).
MU_EARTH_M3_S2 = 398600.44e9
#: Radius of the spherical Earth, m: the 6,378 km of the event reference (§0: 559 km
#: altitude = 6,937 km radius); WGS84's equatorial radius is 6,378,137 m.
EARTH_RADIUS_M = 6_378_000.0

_JD_UNIX_EPOCH = 2440587.5  # Julian date of 1970-01-01T00:00:00 UTC
_JD_J2000 = 2451545.0


def gmst_rad(time_unix_s: np.ndarray | float) -> np.ndarray:
    """Greenwich mean sidereal time (IAU 1982, Aoki et al. 1982), radians in [0, 2 pi).

    UTC is used for UT1 (|UT1 - UTC| < 0.9 s, i.e. < 0.004 deg of rotation).

    Examples
    --------
    >>> from station.waves.series import parse_unix_s
    >>> round(float(np.degrees(gmst_rad(parse_unix_s("2000-01-01T12:00:00Z")))), 4)
    280.4606
    """
    t_c = (np.asarray(time_unix_s, dtype=float) / 86400.0 + _JD_UNIX_EPOCH - _JD_J2000) / 36525.0
    # Vallado (2013) eq. 3-47: the IAU 1982 GMST in seconds of time, rotation included.
    gmst_s = (
        67310.54841
        + (876600.0 * 3600.0 + 8640184.812866) * t_c
        + 0.093104 * t_c**2
        - 6.2e-6 * t_c**3
    )
    return np.mod(gmst_s, 86400.0) * (2.0 * np.pi / 86400.0)


def _rotate_z(vec: np.ndarray, angle_rad: np.ndarray) -> np.ndarray:
    """Rotate (n, 3) vectors by `angle_rad` (n,) about z (frame turned by -angle)."""
    c, s, x, y = np.cos(angle_rad), np.sin(angle_rad), vec[:, 0], vec[:, 1]
    return np.column_stack([c * x - s * y, s * x + c * y, vec[:, 2]])


def _times(time_unix_s: np.ndarray | float) -> np.ndarray:
    return np.atleast_1d(np.asarray(time_unix_s, dtype=float))


@dataclass(frozen=True)
class TwoBodyFlyby:
    """A hyperbolic two-body flyby of a point-mass Earth.

    Parameters
    ----------
    perigee_utc : datetime
        Perigee epoch (aware).
    perigee_radius_m : float
        Geocentric distance at perigee, m.
    v_infinity_m_s : float
        Hyperbolic excess speed, m/s.
    perigee_lat_deg, perigee_lon_deg : float
        Geocentric sub-point of perigee at the perigee epoch, degrees (east positive).
    perigee_heading_deg : float
        Direction of the inertial velocity at perigee in the local horizontal plane,
        degrees clockwise from north.  It is horizontal there, so these three angles fix
        the orbit plane and the perigee direction.
    mu_m3_s2 : float
        Gravitational parameter, m^3/s^2.
    """

    perigee_utc: datetime
    perigee_radius_m: float
    v_infinity_m_s: float
    perigee_lat_deg: float
    perigee_lon_deg: float
    perigee_heading_deg: float
    mu_m3_s2: float = MU_EARTH_M3_S2

    def __post_init__(self) -> None:
        if self.perigee_utc.tzinfo is None:
            raise InputError(f"perigee_utc {self.perigee_utc}: must be timezone-aware (UTC)")
        for name in ("perigee_radius_m", "v_infinity_m_s", "mu_m3_s2"):
            if not getattr(self, name) > 0:
                raise InputError(f"{name} {getattr(self, name)!r}: must be > 0")

    @property
    def perigee_unix_s(self) -> float:
        """Perigee epoch, UTC unix seconds."""
        return self.perigee_utc.astimezone(UTC).timestamp()

    @property
    def semi_major_axis_m(self) -> float:
        """|a| = mu / v_inf^2, m."""
        return self.mu_m3_s2 / self.v_infinity_m_s**2

    @property
    def eccentricity(self) -> float:
        """Eccentricity, 1 + r_p v_inf^2 / mu (2.878 for Juno)."""
        return 1.0 + self.perigee_radius_m / self.semi_major_axis_m

    @cached_property
    def _axes(self) -> tuple[np.ndarray, np.ndarray]:
        """Unit vectors (ECI) towards perigee (P) and along the perigee velocity (Q)."""
        lat, lon, head = np.radians(
            [self.perigee_lat_deg, self.perigee_lon_deg, self.perigee_heading_deg]
        )
        up = np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        east = np.array([-np.sin(lon), np.cos(lon), 0.0])
        north = np.cross(up, east)
        along = np.cos(head) * north + np.sin(head) * east
        theta = gmst_rad(self.perigee_unix_s)  # ECEF -> ECI at the perigee epoch
        return _rotate_z(up[None], theta)[0], _rotate_z(along[None], theta)[0]

    def hyperbolic_anomaly(self, time_unix_s: np.ndarray | float) -> np.ndarray:
        """Solve Kepler's equation e sinh H - H = M (Newton, vectorised).

        Converges to |dH| < 1e-15 (1 + |H|), i.e. far below a millimetre.

        Examples
        --------
        >>> h = JUNO_2013.hyperbolic_anomaly(JUNO_2013.perigee_unix_s + np.array([-4860.0, 0.0]))
        >>> (JUNO_2013.eccentricity * np.sinh(h) - h).round(12).tolist()  # M = n (t - t_p)
        [-13.671612304802, 0.0]
        """
        mean = self.mean_motion_rad_s * (_times(time_unix_s) - self.perigee_unix_s)
        e = self.eccentricity
        h = np.sign(mean) * np.log(2.0 * np.abs(mean) / e + 1.8)  # Danby's starting value
        for _ in range(60):
            step = (e * np.sinh(h) - h - mean) / (e * np.cosh(h) - 1.0)
            h = h - step
            if np.all(np.abs(step) <= 1e-15 * (1.0 + np.abs(h))):
                break
        return h

    @property
    def mean_motion_rad_s(self) -> float:
        """sqrt(mu / |a|^3), rad/s."""
        return float(np.sqrt(self.mu_m3_s2 / self.semi_major_axis_m**3))

    def position_eci_m(self, time_unix_s: np.ndarray | float) -> np.ndarray:
        """Geocentric inertial position, m, shape (n, 3)."""
        h = self.hyperbolic_anomaly(time_unix_s)
        a, e = self.semi_major_axis_m, self.eccentricity
        x = a * (e - np.cosh(h))
        y = a * np.sqrt(e * e - 1.0) * np.sinh(h)
        p, q = self._axes
        return x[:, None] * p + y[:, None] * q

    def velocity_eci_m_s(self, time_unix_s: np.ndarray | float) -> np.ndarray:
        """Geocentric inertial velocity, m/s, shape (n, 3)."""
        h = self.hyperbolic_anomaly(time_unix_s)
        a, e = self.semi_major_axis_m, self.eccentricity
        h_dot = self.mean_motion_rad_s / (e * np.cosh(h) - 1.0)
        vx = -a * np.sinh(h) * h_dot
        vy = a * np.sqrt(e * e - 1.0) * np.cosh(h) * h_dot
        p, q = self._axes
        return vx[:, None] * p + vy[:, None] * q

    def position_ecef_m(self, time_unix_s: np.ndarray | float) -> np.ndarray:
        """Earth-fixed position, m, shape (n, 3) (ECI rotated by GMST)."""
        t = _times(time_unix_s)
        return _rotate_z(self.position_eci_m(t), -gmst_rad(t))

    def range_m(self, time_unix_s: np.ndarray | float) -> np.ndarray:
        """Geocentric distance, m, shape (n,)."""
        h = self.hyperbolic_anomaly(time_unix_s)
        return self.semi_major_axis_m * (self.eccentricity * np.cosh(h) - 1.0)

    def altitude_m(self, time_unix_s: np.ndarray | float) -> np.ndarray:
        """Height above the spherical Earth, m, shape (n,)."""
        return self.range_m(time_unix_s) - EARTH_RADIUS_M


# Orientation of the 2013 flyby, fitted ONCE offline (scipy.optimize.least_squares over
# the three angles, started from headings 0, 30, ..., 330 deg; the residual function is
# `fit_residuals` in tests/station/waves/test_flyby.py, whose test checks that these
# constants are its optimum).  Targets (juno-2013-event.md §5.1, each residual scaled
# by the tolerance) and what the fitted model gives:
#   CA sub-point "about 200 km off the south-eastern coast of South Africa", taken as
#     (-34.5, 29.0) deg +- 150 km                          -> (-33.94, 30.16), 124 km off
#   shadow exit "about 19:39 UTC" +- 1 min                 -> 19:39:52 at 9,330 km
#   shadow entry "about 2 min before CA", 19:19 +- 1 min   -> 19:19:23
#   sub-point at 19:39 "over the east coast of India", (18.0, 84.0) +- 300 km
#                                                          -> (16.8, 82.8), 186 km off
#   ESA Malargue (-35.8, -69.4) pointed "more or less straight up" as Juno approached:
#     highest elevation 18:00-19:15 >= 85 deg +- 5 deg     -> 83.4 deg at 18:57
#   (normalised residuals 0.82, 0.87, 0.39, 0.62, -0.33: the targets agree to ~1 sigma.)
# Checks, not fitted: Malargue loses Juno at 19:15 (6 min before CA) low in the ESE
# (azimuth 122 deg), as ESA says; the sub-point is over Chile/Argentina from 18:00
# (-20.3, -68.4) to 19:05 and reaches the South Atlantic at 19:15 (-46.1, -17.9).
# Shadow: cylindrical, Sun from the Astronomical Almanac low-precision formula (0.01 deg).
JUNO_2013 = TwoBodyFlyby(
    perigee_utc=datetime(2013, 10, 9, 19, 21, 0, tzinfo=UTC),
    perigee_radius_m=6_937_000.0,  # 559 km altitude + 6,378 km (NASA; §1.3)
    v_infinity_m_s=10_389.0,  # flyby-anomaly table (§5.1); JPL says "about 10.4 km/s"
    perigee_lat_deg=-33.94,
    perigee_lon_deg=30.16,
    perigee_heading_deg=56.64,
)

#: Named trajectories for the CLI (``--trajectory``).
TRAJECTORIES: dict[str, TwoBodyFlyby] = {"juno-2013-earth-flyby": JUNO_2013}


def trajectory_by_name(name: str) -> TwoBodyFlyby:
    """Look up a registered trajectory by name.

    Raises
    ------
    InputError
        Naming the value and the known names.

    Examples
    --------
    >>> trajectory_by_name("juno-2013-earth-flyby") is JUNO_2013
    True
    >>> trajectory_by_name("cassini")
    Traceback (most recent call last):
    ...
    station.errors.InputError: trajectory 'cassini': unknown; known: juno-2013-earth-flyby
    """
    try:
        return TRAJECTORIES[name]
    except KeyError:
        known = ", ".join(sorted(TRAJECTORIES))
        raise InputError(f"trajectory {name!r}: unknown; known: {known}") from None


def subpoint_deg(ecef_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Geocentric latitude and longitude (degrees, east positive) below (n, 3) ECEF points.

    Examples
    --------
    >>> lat, lon = subpoint_deg(np.array([[0.0, 7e6, 7e6]]))
    >>> float(lat[0]), float(lon[0])
    (45.0, 90.0)
    """
    v = np.atleast_2d(ecef_m)
    lat = np.degrees(np.arctan2(v[:, 2], np.hypot(v[:, 0], v[:, 1])))
    return lat, np.degrees(np.arctan2(v[:, 1], v[:, 0]))


def site_ecef_m(lat_deg: np.ndarray | float, lon_deg: np.ndarray | float) -> np.ndarray:
    """ECEF position (n, 3), m, of ground sites on the spherical Earth.

    Examples
    --------
    >>> (site_ecef_m(0.0, 90.0) / EARTH_RADIUS_M).round(12).tolist()
    [[0.0, 1.0, 0.0]]
    """
    lat = np.radians(np.atleast_1d(np.asarray(lat_deg, dtype=float)))
    lon = np.radians(np.atleast_1d(np.asarray(lon_deg, dtype=float)))
    c = np.cos(lat)
    return EARTH_RADIUS_M * np.column_stack([c * np.cos(lon), c * np.sin(lon), np.sin(lat)])


def look(site_m: np.ndarray, sat_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sin(elevation) and slant range (m), both (n_sites, n_times), of ECEF points.

    The low-level form of :func:`elevation_deg` and :func:`slant_range_m` for callers that
    already hold site vectors (m, 3) and satellite vectors (n, 3), m; "up" is radial.

    Examples
    --------
    >>> sin_el, dist = look(site_ecef_m(0.0, 0.0), np.array([[EARTH_RADIUS_M + 1e6, 0, 0]]))
    >>> float(sin_el[0, 0]), float(dist[0, 0])
    (1.0, 1000000.0)
    """
    up = site_m / np.linalg.norm(site_m, axis=1, keepdims=True)
    dist_sq = np.zeros((len(site_m), len(sat_m)))
    along = np.zeros_like(dist_sq)
    for k in range(3):
        d = sat_m[None, :, k] - site_m[:, None, k]
        dist_sq += d * d
        along += d * up[:, None, k]
    dist = np.sqrt(dist_sq)
    return along / dist, dist


def elevation_deg(
    site_lat_deg: np.ndarray | float, site_lon_deg: np.ndarray | float, sat_ecef_m: np.ndarray
) -> np.ndarray:
    """Elevation of the satellite above each site's horizon, degrees, (n_sites, n_times).

    Examples
    --------
    >>> sat = np.array([[0.0, 0.0, 2 * EARTH_RADIUS_M]])
    >>> elevation_deg([90.0, -90.0, 0.0], [0.0, 0.0, 0.0], sat).round(2).ravel().tolist()
    [90.0, -90.0, -26.57]
    """
    sin_el, _ = look(site_ecef_m(site_lat_deg, site_lon_deg), np.atleast_2d(sat_ecef_m))
    return np.degrees(np.arcsin(np.clip(sin_el, -1.0, 1.0)))


def slant_range_m(
    site_lat_deg: np.ndarray | float, site_lon_deg: np.ndarray | float, sat_ecef_m: np.ndarray
) -> np.ndarray:
    """Straight-line distance from each site to the satellite, m, (n_sites, n_times).

    Examples
    --------
    >>> sat = np.array([[0.0, 0.0, 2 * EARTH_RADIUS_M]])
    >>> (slant_range_m(90.0, 0.0, sat) / EARTH_RADIUS_M).tolist()
    [[1.0]]
    """
    return look(site_ecef_m(site_lat_deg, site_lon_deg), np.atleast_2d(sat_ecef_m))[1]


class SpiceTrajectory:
    """A trajectory read from SPICE kernels (SPK plus a leapseconds kernel), via spiceypy.

    Parameters
    ----------
    kernels : sequence of pathlib.Path
        Kernel files to load (e.g. ``naif0012.tls`` and
        ``juno_rec_131005_131014_131101.bsp``, juno-2013-event.md §5.2).
    target, observer : str
        NAIF names or ids; Juno is ``"-61"``, Earth ``"399"``.

    Raises
    ------
    InputError
        spiceypy missing (install ``hi-station[spice]``) or a kernel file missing.

    Notes
    -----
    Positions are geometric (no light time), in J2000; Earth-fixed ones use the module's
    GMST rotation (0.2 deg error).  Kernels stay loaded in SPICE's global pool.
    """

    def __init__(self, kernels: Sequence[Path], target: str = "-61", observer: str = "399") -> None:
        try:
            import spiceypy  # optional dependency, imported lazily
        except ImportError:
            raise InputError(
                "SpiceTrajectory: spiceypy is not installed; "
                "fix: pip install 'hi-station[spice]'"
            ) from None
        self._spice = spiceypy
        self.kernels = tuple(Path(k) for k in kernels)
        self.target, self.observer = target, observer
        for path in self.kernels:
            if not path.is_file():
                raise InputError(f"SPICE kernel {path}: no such file")
            spiceypy.furnsh(str(path))

    def _et(self, time_unix_s: np.ndarray) -> np.ndarray:
        # SPICE "UTC seconds past J2000" (2000-01-01T12:00:00 UTC) -> TDB via DELTET.
        utc = time_unix_s - 946_728_000.0
        return np.array([u + self._spice.deltet(float(u), "UTC") for u in utc])

    def position_eci_m(self, time_unix_s: np.ndarray | float) -> np.ndarray:
        """Geometric J2000 position of the target relative to the observer, m, (n, 3)."""
        et = self._et(_times(time_unix_s))
        pos_km, _ = self._spice.spkpos(self.target, et, "J2000", "NONE", self.observer)
        return np.atleast_2d(np.asarray(pos_km, dtype=float)) * 1e3

    def position_ecef_m(self, time_unix_s: np.ndarray | float) -> np.ndarray:
        """Earth-fixed position, m, (n, 3): J2000 rotated by GMST (precession ignored)."""
        t = _times(time_unix_s)
        return _rotate_z(self.position_eci_m(t), -gmst_rad(t))

    def range_m(self, time_unix_s: np.ndarray | float) -> np.ndarray:
        """Distance from the observer, m, (n,)."""
        return np.linalg.norm(self.position_eci_m(time_unix_s), axis=1)

    def altitude_m(self, time_unix_s: np.ndarray | float) -> np.ndarray:
        """Height above the spherical Earth, m, (n,)."""
        return self.range_m(time_unix_s) - EARTH_RADIUS_M
