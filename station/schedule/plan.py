"""An operator's plan: the frequency and every key edge, from (event, callsign).

:func:`make_plan` is a pure function.  The same plan drives the countdown and the
keyer (:mod:`station.keyer`), the demo, and the expected-dit overlays and templates
of the analysis (:meth:`OperatorPlan.rounds_s`).

Examples
--------
>>> from station.schedule.event import load_event
>>> plan = make_plan(load_event("juno-2013-10-09"), "VE3/N0CALL")
>>> plan.freq_hz, plan.letter, len(plan.rounds), len(plan.rounds[0].key_downs)
(28400000.0, 'L', 16, 6)
>>> [f"{e.at_utc:%H:%M:%S} {'down' if e.key_down else 'up'}" for e in plan.edges()[:3]]
['18:00:00 down', '18:00:30 up', '18:01:00 down']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from station.errors import InputError
from station.schedule.callsign import Callsign, Grid, parse_callsign, parse_grid
from station.schedule.event import IDENT_DELAY_S, TEN_METRE_BAND_HZ, Event
from station.utc import utc_z

__all__ = ["Edge", "KeyDown", "OperatorPlan", "PlannedRound", "make_plan"]


@dataclass(frozen=True, slots=True)
class KeyDown:
    """One key-down (a dit of the 2013 event).

    Attributes
    ----------
    round_number, element_number : int
        1-based round and element within the round.
    start_utc, end_utc : datetime
        Key-down and key-up instants.
    """

    round_number: int
    element_number: int
    start_utc: datetime
    end_utc: datetime

    @property
    def duration_s(self) -> float:
        """Length of the key-down, s."""
        return (self.end_utc - self.start_utc).total_seconds()


@dataclass(frozen=True, slots=True)
class Edge:
    """A key transition at a scheduled UTC instant.

    Attributes
    ----------
    at_utc : datetime
    key_down : bool
        True for key-down, False for key-up.
    round_number, element_number : int
        1-based.
    """

    at_utc: datetime
    key_down: bool
    round_number: int
    element_number: int


@dataclass(frozen=True, slots=True)
class PlannedRound:
    """One round of the plan.

    Attributes
    ----------
    round_number : int
        1-based.
    start_utc : datetime
        First key-down.
    key_downs : tuple of KeyDown
    ident_utc : datetime or None
        When the station identifies after this round (None: not after this round).
    """

    round_number: int
    start_utc: datetime
    key_downs: tuple[KeyDown, ...]
    ident_utc: datetime | None

    @property
    def end_utc(self) -> datetime:
        """Last key-up."""
        return self.key_downs[-1].end_utc


@dataclass(frozen=True, slots=True)
class OperatorPlan:
    """What one station does during an event.

    Attributes
    ----------
    event : Event
    callsign : Callsign
    grid : Grid or None
    freq_hz : float
        Transmit frequency (carrier), Hz.
    freq_source : str
        Why this frequency: table letter, single frequency, or operator override.
    rounds : tuple of PlannedRound
    ident_text : str
        Identification sent (empty with rule ``"none"``).
    """

    event: Event
    callsign: Callsign
    grid: Grid | None
    freq_hz: float
    freq_source: str
    rounds: tuple[PlannedRound, ...]
    ident_text: str

    @property
    def letter(self) -> str:
        """Last letter of the base call."""
        return self.callsign.last_letter

    def key_downs(self) -> tuple[KeyDown, ...]:
        """Every key-down of every round, in time order."""
        return tuple(k for r in self.rounds for k in r.key_downs)

    def edges(self) -> tuple[Edge, ...]:
        """Every key-down and key-up edge, in time order."""
        out: list[Edge] = []
        for k in self.key_downs():
            out.append(Edge(k.start_utc, True, k.round_number, k.element_number))
            out.append(Edge(k.end_utc, False, k.round_number, k.element_number))
        return tuple(out)

    def rounds_s(self, origin_utc: datetime) -> list[np.ndarray]:
        """Key-down intervals of each round in seconds from ``origin_utc``.

        The form :func:`dsp.detect.detect` and the analyzers take.

        Examples
        --------
        >>> from station.schedule.event import load_event
        >>> plan = make_plan(load_event("juno-2013-10-09"), "N0CALL")
        >>> plan.rounds_s(plan.event.start_utc)[1][:2].tolist()
        [[600.0, 630.0], [660.0, 690.0]]
        """

        def s(t: datetime) -> float:
            return (t - origin_utc).total_seconds()

        return [
            np.array([[s(k.start_utc), s(k.end_utc)] for k in r.key_downs]) for r in self.rounds
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (UTC strings with ``Z``, frequencies in Hz)."""
        return {
            "event_id": self.event.id,
            "event_name": self.event.name,
            "callsign": self.callsign.text,
            "base_call": self.callsign.base,
            "letter": self.letter,
            "grid": None if self.grid is None else self.grid.text,
            "freq_hz": self.freq_hz,
            "freq_source": self.freq_source,
            "mode": self.event.mode,
            "dit_s": self.event.dit_s,
            "ident_text": self.ident_text,
            "rounds": [
                {
                    "round": r.round_number,
                    "start_utc": utc_z(r.start_utc),
                    "end_utc": utc_z(r.end_utc),
                    "ident_utc": None if r.ident_utc is None else utc_z(r.ident_utc),
                    "key_downs": [
                        {
                            "element": k.element_number,
                            "down_utc": utc_z(k.start_utc),
                            "up_utc": utc_z(k.end_utc),
                            "duration_s": k.duration_s,
                        }
                        for k in r.key_downs
                    ],
                }
                for r in self.rounds
            ],
        }


