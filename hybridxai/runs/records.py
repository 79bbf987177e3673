"""Results written as they are produced, so an interrupted long run resumes where it stopped.

A :class:`RecordStore` appends one JSON line per finished image to ``<stage>.jsonl``, the
lines of one batch in a single write (flushed and fsynced). On restart, finished records are
read back and skipped. A record is finished when its line is a whole JSON object with a
``key``; the last line may lack its newline (the kill came between the two), and then it is
completed, while a last line cut short is ignored and cut off before the next append. A folder
is tied to one configuration: resuming with different settings is refused.

Both users, the reproduction (``<out>/records/``) and :func:`hybridxai.explain_folder`
(``<out>/results.jsonl``), resume with one policy, :func:`pending_batches`: batches lie on a
fixed grid over all images, a batch with any missing image is computed again whole, and only
its missing records are appended. An image is therefore always computed with the same batch
mates, so a resumed run gives the records of an uninterrupted one, bit for bit.

Example:
    >>> import tempfile
    >>> from hybridxai.runs.records import RecordStore, settings_fingerprint
    >>> settings = {"beta": 0.7}
    >>> store = RecordStore(tempfile.mkdtemp(), settings_fingerprint(settings), settings)
    >>> store.append("results", [{"key": "a.png", "energy": -1.5}])
    >>> store.load("results")["a.png"]["energy"]
    -1.5
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import json
import os
import re
import secrets
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hybridxai._util.checks import check_positive_int
from hybridxai._util.fileio import disk_full, read_json, to_jsonable, write_atomic
from hybridxai.exceptions import invalid_argument

__all__ = ["RecordStore", "settings_fingerprint", "fingerprint_value", "read_records", "PendingBatch",
           "pending_batches", "NOT_COMPARABLE"]

NOT_COMPARABLE = "<not comparable>"
"""Stands in a fingerprint for a value that cannot be compared between runs (resuming is refused)."""

_GRID = tuple(i / 16 for i in range(17))  # where a callable (a schedule s(u)) is sampled
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _sample_callable(function: Any) -> list[Any] | str:
    """``function`` on :data:`_GRID` (its values, by which it is fingerprinted), or NOT_COMPARABLE."""
    try:
        values = [function(u) for u in _GRID]
        return [to_jsonable(v.tolist() if hasattr(v, "tolist") else v) for v in values]
    except Exception:  # any signature or failure: it cannot be compared by value
        return NOT_COMPARABLE


def fingerprint_value(value: Any, _depth: int = 0, _seen: frozenset[int] = frozenset()) -> Any:
    """A JSON-ready form of ``value`` that is equal for equal configurations, run after run.

    Plain data becomes what :func:`~hybridxai._util.fileio.to_jsonable` makes of it. A function
    (a schedule ``s(u)`` …) is known by its name and its values on 17 points of [0, 1], never
    by its memory address; an object (a ``dimod.Sampler`` instance …) by its class and its
    attributes. What cannot be compared (a callable that fails on the grid, a ``repr`` holding
    a memory address, nesting too deep) becomes :data:`NOT_COMPARABLE`, and a run holding it
    is never resumed (:func:`settings_fingerprint`).

    Example:
        >>> fingerprint_value({"schedule": lambda u: u * u})["schedule"]["values"][:3]
        [0.0, 0.00390625, 0.015625]
    """
    if isinstance(value, (str, int, float, bool, type(None), np.generic, np.ndarray)) or \
            isinstance(value, Path):
        return to_jsonable(value)
    if id(value) in _seen or _depth > 6:
        return NOT_COMPARABLE
    seen = _seen | {id(value)}
    if isinstance(value, dict):
        return {str(k): fingerprint_value(v, _depth + 1, seen) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [fingerprint_value(v, _depth + 1, seen) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((fingerprint_value(v, _depth + 1, seen) for v in value), key=json.dumps)
    kind = type(value)
    name = f"{kind.__module__}.{kind.__qualname__}"
    if inspect.isroutine(value) or isinstance(value, functools.partial) or \
            (callable(value) and not hasattr(value, "__dict__")):
        label = getattr(value, "__qualname__", None) or name
        return {"callable": f"{getattr(value, '__module__', '')}.{label}", "values": _sample_callable(value)}
    if isinstance(value, type):
        return {"class": f"{value.__module__}.{value.__qualname__}"}
    state = getattr(value, "__dict__", None)
    if state is not None:
        if dataclasses.is_dataclass(value):
            state = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {"type": name, "state": fingerprint_value(dict(state), _depth + 1, seen)}
    text = repr(value)
    return NOT_COMPARABLE if _ADDRESS.search(text) else {"type": name, "repr": text}



def settings_fingerprint(settings: dict[str, Any]) -> str:
    """A short hash of JSON-ready settings (key order does not matter).

    Args:
        settings: The settings; values are converted with :func:`fingerprint_value` (callables
            by their values, objects by their attributes, never by a memory address).

    Returns:
        The first 16 hex digits of the SHA-256 of the settings as sorted JSON. Settings holding
        something that cannot be compared (:data:`NOT_COMPARABLE`) get a fresh random
        fingerprint, so a run made with them is never resumed.

    Example:
        >>> settings_fingerprint({"a": 1, "b": 2}) == settings_fingerprint({"b": 2, "a": 1})
        True
    """
    text = json.dumps(fingerprint_value(settings), sort_keys=True)
    if NOT_COMPARABLE in text:
        text += secrets.token_hex(16)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _parse_record(line: bytes) -> dict[str, Any] | None:
    """The record on one line, or ``None`` if the line is not a whole JSON object with a ``key``.

    The one rule for a finished record, used when reading and when cutting a torn tail.
    """
    try:
        record = json.loads(line.decode("utf-8", errors="replace"))
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) and "key" in record else None


def read_records(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The finished records of one JSON-lines file, by ``key``.

    A line is a finished record when it is a whole JSON object with a ``key``, with or without
    its final newline; other lines (cut short, foreign) are ignored. Later lines win.

    Args:
        path: The ``.jsonl`` file; a missing file has no records.

    Returns:
        ``{key: record}`` in the order the keys first appear.
    """
    records: dict[str, dict[str, Any]] = {}
    if not Path(path).exists():
        return records
    with open(path, "rb") as fh:
        for line in fh:
            record = _parse_record(line)
            if record is not None:
                records[str(record["key"])] = record
    return records


