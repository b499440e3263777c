"""ADIF export of the TX log (ADIF 3.1.4, ``.adi``), written directly.

ADIF is QSO-oriented and a beacon to a spacecraft is one-way, so each *keyed round*
becomes one record: one per (event, callsign, round) with at least one key-down
``"edge"`` record in the TX log (:mod:`station.keyer.txlog`).  Fields:

==================== =========================================================
ADIF field           from the TX log
==================== =========================================================
``QSO_DATE``         date of the round's first key-down ``actual_utc`` (UTC)
``TIME_ON``          time of that key-down, ``HHMMSS``
``QSO_DATE_OFF``     date of the round's last key-up ``actual_utc``
``TIME_OFF``         time of that key-up (of the last edge, if the round was cut
                     short while keyed)
``CALL``             the ``"start"`` record's ``target`` (``JUNO``), else the
                     event id upper-cased
``STATION_CALLSIGN`` ``callsign`` as sent (``VE3/N0CALL``)
``OPERATOR``         the base call (``N0CALL``: portable prefix/suffix removed)
``FREQ``             the edge's (else the start record's) ``freq_hz``, in MHz with
                     6 decimals
``BAND``             from ``FREQ`` (:func:`band_for_hz`); left out off-band
``MODE``             the start record's ``mode`` (``CW``)
``MY_GRIDSQUARE``    the start record's ``grid``, when there is one
``TX_PWR``           ``power_w`` (W), when given
``COMMENT``          ``"<event name> round 3/16: 6/6 key-downs, HI at 30 s dits
                     (hi-station)"``; ``[dry run]`` added for dry-run rounds
==================== =========================================================

A field is ``<NAME:n>value`` with ``n`` the number of characters of ``value``.
Values are ASCII (ADIF's ``String`` type): accented letters lose their accents,
other non-ASCII characters become ``?`` and control characters become spaces.
Rounds keyed in a dry run (``transmit`` false) are left out unless
``include_dry_run``.  The number of key-downs a round should have comes from the
start record's ``key_downs_per_round`` when present, else from the most elements
seen in any round of that event and callsign.

Examples
--------
>>> from datetime import UTC, datetime
>>> log = [
...     {"type": "start", "event_id": "juno-2013-10-09", "event_name": "Say HI to Juno",
...      "target": "JUNO", "callsign": "VE3/N0CALL", "grid": "FN03", "freq_hz": 28.4e6,
...      "mode": "CW", "transmit": True, "rounds": 16, "dit_s": 30.0},
...     {"type": "edge", "event_id": "juno-2013-10-09", "callsign": "VE3/N0CALL",
...      "round": 1, "element": 1, "key": "down", "actual_utc": "2013-10-09T18:00:00.012Z",
...      "freq_hz": 28.4e6, "transmit": True},
...     {"type": "edge", "event_id": "juno-2013-10-09", "callsign": "VE3/N0CALL",
...      "round": 1, "element": 1, "key": "up", "actual_utc": "2013-10-09T18:00:30.011Z",
...      "freq_hz": 28.4e6, "transmit": True},
... ]
>>> text = tx_log_to_adif(log, created_utc=datetime(2013, 10, 9, 21, 0, tzinfo=UTC))
>>> print(text.splitlines()[-1])  # doctest: +NORMALIZE_WHITESPACE
<QSO_DATE:8>20131009 <TIME_ON:6>180000 <QSO_DATE_OFF:8>20131009 <TIME_OFF:6>180030
<CALL:4>JUNO <STATION_CALLSIGN:10>VE3/N0CALL <OPERATOR:6>N0CALL <FREQ:9>28.400000
<BAND:3>10m <MODE:2>CW <MY_GRIDSQUARE:4>FN03
<COMMENT:66>Say HI to Juno round 1/16: 1/1 key-downs at 30 s dits (hi-station) <EOR>
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from station import __version__
from station.errors import InputError
from station.keyer.records import EdgeRecord, StartRecord
from station.schedule.callsign import parse_callsign

__all__ = ["ADIF_VERSION", "adif_field", "band_for_hz", "tx_log_to_adif"]

#: The ADIF version written in the header.
ADIF_VERSION = "3.1.4"

#: ADIF band names and their edges, MHz (the HF and VHF bands of the ADIF Band enumeration).
BANDS_MHZ: tuple[tuple[str, float, float], ...] = (
    ("160m", 1.8, 2.0),
    ("80m", 3.5, 4.0),
    ("60m", 5.06, 5.45),
    ("40m", 7.0, 7.3),
    ("30m", 10.1, 10.15),
    ("20m", 14.0, 14.35),
    ("17m", 18.068, 18.168),
    ("15m", 21.0, 21.45),
    ("12m", 24.89, 24.99),
    ("10m", 28.0, 29.7),
    ("6m", 50.0, 54.0),
    ("4m", 70.0, 71.0),
    ("2m", 144.0, 148.0),
    ("1.25m", 222.0, 225.0),
    ("70cm", 420.0, 450.0),
)


def band_for_hz(freq_hz: float) -> str | None:
    """ADIF band of a frequency, or None outside every band in :data:`BANDS_MHZ`.

    Examples
    --------
    >>> band_for_hz(28.4e6), band_for_hz(14.07e6), band_for_hz(27.0e6)
    ('10m', '20m', None)
    """
    mhz = freq_hz / 1e6
    for name, low, high in BANDS_MHZ:
        if low <= mhz <= high:
            return name
    return None


def _ascii(value: str) -> str:
    """``value`` as printable ASCII: accents dropped, else ``?``; control chars as spaces."""
    out = []
    for ch in unicodedata.normalize("NFKD", value):
        if unicodedata.combining(ch):
            continue
        if ch.isascii():
            out.append(ch if ch.isprintable() else " ")
        else:
            out.append("?")
    return "".join(out)


def adif_field(name: str, value: object) -> str:
    r"""One ADIF field, ``<NAME:n>value``; ``n`` counts the characters of the ASCII value.

    Examples
    --------
    >>> adif_field("call", "JUNO")
    '<CALL:4>JUNO'
    >>> adif_field("COMMENT", "Café\nHI")
    '<COMMENT:7>Cafe HI'
    """
    text = _ascii(str(value))
    return f"<{name.upper()}:{len(text)}>{text}"


@dataclass
class _Round:
    """What the log says about one (event, callsign, round)."""

    event_id: str
    callsign: str
    round_number: int
    start: StartRecord | None
    freq_hz: float | None
    downs: dict[int, datetime] = field(default_factory=dict)
    last_utc: datetime | None = None
    dry_run: bool = False


def _when(edge: EdgeRecord, where: str) -> datetime:
    when = edge.actual_utc or edge.sent_utc or edge.planned_utc
    if when is None:
        raise InputError(f"{where}: has no actual_utc (nor sent_utc, planned_utc)")
    return when


class _Log:
    """The keyed rounds of a log, gathered record by record."""

    def __init__(self, include_dry_run: bool) -> None:
        self.include_dry_run = include_dry_run
        self.starts: dict[tuple[str, str], StartRecord] = {}
        self.rounds: dict[tuple[str, str, int], _Round] = {}
        self.most_elements: dict[tuple[str, str], int] = {}

    def add(self, n: int, rec: object) -> None:
        if not isinstance(rec, Mapping):
            raise InputError(f"TX log record {n}: {rec!r} is not a JSON object")
        kind = rec.get("type")
        if kind == "start":
            start = StartRecord.from_json(rec, f"TX log record {n} (start)")
            self.starts[(start.event_id, start.callsign)] = start
        elif kind == "edge":
            where = f"TX log record {n} (edge)"
            self._edge(EdgeRecord.from_json(rec, where), where)

    def _edge(self, edge: EdgeRecord, where: str) -> None:
        who = (edge.event_id, edge.callsign)
        self.most_elements[who] = max(self.most_elements.get(who, 0), edge.element_number)
        start = self.starts.get(who)
        transmit = edge.transmit if edge.transmit is not None else (
            start is not None and start.transmit is True
        )  # fmt: skip
        if not transmit and not self.include_dry_run:
            return
        when = _when(edge, where)
        rnd = self.rounds.get((*who, edge.round_number))
        if rnd is None:
            freq = edge.freq_hz
            if freq is None and start is not None:
                freq = start.freq_hz
            rnd = _Round(*who, edge.round_number, start, freq)
            self.rounds[(*who, edge.round_number)] = rnd
        if edge.key == "down":
            rnd.downs[edge.element_number] = min(rnd.downs.get(edge.element_number, when), when)
        rnd.last_utc = when if rnd.last_utc is None else max(rnd.last_utc, when)
        rnd.dry_run = rnd.dry_run or not transmit

    def keyed_rounds(self) -> list[_Round]:
        return [r for r in self.rounds.values() if r.downs]

    def key_downs_per_round(self, rnd: _Round) -> int:
        per_round = None if rnd.start is None else rnd.start.key_downs_per_round
        if per_round is None or per_round < 1:
            return self.most_elements[(rnd.event_id, rnd.callsign)]
        return per_round


def _comment(rnd: _Round, expected: int) -> str:
    start = rnd.start
    name = (start and start.event_name) or rnd.event_id
    total = None if start is None else start.rounds
    of = f"/{total}" if total is not None else ""
    text = f"{name} round {rnd.round_number}{of}: {len(rnd.downs)}/{expected} key-downs"
    if start is not None and start.message:
        text += f", {start.message}"
    if start is not None and start.dit_s is not None:
        text += f" at {start.dit_s:g} s dits"
    text += " (hi-station)"
    return text + (" [dry run]" if rnd.dry_run else "")


def _record(rnd: _Round, expected: int, power_w: float | None) -> str:
    start = rnd.start
    on = min(rnd.downs.values())
    off = rnd.last_utc  # the last key-up, unless a key-down was logged after it
    assert off is not None
    target = None if start is None else start.target
    call = target if target is not None and target.strip() else rnd.event_id.upper()
    operator = parse_callsign(rnd.callsign, name=f"callsign in the TX log ({rnd.event_id})")
    fields = [
        ("QSO_DATE", f"{on:%Y%m%d}"),
        ("TIME_ON", f"{on:%H%M%S}"),
        ("QSO_DATE_OFF", f"{off:%Y%m%d}"),
        ("TIME_OFF", f"{off:%H%M%S}"),
        ("CALL", call.strip().upper()),
        ("STATION_CALLSIGN", operator.text),
        ("OPERATOR", operator.base),
    ]
    if rnd.freq_hz is not None:
        fields.append(("FREQ", f"{rnd.freq_hz / 1e6:.6f}"))
        band = band_for_hz(rnd.freq_hz)
        if band is not None:
            fields.append(("BAND", band))
    mode = None if start is None else start.mode
    fields.append(("MODE", mode.upper() if mode else "CW"))
    if start is not None and start.grid:
        fields.append(("MY_GRIDSQUARE", start.grid))
    if power_w is not None:
        fields.append(("TX_PWR", f"{power_w:g}"))
    fields.append(("COMMENT", _comment(rnd, expected)))
    return " ".join(adif_field(k, v) for k, v in fields) + " <EOR>\n"


def tx_log_to_adif(
    records: Iterable[Mapping[str, Any]],
    *,
    created_utc: datetime,
    include_dry_run: bool = False,
    power_w: float | None = None,
) -> str:
    """Convert TX log records to an ADIF file, one record per keyed round.

    Parameters
    ----------
    records : iterable of dict
        The log, as :func:`station.keyer.txlog.read_tx_log` returns it.
    created_utc : datetime
        When the export is made (aware); written as ``CREATED_TIMESTAMP``.
    include_dry_run : bool, optional
        Also export rounds keyed with ``transmit`` false (dry runs).
    power_w : float, optional
        Transmitter power, W (``TX_PWR``).

    Returns
    -------
    str
        The ``.adi`` text: a header ending ``<EOH>``, then records sorted by
        ``TIME_ON``, each ending ``<EOR>``.

    Raises
    ------
    InputError
        No keyed round (``"no keyed rounds in LOG"``), a malformed edge record, an
        invalid callsign in the log, a bad ``power_w`` or a naive ``created_utc``.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> stop = [{"type": "stop", "reason": "completed"}]
    >>> tx_log_to_adif(stop, created_utc=datetime(2013, 10, 9, tzinfo=UTC))
    Traceback (most recent call last):
    ...
    station.errors.InputError: no keyed rounds in LOG (dry-run logs need --include-dry-run)
    """
    if created_utc.tzinfo is None:
        raise InputError(f"created_utc={created_utc.isoformat()} must be aware (UTC)")
    if power_w is not None and not (math.isfinite(power_w) and power_w > 0):
        raise InputError(f"--power-w={power_w:g} must be a finite number of watts > 0")
    log = _Log(include_dry_run)
    for n, rec in enumerate(records, 1):
        log.add(n, rec)
    rounds = log.keyed_rounds()
    if not rounds:
        raise InputError("no keyed rounds in LOG (dry-run logs need --include-dry-run)")
    created = created_utc.astimezone(UTC)
    header = [
        f"hi-station {__version__} ADIF export of a TX log: one record per keyed round\n",
        adif_field("ADIF_VER", ADIF_VERSION) + "\n",
        adif_field("PROGRAMID", "hi-station") + "\n",
        adif_field("PROGRAMVERSION", __version__) + "\n",
        adif_field("CREATED_TIMESTAMP", f"{created:%Y%m%d %H%M%S}") + "\n",
        "<EOH>\n\n",
    ]
    body = []
    for rnd in sorted(rounds, key=lambda r: (min(r.downs.values()), r.callsign)):
        body.append(_record(rnd, log.key_downs_per_round(rnd), power_w))
    return "".join(header + body)
