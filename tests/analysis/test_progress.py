"""Progress bars of the long exact analyses: what they count, when they show, and that they close."""

from __future__ import annotations

import pytest

import hybridxai.analysis.fidelity as fidelity_module
import hybridxai.analysis.gap as gap_module
import hybridxai.anneal.gap_profile as profile_module
from hybridxai.analysis import fidelity_curve, gap_profile, min_gap, random_feature_qubo
from hybridxai.anneal.gap_profile import GapTracker
from hybridxai.anneal.operators import AnnealingOperator
from hybridxai.exceptions import InvalidTypeError


class Recorder:
    """A tqdm-like class that keeps every bar it made."""

    made: list[Recorder] = []

    def __init__(self, **options):
        self.options, self.count, self.closed, self.labels = options, 0, 0, []
        Recorder.made.append(self)

    def update(self, n=1):
        self.count += n

    def set_postfix_str(self, text):
        self.labels.append(text)

    def close(self):
        self.closed += 1


@pytest.fixture(autouse=True)
def _fresh_recorder():
    Recorder.made = []


@pytest.fixture(scope="module")
def bqm():
    return random_feature_qubo(12, 0)


def only_bar() -> Recorder:
    assert len(Recorder.made) == 1
    return Recorder.made[0]


def test_min_gap_counts_each_point_it_solves_once(bqm):
    result = min_gap(bqm, progress=Recorder)
    bar = only_bar()
    assert bar.options["desc"] == "min_gap" and bar.options["total"] is None
    assert not bar.options["disable"]
    # every point but the two exact end points was solved; re-solving one does not count again
    assert bar.count == len(result.s) - 2
    assert bar.closed == 1
    assert bar.labels[-1].endswith(f"products={result.matvecs}")


def test_grid_profile_counts_up_to_its_grid(bqm):
    profile = gap_profile(bqm, 16, progress=Recorder)
    bar = only_bar()
    assert bar.options["total"] == 16 == bar.count == profile.s.size
    assert bar.closed == 1


def test_adaptive_profile_counts_the_points_it_places(bqm):
    profile = gap_profile(bqm, adaptive=True, progress=Recorder)
    bar = only_bar()
    assert bar.options["total"] is None
    assert bar.count == profile.s.size
    assert any(f"gap={profile.min_gap:.4g}" in label for label in bar.labels)


@pytest.mark.parametrize("method,times", [("statevector", [0.5, 1.0, 2.0]),
                                          ("expm_multiply", [0.05, 0.1])])
def test_fidelity_curve_counts_the_steps_of_all_its_anneals(bqm, method, times):
    curve = fidelity_curve(bqm, times, method=method, progress=Recorder)
    bar = only_bar()
    assert bar.options["unit"] == "step"
    assert bar.options["total"] == int(curve.num_steps.sum()) == bar.count
    assert bar.closed == 1


def test_fidelity_curve_refuses_a_bad_step_count_before_the_first_anneal(bqm):
    # the second anneal's step count is bad: nothing may run (nor any bar be drawn) first
    with pytest.raises(ValueError, match="num_steps"):
        fidelity_curve(bqm, [1.0, 2.0], num_steps=[10, 0], method="statevector", progress=Recorder)
    assert Recorder.made == []


@pytest.mark.parametrize("name,call", [
    ("min_gap", lambda b: min_gap(b)),
    ("gap_profile", lambda b: gap_profile(b, 8)),
    ("fidelity_curve", lambda b: fidelity_curve(b, [0.5], method="statevector")),
])
def test_by_default_a_bar_appears_from_the_threshold_on(bqm, name, call, capsys, monkeypatch):
    call(bqm)  # d = 12: below the threshold, nothing drawn
    assert capsys.readouterr().err == ""
    for module in (gap_module, profile_module, fidelity_module):
        monkeypatch.setattr(module, "PROGRESS_MIN_QUBITS", 12)
    call(bqm)
    assert capsys.readouterr().err.startswith(f"\r{name}: ")