@dataclass(frozen=True)
class PendingBatch:
    """A batch of the fixed grid that holds images not recorded yet.

    Attributes:
        positions: Every position of the batch (it is computed whole).
        missing: Keys of the batch not recorded yet (only their records are appended).
    """

    positions: tuple[int, ...]
    missing: frozenset[str]

    def new_records(self, records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records of the missing keys, in order (the others are already on disk).

        Args:
            records: Records of the batch, each with a ``key``.

        Returns:
            Those whose key is in :attr:`missing`.
        """
        return [record for record in records if str(record["key"]) in self.missing]


def pending_batches(keys: Sequence[str], size: int, done: Collection[str]) -> list[PendingBatch]:
    """The batches to run on a (re)start: the resume policy of every batched, recorded run.

    Batches are cut from all positions, ``[k·size, (k+1)·size)``, never from the pending ones,
    so an image is computed with the same batch mates whichever run (first or resumed) computes
    it. A batch with any missing key is computed again whole; only its missing keys are then
    appended (:meth:`PendingBatch.new_records`), so the records equal those of an uninterrupted
    run even when a kill left part of a batch on disk.

    Args:
        keys: The record key of each position, in order.
        size: Positions per batch (at least 1).
        done: Keys already recorded.

    Returns:
        The batches holding a key not in ``done``, in order.

    Example:
        >>> [b.positions for b in pending_batches(["0", "1", "2", "3", "4"], 2, {"0", "1", "2"})]
        [(2, 3), (4,)]
    """
    check_positive_int("size", size, "pass e.g. 16")
    batches = []
    for start in range(0, len(keys), size):
        positions = tuple(range(start, min(start + size, len(keys))))
        missing = frozenset(keys[p] for p in positions if keys[p] not in done)
        if missing:
            batches.append(PendingBatch(positions, missing))
    return batches


def _differences(old: dict[str, Any], new: dict[str, Any], limit: int = 4) -> str:
    """``"beta=0.5 in that run, 0.7 now; ..."`` for the settings that differ (empty if unknown)."""
    old, new = to_jsonable(old), to_jsonable(new)
    keys = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    parts = [f"{k}={old.get(k)!r} in that run, {new.get(k)!r} now" for k in keys[:limit]]
    if len(keys) > limit:
        parts.append(f"and {len(keys) - limit} more")
    return "; ".join(parts)


def _end_cleanly(path: Path) -> None:
    """Make the file end with a newline, so appends start a new line.

    A last line without its newline is completed if it is a finished record (the write stopped
    just before the newline, and :func:`read_records` counts it), and cut off otherwise (a
    write cut short, which :func:`read_records` ignores).
    """
    with open(path, "rb+") as fh:
        end = fh.seek(0, os.SEEK_END)
        if end == 0:
            return
        fh.seek(end - 1)
        if fh.read(1) == b"\n":
            return
        position, line_start = end, 0
        while position > 0:
            start = max(0, position - 65536)
            fh.seek(start)
            newline = fh.read(position - start).rfind(b"\n")
            if newline >= 0:
                line_start = start + newline + 1
                break
            position = start
        fh.seek(line_start)
        if _parse_record(fh.read(end - line_start)) is not None:
            fh.seek(end)
            fh.write(b"\n")
        else:
            fh.truncate(line_start)
        fh.flush()
        os.fsync(fh.fileno())


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
        self._ended: set[str] = set()
        existing = self.stored_settings(out, subfolder=subfolder, marker=marker, full=True)
        if existing is not None:
            if existing.get("fingerprint") != fingerprint:
                where = f"its {subfolder}/ folder" if subfolder else "the folder"
                if NOT_COMPARABLE in json.dumps(existing.get("settings")):
                    raise invalid_argument(
                        "out", str(out),
                        "holds a run made with settings that cannot be compared with these (a "
                        "callable or object known only by its memory address, marked "
                        f"{NOT_COMPARABLE!r} in {self.folder / marker}), so it is not resumed",
                        f"use a new --out folder or delete {where} to start over; to resume runs, pass "
                        "a named schedule or one that takes u in [0, 1] and returns a number",
                    )
                diff = _differences(existing.get("settings") or {}, settings) if settings else ""
                raise invalid_argument(
                    "out", str(out),
                    "holds a run made with different settings" + (f" ({diff})" if diff else ""),
                    f"use a new --out folder, rerun with the settings of that run, or delete {where} "
                    "to start over",
                )
            self.settings: dict[str, Any] = existing.get("settings") or {}
        else:
            self.settings = fingerprint_value(settings)
            text = json.dumps({"fingerprint": fingerprint, "settings": self.settings}, indent=2)
            write_atomic(self.folder / marker, lambda p: p.write_text(text, encoding="utf-8"))

    @staticmethod
    def stored_settings(out: str | os.PathLike[str], *, subfolder: str = "records",
                        marker: str = "config.json", full: bool = False) -> dict[str, Any] | None:
        """The settings of the run already in ``out``, or ``None`` if there is none.

        Args:
            out: The run directory.
            subfolder: As for :class:`RecordStore`.
            marker: As for :class:`RecordStore`.
            full: Return the whole marker (``{"fingerprint": …, "settings": …}``).

        Returns:
            The stored settings (or the whole marker), ``None`` if ``out`` holds no run.

        Raises:
            InvalidArgumentError: The marker is damaged (not JSON) or not one hybridxai wrote.
        """
        path = (Path(out) / subfolder if subfolder else Path(out)) / marker
        if not path.exists():
            return None
        data = read_json(path, "out", str(out))
        if not (isinstance(data, dict) and isinstance(data.get("fingerprint"), str)
                and isinstance(data.get("settings"), dict)):
            raise invalid_argument("out", str(out), f"{path} is not a settings file written by hybridxai "
                                   "(no fingerprint and settings in it)",
                                   "pass a new --out folder; hybridxai does not overwrite files it did "
                                   "not write")
        return data if full else data.get("settings")

    def _path(self, stage: str) -> Path:
        return self.folder / f"{stage}.jsonl"

    def load(self, stage: str) -> dict[str, dict[str, Any]]:
        """Finished records of a stage (as :func:`read_records`).

        Args:
            stage: The stage (file ``<stage>.jsonl``).

        Returns:
            ``{key: record}``; a last line cut short is ignored, later lines win.
        """
        return read_records(self._path(stage))

    def append(self, stage: str, records: Iterable[dict[str, Any]]) -> None:
        """Append records durably, all in one write (one batch is all or, rarely, partly there).

        Args:
            stage: The stage (file ``<stage>.jsonl``, created if missing).
            records: The records, each with a ``key``.
        """
        data = "".join(json.dumps(to_jsonable(record)) + "\n" for record in records).encode("utf-8")
        if not data:
            return
        path = self._path(stage)
        if stage not in self._ended:
            if path.exists():
                _end_cleanly(path)
            self._ended.add(stage)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        size = os.fstat(fd).st_size
        try:
            view = memoryview(data)
            while view:  # one write unless the system splits it
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except OSError as exc:  # e.g. a full disk: take the part written back, say so
            try:
                os.ftruncate(fd, size)
            except OSError:
                pass  # the torn tail is cut off by the next append (_end_cleanly)
            raise disk_full(exc, path) from exc
        finally:
            os.close(fd)

    def iter_all(self, stage: str) -> Iterator[dict[str, Any]]:
        """Records of a stage in key order (shorter keys first, so ``"2"`` precedes ``"10"``).

        Args:
            stage: The stage.

        Yields:
            The finished records.
        """
        records = self.load(stage)
        for key in sorted(records, key=lambda k: (len(k), k)):
            yield records[key]
