from __future__ import annotations

import dataclasses
import sys
from datetime import UTC, datetime

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq, least_squares

from station.errors import InputError
from station.waves.flyby import (
    EARTH_RADIUS_M,
    JUNO_2013,
    MU_EARTH_M3_S2,
    SpiceTrajectory,
    TwoBodyFlyby,
    elevation_deg,
    gmst_rad,
    site_ecef_m,
    slant_range_m,
    subpoint_deg,
    trajectory_by_name,
)
from station.waves.series import parse_unix_s


def utc(hms: str) -> float:
    return parse_unix_s(f"2013-10-09T{hms}Z")


ROUND_STARTS = utc("18:00:00") + 600.0 * np.arange(16)
# juno-2013-event.md §1.3: model geocentric range (km) at each round start and at its
# last key-up (start + 390 s), rounded to 1 km.
RANGE_AT_START_KM = [56686, 50138, 43564, 36961, 30330, 23684, 17088, 10860,
                     6980, 9760, 15791, 22357, 29001, 35636, 42245, 48825]  # fmt: skip
RANGE_AT_KEY_UP_KM = [52433, 45868, 39275, 32653, 26010, 19382, 12946, 7752,
                      8122, 13566, 20041, 26675, 33317, 39936, 46526, 53088]  # fmt: skip
MALARGUE_DEG = (-35.8, -69.4)  # ESA DSA-3


def test_range_matches_reference_table():
    start = JUNO_2013.range_m(ROUND_STARTS) / 1e3
    key_up = JUNO_2013.range_m(ROUND_STARTS + 390.0) / 1e3
    # same two-body inputs as the table: only its rounding to 1 km differs
    assert np.max(np.abs(start - RANGE_AT_START_KM)) < 1.0
    assert np.max(np.abs(key_up - RANGE_AT_KEY_UP_KM)) < 1.0
    assert JUNO_2013.altitude_m(utc("19:21:00"))[0] == pytest.approx(559e3, abs=1.0)
    assert JUNO_2013.altitude_m(utc("19:39:00"))[0] == pytest.approx(8_800e3, abs=100e3)


def test_shape_of_the_hyperbola():
    assert JUNO_2013.eccentricity == pytest.approx(2.878, abs=1e-3)
    t = np.linspace(utc("18:00:00"), utc("20:40:00"), 50)
    r = np.linalg.norm(JUNO_2013.position_eci_m(t), axis=1)
    v = np.linalg.norm(JUNO_2013.velocity_eci_m_s(t), axis=1)
    np.testing.assert_allclose(r, JUNO_2013.range_m(t), rtol=1e-12)
    energy = v**2 / 2 - MU_EARTH_M3_S2 / r  # vis-viva: v_inf^2 / 2
    np.testing.assert_allclose(energy, 10_389.0**2 / 2, rtol=1e-10)
    v_p = np.linalg.norm(JUNO_2013.velocity_eci_m_s(JUNO_2013.perigee_unix_s))
    assert v_p == pytest.approx(14.93e3, abs=10.0)  # §5.1, derived


def test_kepler_solution_against_brentq():
    t = JUNO_2013.perigee_unix_s + np.array([-9000.0, -4860.0, -61.0, 0.0, 0.5, 1080.0, 8000.0])
    e, n = JUNO_2013.eccentricity, JUNO_2013.mean_motion_rad_s
    ref = [
        brentq(lambda h, m=m: e * np.sinh(h) - h - m, -20, 20, xtol=1e-15, rtol=1e-15)
        for m in n * (t - JUNO_2013.perigee_unix_s)
    ]
    np.testing.assert_allclose(JUNO_2013.hyperbolic_anomaly(t), ref, rtol=0, atol=1e-13)


def test_position_agrees_with_numerical_integration_to_a_metre():
    def rhs(_t, y):
        r = y[:3]
        return np.concatenate([y[3:], -MU_EARTH_M3_S2 * r / np.linalg.norm(r) ** 3])

    tp = JUNO_2013.perigee_unix_s
    y0 = np.concatenate([JUNO_2013.position_eci_m(tp)[0], JUNO_2013.velocity_eci_m_s(tp)[0]])
    for stop in (utc("18:00:00"), utc("20:40:00")):
        grid = np.linspace(0.0, stop - tp, 7)
        sol = solve_ivp(rhs, (0.0, grid[-1]), y0, method="DOP853", t_eval=grid,
                        rtol=1e-13, atol=1e-7)  # fmt: skip
        err = np.linalg.norm(sol.y[:3].T - JUNO_2013.position_eci_m(tp + grid), axis=1)
        assert err.max() < 1.0


