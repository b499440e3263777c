"""The unattended service (``hi-station run``): one run folder per event, resumable.

:func:`run_service` (:mod:`station.service.session`) waits for the event, captures
(:mod:`station.service.segment`: ``segments/NNN/``), detects each round, keys through
a ``transmit`` child (:mod:`station.service.keying`) and writes the report
(:mod:`station.service.report`); :mod:`station.service.journal` is the append-only
journal a restart resumes from and :mod:`station.service.status` the ``status.json``
writer.  The run folder's layout is the contract the dashboard reads.
"""

from station.service.keying import TransmitOptions
from station.service.session import ServiceOutcome, ServiceRequest, run_service

__all__ = ["ServiceOutcome", "ServiceRequest", "TransmitOptions", "run_service"]
