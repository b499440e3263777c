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
