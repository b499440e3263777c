"""Many listeners' recordings analysed as ``replay`` does, on Dask, and the event report.

:mod:`station.batch.results` is the batch folder's one format (result files keyed by
content, the combined Parquet table).  ``hi-station batch`` is :func:`run_batch`
(:mod:`station.batch.run`): the inputs (:mod:`~station.batch.inputs`), each recording's
content key (:mod:`~station.batch.identity`), the folder's options
(:mod:`~station.batch.manifest`), the Dask cluster and tasks
(:mod:`~station.batch.cluster`, :mod:`~station.batch.task`).  Nothing here imports
Dask until a batch has work for it.  :mod:`station.batch.report` turns a batch folder
into the event report (per round x channel: how many stations heard it), with the
operators' TX logs matched by :mod:`station.batch.txmatch` and the heat map of
:mod:`station.batch.heatmap`.  Names load on first use (:mod:`station._lazy`).
"""

from station._lazy import lazy_exports

_NAMES = {
    "BatchRequest": "station.batch.run",
    "BatchSummary": "station.batch.run",
    "Cell": "station.batch.report",
    "EventReport": "station.batch.report",
    "RecordingId": "station.batch.results",
    "build_report": "station.batch.report",
    "read_results": "station.batch.results",
    "run_batch": "station.batch.run",
    "write_heatmap": "station.batch.heatmap",
    "write_result": "station.batch.results",
    "write_table": "station.batch.results",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