def test_velocity_is_the_derivative_of_position():
    t = np.array([utc("18:00:00"), utc("19:21:00"), utc("19:39:00")])
    dt = 1.0  # unix seconds near 1.4e9 resolve 2.4e-7 s: keep dt large
    fd = (JUNO_2013.position_eci_m(t + dt) - JUNO_2013.position_eci_m(t - dt)) / (2 * dt)
    np.testing.assert_allclose(fd, JUNO_2013.velocity_eci_m_s(t), atol=0.05)


def test_gmst_matches_vallado_example():
    # Vallado, Fundamentals of Astrodynamics, example 3-5: 1992-08-20 12:14 UT1
    t = datetime(1992, 8, 20, 12, 14, tzinfo=UTC).timestamp()
    assert np.degrees(gmst_rad(t)) == pytest.approx(152.578787810, abs=1e-6)


def test_ecef_is_eci_rotated_about_z():
    t = np.linspace(utc("18:00:00"), utc("20:00:00"), 5)
    eci, ecef = JUNO_2013.position_eci_m(t), JUNO_2013.position_ecef_m(t)
    np.testing.assert_allclose(np.linalg.norm(ecef, axis=1), np.linalg.norm(eci, axis=1))
    np.testing.assert_allclose(ecef[:, 2], eci[:, 2])
    turn = np.unwrap(np.arctan2(eci[:, 1], eci[:, 0]) - np.arctan2(ecef[:, 1], ecef[:, 0]))
    np.testing.assert_allclose(np.mod(turn, 2 * np.pi), gmst_rad(t), atol=1e-12)


def test_ground_track_follows_the_reported_geography():
    inbound = np.arange(utc("18:00:00"), utc("19:05:00"), 300.0)
    lat, lon = subpoint_deg(JUNO_2013.position_ecef_m(inbound))
    assert np.all((lat > -56) & (lat < -12) & (lon > -82) & (lon < -34))  # South America
    lat, lon = subpoint_deg(JUNO_2013.position_ecef_m(utc("19:21:00")))
    assert -37 < lat[0] < -32 and 28 < lon[0] < 33  # off the SE coast of South Africa
    lat, lon = subpoint_deg(JUNO_2013.position_ecef_m(utc("19:39:00")))
    assert 12 < lat[0] < 21 and 80 < lon[0] < 87  # east coast of India
    el = elevation_deg(*MALARGUE_DEG, JUNO_2013.position_ecef_m(
        np.arange(utc("18:00:00"), utc("19:21:00"), 60.0)))[0]  # fmt: skip
    assert el.max() > 80  # "more or less straight up"
    assert el[-5:].max() < 0  # below the horizon a few minutes before CA (19:16 on)


def test_site_directly_below_sees_zenith_and_antipode_does_not():
    t = np.array([utc("18:00:00"), utc("19:21:00"), utc("20:30:00")])
    sat = JUNO_2013.position_ecef_m(t)
    lat, lon = subpoint_deg(sat)
    for k in range(len(t)):
        el = elevation_deg([lat[k], -lat[k]], [lon[k], lon[k] + 180.0], sat[k : k + 1])[:, 0]
        assert el[0] == pytest.approx(90.0, abs=1e-6)
        assert el[1] == pytest.approx(-90.0, abs=1e-6)
        d = slant_range_m(lat[k], lon[k], sat[k : k + 1])[0, 0]
        assert d == pytest.approx(JUNO_2013.altitude_m(t[k])[0], abs=1e-3)


def test_geometry_helpers_shapes():
    sat = JUNO_2013.position_ecef_m(np.arange(5) * 60.0 + utc("18:00:00"))
    assert elevation_deg([0.0, 10.0, 20.0], [0.0, 0.0, 0.0], sat).shape == (3, 5)
    assert slant_range_m([0.0, 10.0], [0.0, 0.0], sat).shape == (2, 5)
    assert site_ecef_m([0.0, 45.0], [0.0, 0.0]).shape == (2, 3)
    np.testing.assert_allclose(np.linalg.norm(site_ecef_m(12.0, 34.0)), EARTH_RADIUS_M)


