from __future__ import annotations

import string

import numpy as np
import pytest

from station.errors import InputError
from station.schedule import load_event
from station.waves.population import (
    DEFAULT_ACTIVE_FRACTION,
    DEFAULT_ANTENNA_GAIN_DBI,
    DEFAULT_REGIONS,
    Centre,
    Region,
    Transmitters,
    select_active,
    spread_operators,
)

TABLE = load_event("juno-2013-10-09").table_hz


def test_event_table_is_what_the_population_uses():
    assert sorted(TABLE) == list(string.ascii_uppercase)


def test_every_continent_including_antarctica_and_weights_respected():
    tx = spread_operators(1400, np.random.default_rng(7), event_table_hz=TABLE)
    assert len(tx) == 1400
    names, counts = np.unique(tx.region, return_counts=True)
    by_name = dict(zip(names.tolist(), counts.tolist(), strict=True))
    assert set(by_name) == {r.name for r in DEFAULT_REGIONS}
    assert by_name["Antarctica"] >= 1  # "from every continent, including Antarctica"
    total_w = sum(r.weight for r in DEFAULT_REGIONS)
    for r in DEFAULT_REGIONS:  # deterministic apportionment: within one operator (+1 minimum)
        assert abs(by_name[r.name] - 1400 * r.weight / total_w) <= 2
    assert abs(sum(r.weight for r in DEFAULT_REGIONS) - 1.0) < 1e-12


def test_operators_sit_near_their_centres():
    tx = spread_operators(1400, np.random.default_rng(3), event_table_hz=TABLE)
    assert np.all(np.abs(tx.lat_deg) < 90) and np.all(np.abs(tx.lon_deg) <= 180)
    ant = tx.region == "Antarctica"
    assert np.all(tx.lat_deg[ant] < -60)
    na = tx.region == "North America"
    assert 25 < np.median(tx.lat_deg[na]) < 50 and -110 < np.median(tx.lon_deg[na]) < -70
    eu = tx.region == "Europe"
    assert 40 < np.median(tx.lat_deg[eu]) < 60 and -5 < np.median(tx.lon_deg[eu]) < 30


def test_letters_uniform_and_frequency_from_the_table():
    tx = spread_operators(26_000, np.random.default_rng(11), event_table_hz=TABLE)
    letters, counts = np.unique(tx.letter, return_counts=True)
    assert letters.tolist() == list(string.ascii_uppercase)
    chi2 = np.sum((counts - 1000.0) ** 2 / 1000.0)
    assert chi2 < 60  # 25 degrees of freedom: P(chi2 > 60) ~ 1e-4
    np.testing.assert_array_equal(tx.freq_hz, [TABLE[c] for c in tx.letter])
    np.testing.assert_array_equal(tx.power_w, 100.0)
    np.testing.assert_array_equal(tx.gain_dbi, DEFAULT_ANTENNA_GAIN_DBI)


def test_same_seed_same_operators_different_seed_different():
    a = spread_operators(50, np.random.default_rng(1), event_table_hz=TABLE)
    b = spread_operators(50, np.random.default_rng(1), event_table_hz=TABLE)
    c = spread_operators(50, np.random.default_rng(2), event_table_hz=TABLE)
    np.testing.assert_array_equal(a.lat_deg, b.lat_deg)
    np.testing.assert_array_equal(a.letter, b.letter)
    assert not np.array_equal(a.lat_deg, c.lat_deg)


def test_single_frequency_table_custom_regions_and_small_n():
    regions = (Region("Here", 1.0, (Centre(10.0, 20.0, 0.0),)),)
    tx = spread_operators(5, np.random.default_rng(0), event_table_hz={"*": 28.3e6},
                          power_w=5.0, antenna_gain_dbi=3.0, regions=regions)  # fmt: skip
    np.testing.assert_array_equal(tx.freq_hz, 28.3e6)
    np.testing.assert_array_equal(tx.lat_deg, 10.0)
    np.testing.assert_allclose(tx.eirp_w, 5.0 * 10**0.3)
    three = spread_operators(3, np.random.default_rng(0), event_table_hz=TABLE)
    # fewer operators than regions: largest remainders of 3 x weights (1.38, 0.90, ...)
    assert sorted(three.region.tolist()) == ["Europe", "North America", "North America"]
    assert len(spread_operators(0, np.random.default_rng(0), event_table_hz=TABLE)) == 0


def test_errors_name_the_value_and_the_rule():
    rng = np.random.default_rng(0)
    with pytest.raises(InputError, match="letter.*XYZ"):
        spread_operators(10, rng, event_table_hz={c: 28.1e6 for c in "ABCDEFGHIJKLMNOPQRSTUVW"})
    with pytest.raises(InputError, match="n -1"):
        spread_operators(-1, rng, event_table_hz=TABLE)
    with pytest.raises(InputError, match="power_w 0"):
        spread_operators(1, rng, event_table_hz=TABLE, power_w=0.0)
    with pytest.raises(InputError, match="fraction 1.5"):
        select_active(spread_operators(4, rng, event_table_hz=TABLE), rng, fraction=1.5)
    with pytest.raises(InputError, match="freq_hz: 1 rows, not 2"):
        Transmitters(np.zeros(2), np.zeros(2), np.array(["A", "B"]), np.zeros(1),
                     np.zeros(2), np.zeros(2))  # fmt: skip


def test_select_active_is_a_random_subset():
    tx = spread_operators(1400, np.random.default_rng(5), event_table_hz=TABLE)
    act = select_active(tx, np.random.default_rng(6))
    assert len(act) == round(DEFAULT_ACTIVE_FRACTION * 1400)
    pairs = set(zip(tx.lat_deg.tolist(), tx.lon_deg.tolist(), strict=True))
    assert all(p in pairs for p in zip(act.lat_deg.tolist(), act.lon_deg.tolist(), strict=True))
    assert len(select_active(tx, np.random.default_rng(6), fraction=0.0)) == 0
    mask = tx.region == "Europe"
    assert len(tx.subset(mask)) == int(mask.sum())
