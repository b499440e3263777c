import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsp.errors import DspValueError
from dsp.morse import (
    MORSE_CODE,
    elements_to_text,
    key_intervals,
    normalize_text,
    text_to_elements,
    text_to_units,
    units_to_elements,
    wpm_to_dit_s,
)

CHARS = [c for c in MORSE_CODE if not c.startswith("<")]
texts = st.lists(
    st.lists(st.sampled_from(CHARS), min_size=1, max_size=5).map("".join), min_size=1, max_size=3
).map(" ".join)


def test_hi_at_30_s_matches_the_2013_event_timing():
    # ARRL: 30 s dits, 30 s spaces inside a letter, 90 s between H and I.
    assert key_intervals("HI", 30.0).tolist() == [
        [0, 30], [60, 90], [120, 150], [180, 210], [300, 330], [360, 390]
    ]


def test_unit_timing_dah_letter_and_word_gaps():
    assert "".join("1" if u else "0" for u in text_to_units("T E")) == "111" + "0" * 7 + "1"
    kinds = [e.kind for e in text_to_elements("AB C")]
    assert kinds[:4] == ["dit", "gap", "dah", "letter-space"]
    assert "word-space" in kinds


def test_int_and_float_dit_give_the_same_intervals():
    assert np.array_equal(key_intervals("CQ", 30), key_intervals("CQ", 30.0))


@given(texts, st.floats(0.01, 200.0))
def test_intervals_scale_linearly_with_dit(text, dit_s):
    assert np.allclose(key_intervals(text, dit_s), key_intervals(text, 1.0) * dit_s)


@given(texts)
def test_text_units_round_trip(text):
    assert elements_to_text(units_to_elements(text_to_units(text))) == normalize_text(text)


def test_prosigns_are_one_character():
    assert "".join("1" if u else "0" for u in text_to_units("<SK>")) == "101010111010111"


def test_wpm():
    assert wpm_to_dit_s(12) == pytest.approx(0.1)
    assert wpm_to_dit_s(1 / 25) == pytest.approx(30.0)


@pytest.mark.parametrize(
    ("text", "fragment"), [("HI~", "'~' at position 2"), ("", "empty"), ("   ", "empty"),
                           ("A<XX>", "'<XX>' at position 1")]
)
def test_unknown_characters_are_named(text, fragment):
    with pytest.raises(DspValueError, match=fragment.replace("'", ".")):
        normalize_text(text)


@pytest.mark.parametrize("dit_s", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_dit_is_rejected(dit_s):
    with pytest.raises(DspValueError, match="dit_s"):
        key_intervals("HI", dit_s)
