"""Results written as they are produced, so an interrupted long run resumes where it stopped.

A :class:`RecordStore` appends one JSON line per finished work unit to ``<stage>.jsonl``
(flushed and fsynced). On restart, finished units are read back and skipped; a line torn by
the interruption is ignored and cut off before the next append. A folder is tied to one
configuration: resuming with different settings is refused. Used by the reproduction
(``<out>/records/``) and by :func:`hybridxai.explain_folder` (``<out>/results.jsonl``).

Example:
    >>> import tempfile
    >>> from hybridxai.records import RecordStore, settings_fingerprint
    >>> settings = {"beta": 0.7}
    >>> store = RecordStore(tempfile.mkdtemp(), settings_fingerprint(settings), settings)
    >>> store.append("results", [{"key": "a.png", "energy": -1.5}])
    >>> store.load("results")["a.png"]["energy"]
    -1.5
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from hybridxai.exceptions import invalid_argument
from hybridxai.explanation import to_jsonable

__all__ = ["RecordStore", "settings_fingerprint", "read_records"]


def settings_fingerprint(settings: dict[str, Any]) -> str:
    """A short hash of JSON-ready settings (key order does not matter).

    Example:
        >>> settings_fingerprint({"a": 1, "b": 2}) == settings_fingerprint({"b": 2, "a": 1})
        True
    """
    text = json.dumps(to_jsonable(settings), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_records(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The records of one JSON-lines file by ``key`` (torn or foreign lines are ignored; later win).

    A missing file has no records.
    """
    records: dict[str, dict[str, Any]] = {}
    if not Path(path).exists():
        return records
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "key" in record:
                records[str(record["key"])] = record
    return records


def _differences(old: dict[str, Any], new: dict[str, Any], limit: int = 4) -> str:
    """``"beta=0.5 in that run, 0.7 now; ..."`` for the settings that differ (empty if unknown)."""
    old, new = to_jsonable(old), to_jsonable(new)
    keys = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    parts = [f"{k}={old.get(k)!r} in that run, {new.get(k)!r} now" for k in keys[:limit]]
    if len(keys) > limit:
        parts.append(f"and {len(keys) - limit} more")
    return "; ".join(parts)


def _cut_torn_tail(path: Path) -> None:
    """Drop a last line that has no newline (a write cut short), so appends start cleanly."""
    with open(path, "rb+") as fh:
        end = fh.seek(0, os.SEEK_END)
        if end == 0:
            return
        fh.seek(end - 1)
        if fh.read(1) == b"\n":
            return
        position = end
        while position > 0:
            start = max(0, position - 65536)
            fh.seek(start)
            chunk = fh.read(position - start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                fh.truncate(start + newline + 1)
                return
            position = start
        fh.truncate(0)


class RecordStore:
    """Append-only JSON-lines records of one run.

    Args:
        out: The run directory.
        fingerprint: Hash of the configuration; a directory holding another one is refused.
        settings: The configuration, written next to the records (``marker``) for reference.
        subfolder: Where the records live inside ``out`` (``""``: in ``out`` itself).
        marker: Name of the settings file.

    Raises:
        InvalidArgumentError: ``out`` holds a run made with a different fingerprint.

    Attributes:
        folder: The folder holding the ``<stage>.jsonl`` files and the marker.
        settings: The settings of the run in this folder (the stored ones when resuming).
    """

    def __init__(self, out: str | os.PathLike[str], fingerprint: str, settings: dict[str, Any], *,
                 subfolder: str = "records", marker: str = "config.json") -> None:
        self.folder = Path(out) / subfolder if subfolder else Path(out)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._cut: set[str] = set()
        existing = self.stored_settings(out, subfolder=subfolder, marker=marker, full=True)
        if existing is not None:
            if existing.get("fingerprint") != fingerprint:
                where = f"its {subfolder}/ folder" if subfolder else "the folder"
                diff = _differences(existing.get("settings") or {}, settings) if settings else ""
                raise invalid_argument(
                    "out", str(out),
                    "holds a run made with different settings" + (f" ({diff})" if diff else ""),
                    f"use a new --out folder, rerun with the settings of that run, or delete {where} "
                    "to start over",
                )
            self.settings: dict[str, Any] = existing.get("settings") or {}
        else:
            self.settings = to_jsonable(settings)
            path = self.folder / marker
            tmp = path.with_name(f".{marker}.tmp")
            tmp.write_text(json.dumps({"fingerprint": fingerprint, "settings": self.settings}, indent=2),
                           encoding="utf-8")
            os.replace(tmp, path)

    @staticmethod
    def stored_settings(out: str | os.PathLike[str], *, subfolder: str = "records",
                        marker: str = "config.json", full: bool = False) -> dict[str, Any] | None:
        """The settings of the run already in ``out``, or ``None`` if there is none.

        Args:
            out: The run directory.
            subfolder: As for :class:`RecordStore`.
            marker: As for :class:`RecordStore`.
            full: Return the whole marker (``{"fingerprint": …, "settings": …}``).
        """
        path = (Path(out) / subfolder if subfolder else Path(out)) / marker
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if full else data.get("settings")

    def _path(self, stage: str) -> Path:
        return self.folder / f"{stage}.jsonl"

    def load(self, stage: str) -> dict[str, dict[str, Any]]:
        """Finished records of a stage, by key (a torn last line is ignored; later lines win)."""
        return read_records(self._path(stage))

    def append(self, stage: str, records: Iterable[dict[str, Any]]) -> None:
        """Append records (each with a ``key``) durably."""
        path = self._path(stage)
        if stage not in self._cut:
            if path.exists():
                _cut_torn_tail(path)
            self._cut.add(stage)
        with open(path, "a", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(to_jsonable(record)) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def iter_all(self, stage: str) -> Iterator[dict[str, Any]]:
        """Records of a stage in key order (shorter keys first, so ``"2"`` precedes ``"10"``)."""
        records = self.load(stage)
        for key in sorted(records, key=lambda k: (len(k), k)):
            yield records[key]
