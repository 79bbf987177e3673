"""Reproducibility (issue #7, part 5): the same seed gives the same explanation, everywhere.

* ``explain`` with the same seed twice in one process gives identical selections, sample sets
  (every record field) and maps, for the sa, exact, statevector, aer and pennylane backends;
* a seed configured on the sampler (``get_sampler("sa", seed=3)``) is honoured and recorded,
  and equals passing ``seed=3`` to ``explain``;
* a fresh interpreter gives bit-identical results to this one;
* the manifest records every setting needed to rerun: rerunning ``explain`` with the settings
  read back from ``manifest.json`` reproduces the explanation exactly, also when the first run
  drew its seed.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import hybridxai
from hybridxai._util.fileio import to_jsonable
from hybridxai.explainer.explanation import Explanation
from hybridxai.explainer.pipeline import explain
from tests.reliability._support import image, tiny_cnn

ROOT = Path(__file__).resolve().parents[2]

QUANTUM = {"total_time": 2.0, "num_steps": 20}
BACKENDS = {
    "sa": {},
    "exact": {},
    "statevector": {"max_qubits": 6, **QUANTUM},
    "aer": {"max_qubits": 5, **QUANTUM},
    "pennylane": {"max_qubits": 4, **QUANTUM},
}
VOLATILE_INFO = {"timing", "features_ns", "solve_ns"}  # wall-clock times
BOOKKEEPING = {"beta_rule", "layer_was_default"}  # how a setting was chosen, not its value


def run(backend: str | Any, seed: int | None, **options: Any) -> Explanation:
    return explain(tiny_cnn(), image(), backend=backend, seed=seed, **options)


def fingerprint(e: Explanation) -> dict[str, Any]:
    """Everything an explanation computed, hashed where it is an array (timings left out)."""
    record = e.sampleset.record
    fields = {name: hashlib.sha256(np.ascontiguousarray(record[name]).tobytes()).hexdigest()
              for name in record.dtype.names}
    info = {k: v for k, v in e.info.items() if k not in VOLATILE_INFO | BOOKKEEPING}
    return {
        "selected": list(e.selected),
        "energy": e.energy,
        "target": e.target,
        "seed": e.seed,
        "variables": [int(v) for v in e.sampleset.variables],
        "record": fields,
        "saliency": hashlib.sha256(np.ascontiguousarray(e.saliency).tobytes()).hexdigest(),
        "info": json.loads(json.dumps(to_jsonable(info), sort_keys=True)),
    }


def assert_identical(a: Explanation, b: Explanation) -> None:
    assert a.selected == b.selected
    np.testing.assert_array_equal(a.saliency, b.saliency)
    assert a.sampleset.record.dtype == b.sampleset.record.dtype
    for name in a.sampleset.record.dtype.names:
        np.testing.assert_array_equal(a.sampleset.record[name], b.sampleset.record[name], err_msg=name)
    assert list(a.sampleset.variables) == list(b.sampleset.variables)
    assert fingerprint(a) == fingerprint(b)


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_same_seed_same_explanation(backend: str) -> None:
    if backend == "aer":
        pytest.importorskip("qiskit_aer")
    if backend == "pennylane":
        pytest.importorskip("pennylane")
    options = BACKENDS[backend]
    first = run(backend, 7, **options)
    second = run(backend, 7, **options)
    assert first.seed == second.seed == 7
    assert_identical(first, second)
    if backend in ("sa", "statevector", "aer", "pennylane"):  # samplers that use the seed
        other = run(backend, 8, **options)
        assert other.seed == 8
        assert first.qubo.bqm == other.qubo.bqm  # same problem …
        if backend != "sa":  # … and the same final state: only the sampling differs
            assert other.info["fidelity"] == first.info["fidelity"]


def test_quantum_backends_agree_with_each_other() -> None:
    pytest.importorskip("qiskit_aer")
    pytest.importorskip("pennylane")
    options = {"max_qubits": 4, **QUANTUM}
    results = {b: run(b, 3, **options) for b in ("statevector", "aer", "pennylane")}
    reference = results["statevector"]
    for name, e in results.items():
        assert e.selected == reference.selected, name
        assert e.info["fidelity"] == pytest.approx(reference.info["fidelity"], abs=1e-10), name
        np.testing.assert_array_equal(e.saliency, reference.saliency, err_msg=name)


@pytest.mark.parametrize("backend", ["sa", "statevector"])
def test_a_seed_configured_on_the_sampler_is_honoured_and_recorded(backend: str) -> None:
    options = {k: v for k, v in BACKENDS[backend].items() if k == "max_qubits"}
    sampler_options = {k: v for k, v in BACKENDS[backend].items() if k != "max_qubits"}
    configured = hybridxai.get_sampler(backend, seed=3, **sampler_options)
    by_sampler = run(configured, None, **options)
    by_explain = run(backend, 3, **options, **sampler_options)
    assert by_sampler.seed == 3 and by_sampler.settings["seed"] == 3
    assert by_sampler.sampleset.info.get("seed") == 3
    assert_identical(by_sampler, by_explain)


def test_a_drawn_seed_is_recorded_and_reruns_identically() -> None:
    first = run("sa", None)
    assert isinstance(first.seed, int) and first.settings["seed"] == first.seed
    assert_identical(first, run("sa", first.seed))


_SCRIPT = """
import json, sys
from hybridxai.explainer.pipeline import explain
from tests.reliability._support import image, tiny_cnn
from tests.reliability.test_reproducibility import fingerprint
runs = json.loads(sys.argv[1])
out = {b: fingerprint(explain(tiny_cnn(), image(), backend=b, seed=11, **o)) for b, o in runs.items()}
print(json.dumps(out, sort_keys=True))
"""


def test_a_fresh_interpreter_gives_identical_results() -> None:
    runs = {b: BACKENDS[b] for b in ("sa", "statevector")}
    here = {b: fingerprint(run(b, 11, **o)) for b, o in runs.items()}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, json.dumps(runs)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    there = json.loads(proc.stdout.strip().splitlines()[-1])
    assert there == json.loads(json.dumps(here, sort_keys=True))


# -- the manifest is enough to rerun ---------------------------------------------------------

RERUN_KEYS = ("target", "layer", "backend", "beta", "seed", "max_qubits", "cardinality", "gamma",
              "analyze")


def rerun_from_manifest(path: Path) -> Explanation:
    manifest = json.loads(path.read_text(encoding="utf-8"))
    settings = manifest["settings"]
    return explain(tiny_cnn(), image(), **{k: settings[k] for k in RERUN_KEYS},
                             **settings["sampler_options"])


@pytest.mark.parametrize(("backend", "options"), [
    ("sa", {"beta": 0.8, "num_reads": 5, "num_sweeps": 50}),
    ("exact", {"cardinality": 2, "gamma": 0.5, "layer": "1"}),
    ("statevector", {"max_qubits": 5, "target": 2, "total_time": 3.0, "num_steps": 30,
                     "num_reads": 16, "order": 2, "driver_scale": "1/d"}),
])
def test_rerunning_with_the_manifest_settings_reproduces_exactly(tmp_path, backend, options) -> None:
    first = run(backend, None, **options)  # the seed is drawn and must be recorded
    paths = first.save(tmp_path)
    again = rerun_from_manifest(paths["manifest"])
    assert_identical(first, again)
    manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    assert manifest["seed"] == first.seed and manifest["selected_channels"] == list(first.selected)
    assert manifest["versions"]["hybridxai"] == hybridxai.__version__
    assert {"numpy", "torch", "dimod", "python"} <= set(manifest["versions"])
    np.testing.assert_array_equal(np.load(paths["saliency"]), first.saliency)


def test_the_manifest_records_every_argument_of_explain() -> None:
    e = run("exact", 0)
    recorded = set(e.settings)
    params = [p.name for p in inspect.signature(explain).parameters.values()
              if p.kind is inspect.Parameter.KEYWORD_ONLY]
    # The transform and class names are objects, not settings: the model's registered ones are
    # identified by "model" and "weights"; sampler options are recorded as "sampler_options";
    # settings= is the bundle (ExplainSettings) of the other arguments, recorded field by field.
    not_settings = {"transform", "class_names", "settings"}
    assert set(params) - not_settings <= recorded, set(params) - not_settings - recorded
    assert {"sampler_options", "model", "weights"} <= recorded
    assert json.loads(json.dumps(e.manifest()))["settings"] == json.loads(json.dumps(
        to_jsonable(e.settings)))
