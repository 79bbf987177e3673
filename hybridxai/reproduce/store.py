"""Per-image results written as they are produced, so an interrupted run resumes.

Each stage appends one JSON line per finished image to ``records/<stage>.jsonl``, the lines of
a batch in one write (flushed and fsynced). On restart, finished images are read back and
skipped; a batch with any missing image is computed again whole and only the missing records
are appended (:func:`hybridxai.runs.records.pending_batches`), so the records equal those of an
uninterrupted run. A run directory is tied to one configuration: resuming with different
settings is refused. The store itself is the shared :class:`hybridxai.runs.records.RecordStore`
(also used by :func:`hybridxai.explain_folder`).
"""

from __future__ import annotations

from hybridxai.runs.records import RecordStore

__all__ = ["RecordStore"]
