"""The executors: same results everywhere, retries, failures reported (never dropped), bad arguments."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from hybridxai.exceptions import InvalidArgumentError, MissingDependencyError, ServiceUnavailableError
from hybridxai.runs.execution import (
    Executor,
    ProcessExecutor,
    SerialExecutor,
    UnitOutcome,
    default_workers,
    make_executor,
)

# --- unit functions: module level, so worker processes import them by reference -------------------


def scaled(shared: dict, item: int) -> tuple[int, int]:
    """``shared["factor"] * item`` and the torch thread count the unit ran with."""
    return shared["factor"] * item, torch.get_num_threads()


def fails_once(shared: dict, item: int) -> int:
    """Fails the first time each item runs (a marker file remembers it across processes)."""
    marker = Path(shared["folder"]) / f"seen-{item}"
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return item
    os.close(fd)
    raise RuntimeError(f"transient failure of item {item}")


def fails_on_three(shared: dict, item: int) -> int:
    """Always fails for item 3; counts every attempt in a file."""
    with open(Path(shared["folder"]) / f"attempts-{item}", "a") as fh:
        fh.write("x")
    if item == 3:
        raise ValueError("item 3 is broken")
    return item


def dies_once(shared: dict, item: int) -> int:
    """Kills its worker process the first time item 1 runs (e.g. the OOM killer)."""
    if item == 1:
        marker = Path(shared["folder"]) / "died"
        if not marker.exists():
            marker.touch()
            os._exit(1)
    return item


def kills_its_worker(shared: dict, item: int) -> int:
    """Items 1 and 6 always kill their worker process; the others take a moment and succeed."""
    if item in (1, 6):
        os._exit(1)
    time.sleep(0.05)
    return item


class KillsOnArrival:
    """An item whose unpickling kills the worker: it dies before the unit even starts."""

    def __reduce__(self) -> tuple:
        return os._exit, (1,)


def naps(shared: dict, item: int) -> int:
    """Returns ``item`` after ``item`` seconds (in-process Dask workers: no thread pinning)."""
    time.sleep(item)
    return item


# --- executors shared by the tests (worker start-up is the slow part) ------------------------------


@pytest.fixture(scope="module")
def processes() -> Executor:
    with ProcessExecutor(workers=2) as executor:
        yield executor


@pytest.fixture(scope="module")
def dask_executor(dask_client) -> Executor:  # the session's LocalCluster (tests/conftest.py)
    from hybridxai.runs.execution import DaskExecutor

    return DaskExecutor(client=dask_client)


@pytest.fixture(params=["serial", "processes", "dask"])
def executor(request: pytest.FixtureRequest) -> Executor:
    if request.param == "serial":
        return SerialExecutor()
    return request.getfixturevalue("dask_executor" if request.param == "dask" else request.param)


def _by_item(outcomes: list[UnitOutcome]) -> dict:
    return {o.item: o for o in outcomes}


def test_every_executor_gives_the_same_results_with_one_thread(executor: Executor) -> None:
    before = torch.get_num_threads()
    outcomes = _by_item(list(executor.map_unordered(scaled, range(7), shared={"factor": 3})))
    assert sorted(outcomes) == list(range(7))
    assert all(o.ok and o.attempts == 1 for o in outcomes.values())
    assert {i: o.value for i, o in outcomes.items()} == {i: (3 * i, 1) for i in range(7)}
    assert torch.get_num_threads() == before  # the serial executor restores the caller's setting


def test_a_unit_that_fails_once_is_retried(executor: Executor, tmp_path: Path) -> None:
    outcomes = _by_item(list(executor.map_unordered(fails_once, range(4), shared={"folder": str(tmp_path)})))
    assert {i: (o.ok, o.value, o.attempts) for i, o in outcomes.items()} == {
        i: (True, i, 2) for i in range(4)}


def test_a_unit_that_always_fails_is_reported_not_dropped(executor: Executor, tmp_path: Path) -> None:
    outcomes = _by_item(list(executor.map_unordered(fails_on_three, range(6),
                                                    shared={"folder": str(tmp_path)})))
    assert sorted(outcomes) == list(range(6))  # nothing dropped
    broken = outcomes.pop(3)
    assert not broken.ok and broken.value is None and broken.attempts == 3  # 1 + 2 retries
    assert broken.error == "ValueError: item 3 is broken"
    assert "fails_on_three" in broken.details and "Traceback" in broken.details
    assert all(o.ok and o.value == i for i, o in outcomes.items())  # the others are kept
    assert (tmp_path / "attempts-3").read_text() == "xxx"


def test_retries_can_be_turned_off(tmp_path: Path) -> None:
    outcomes = _by_item(list(SerialExecutor(retries=0).map_unordered(
        fails_once, [0], shared={"folder": str(tmp_path)})))
    assert outcomes[0].error == "RuntimeError: transient failure of item 0"
    assert outcomes[0].attempts == 1


def test_a_dead_worker_process_is_replaced_and_its_unit_retried(processes: Executor,
                                                                tmp_path: Path) -> None:
    outcomes = _by_item(list(processes.map_unordered(dies_once, range(4),
                                                     shared={"folder": str(tmp_path)})))
    assert {i: o.value for i, o in outcomes.items()} == {i: i for i in range(4)}
    # 2 if item 1 was alone in the pool when its worker died, else 1 (then it was rerun alone)
    assert outcomes[1].attempts in (1, 2)
    assert all(o.attempts == 1 for i, o in outcomes.items() if i != 1)
    # the restarted pool still works
    assert [o.value for o in processes.map_unordered(scaled, [2], shared={"factor": 5})] == [(10, 1)]


def test_only_the_units_that_kill_their_worker_fail(processes: Executor) -> None:
    # a dying worker breaks the whole pool: the units merely waiting in it must not pay for it
    outcomes = _by_item(list(processes.map_unordered(kills_its_worker, range(12))))
    assert sorted(outcomes) == list(range(12))
    failed = {i: o for i, o in outcomes.items() if not o.ok}
    assert sorted(failed) == [1, 6]
    for outcome in failed.values():
        assert outcome.attempts == 3 and "worker process died while running it" in outcome.error
    assert all(o.value == i and o.attempts == 1 for i, o in outcomes.items() if o.ok)


def test_a_pool_that_keeps_breaking_before_any_unit_starts_gives_up(processes: Executor) -> None:
    from hybridxai.runs.execution.local import MAX_IDLE_RESTARTS

    outcomes = list(processes.map_unordered(scaled, [KillsOnArrival(), KillsOnArrival()]))
    assert len(outcomes) == 2 and not any(o.ok for o in outcomes)  # reported, not an endless loop
    assert all(f"died {MAX_IDLE_RESTARTS + 1} times in a row without finishing any unit" in o.error
               for o in outcomes)
    # the next call gets a fresh pool
    assert [o.value for o in processes.map_unordered(scaled, [3], shared={"factor": 2})] == [(6, 1)]


def test_closing_early_cancels_the_rest(tmp_path: Path) -> None:
    seen = SerialExecutor().map_unordered(fails_on_three, range(5), shared={"folder": str(tmp_path)})
    assert next(seen).value == 0
    seen.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attempts-0"]


def test_no_items_no_work() -> None:
    assert list(SerialExecutor().map_unordered(scaled, [], shared=None)) == []


def test_make_executor_picks_the_executor() -> None:
    assert isinstance(make_executor(workers=1), SerialExecutor)
    assert make_executor(workers=np.int64(1), retries=np.int32(0)).retries == 0  # numpy integers too
    two = make_executor(workers=2)
    assert isinstance(two, ProcessExecutor) and two.workers == 2
    two.close()  # never started
    default = make_executor()
    assert default.workers == default_workers() >= 1
    default.close()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"workers": 0}, "workers=0 is invalid: must be a positive integer"),
    ({"workers": -3}, "workers=-3"),
    ({"workers": 2.5}, "workers=2.5"),
    ({"scheduler": "not-an-address"}, "scheduler='not-an-address' is invalid: is not a Dask scheduler"),
    ({"scheduler": "tcp://host"}, "scheduler='tcp://host'"),
    ({"scheduler": "tcp://127.0.0.1:8786", "workers": 2}, "applies to local processes"),
    ({"threads": 0}, "threads=0"),
    ({"retries": -1}, "retries=-1 is invalid: must be a non-negative integer"),
    ({"retries": 1.0}, "retries=1.0"),
    ({"threads": True}, "threads=True"),
])
def test_bad_arguments_are_refused(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        make_executor(**kwargs)


@pytest.mark.parametrize("name", ["processes", "dask_executor"])
def test_unpicklable_work_is_refused_before_anything_runs(name: str, request: pytest.FixtureRequest) -> None:
    executor = request.getfixturevalue(name)
    with pytest.raises(InvalidArgumentError, match="fn=.* cannot be sent to worker processes"):
        list(executor.map_unordered(lambda shared, item: item, [1, 2]))
    with pytest.raises(InvalidArgumentError, match="shared=.* cannot be sent to worker processes"):
        list(executor.map_unordered(scaled, [1, 2], shared={"factor": 2, "key": lambda x: x}))


def test_an_unreachable_scheduler_fails_fast() -> None:
    pytest.importorskip("distributed")
    from hybridxai.runs.execution import DaskExecutor

    start = time.perf_counter()
    with pytest.raises(ServiceUnavailableError, match=r"no Dask scheduler answered at tcp://127\.0\.0\.1:9"):
        DaskExecutor("tcp://127.0.0.1:9", timeout=1)
    assert time.perf_counter() - start < 15


def test_a_dask_cluster_without_workers_fails_fast_and_clearly() -> None:
    distributed = pytest.importorskip("distributed")
    from hybridxai.runs.execution import DaskExecutor

    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        start = time.perf_counter()
        with pytest.raises(ServiceUnavailableError,
                           match=r"has no worker within 1 s\. Fix: start workers with 'dask worker "):
            list(DaskExecutor(client=client, worker_timeout=1).map_unordered(scaled, [1], shared={}))
        assert time.perf_counter() - start < 10


def test_a_dask_cluster_that_loses_every_worker_raises_instead_of_hanging(
        monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    from hybridxai.runs.execution import DaskExecutor, base

    monkeypatch.setattr(base, "pin_threads", lambda threads: None)  # in-process workers: keep ours
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        outcomes = DaskExecutor(client=client, worker_timeout=1).map_unordered(naps, [0, 2, 2])
        first = next(outcomes)  # yielded before the loss: stays valid
        assert first.ok and first.value == 0
        cluster.scale(0)
        start = time.perf_counter()
        with pytest.raises(ServiceUnavailableError, match="lost all of them and none came back within 1 s"):
            next(outcomes)
        assert time.perf_counter() - start < 10


def test_missing_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'hybridxai\[dask\]'"):
        make_executor(scheduler="tcp://127.0.0.1:8786")


@pytest.mark.parametrize(("argv", "match"), [
    (["--workers", "0"], "workers=0 is invalid"),
    (["--scheduler", "not-an-address"], "is not a Dask scheduler address"),
    (["--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"], "applies to local processes"),
])
def test_cli_reproduce_refuses_bad_executor_options(argv: list[str], match: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from hybridxai.cli import main

    assert main(["reproduce", "--quick", "--out", str(tmp_path / "run"), *argv]) == 2
    assert match in capsys.readouterr().err
    assert not (tmp_path / "run").exists()  # refused before anything is written


def test_cli_reproduce_with_failed_images_exits_1_and_names_the_failure_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import hybridxai.reproduce
    from hybridxai.cli import main
    from hybridxai.runs.execution import UnitsFailedError

    failures = [{"stage": "restricted16", "key": "3"}, {"stage": "restricted16", "key": "4"},
                {"stage": "physics16", "key": "3"}]

    def partly_failing(config, out, **kwargs):  # type: ignore[no-untyped-def]
        raise UnitsFailedError("3 image(s) still failed after their retries ...\n  restricted16: ...",
                               failures)

    monkeypatch.setattr(hybridxai.reproduce, "reproduce", partly_failing)
    out = tmp_path / "run"
    assert main(["reproduce", "--quick", "--workers", "1", "--out", str(out)]) == 1  # not 2: bad input
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("hybridxai: 3 image(s) failed after their retries; the results of the "
                               f"others are kept in {out / 'records'}")
    assert "Rerun the same command" in lines[0]
    assert lines[1:] == [f"  {out / 'records' / 'restricted16.failed.jsonl'}",
                         f"  {out / 'records' / 'physics16.failed.jsonl'}"]
