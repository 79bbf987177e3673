"""End-to-end reproduction on a tiny configuration, and resuming after an interruption."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hybridxai.exceptions import InvalidArgumentError
from hybridxai.reproduce import ReproduceConfig, reproduce
from hybridxai.reproduce.store import RecordStore

FASHION = Path("/usr/share/datasets/fashion-mnist")
pytestmark = pytest.mark.skipif(
    not FASHION.is_dir(), reason="Fashion-MNIST (Debian package dataset-fashion-mnist) is not installed")

TINY = dict(per_class=1, num_filters=(16,), sweep_betas=(0.5, 1.0), sa_betas=(0.99,),
            total_times=(1.0, 4.0), selection_time=1.0, max_qubits=8, batch_size=5)


def _numbers(out: Path) -> dict:
    summary = json.loads((out / "summary.json").read_text())
    summary.pop("elapsed_s")
    return summary


# tiny_run: the serial reproduction of TINY shared by this folder's tests (conftest.py)


def test_report_has_every_table_and_figure(tiny_run: Path) -> None:
    report = (tiny_run / "report.md").read_text()
    for heading in ("Table 1", "Fig. 2", "Fig. 3", "Fig. 4", "Fig. 5", "Fig. 7", "Fig. 8", "Couplings"):
        assert heading in report, heading
    for png in ("fig2_restricted_qa.png", "fig2_full_sa.png", "fig3_beta.png", "fig4_gap_histogram.png",
                "fig5_fidelity_time.png", "fig5_fidelity_size.png", "fig7_gap_vs_d.png",
                "fig8_s_star.png", "couplings.png"):
        path = tiny_run / "figures" / png
        assert path.stat().st_size > 1000, png
    assert '"seed": 0' in report  # provenance: the settings are in the report


def test_numbers_are_consistent(tiny_run: Path) -> None:
    summary = _numbers(tiny_run)
    for table in summary["table1"].values():
        for method in table:
            assert 0.0 <= method["average_drop"] <= 100.0
            assert 0.0 <= method["increase"] <= 100.0
            assert method["count"] == 10
    bc = summary["fig2"]["restricted_qa"]
    for i, row in enumerate(bc):
        for j, value in enumerate(row):
            if value is not None and bc[j][i] is not None:
                assert value == pytest.approx(bc[j][i])
        if row[i] is not None:
            assert row[i] == pytest.approx(1.0)
    store = RecordStore(tiny_run, ReproduceConfig(**TINY).fingerprint(), {})
    physics = list(store.iter_all("physics16"))
    assert len(physics) == 10
    for record in physics:
        assert record["d"] <= TINY["max_qubits"]
        if record["d"]:
            assert record["min_gap"] > 0 and 0 <= record["s_min"] <= 1
            assert all(0 <= f <= 1 + 1e-9 for f in record["fidelity"])


def test_interrupted_run_resumes_to_the_same_report(tiny_run: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    original = RecordStore.append

    def crash_after_two(self: RecordStore, stage: str, records) -> None:  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 2:
            raise KeyboardInterrupt("simulated interruption")
        original(self, stage, records)

    monkeypatch.setattr(RecordStore, "append", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        reproduce(ReproduceConfig(**TINY), tmp_path, progress=False)
    assert not (tmp_path / "report.md").exists()
    monkeypatch.setattr(RecordStore, "append", original)
    reproduce(ReproduceConfig(**TINY), tmp_path, progress=False)
    assert _numbers(tmp_path) == _numbers(tiny_run)


def test_other_settings_in_the_same_folder_are_refused(tiny_run: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="different settings"):
        reproduce(ReproduceConfig(**{**TINY, "seed": 1}), tiny_run, progress=False)


def test_config_rejects_bad_values() -> None:
    with pytest.raises(InvalidArgumentError, match="per_class"):
        ReproduceConfig(per_class=0)
    with pytest.raises(InvalidArgumentError, match="num_filters"):
        ReproduceConfig(num_filters=(24,))
    with pytest.raises(InvalidArgumentError, match="max_qubits"):
        ReproduceConfig(max_qubits=40)
    for bad in (("authors",), ("hybridxai", "paper"), ("hybridxai", "authors", "authors"), ()):
        with pytest.raises(InvalidArgumentError, match="conventions"):
            ReproduceConfig(conventions=bad)


def test_both_conventions_are_measured_on_the_same_images(tiny_run: Path) -> None:
    """The fidelity-vs-d and Δ_min-vs-d panels under both conventions (issue #18)."""
    for png in ("fig5_fidelity_size_conventions.png", "fig7_gap_vs_d_conventions.png",
                "time_to_fidelity_vs_d.png"):
        assert (tiny_run / "figures" / png).stat().st_size > 1000, png
    report = (tiny_run / "report.md").read_text()
    assert "measured, hybridxai | measured, authors" in report and "paper-2604.25649.txt" in report
    summary = _numbers(tiny_run)["conventions"]
    assert set(summary) == {"hybridxai", "authors"}
    store = RecordStore(tiny_run, ReproduceConfig(**TINY).fingerprint(), {})
    for record in store.iter_all("physics16"):
        if not record["d"]:
            continue
        authors = record["conventions"]["authors"]
        assert authors["total_times"] == record["total_times"] == list(TINY["total_times"])
        assert authors["min_gap"] > 0 and 0 <= authors["s_min"] <= 1
        assert all(0 <= f <= 1 + 1e-9 for f in authors["fidelity"])
    medians = [summary[n]["median_min_gap"] for n in ("hybridxai", "authors")]
    assert medians[0] != medians[1]
