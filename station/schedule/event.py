"""Event files: the TOML description of a coordinated slow-Morse event, validated.

An event file has five tables (see ``schedules/juno-2013-10-09.toml`` for a
commented example and ``schedules/practice-template.toml`` for a rehearsal):

``[event]``
    ``id``, ``name``, ``start_utc`` (TOML date-time with ``Z`` or an offset: the first
    key-down of round 1), ``message``, ``dit_s``, ``round_period_s``, ``rounds``,
    optional ``mode`` (``"CW"``), ``target`` (what a log calls the station worked),
    ``notes``, ``sources``, and ``key_down_s``: explicit key-down intervals in seconds
    from the round start, replacing the ones derived from ``message`` and ``dit_s``.
``[band]``
    ``low_hz`` and ``high_hz``: the frequencies the event allows, inside 10 m.
``[frequency]``
    ``rule = "last-letter"`` with a ``[frequency.table_hz]`` of 26 letters, or
    ``rule = "single"`` with ``single_hz``; ``reconstruction`` (bool) and ``note``.
``[identification]``
    ``rule``: ``"none"``, ``"after-each-round"`` or ``"after-last-round"``; ``text``
    (``{callsign}`` is replaced) and ``wpm``.

Every rule broken raises :class:`~station.errors.ScheduleError` naming the file, the
field and the rule.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dsp.errors import DspValueError
from dsp.morse import text_to_units, wpm_to_dit_s
from station._textin import EVENT_LIMIT_BYTES, read_text_input
from station.errors import ScheduleError
from station.schedule._rules import TEN_METRE_BAND_HZ
from station.schedule._rules import band as _band
from station.schedule._rules import field as _field
from station.schedule._rules import frequencies as _frequencies
from station.schedule._rules import key_downs as _key_downs
from station.schedule._rules import names as _names
from station.schedule._rules import start_utc as _start_utc
from station.schedule._rules import timing as _timing
from station.schedule.receiver import Receiver, receiver_from_dict

__all__ = [
    "IDENT_RULES",
    "TEN_METRE_BAND_HZ",
    "Event",
    "Identification",
    "event_from_dict",
    "load_event",
    "shipped_events",
    "shipped_folder",
]

#: Station-identification rules an event file may name.
IDENT_RULES = ("none", "after-each-round", "after-last-round")
#: Rig modes an event may name: the ones rigctld's ``set_mode`` takes (Hamlib 4.5).
MODES = (
    "CW", "CWR", "USB", "LSB", "AM", "FM", "WFM", "RTTY", "RTTYR", "AMS", "PKTLSB", "PKTUSB",
    "PKTFM", "PKTAM", "ECSSUSB", "ECSSLSB", "FAX", "SAM", "SAL", "SAH", "DSB", "FMN",
)  # fmt: skip
#: The event-file format version this code reads (``schema = 1``).
SCHEMA = 1
#: Pause between the last key-up of a round and the identification, s.
IDENT_DELAY_S = 2.0


#: Longest identification text accepted from an event file.
MAX_IDENT_CHARS = 80


@dataclass(frozen=True, slots=True)
class Identification:
    """How a station identifies itself.

    Attributes
    ----------
    rule : str
        One of :data:`IDENT_RULES`.
    text : str
        What is sent; ``{callsign}`` becomes the operator's call.
    wpm : float
        Speed of the identification, words per minute (PARIS).
    """

    rule: str = "none"
    text: str = "DE {callsign}"
    wpm: float = 20.0

    def render(self, callsign: str) -> str:
        """Return the text sent: :attr:`text` with ``{callsign}`` replaced.

        Nothing else is interpreted: a format spec in an event file could ask for
        gigabytes.

        Examples
        --------
        >>> Identification("end", "DE {callsign} HI", 20.0).render("N0CALL")
        'DE N0CALL HI'
        """
        return self.text.replace("{callsign}", callsign)

    def duration_s(self, callsign: str) -> float:
        """Time the identification takes at :attr:`wpm` (0 with rule ``"none"``)."""
        if self.rule == "none":
            return 0.0
        return float(text_to_units(self.render(callsign)).size) * wpm_to_dit_s(self.wpm)


@dataclass(frozen=True, slots=True)
class Event:
    """A validated event.

    Attributes
    ----------
    id, name : str
        Short identifier (file stem) and human name.
    start_utc : datetime
        First key-down of round 1 (aware, UTC).
    message : str
        Text sent each round.
    dit_s : float
        Dit length, s.
    round_period_s : float
        Time between the starts of consecutive rounds, s.
    rounds : int
        Number of rounds.
    key_down_s : tuple of (float, float)
        Key-down intervals of one round, seconds from the round start.
    band_hz : (float, float)
        Lowest and highest frequency the event allows, Hz.
    frequency_rule : str
        ``"last-letter"`` or ``"single"``.
    table_hz : dict
        Letter -> frequency (``"last-letter"``), or ``{"*": f}`` (``"single"``).
    reconstruction : bool
        True when the frequency table is not the original (it is documented why).
    frequency_note : str
        Where the table comes from.
    identification : Identification
    mode : str
        Rig mode set before keying (``"CW"``).
    target : str
        The station worked, for logs (``"JUNO"``).
    notes : str
    sources : tuple of str
    source : str
        File the event was read from.
    receiver : Receiver or None
        The optional ``[receiver]`` table (see :mod:`station.schedule.receiver`).
    """

    id: str
    name: str
    start_utc: datetime
    message: str
    dit_s: float
    round_period_s: float
    rounds: int
    key_down_s: tuple[tuple[float, float], ...]
    band_hz: tuple[float, float]
    frequency_rule: str
    table_hz: dict[str, float]
    reconstruction: bool
    frequency_note: str
    identification: Identification
    mode: str = "CW"
    target: str = ""
    notes: str = ""
    sources: tuple[str, ...] = ()
    source: str = "<event>"
    receiver: Receiver | None = None

    def round_start_utc(self, index: int) -> datetime:
        """Start of round ``index`` (0-based)."""
        return self.start_utc + timedelta(seconds=index * self.round_period_s)

    @property
    def end_utc(self) -> datetime:
        """Last key-up of the last round."""
        return self.round_start_utc(self.rounds - 1) + timedelta(seconds=self.key_down_s[-1][1])

    @property
    def max_key_down_s(self) -> float:
        """Longest single key-down of a round, s (what the watchdog allows, plus a margin)."""
        return max(b - a for a, b in self.key_down_s)


def event_from_dict(data: dict[str, Any], *, source: str = "<event>") -> Event:
    """Validate a parsed event file.

    Parameters
    ----------
    data : dict
        The TOML document, as :func:`tomllib.loads` returns it.
    source : str, optional
        File name used in error messages.

    Returns
    -------
    Event

    Raises
    ------
    ScheduleError
        A missing field, a wrong type or a broken rule (named in the message).

    Examples
    --------
    >>> ev = load_event("juno-2013-10-09")
    >>> ev.rounds, ev.dit_s, ev.key_down_s[-1]
    (16, 30.0, (360.0, 390.0))
    """
    schema = data.get("schema", SCHEMA)
    if schema != SCHEMA:
        raise ScheduleError(source, "schema", f"{schema!r} is not supported (this version reads 1)")
    ev = _field(data, "", "event", dict, source)
    ident_id, name = _names(ev, source)
    start = _start_utc(_field(ev, "event", "start_utc", (datetime, str), source), source)
    message = _field(ev, "event", "message", str, source)
    dit_s, period_s, rounds = _timing(ev, source)
    key_down_s = _key_downs(ev, message, dit_s, source)
    low, high = _band(data, source)
    rule, table, recon, note = _frequencies(data, (low, high), source)
    ident, ident_s = _identification(data, source)
    _check_rounds_apart(key_down_s[-1][1], ident, ident_s, rounds, period_s, source)
    sources = _field(ev, "event", "sources", list, source, [])
    mode = _field(ev, "event", "mode", str, source, "CW").upper()
    if mode not in MODES:
        raise ScheduleError(source, "event.mode", f"{mode!r} must be one of {', '.join(MODES)}")
    return Event(
        id=ident_id,
        name=name,
        start_utc=start,
        message=message,
        dit_s=dit_s,
        round_period_s=period_s,
        rounds=rounds,
        key_down_s=key_down_s,
        band_hz=(low, high),
        frequency_rule=rule,
        table_hz=table,
        reconstruction=recon,
        frequency_note=note,
        identification=ident,
        mode=mode,
        target=_field(ev, "event", "target", str, source, ""),
        notes=_field(ev, "event", "notes", str, source, ""),
        sources=tuple(str(s) for s in sources),
        source=source,
        receiver=receiver_from_dict(data, source),
    )


def _identification(data: dict[str, Any], source: str) -> tuple[Identification, float]:
    """Return the ``[identification]`` table, checked, and its longest duration, s."""
    idt = data.get("identification", {})
    if not isinstance(idt, dict):
        raise ScheduleError(source, "identification", "must be a table")
    ident = Identification(
        rule=_field(idt, "identification", "rule", str, source, "none"),
        text=_field(idt, "identification", "text", str, source, "DE {callsign}"),
        wpm=float(_field(idt, "identification", "wpm", (int, float), source, 20.0)),
    )
    if ident.rule not in IDENT_RULES:
        raise ScheduleError(source, "identification.rule", f"{ident.rule!r} must be one of "
                            + ", ".join(IDENT_RULES))  # fmt: skip
    if not 5.0 <= ident.wpm <= 60.0:
        raise ScheduleError(source, "identification.wpm", f"{ident.wpm:g} must be 5-60 WPM")
    bare = ident.text.replace("{callsign}", "")
    if len(ident.text) > MAX_IDENT_CHARS or re.search(r"[{}]", bare):
        raise ScheduleError(source, "identification.text", f"{ident.text[:40]!r}: at most "
                            f"{MAX_IDENT_CHARS} characters, with no braces but {{callsign}}")
    try:
        ident_s = ident.duration_s("VE3/N0CALL/QRP")
    except (DspValueError, KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
        raise ScheduleError(source, "identification.text", f"{ident.text!r}: {exc}") from None
    return ident, ident_s


def _check_rounds_apart(keyed_s: float, ident: Identification, ident_s: float, rounds: int,
                        period_s: float, source: str) -> None:  # fmt: skip
    """Refuse rounds that would overlap: keying ``keyed_s`` (and identifying) take too long."""
    # Only an identification after *each* round eats into the gap before the next one.
    each = ident.rule == "after-each-round"
    busy_s = keyed_s + (IDENT_DELAY_S + ident_s if each else 0.0)
    if rounds > 1 and busy_s >= period_s:
        raise ScheduleError(
            source,
            "event.round_period_s",
            f"{period_s:g} s is too short: a round keys for {keyed_s:g} s"
            + (f" and identifies for {IDENT_DELAY_S + ident_s:.0f} s" if each else "")
            + ", so rounds would overlap",
        )


def shipped_events() -> dict[str, Path]:
    """Event files shipped with hi-station (``schedules/``), by id.

    Examples
    --------
    >>> "juno-2013-10-09" in shipped_events()
    True
    """
    folder = shipped_folder()
    return {
        p.stem: p for p in sorted(folder.glob("*.toml")) if not p.name.endswith("-template.toml")
    }


def shipped_folder() -> Path:
    """Return the folder of shipped event files.

    ``schedules/`` beside the source tree when running from a checkout, else the copy
    installed as the package data ``station.events``.
    """
    source_tree = Path(__file__).resolve().parents[2] / "schedules"
    if (source_tree / "juno-2013-10-09.toml").is_file():
        return source_tree
    return Path(__file__).resolve().parents[1] / "events"  # installed: station/events


def load_event(path_or_id: str | Path) -> Event:
    """Read and validate an event file, or a shipped event by id.

    Parameters
    ----------
    path_or_id : str or pathlib.Path
        A TOML file, or the id of a shipped event (``"juno-2013-10-09"``).

    Raises
    ------
    ScheduleError
        Missing or unreadable file, malformed TOML, or a broken rule.

    Examples
    --------
    >>> load_event("juno-2013-10-09").start_utc.isoformat()
    '2013-10-09T18:00:00+00:00'
    """
    path = Path(path_or_id)
    if not path.exists():
        shipped = shipped_events()
        key = path.name.removesuffix(".toml")
        if path.parent == Path(".") and key in shipped:
            path = shipped[key]
        else:
            raise ScheduleError(
                str(path_or_id),
                "",
                "no such event file (shipped events: " + ", ".join(sorted(shipped)) + ")",
            )
    text = read_text_input(path, what="event file", limit_bytes=EVENT_LIMIT_BYTES,
                           fail=lambda why: ScheduleError(str(path), "", why))  # fmt: skip
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(str(path), "", f"malformed TOML: {exc}") from None
    except RecursionError:
        raise ScheduleError(str(path), "", "malformed TOML: nested too deeply") from None
    except ValueError:  # an integer over Python's 4300-digit conversion limit
        raise ScheduleError(str(path), "", "malformed TOML: a number has too many digits") from None
    return event_from_dict(data, source=str(path))
