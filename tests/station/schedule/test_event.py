"""The 2013 event file and the operator plans made from it."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.errors import InputError, ScheduleError
from station.schedule.event import event_from_dict, load_event, shipped_events
from station.schedule.plan import make_plan

T0 = datetime(2013, 10, 9, 18, 0, tzinfo=UTC)
CALLS = ["N0CALL", "VE3/N0CALL", "G4ABC/P", "HC2/DH1TW/P", "2E0ABC", "KD0L"]
BASES = {
    "N0CALL": "N0CALL",
    "VE3/N0CALL": "N0CALL",
    "G4ABC/P": "G4ABC",
    "HC2/DH1TW/P": "DH1TW",
    "2E0ABC": "2E0ABC",
    "KD0L": "KD0L",
}


@pytest.fixture(scope="module")
def juno():
    return load_event("juno-2013-10-09")


def test_shipped_event_is_found_by_id_and_path(juno):
    assert "juno-2013-10-09" in shipped_events()
    again = load_event(shipped_events()["juno-2013-10-09"])
    assert again == juno
    assert juno.target == "JUNO" and juno.mode == "CW" and juno.reconstruction


@pytest.mark.parametrize("call", CALLS)
def test_2013_plan_rounds_and_key_downs(juno, call):
    plan = make_plan(juno, call)
    assert plan.callsign.base == BASES[call]
    assert len(plan.rounds) == 16
    for k, rnd in enumerate(plan.rounds):
        start = T0 + timedelta(minutes=10 * k)
        assert rnd.round_number == k + 1 and rnd.start_utc == start
        assert len(rnd.key_downs) == 6
        assert [kd.duration_s for kd in rnd.key_downs] == [30.0] * 6
        offsets = [(kd.start_utc - start).total_seconds() for kd in rnd.key_downs]
        assert offsets == [0, 60, 120, 180, 300, 360]
        gaps = [
            (b.start_utc - a.end_utc).total_seconds() / 30.0
            for a, b in zip(rnd.key_downs, rnd.key_downs[1:], strict=False)
        ]
        assert gaps == [1, 1, 1, 3, 1]  # 1 unit inside H and I, 3 units between them
        assert rnd.end_utc == start + timedelta(seconds=390)
    assert plan.rounds[-1].end_utc == datetime(2013, 10, 9, 20, 36, 30, tzinfo=UTC)
    assert f"{plan.rounds[-1].end_utc:%H:%M:%S}Z" == "20:36:30Z"
    edges = plan.edges()
    assert len(edges) == 192 and [e.key_down for e in edges[:2]] == [True, False]
    assert all(a.at_utc < b.at_utc for a, b in zip(edges, edges[1:], strict=False))


@pytest.mark.parametrize("call", CALLS)
def test_2013_frequency_is_the_table_entry_of_the_base_calls_last_letter(juno, call):
    plan = make_plan(juno, call)
    letter = BASES[call][-1]
    assert plan.letter == letter
    assert plan.freq_hz == juno.table_hz[letter]
    assert 28e6 <= plan.freq_hz <= 29e6
    assert not 28.45e6 <= plan.freq_hz <= 28.55e6
    assert f"last letter {letter}" in plan.freq_source and "reconstructed" in plan.freq_source


def test_2013_table_has_26_distinct_frequencies_clear_of_the_waves_notch(juno):
    assert sorted(juno.table_hz) == list("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    freqs = list(juno.table_hz.values())
    assert len(set(freqs)) == 26
    assert all(28e6 <= f <= 29e6 and not 28.45e6 <= f <= 28.55e6 for f in freqs)


def test_identification_after_each_round(juno):
    plan = make_plan(juno, "VE3/N0CALL", grid="FN03")
    assert plan.ident_text == "DE VE3/N0CALL"
    assert all(r.ident_utc == r.end_utc + timedelta(seconds=2) for r in plan.rounds)
    assert plan.to_dict()["grid"] == "FN03"


def test_frequency_override_and_its_limits(juno):
    assert make_plan(juno, "N0CALL", freq_hz=28.3e6).freq_source == "operator override"
    with pytest.raises(InputError, match="outside the event's band"):
        make_plan(juno, "N0CALL", freq_hz=29.5e6)


# Callsigns built from the parts of the reference regex (sdr-and-rig.md 5.2).
_UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIG = "0123456789"
_letters = st.text(_UP, min_size=1, max_size=1)
_itu = st.one_of(
    st.text(_UP, min_size=1, max_size=2),
    st.builds(lambda d, s: d + s, st.text(_DIG, min_size=1, max_size=1),
              st.text(_UP, min_size=1, max_size=2)),
    st.builds(lambda a, d: a + d, _letters, st.text(_DIG, min_size=1, max_size=1)),
)  # fmt: skip
_base = st.builds(
    lambda p, d, mid, last: p + d + mid + last,
    _itu,
    st.text(_DIG, min_size=1, max_size=1),
    st.text(_UP + _DIG, max_size=3),
    _letters,
)
_prefix = st.one_of(st.just(""), st.text(_UP + _DIG, min_size=1, max_size=4))
# A suffix of letters only or digits only can never be read as a base call.
_suffix = st.one_of(
    st.just(""), st.text(_UP, min_size=1, max_size=4), st.text(_DIG, min_size=1, max_size=4)
)


@settings(max_examples=60, deadline=None)
@given(prefix=_prefix, base=_base, suffix=_suffix, lower=st.booleans())
def test_generated_callsigns_plan_on_their_base_calls_last_letter(prefix, base, suffix, lower):
    juno = load_event("juno-2013-10-09")
    call = (f"{prefix}/" if prefix else "") + base + (f"/{suffix}" if suffix else "")
    plan = make_plan(juno, call.lower() if lower else call)
    assert plan.callsign.base == base
    assert plan.letter == base[-1]
    assert plan.freq_hz == juno.table_hz[base[-1]]
    assert len(plan.key_downs()) == 96


def _juno_dict() -> dict:
    return tomllib.loads(shipped_events()["juno-2013-10-09"].read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("event"), "event"),
        (lambda d: d["event"].pop("dit_s"), "event.dit_s"),
        (lambda d: d["event"].update(dit_s="thirty"), "event.dit_s"),
        (lambda d: d["event"].update(rounds=True), "event.rounds"),
        (lambda d: d["event"].update(rounds=0), "event.rounds"),
        (lambda d: d["event"].update(start_utc=datetime(2013, 10, 9, 18)), "event.start_utc"),
        (lambda d: d["event"].update(key_down_s=[[0, 30], [20, 40]]), "event.key_down_s[1]"),
        (lambda d: d["frequency"]["table_hz"].pop("Q"), "frequency.table_hz"),
        (lambda d: d["frequency"]["table_hz"].update(a=28.0e6), "frequency.table_hz"),
        (lambda d: d["frequency"]["table_hz"].update(B=27.5e6), "frequency.table_hz.B"),
        (lambda d: d["band"].update(high_hz=30e6), "band"),
        (lambda d: d["event"].update(round_period_s=300), "event.round_period_s"),
        (lambda d: d["identification"].update(rule="hourly"), "identification.rule"),
        (lambda d: d["identification"].update(text="DE {callsign.x}"), "identification.text"),
        # A format spec would allocate 3 GB; nothing but {callsign} is interpreted.
        (lambda d: d["identification"].update(text="DE {callsign:>3000000000}"),
         "identification.text"),
        (lambda d: d["identification"].update(text="DE " + "E" * 100), "identification.text"),
        # The id names files (the default TX log): no way out of the folder.
        (lambda d: d["event"].update(id="a/../../x"), "event.id"),
        (lambda d: d["event"].update(id=".hidden"), "event.id"),
        (lambda d: d["event"].update(name="two\nlines"), "event.name"),
        (lambda d: d["event"].update(name="red \x1b[31m"), "event.name"),
    ],
)
def test_event_rules_raise_schedule_errors_naming_the_field(change, field):
    data = _juno_dict()
    change(data)
    with pytest.raises(ScheduleError) as info:
        event_from_dict(data, source="x.toml")
    assert info.value.field == field
    assert str(info.value).startswith(f"x.toml: {field}: ")