def _frequency(event: Event, call: Callsign, freq_hz: float | None) -> tuple[float, str]:
    if freq_hz is not None:
        f = float(freq_hz)
        low, high = event.band_hz
        if not (np.isfinite(f) and low <= f <= high):
            raise InputError(
                f"--freq-mhz={f / 1e6:.6f} is outside the event's band "
                f"{low / 1e6:.6f}-{high / 1e6:.6f} MHz ({event.source})"
            )
        return f, "operator override"
    if event.frequency_rule == "single":
        return event.table_hz["*"], "the event's single frequency"
    recon = " (reconstructed table)" if event.reconstruction else ""
    return event.table_hz[call.last_letter], f"table, last letter {call.last_letter}{recon}"


def make_plan(
    event: Event,
    callsign: str | Callsign,
    *,
    grid: str | Grid | None = None,
    freq_hz: float | None = None,
) -> OperatorPlan:
    """Plan one station's part in an event.

    Parameters
    ----------
    event : Event
        The validated event.
    callsign : str or Callsign
        The station's callsign (validated here); its base call's last letter picks
        the frequency under the ``"last-letter"`` rule.
    grid : str or Grid, optional
        Maidenhead locator (validated; goes to logs).
    freq_hz : float, optional
        Operator override of the frequency, Hz; must lie inside the event's band.

    Returns
    -------
    OperatorPlan

    Raises
    ------
    InputError
        Invalid callsign or grid, or an override outside the band.
    """
    call = callsign if isinstance(callsign, Callsign) else parse_callsign(callsign)
    loc = grid if isinstance(grid, Grid) or grid is None else parse_grid(grid)
    f, why = _frequency(event, call, freq_hz)
    if not TEN_METRE_BAND_HZ[0] <= f <= TEN_METRE_BAND_HZ[1]:  # belt and braces
        raise InputError(f"frequency {f / 1e6:.6f} MHz is outside the 10 m band")
    ident = event.identification
    rounds = []
    for i in range(event.rounds):
        t0 = event.round_start_utc(i)
        kds = tuple(
            KeyDown(i + 1, j + 1, t0 + timedelta(seconds=a), t0 + timedelta(seconds=b))
            for j, (a, b) in enumerate(event.key_down_s)
        )
        last = i == event.rounds - 1
        idents = ident.rule == "after-each-round" or (ident.rule == "after-last-round" and last)
        ident_utc = kds[-1].end_utc + timedelta(seconds=IDENT_DELAY_S) if idents else None
        rounds.append(PlannedRound(i + 1, t0, kds, ident_utc))
    text = "" if ident.rule == "none" else ident.render(call.text)
    return OperatorPlan(event, call, loc, f, why, tuple(rounds), text)
