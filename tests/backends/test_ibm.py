"""The "ibm-runtime" backend on fake devices (local Aer with their noise), and its account errors.

Nothing here reaches IBM: runs use ``qiskit_ibm_runtime.fake_provider`` backends, and the
account tests talk to a closed local port or a local HTTP server standing in for IAM.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dimod
import dimod.testing
import numpy as np
import pytest

from tests.conftest import skip_without_extra

skip_without_extra("ibm")


from hybridxai.anneal.ising import basis_energies  # noqa: E402
from hybridxai.backends import get_sampler  # noqa: E402
from hybridxai.backends.cloud.ibm import (  # noqa: E402
    IBMRuntimeAnnealingSampler,
    NoiseReport,
    fake_backend,
    noise_report,
)
from hybridxai.exceptions import (  # noqa: E402
    ConfigurationError,
    InvalidArgumentError,
    InvalidTypeError,
    ProblemTooLargeError,
    ServiceUnavailableError,
)
from tests.conftest import random_bqm  # noqa: E402

TOKEN = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"


def manila_sampler(**kwargs) -> IBMRuntimeAnnealingSampler:
    kwargs.setdefault("num_reads", 200)
    kwargs.setdefault("seed", 3)
    return IBMRuntimeAnnealingSampler("fake_manila", **kwargs)


def strong_field_bqm(d: int, seed: int) -> dimod.BinaryQuadraticModel:
    """Gaussian fields and couplings: a clear gap, so a short anneal finds the ground state."""
    rng = np.random.default_rng(seed)
    return dimod.BinaryQuadraticModel(
        {i: float(rng.normal()) for i in range(d)},
        {(i, j): float(rng.normal()) for i in range(d) for j in range(i + 1, d)},
        0.0, "BINARY")


# -- dimod conformance -----------------------------------------------------------------------
def test_sampler_api():
    sampler = manila_sampler()
    dimod.testing.assert_sampler_api(sampler)
    assert sampler.properties["device"] == "fake_manila"
    assert sampler.properties["num_qubits"] == 5
    assert sampler.properties["local"] is True


@dimod.testing.load_sampler_bqm_tests(manila_sampler, max_num_variables=3)
class TestDimodConformance(unittest.TestCase):
    """dimod's shipped BQM tests up to 3 variables (odd labels, SPIN/BINARY, all BQM classes)."""


# -- runs on a fake device -------------------------------------------------------------------
@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
def test_fake_backend_run_returns_a_valid_sampleset(vartype):
    bqm = random_bqm(4, seed=21, vartype=vartype)
    labels = ["a", (1, 2), 7, "z"]
    bqm.relabel_variables(dict(zip(bqm.variables, labels, strict=True)))
    sampleset = manila_sampler(num_reads=300).sample(bqm)

    assert list(sampleset.variables) == ["a", (1, 2), 7, "z"]
    assert sampleset.vartype is bqm.vartype
    dimod.testing.assert_sampleset_energies(sampleset, bqm)
    assert sampleset.record.num_occurrences.sum() == 300
    assert np.all(np.diff(sampleset.record.energy) >= 0)  # lowest energy first

    info = sampleset.info
    assert info["device"] == "fake_manila" and info["local"] is True
    assert info["num_qubits"] == 4
    assert isinstance(info["transpiled_depth"], int) and info["transpiled_depth"] > 10
    two_qubit = sum(n for op, n in info["operations"].items() if op in ("cx", "ecr", "cz"))
    assert info["two_qubit_gate_count"] == two_qubit > 0
    physical = list(info["layout"].values())
    assert set(info["layout"]) == set(bqm.variables)
    assert len(set(physical)) == 4 and all(0 <= q < 5 for q in physical)
    assert info["runtime_usage"]["qpu_charge_time_seconds"] == 0
    for key in ("preprocessing_ns", "sampling_ns", "postprocessing_ns"):
        assert info["timing"][key] >= 0


def test_ground_state_probability_matches_the_shots():
    bqm = strong_field_bqm(4, seed=2)
    sampleset = manila_sampler(num_reads=500).sample(bqm)
    info = sampleset.info
    ground_energy = basis_energies(bqm).min()
    assert info["ground_energy"] == pytest.approx(ground_energy)
    in_ground = np.isclose(sampleset.record.energy, ground_energy)
    expected = sampleset.record.num_occurrences[in_ground].sum() / 500
    assert info["ground_state_probability"] == pytest.approx(expected)
    assert info["ground_state_degeneracy"] == 1


def test_seed_makes_fake_runs_reproducible():
    bqm = strong_field_bqm(3, seed=5)
    a = manila_sampler(seed=11).sample(bqm)
    b = manila_sampler(seed=11).sample(bqm)
    np.testing.assert_array_equal(a.record.sample, b.record.sample)
    np.testing.assert_array_equal(a.record.num_occurrences, b.record.num_occurrences)
    assert a.info["transpiled_depth"] == b.info["transpiled_depth"]


def test_more_steps_mean_deeper_circuits():
    bqm = strong_field_bqm(3, seed=1)
    sampler = manila_sampler()
    shallow, deep = sampler.transpile(bqm, num_steps=2), sampler.transpile(bqm, num_steps=6)
    assert deep.depth() > shallow.depth()


