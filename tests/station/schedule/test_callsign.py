"""Callsign and grid-locator validation (reference: sdr-and-rig.md 5.1-5.2)."""

from __future__ import annotations

import pytest

from station.errors import InputError
from station.schedule.callsign import parse_callsign, parse_grid

ACCEPTED = {
    "N0CALL": ("", "N0CALL", ""),
    "W1AW": ("", "W1AW", ""),
    "DL1ABC": ("", "DL1ABC", ""),
    "G4ABC": ("", "G4ABC", ""),
    "2E0ABC": ("", "2E0ABC", ""),
    "3DA0XYZ": ("", "3DA0XYZ", ""),
    "9A1A": ("", "9A1A", ""),
    "E51ABC": ("", "E51ABC", ""),
    "VK2ABC": ("", "VK2ABC", ""),
    "KD0L": ("", "KD0L", ""),
    "HC2/DH1TW/P": ("HC2", "DH1TW", "P"),
    "G4ABC/M": ("", "G4ABC", "M"),
    "JA1ABC/QRP": ("", "JA1ABC", "QRP"),
    "VE3/N0CALL": ("VE3", "N0CALL", ""),
    "G4ABC/P": ("", "G4ABC", "P"),
}
REJECTED = ["HELLO", "N0", "123", "ABCDEF", "N0CALL/", "/N0CALL", "QRSS30", "N0CALL1", ""]


@pytest.mark.parametrize("text", sorted(ACCEPTED))
def test_accepted_callsigns_split_into_prefix_base_suffix(text):
    call = parse_callsign(text)
    assert (call.prefix, call.base, call.suffix) == ACCEPTED[text]
    assert call.text == text and call.last_letter == call.base[-1]
    assert parse_callsign(f"  {text.lower()} ") == call


@pytest.mark.parametrize("text", REJECTED)
def test_rejected_callsigns_raise_input_errors_naming_the_option(text):
    with pytest.raises(InputError, match="--callsign"):
        parse_callsign(text)


def test_missing_callsign_is_reported_as_required():
    with pytest.raises(InputError, match="required"):
        parse_callsign(None)


@pytest.mark.parametrize(
    ("text", "normal"),
    [("IO91wm", "IO91wm"), ("io91WM", "IO91wm"), ("FN31", "FN31"), ("JO62qm12", "JO62qm12"),
     ("AA", "AA")],
)  # fmt: skip
def test_accepted_grids(text, normal):
    assert parse_grid(text).text == normal


@pytest.mark.parametrize("text", ["ZZ99", "IO9", "AA00zz99x", "IO91wz", "IO91wm1", "", "I091"])
def test_rejected_grids(text):
    with pytest.raises(InputError, match="--grid"):
        parse_grid(text)


def test_grid_centre():
    lat, lon = parse_grid("IO91wm").center_deg
    assert lat == pytest.approx(51.5208, abs=1e-4) and lon == pytest.approx(-0.125)
