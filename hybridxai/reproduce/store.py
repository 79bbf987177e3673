"""Per-image results written as they are produced, so an interrupted run resumes.

Each stage appends one JSON line per finished work unit to ``records/<stage>.jsonl`` (flushed
and fsynced). On restart, finished units are read back and skipped. A run directory is tied to
one configuration: resuming with different settings is refused. The store itself is the shared
:class:`hybridxai.records.RecordStore` (also used by :func:`hybridxai.explain_folder`).
"""

from __future__ import annotations

from hybridxai.records import RecordStore

__all__ = ["RecordStore"]