def test_registry_and_errors():
    assert trajectory_by_name("juno-2013-earth-flyby") is JUNO_2013
    with pytest.raises(InputError, match="'nope'.*juno-2013-earth-flyby"):
        trajectory_by_name("nope")
    with pytest.raises(InputError, match="timezone-aware"):
        dataclasses.replace(JUNO_2013, perigee_utc=datetime(2013, 10, 9, 19, 21))
    with pytest.raises(InputError, match="v_infinity_m_s"):
        dataclasses.replace(JUNO_2013, v_infinity_m_s=0.0)


# ---- the offline fit of JUNO_2013's orientation (see the comment in flyby.py) ----


def _sun_unit_mod(time_unix_s: np.ndarray) -> np.ndarray:
    """Sun direction, mean equator of date (Astronomical Almanac low precision, 0.01 deg)."""
    n = time_unix_s / 86400.0 + 2440587.5 - 2451545.0
    mean_lon, anomaly = np.radians(280.460 + 0.9856474 * n), np.radians(357.528 + 0.9856003 * n)
    lam = mean_lon + np.radians(1.915) * np.sin(anomaly) + np.radians(0.020) * np.sin(2 * anomaly)
    eps = np.radians(23.439 - 4e-7 * n)
    return np.column_stack([np.cos(lam), np.cos(eps) * np.sin(lam), np.sin(eps) * np.sin(lam)])


def shadow_edges(traj: TwoBodyFlyby) -> tuple[float, float]:
    """Entry and exit of the cylindrical Earth shadow, interpolated (UTC unix s)."""
    t = np.arange(utc("18:40:00"), utc("20:40:00") + 1, 2.0)
    r, s = traj.position_eci_m(t), _sun_unit_mod(t)
    along = np.sum(r * s, axis=1)
    g = np.linalg.norm(r - along[:, None] * s, axis=1) - EARTH_RADIUS_M
    g = np.where(along < 0, g, EARTH_RADIUS_M)
    inside = np.flatnonzero(g < 0)
    if inside.size == 0:
        return traj.perigee_unix_s, traj.perigee_unix_s
    a, b = max(inside[0], 1), min(inside[-1], len(t) - 2)
    return (t[a - 1] + 2.0 * g[a - 1] / (g[a - 1] - g[a]),
            t[b] + 2.0 * g[b] / (g[b] - g[b + 1]))  # fmt: skip


def _great_circle_km(lat1, lon1, lat2, lon2):
    p1, l1, p2, l2 = np.radians([lat1, lon1, lat2, lon2])
    c = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(l1 - l2)
    return 6371.0 * np.arccos(np.clip(c, -1.0, 1.0))


def fit_residuals(angles_deg) -> np.ndarray:
    """Normalised residuals of (perigee lat, lon, heading) against the §5.1 facts."""
    traj = dataclasses.replace(JUNO_2013, perigee_lat_deg=angles_deg[0],
                               perigee_lon_deg=angles_deg[1],
                               perigee_heading_deg=angles_deg[2])  # fmt: skip
    entry, exit_ = shadow_edges(traj)
    lat, lon = subpoint_deg(traj.position_ecef_m(utc("19:39:00")))
    inbound = np.arange(utc("18:00:00"), utc("19:15:00") + 1, 10.0)
    el = elevation_deg(*MALARGUE_DEG, traj.position_ecef_m(inbound))[0]
    return np.array([
        _great_circle_km(angles_deg[0], angles_deg[1], -34.5, 29.0) / 150.0,
        (exit_ - utc("19:39:00")) / 60.0,
        (entry - utc("19:19:00")) / 60.0,
        _great_circle_km(lat[0], lon[0], 18.0, 84.0) / 300.0,
        min(0.0, el.max() - 85.0) / 5.0,
    ])  # fmt: skip


def test_orientation_constants_are_the_fitted_optimum():
    x0 = [JUNO_2013.perigee_lat_deg, JUNO_2013.perigee_lon_deg, JUNO_2013.perigee_heading_deg]
    res0 = fit_residuals(x0)
    np.testing.assert_allclose(res0, [0.82, 0.87, 0.39, 0.62, -0.33], atol=0.01)
    sol = least_squares(fit_residuals, x0, diff_step=1e-3, x_scale=[1, 1, 10])
    assert np.max(np.abs(sol.x - x0)) < 0.05  # constants are rounded to 0.01 deg
    assert sol.cost > 0.999 * 0.5 * np.sum(res0**2)
    assert np.all(np.abs(res0) < 1.0)  # every target met to within its tolerance