@pytest.mark.parametrize("call", [
    lambda b, p: min_gap(b, progress=p),
    lambda b, p: gap_profile(b, progress=p),
    lambda b, p: fidelity_curve(b, [1.0], progress=p),
])
def test_a_bad_progress_is_refused_before_any_work(bqm, call, monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("the operator was built before the argument was checked")

    monkeypatch.setattr(AnnealingOperator, "from_bqm", no_work)
    with pytest.raises(InvalidTypeError, match="^progress has type str"):
        call(bqm, "yes")


@pytest.mark.parametrize("call", [
    lambda b: min_gap(b, progress=Recorder),
    lambda b: gap_profile(b, 16, progress=Recorder),
])
def test_the_bar_is_closed_when_the_solver_fails_midway(bqm, call, monkeypatch):
    solve = GapTracker._pairs
    calls = []

    def failing(self, *args, **kwargs):
        calls.append(1)
        if len(calls) > 3:
            raise RuntimeError("injected: the eigensolver did not converge")
        return solve(self, *args, **kwargs)

    monkeypatch.setattr(GapTracker, "_pairs", failing)
    with pytest.raises(RuntimeError, match="injected"):
        call(bqm)
    bar = only_bar()
    assert bar.closed == 1 and bar.count == 3


def test_a_bar_class_without_labels_is_enough(bqm):
    class Plain:  # update and close only, as explain_batch needs
        def __init__(self, **options):
            self.count = 0

        def update(self, n=1):
            self.count += n

        def close(self):
            pass

    result = min_gap(bqm, progress=Plain)
    assert result.min_gap > 0


def test_per_step_min_gap_knows_how_many_points_it_will_solve():
    bqm = random_feature_qubo(10, 1)
    result = min_gap(bqm, conventions="authors", total_time=1.0, progress=Recorder)
    bar = only_bar()
    inside = result.s[(result.s > 0.0) & (result.s < 1.0)]
    assert bar.options["total"] == inside.size == bar.count


def test_min_gap_closes_its_bar_when_the_end_points_fail(bqm, monkeypatch):
    def failing(*args, **kwargs):
        raise KeyboardInterrupt  # an interrupt before the first point

    monkeypatch.setattr(gap_module, "exact_end_points", failing)
    with pytest.raises(KeyboardInterrupt):
        min_gap(bqm, progress=Recorder)
    assert all(bar.closed == 1 for bar in Recorder.made)


def test_fidelity_curve_closes_its_bar_when_an_anneal_fails(bqm, monkeypatch):
    def failing(*args, on_step=None, **kwargs):
        on_step(1)
        raise MemoryError("injected: the state could not be allocated")

    monkeypatch.setattr(fidelity_module, "evolve", failing)
    with pytest.raises(MemoryError, match="injected"):
        fidelity_curve(bqm, [1.0, 2.0], method="statevector", progress=Recorder)
    bar = only_bar()
    assert bar.closed == 1 and bar.count == 1


def test_a_gap_aware_schedule_shows_its_profile_first(monkeypatch):
    from hybridxai.anneal import schedules

    monkeypatch.setattr(schedules, "_profile_cache", type(schedules._profile_cache)())
    fidelity_curve(random_feature_qubo(11, 2), [0.2], method="statevector",
                   schedule="local-adiabatic", progress=Recorder)
    profile_bar, anneal_bar = Recorder.made
    assert profile_bar.options["desc"] == "gap_profile"
    assert profile_bar.count == profile_bar.options["total"]
    assert anneal_bar.options["desc"] == "fidelity_curve" and anneal_bar.count == 20


def test_a_callable_that_is_not_a_bar_is_refused_by_name(bqm):
    with pytest.raises(InvalidTypeError, match="^progress has type builtin_function_or_method"):
        min_gap(bqm, progress=print)


def test_expm_multiply_shows_its_bar_by_default_from_12_qubits(capsys):
    fidelity_curve(random_feature_qubo(11, 0), [0.05])
    assert capsys.readouterr().err == ""
    fidelity_curve(random_feature_qubo(12, 0), [0.05])
    assert capsys.readouterr().err.startswith("\rfidelity_curve: ")


def test_a_callable_returning_no_bar_is_refused_before_the_search(bqm, monkeypatch):
    def no_solve(self, *args, **kwargs):
        raise AssertionError("the search started before the argument was refused")

    monkeypatch.setattr(GapTracker, "_pairs", no_solve)
    with pytest.raises(InvalidTypeError, match="it returned NoneType"):
        min_gap(bqm, progress=lambda **options: None)
    with pytest.raises(InvalidTypeError, match="it returned dict"):
        gap_profile(bqm, adaptive=True, progress=dict)


def test_an_unresolved_profile_warns_after_its_bar_is_closed(bqm):
    # a warning printed while the bar is open would land in the middle of its line
    import warnings as warnings_module

    seen = []

    def show(message, *args, **kwargs):
        seen.append((str(message), Recorder.made[0].closed))

    with warnings_module.catch_warnings():
        warnings_module.simplefilter("always")
        warnings_module.showwarning = show
        gap_profile(bqm, adaptive=True, num_points=4, rtol=1e-4, progress=Recorder)
    assert [closed for message, closed in seen if "stopped at" in message] == [1]
