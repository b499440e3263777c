"""Audio frequency <-> radio frequency through an SSB rig's dial and sideband.

One home for the mapping both ways of the sound card use: the audio-tone keyer
(a tone of ``tone_hz`` into a rig on USB lands at dial + tone) and the sound-card
receiver (an audio frequency ``f`` out of a receiver on LSB came from dial - f).

Examples
--------
>>> audio_to_rf_hz(1500.0, 28_123_500.0, "usb")
28125000.0
>>> dial_for_rf_hz(28_125_000.0, 1500.0, "lsb")
28126500.0
"""

from __future__ import annotations

from station.errors import InputError

__all__ = ["SIDEBANDS", "audio_to_rf_hz", "check_sideband", "dial_for_rf_hz", "rig_mode"]

#: The sidebands an audio path can use.
SIDEBANDS = ("usb", "lsb")


def check_sideband(sideband: str, *, name: str = "--sideband") -> str:
    """Lower-case ``sideband`` and check it is ``usb`` or ``lsb``.

    Examples
    --------
    >>> check_sideband("USB")
    'usb'
    """
    side = str(sideband).strip().lower()
    if side not in SIDEBANDS:
        raise InputError(f"{name}={sideband!r} must be 'usb' or 'lsb'")
    return side


def audio_to_rf_hz(audio_hz: float, dial_hz: float, sideband: str) -> float:
    """Radio frequency of audio ``audio_hz`` on a rig whose dial reads ``dial_hz``."""
    sign = 1.0 if check_sideband(sideband) == "usb" else -1.0
    return float(dial_hz) + sign * float(audio_hz)


def dial_for_rf_hz(rf_hz: float, audio_hz: float, sideband: str) -> float:
    """Return the dial frequency that puts audio ``audio_hz`` on radio frequency ``rf_hz``."""
    sign = 1.0 if check_sideband(sideband) == "usb" else -1.0
    return float(rf_hz) - sign * float(audio_hz)


def rig_mode(sideband: str, *, data: bool = False) -> str:
    """Return the Hamlib mode for an audio path: ``USB``/``LSB``, or ``PKTUSB``/``PKTLSB`` for data.

    Examples
    --------
    >>> rig_mode("usb", data=True)
    'PKTUSB'
    """
    side = check_sideband(sideband).upper()
    return f"PKT{side}" if data else side
