"""Keying the transmitter on time, safely.

Backends (Hamlib ``rigctld``, a serial DTR/RTS line, dry run) share one protocol
(:class:`~station.keyer.base.Keyer`).  :class:`~station.keyer.safety.SafeKeyer` wraps
any of them with the checks, the watchdogs (a thread, and for rigctld a separate
guardian process) and the unkey-on-exit that make keying safe.
:func:`~station.keyer.runner.run_plan` walks an operator plan's edges on an injected
clock and logs each one (:mod:`~station.keyer.txlog`) as a typed record
(:mod:`~station.keyer.records`); :func:`~station.keyer.session.run_transmit` is a
whole ``hi-station transmit`` session.
"""

from station._lazy import lazy_exports

_NAMES = {
    "DryRunKeyer": "station.keyer.base",
    "Keyer": "station.keyer.base",
    "RigctldClient": "station.keyer.rigctld_client",
    "RigctldKeyer": "station.keyer.rigctld",
    "RunSummary": "station.keyer.runner",
    "SafeKeyer": "station.keyer.safety",
    "SerialKeyer": "station.keyer.serial_line",
    "TransmitRequest": "station.keyer.session",
    "TxLog": "station.keyer.txlog",
    "read_tx_log": "station.keyer.txlog",
    "run_plan": "station.keyer.runner",
    "run_transmit": "station.keyer.session",
    "tx_log_to_adif": "station.keyer.adif",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
