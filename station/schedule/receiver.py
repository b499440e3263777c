"""The optional ``[receiver]`` table of an event file: who is listening, and where.

For a spacecraft event it names the receiver's channel (the Juno Waves HFR channel
centred on 28.5 MHz, 1 MHz wide) and a trajectory model, so ``hi-station waves
analyze`` knows which channel to test and can give the range of every round.

Examples
--------
>>> r = receiver_from_dict({"receiver": {"name": "Juno Waves HFR", "channel_hz": 28.5e6,
...     "bandwidth_hz": 1e6, "trajectory": "juno-2013-earth-flyby"}}, "x.toml")
>>> r.channel_hz, r.trajectory
(28500000.0, 'juno-2013-earth-flyby')
>>> receiver_from_dict({}, "x.toml") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from station.errors import ScheduleError
from station.schedule._rules import field as _field

__all__ = ["Receiver", "receiver_from_dict"]

_KNOWN = {"name", "channel_hz", "bandwidth_hz", "trajectory"}


@dataclass(frozen=True, slots=True)
class Receiver:
    """A wide-band receiver listening to the event (e.g. a spacecraft's).

    Attributes
    ----------
    name : str
        Human name, e.g. ``"Juno Waves HFR"``.
    channel_hz : float
        Centre of the power channel that covers the event band.
    bandwidth_hz : float
        Its noise bandwidth.
    trajectory : str
        Name of a trajectory model in :data:`station.waves.flyby.TRAJECTORIES`;
        empty when the receiver is not a spacecraft (or its path is unknown).
    """

    name: str
    channel_hz: float
    bandwidth_hz: float
    trajectory: str = ""


def receiver_from_dict(data: dict[str, Any], source: str) -> Receiver | None:
    """Validate the ``[receiver]`` table of a parsed event file (None if absent).

    Raises
    ------
    ScheduleError
        Unknown keys, wrong types, or a channel/bandwidth that is not a positive number.
    """
    if "receiver" not in data:
        return None
    table = data["receiver"]
    if not isinstance(table, dict):
        raise ScheduleError(source, "receiver", "must be a table")
    extra = sorted(set(table) - _KNOWN)
    if extra:
        raise ScheduleError(source, "receiver", f"unknown key(s) {', '.join(extra)}; "
                            f"known: {', '.join(sorted(_KNOWN))}")
    values = {}
    for key in ("channel_hz", "bandwidth_hz"):
        value = _field(table, "receiver", key, (int, float), source)
        if not value > 0:
            raise ScheduleError(source, f"receiver.{key}", f"{value!r} must be > 0 Hz")
        values[key] = float(value)
    return Receiver(
        name=_field(table, "receiver", "name", str, source, ""),
        trajectory=_field(table, "receiver", "trajectory", str, source, ""),
        **values,
    )