def test_backend_instances_and_names_are_accepted():
    from qiskit_ibm_runtime.fake_provider import FakeQuitoV2

    assert IBMRuntimeAnnealingSampler(FakeQuitoV2()).backend.name == "fake_quito"
    assert IBMRuntimeAnnealingSampler("FakeQuitoV2").backend.name == "fake_quito"
    assert fake_backend("fake-perth").num_qubits == 7
    with pytest.raises(InvalidArgumentError, match="fake_manila"):
        fake_backend("fake_atlantis")


def test_problem_larger_than_the_device_is_refused():
    with pytest.raises(ProblemTooLargeError, match="max_qubits=5"):
        manila_sampler().sample(random_bqm(6, seed=0))


def test_bad_arguments_name_the_argument():
    with pytest.raises(InvalidArgumentError, match="optimization_level"):
        IBMRuntimeAnnealingSampler("fake_manila", optimization_level=7)
    with pytest.raises(InvalidArgumentError, match="num_reads=0"):
        manila_sampler(num_reads=0)
    with pytest.raises(InvalidTypeError, match="backend"):
        IBMRuntimeAnnealingSampler(42)
    with pytest.raises(InvalidTypeError, match="bqm"):
        manila_sampler().sample("not a bqm")


def test_empty_bqm_returns_the_offset():
    sampleset = manila_sampler().sample(dimod.BinaryQuadraticModel({}, {}, 2.5, "SPIN"))
    assert sampleset.first.energy == 2.5
    assert sampleset.record.num_occurrences.sum() == 200


# -- noise -----------------------------------------------------------------------------------
def test_noise_report_ideal_above_noisy_above_uniform():
    bqm = strong_field_bqm(4, seed=2)
    report = noise_report(bqm, "fake_manila", num_reads=4000, seed=1)
    assert isinstance(report, NoiseReport)
    assert report.uniform == pytest.approx(1 / 16)
    # ideal ≈ 0.42 and noisy ≈ 0.22 for this instance; margins are many shot-noise σ (≈0.007)
    assert report.ideal > report.noisy + 0.05
    assert report.noisy > report.uniform + 0.05
    # the noiseless shots of the *transpiled* circuit reproduce the exact probability
    sigma = np.sqrt(report.ideal * (1 - report.ideal) / report.num_reads)
    assert abs(report.ideal_sampled - report.ideal) < 5 * sigma
    assert report.two_qubit_gate_count > 0
    assert set(report.as_dict()) >= {"ideal", "noisy", "uniform"}


def test_noise_report_rejects_empty_problem():
    with pytest.raises(InvalidArgumentError, match="bqm"):
        noise_report(dimod.BinaryQuadraticModel("BINARY"), "fake_manila")


# -- accounts --------------------------------------------------------------------------------
@pytest.fixture
def no_ibm_account(monkeypatch, tmp_path):
    for var in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_CHANNEL", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_URL",
                "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    import qiskit_ibm_runtime  # noqa: F401 - import cost is not part of the timed failures

    return tmp_path


@pytest.mark.parametrize("backend", [None, "ibm_brisbane"])
def test_missing_account_fails_fast_with_the_fix(no_ibm_account, backend):
    start = time.perf_counter()
    with pytest.raises(ConfigurationError) as excinfo:
        get_sampler("ibm-runtime", backend=backend)
    assert time.perf_counter() - start < 5.0
    message = str(excinfo.value)
    assert "save_account" in message and "QISKIT_IBM_TOKEN" in message and "token=" in message
    assert "fake_manila" in message
    assert excinfo.value.__cause__ is None


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_service_fails_fast_without_the_token(no_ibm_account):
    from qiskit_ibm_runtime import QiskitRuntimeService

    account_file = no_ibm_account / "accounts.json"
    QiskitRuntimeService.save_account(token=TOKEN, url=f"http://127.0.0.1:{_closed_port()}",
                                      channel="ibm_quantum_platform", filename=str(account_file),
                                      set_as_default=True)
    sampler = get_sampler("ibm-runtime", account_file=account_file)
    start = time.perf_counter()
    with pytest.raises(ServiceUnavailableError, match="cannot be reached") as excinfo:
        sampler.sample(strong_field_bqm(2, seed=0))
    assert time.perf_counter() - start < 5.0
    assert TOKEN not in str(excinfo.value)


class _RejectKey(BaseHTTPRequestHandler):
    def _reject(self):
        body = json.dumps({"errorCode": "BXNIM0415E",
                           "errorMessage": "Provided API key could not be found."}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _reject

    def log_message(self, *args):
        pass


def test_rejected_token_is_a_configuration_error_without_the_token(no_ibm_account, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RejectKey)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("IAM_URL", url)  # qiskit-ibm-runtime's IAM endpoint override
    try:
        sampler = get_sampler("ibm-runtime", token=TOKEN, url=url)
        start = time.perf_counter()
        with pytest.raises(ConfigurationError, match="rejected") as excinfo:
            sampler.sample(strong_field_bqm(2, seed=0))
        assert time.perf_counter() - start < 5.0
    finally:
        server.shutdown()
        server.server_close()
    assert TOKEN not in str(excinfo.value)
    assert "save_account" in str(excinfo.value)