# ---- SPICE ----

# naif0012.tls (NAIF, 2016): the DELTET constants and all leap seconds to 2017-01-01.
LSK = r"""KPL/LSK
\begindata
DELTET/DELTA_T_A = 32.184
DELTET/K = 1.657D-3
DELTET/EB = 1.671D-2
DELTET/M = ( 6.239996D0 1.99096871D-7 )
DELTET/DELTA_AT = ( 10, @1972-JAN-1 11, @1972-JUL-1 12, @1973-JAN-1 13, @1974-JAN-1
                    14, @1975-JAN-1 15, @1976-JAN-1 16, @1977-JAN-1 17, @1978-JAN-1
                    18, @1979-JAN-1 19, @1980-JAN-1 20, @1981-JUL-1 21, @1982-JUL-1
                    22, @1983-JUL-1 23, @1985-JUL-1 24, @1988-JAN-1 25, @1990-JAN-1
                    26, @1991-JAN-1 27, @1992-JUL-1 28, @1993-JUL-1 29, @1994-JUL-1
                    30, @1996-JAN-1 31, @1997-JUL-1 32, @1999-JAN-1 33, @2006-JAN-1
                    34, @2009-JAN-1 35, @2012-JUL-1 36, @2015-JUL-1 37, @2017-JAN-1 )
\begintext
"""


def test_spice_trajectory_reads_an_spk_of_the_two_body_model(tmp_path):
    spice = pytest.importorskip("spiceypy")
    lsk = tmp_path / "naif0012.tls"
    lsk.write_text(LSK)
    spice.furnsh(str(lsk))
    try:
        t = np.arange(utc("17:50:00"), utc("20:50:00") + 1, 30.0)
        et = np.array([spice.str2et(f"2013-10-09T{k}") for k in
                       [datetime.fromtimestamp(x, UTC).strftime("%H:%M:%S") for x in t]])
        states = np.hstack([JUNO_2013.position_eci_m(t), JUNO_2013.velocity_eci_m_s(t)]) / 1e3
        spk = tmp_path / "juno_two_body.bsp"
        handle = spice.spkopn(str(spk), "two-body", 0)
        spice.spkw13(handle, -61, 399, "J2000", et[0], et[-1], "JUNO 2013 TWO-BODY", 7,
                     len(t), states, et)  # fmt: skip
        spice.spkcls(handle)
        spice.kclear()

        traj = SpiceTrajectory([lsk, spk])
        check = np.array([utc("18:00:07"), utc("19:20:59.5"), utc("19:21:00"), utc("20:39:13")])
        err = np.linalg.norm(traj.position_eci_m(check) - JUNO_2013.position_eci_m(check), axis=1)
        assert err.max() < 1e3
        err = np.linalg.norm(traj.position_ecef_m(check) - JUNO_2013.position_ecef_m(check), axis=1)
        assert err.max() < 1e3
        np.testing.assert_allclose(traj.range_m(check), JUNO_2013.range_m(check), atol=1e3)
        np.testing.assert_allclose(traj.altitude_m(check), JUNO_2013.altitude_m(check), atol=1e3)
        with pytest.raises(InputError, match="no such file"):
            SpiceTrajectory([tmp_path / "missing.bsp"])
    finally:
        spice.kclear()


def test_spice_trajectory_without_spiceypy_says_how_to_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "spiceypy", None)
    with pytest.raises(InputError, match=r"pip install 'hi-station\[spice\]'"):
        SpiceTrajectory([])


def test_kepler_far_from_perigee_converges():
    far = TwoBodyFlyby(perigee_utc=JUNO_2013.perigee_utc, perigee_radius_m=7e6,
                       v_infinity_m_s=3e3, perigee_lat_deg=0, perigee_lon_deg=0,
                       perigee_heading_deg=90)  # fmt: skip
    t = far.perigee_unix_s + np.array([-3e7, -1e5, 1e5, 3e7])
    h = far.hyperbolic_anomaly(t)
    m = far.mean_motion_rad_s * (t - far.perigee_unix_s)
    np.testing.assert_allclose(far.eccentricity * np.sinh(h) - h, m, rtol=1e-13)
