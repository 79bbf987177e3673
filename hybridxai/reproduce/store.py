"""Per-image results written as they are produced, so an interrupted run resumes.

Each stage appends one JSON line per finished work unit to ``records/<stage>.jsonl`` (flushed
and fsynced). On restart, finished units are read back and skipped. A run directory is tied to
one configuration: resuming with different settings is refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from hybridxai.exceptions import invalid_argument
from hybridxai.explanation import to_jsonable

__all__ = ["RecordStore"]


class RecordStore:
    """Append-only JSON-lines records under ``<out>/records``.

    Args:
        out: The run directory.
        fingerprint: Hash of the configuration; a directory holding another one is refused.
        settings: The configuration, written next to the records for reference.
    """

    def __init__(self, out: Path, fingerprint: str, settings: dict[str, Any]) -> None:
        self.folder = Path(out) / "records"
        self.folder.mkdir(parents=True, exist_ok=True)
        marker = self.folder / "config.json"
        if marker.exists():
            existing = json.loads(marker.read_text(encoding="utf-8"))
            if existing.get("fingerprint") != fingerprint:
                raise invalid_argument(
                    "out", str(out), "holds a run made with different settings",
                    "use a new --out folder, or delete its records/ folder to start over",
                )
        else:
            marker.write_text(json.dumps({"fingerprint": fingerprint, "settings": settings},
                                         indent=2), encoding="utf-8")

    def _path(self, stage: str) -> Path:
        return self.folder / f"{stage}.jsonl"

    def load(self, stage: str) -> dict[str, dict[str, Any]]:
        """Finished records of a stage, by key (a torn last line is ignored)."""
        path = self._path(stage)
        records: dict[str, dict[str, Any]] = {}
        if not path.exists():
            return records
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                records[str(record["key"])] = record
        return records

    def append(self, stage: str, records: Iterable[dict[str, Any]]) -> None:
        """Append records (each with a ``key``) durably."""
        with open(self._path(stage), "a", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(to_jsonable(record)) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def iter_all(self, stage: str) -> Iterator[dict[str, Any]]:
        """Records of a stage in key order."""
        records = self.load(stage)
        for key in sorted(records, key=lambda k: (len(k), k)):
            yield records[key]
