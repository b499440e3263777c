"""A TX log exported to an ADIF file on disk (``hi-station log adif``).

:func:`write_adif` reads a TX log (:func:`~station.keyer.txlog.read_tx_log`), turns it
into ADIF (:func:`~station.keyer.adif.tx_log_to_adif`) and writes it atomically, never
replacing a file unless asked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from station._atomic import write_bytes_atomic
from station.errors import InputError
from station.keyer.adif import tx_log_to_adif
from station.keyer.txlog import read_tx_log

__all__ = ["AdifWritten", "adif_path", "write_adif"]


@dataclass(frozen=True, slots=True)
class AdifWritten:
    """What :func:`write_adif` wrote.

    Attributes
    ----------
    path : pathlib.Path
        The ADIF file.
    records : int
        ADIF records written (one per keyed round).
    notes : tuple of str
        Lines of the TX log that were skipped, and why.
    """

    path: Path
    records: int
    notes: tuple[str, ...]


def adif_path(log: str | os.PathLike[str]) -> Path:
    """Return the default ADIF file of a TX log: its suffix replaced by ``.adi``.

    Examples
    --------
    >>> adif_path("tx-juno-N0CALL.jsonl").name, adif_path("txlog").name
    ('tx-juno-N0CALL.adi', 'txlog.adi')
    """
    path = Path(log)
    return path.with_suffix(".adi") if path.suffix else path.with_name(path.name + ".adi")


def write_adif(
    log: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    include_dry_run: bool = False,
    power_w: float | None = None,
    overwrite: bool = False,
) -> AdifWritten:
    """Write the keyed rounds of the TX log ``log`` as ADIF to ``out`` (default :func:`adif_path`).

    Raises
    ------
    InputError
        The log has no keyed round or a bad record (named with the log's path), or a
        bad ``power_w``.
    RecordingExistsError, OutputError
        ``out`` exists (and not ``overwrite``), or cannot be written.
    """
    notes: list[str] = []
    records = read_tx_log(log, notes=notes)
    try:
        text = tx_log_to_adif(records, created_utc=datetime.now(UTC),
                              include_dry_run=include_dry_run, power_w=power_w)  # fmt: skip
    except InputError as exc:
        if str(exc).startswith("--"):  # about an option, not the log
            raise
        raise InputError(f"{log}: {exc}") from None
    target = adif_path(log) if out is None else Path(out)
    path = write_bytes_atomic(target, text.encode("ascii"), overwrite=overwrite)
    return AdifWritten(path, text.count("<EOR>"), tuple(notes))
