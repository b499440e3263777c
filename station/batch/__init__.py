"""Many listeners' recordings analysed as ``replay`` does, on Dask, and the event report.

:mod:`station.batch.results` is the batch folder's one format (result files keyed by
content, the combined Parquet table).
"""

from station.batch.results import RecordingId, read_results, write_result, write_table

__all__ = ["RecordingId", "read_results", "write_result", "write_table"]
