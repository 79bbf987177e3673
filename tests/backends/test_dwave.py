"""The D-Wave backends against Ocean's mocks, and their failure modes without Leap.

No test touches the network: the QPU is ``dwave.system.testing.MockDWaveSampler``, the hybrid
solver is ``MockLeapHybridSolver``, and the cloud-error tests talk to a local HTTP server or a
closed local port.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock

import dimod
import dimod.testing
import numpy as np
import pytest

from tests.conftest import skip_without_extra

skip_without_extra("dwave")


from dwave.embedding.chain_strength import uniform_torque_compensation  # noqa: E402
from dwave.system.testing import MockDWaveSampler, MockLeapHybridSolver  # noqa: E402

from hybridxai.backends import get_sampler  # noqa: E402
from hybridxai.backends.cloud.dwave import (  # noqa: E402
    DEFAULT_CHAIN_STRENGTH_PREFACTOR,
    DWaveAnnealingSampler,
    LeapHybridBQMSampler,
    load_raw_result,
)
from hybridxai.exceptions import (  # noqa: E402
    ConfigurationError,
    InvalidArgumentError,
    InvalidTypeError,
    ServiceUnavailableError,
)
from tests.conftest import random_bqm  # noqa: E402

TOKEN = "DEV-0123456789abcdef0123456789abcdef01234567"


def mock_sampler(**kwargs) -> DWaveAnnealingSampler:
    kwargs.setdefault("num_reads", 10)
    return DWaveAnnealingSampler(child=MockDWaveSampler(), **kwargs)


@pytest.fixture
def no_leap_config(monkeypatch, tmp_path):
    """No token anywhere: env unset, an empty dwave.conf, HOME and XDG dirs in tmp."""
    for var in ("DWAVE_API_TOKEN", "DWAVE_PROFILE", "DWAVE_API_ENDPOINT", "DWAVE_API_REGION",
                "DWAVE_API_SOLVER", "DWAVE_API_CLIENT"):
        monkeypatch.delenv(var, raising=False)
    conf = tmp_path / "dwave.conf"
    conf.write_text("")
    monkeypatch.setenv("DWAVE_CONFIG_FILE", str(conf))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


# -- dimod conformance -----------------------------------------------------------------------
def test_sampler_api():
    dimod.testing.assert_sampler_api(mock_sampler())


def test_registry_builds_the_mock_backed_sampler():
    sampler = get_sampler("dwave", child=MockDWaveSampler(), num_reads=3)
    assert isinstance(sampler, DWaveAnnealingSampler)
    assert sampler.properties["solver"] == "MockDWaveSampler"
    assert "qubits" in sampler.properties["child_properties"]


@dimod.testing.load_sampler_bqm_tests(mock_sampler)
class TestDimodConformance(unittest.TestCase):
    """dimod's shipped BQM tests: empty, 1-variable, path problems, odd labels, all BQM types."""


# -- embedding / unembedding -----------------------------------------------------------------
@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
def test_embedding_round_trip(vartype):
    bqm = random_bqm(7, seed=11, vartype=vartype)  # dense: needs chains on Chimera
    sampleset = mock_sampler(num_reads=25).sample(bqm, seed=2)

    assert set(sampleset.variables) == set(bqm.variables)
    assert sampleset.vartype is bqm.vartype
    dimod.testing.assert_sampleset_energies(sampleset, bqm)
    assert sampleset.record.num_occurrences.sum() == 25

    context = sampleset.info["embedding"]
    embedding = context["embedding"]
    assert set(embedding) == set(bqm.variables)
    assert max(len(chain) for chain in embedding.values()) > 1
    qubits = [q for chain in embedding.values() for q in chain]
    assert len(qubits) == len(set(qubits))  # chains are disjoint
    assert set(qubits) <= set(MockDWaveSampler().nodelist)

    assert "chain_break_fraction" in sampleset.record.dtype.names
    mean = sampleset.info["chain_break_fraction"]
    expected = np.average(sampleset.record.chain_break_fraction,
                          weights=sampleset.record.num_occurrences)
    assert mean == pytest.approx(expected)
    assert 0.0 <= mean <= 1.0


def test_weak_chains_break_and_are_reported():
    bqm = random_bqm(8, seed=3)
    sampleset = mock_sampler(num_reads=20).sample(bqm, chain_strength=1e-3, seed=5)
    assert sampleset.info["chain_strength"] == pytest.approx(1e-3)
    assert sampleset.info["chain_break_fraction"] > 0.0
    # majority vote repairs the broken chains; energies are of the repaired samples
    dimod.testing.assert_sampleset_energies(sampleset, bqm)


def test_first_sample_is_the_ground_state():
    bqm = random_bqm(6, seed=4)
    sampleset = mock_sampler(num_reads=50).sample(bqm, seed=0)
    exact = dimod.ExactSolver().sample(bqm).first.energy
    # the mock returns the exact ground state of the *embedded* problem as its first read
    assert sampleset.first.energy == pytest.approx(exact)


def test_seed_makes_runs_reproducible():
    bqm = random_bqm(6, seed=8)
    sampler = mock_sampler(num_reads=15)
    a, b = sampler.sample(bqm, seed=7), sampler.sample(bqm, seed=7)
    assert a.info["embedding"]["embedding"] == b.info["embedding"]["embedding"]
    assert a.info["embedding"]["embedding_parameters"]["random_seed"] == 7
    np.testing.assert_array_equal(a.record.sample, b.record.sample)
    np.testing.assert_array_equal(a.record.num_occurrences, b.record.num_occurrences)


# -- chain strength --------------------------------------------------------------------------
def test_chain_strength_default_is_uniform_torque_compensation():
    bqm = random_bqm(7, seed=5)
    sampleset = mock_sampler().sample(bqm, seed=1)
    # EmbeddingComposite embeds in the SPIN domain, the QPU's native one
    expected = uniform_torque_compensation(bqm.spin, prefactor=DEFAULT_CHAIN_STRENGTH_PREFACTOR)
    assert sampleset.info["chain_strength"] == pytest.approx(expected)
    assert sampleset.info["embedding"]["chain_strength"] == pytest.approx(expected)


def test_chain_strength_override_constructor_call_and_callable():
    bqm = random_bqm(7, seed=5)
    sampler = mock_sampler(chain_strength=2.5)
    assert sampler.sample(bqm, seed=1).info["chain_strength"] == pytest.approx(2.5)
    assert sampler.sample(bqm, seed=1, chain_strength=4.0).info["chain_strength"] == 4.0
    calls = []

    def strength(model, embedding):
        calls.append(len(embedding))
        return 1.25

    assert sampler.sample(bqm, seed=1, chain_strength=strength).info["chain_strength"] == 1.25
    assert calls == [bqm.num_variables]


@pytest.mark.parametrize("value", [0, -1.0, float("nan")])
def test_bad_chain_strength_is_rejected(value):
    with pytest.raises(InvalidArgumentError, match="chain_strength"):
        mock_sampler(chain_strength=value)


def test_bad_arguments_name_the_argument():
    with pytest.raises(InvalidArgumentError, match="num_reads=0"):
        mock_sampler(num_reads=0)
    with pytest.raises(InvalidTypeError, match="chain_strength"):
        mock_sampler(chain_strength="strong")
    with pytest.raises(InvalidTypeError, match="child"):
        DWaveAnnealingSampler(child=dimod.ExactSolver())  # not structured
    with pytest.raises(InvalidArgumentError, match="child"):
        DWaveAnnealingSampler(child=MockDWaveSampler(), token=TOKEN)
    with pytest.raises(InvalidTypeError, match="bqm"):
        mock_sampler().sample({0: 1.0})


# -- info and timing -------------------------------------------------------------------------
def test_info_reports_timing_solver_and_parameters():
    bqm = random_bqm(5, seed=9)
    info = mock_sampler(num_reads=12).sample(bqm, seed=3).info
    assert info["backend"] == "dwave"
    assert info["solver"] == "MockDWaveSampler"
    assert info["num_reads"] == 12
    timing = info["timing"]
    # QPU timings in µs, as the solver reports them, under *_us
    assert timing["qpu_access_time_us"] == info["qpu_timing"]["qpu_access_time"]
    assert timing["qpu_anneal_time_per_sample_us"] > 0
    # ours in ns
    for key in ("embedding_search_ns", "sampling_ns", "preprocessing_ns", "postprocessing_ns",
                "total_ns"):
        assert isinstance(timing[key], int) and timing[key] >= 0, key
    assert timing["total_ns"] >= timing["sampling_ns"]
    assert info["problem_id"]
    json.dumps(info["timing"])


# -- lazy construction from the Ocean configuration ------------------------------------------
def test_lazy_build_passes_config_and_never_leaks_the_token(monkeypatch, tmp_path,
                                                            no_leap_config):
    import dwave.system

    built = []

    def fake_dwave_sampler(**config):
        built.append(config)
        return MockDWaveSampler()

    monkeypatch.setattr(dwave.system, "DWaveSampler", fake_dwave_sampler)
    raw_dir = tmp_path / "raw"
    sampler = DWaveAnnealingSampler(token=TOKEN, solver="Advantage_system4.1",
                                    raw_results_dir=raw_dir, num_reads=10)
    assert built == []  # nothing is built (or connected) in the constructor
    bqm = random_bqm(6, seed=1)
    sampleset = sampler.sample(bqm, seed=4)
    assert len(built) == 1
    config = built[0]
    assert config["token"] == TOKEN
    assert config["solver"] == "Advantage_system4.1"
    assert config["request_timeout"][0] <= 5.0  # short connect timeout
    assert config["http_retry_total"] <= 3

    assert TOKEN not in repr(sampleset.info)
    assert TOKEN not in repr(sampler.properties)
    assert TOKEN not in repr(sampler)
    path = Path(sampleset.info["raw_results_path"])
    assert path.parent == raw_dir and path.exists()
    assert TOKEN not in path.read_text()

    raw, context = load_raw_result(path)
    # raw = physical-qubit answer, before unembedding
    assert set(raw.variables) <= set(MockDWaveSampler().nodelist)
    assert context["source_bqm"] == bqm
    chains = {v: tuple(c) for v, c in context["embedding"]}
    assert chains == {v: tuple(c) for v, c in sampleset.info["embedding"]["embedding"].items()}


def test_raw_result_survives_a_failing_postprocessing(monkeypatch, tmp_path):
    import dwave.system.composites.embedding as embedding_module

    def broken(*args, **kwargs):
        raise RuntimeError("unembedding exploded")

    monkeypatch.setattr(embedding_module, "unembed_sampleset", broken)
    sampler = mock_sampler(raw_results_dir=tmp_path)
    with pytest.raises(RuntimeError, match="unembedding exploded") as excinfo:
        sampler.sample(random_bqm(5, seed=2), seed=1)
    files = list(tmp_path.glob("dwave-*.json"))
    assert len(files) == 1
    raw, _ = load_raw_result(files[0])
    assert raw.record.num_occurrences.sum() == 10
    notes = getattr(excinfo.value, "__notes__", [])
    if notes:  # Python >= 3.11
        assert str(files[0]) in notes[0]


def test_mock_child_saves_nothing_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    info = mock_sampler().sample(random_bqm(3, seed=0)).info
    assert info["raw_results_path"] is None
    assert not any(tmp_path.rglob("*.json"))


# -- failure without Leap --------------------------------------------------------------------
@pytest.mark.parametrize("name", ["dwave", "leap-hybrid"])
def test_missing_token_fails_fast_with_the_fix(no_leap_config, name):
    start = time.perf_counter()
    with pytest.raises(ConfigurationError) as excinfo:
        get_sampler(name).sample(random_bqm(3, seed=0))
    assert time.perf_counter() - start < 5.0
    message = str(excinfo.value)
    assert "dwave config create" in message
    assert "DWAVE_API_TOKEN" in message
    assert "token=" in message
    assert excinfo.value.__cause__ is None  # no chained traceback soup


class _Reject401(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server API
        body = json.dumps({"error_code": 401, "error_msg": "Invalid token or access denied"})
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def rejecting_endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Reject401)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sapi/v2/"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("name", ["dwave", "leap-hybrid"])
def test_invalid_token_is_a_configuration_error_without_the_token(no_leap_config,
                                                                   rejecting_endpoint, name):
    sampler = get_sampler(name, token=TOKEN, endpoint=rejecting_endpoint)
    start = time.perf_counter()
    with pytest.raises(ConfigurationError, match="rejected") as excinfo:
        sampler.sample(random_bqm(3, seed=0))
    assert time.perf_counter() - start < 5.0
    assert TOKEN not in str(excinfo.value)
    assert "dwave config create" in str(excinfo.value)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("name", ["dwave", "leap-hybrid"])
def test_unreachable_service_fails_fast(no_leap_config, name):
    endpoint = f"http://127.0.0.1:{_closed_port()}/sapi/v2/"
    sampler = get_sampler(name, token=TOKEN, endpoint=endpoint)
    start = time.perf_counter()
    with pytest.raises(ServiceUnavailableError, match="cannot be reached") as excinfo:
        sampler.sample(random_bqm(3, seed=0))
    assert time.perf_counter() - start < 5.0
    assert TOKEN not in str(excinfo.value)


def test_unreadable_config_file_is_a_configuration_error(no_leap_config):
    with pytest.raises(ConfigurationError, match="configuration file"):
        DWaveAnnealingSampler(config_file=str(no_leap_config / "missing.conf"))


# -- Leap hybrid -----------------------------------------------------------------------------
@pytest.fixture
def mock_hybrid_child():
    from dwave.system import LeapHybridSampler

    with mock.patch("dwave.system.samplers.leap_hybrid_sampler.Client") as client:
        client.from_config.return_value.get_solver.return_value = MockLeapHybridSolver()
        yield LeapHybridSampler()


def test_leap_hybrid_with_mock_solver(mock_hybrid_child, tmp_path):
    sampler = LeapHybridBQMSampler(child=mock_hybrid_child, raw_results_dir=tmp_path)
    dimod.testing.assert_sampler_api(sampler)
    bqm = random_bqm(12, seed=6)
    sampleset = sampler.sample(bqm)
    assert set(sampleset.variables) == set(bqm.variables)
    dimod.testing.assert_sampleset_energies(sampleset, bqm)
    info = sampleset.info
    assert info["backend"] == "leap-hybrid"
    # no time_limit given: the solver's minimum for this size is used and reported
    assert info["time_limit"] == pytest.approx(sampler.min_time_limit(bqm))
    assert info["timing"]["sampling_ns"] > 0
    raw, context = load_raw_result(info["raw_results_path"])
    assert context["source_bqm"] == bqm
    assert raw.first.energy == pytest.approx(sampleset.first.energy)


def test_leap_hybrid_rejects_bad_time_limit(mock_hybrid_child):
    with pytest.raises(InvalidArgumentError, match="time_limit"):
        LeapHybridBQMSampler(child=mock_hybrid_child, time_limit=0)
    with pytest.raises(InvalidTypeError, match="time_limit"):
        LeapHybridBQMSampler(child=mock_hybrid_child).sample(random_bqm(2, 0), time_limit="3s")


# -- end to end ------------------------------------------------------------------------------
@pytest.mark.slow
def test_explain_end_to_end_with_the_mock_qpu():
    """hybridxai.explain on the real MobileNetV2 and a real photo, solved on the mock QPU."""
    pytest.importorskip("skimage.data")
    import hybridxai
    from hybridxai.vision.models import load_pretrained
    from hybridxai.vision.samples import load_sample

    try:
        model = load_pretrained("mobilenet_v2", download=False)
    except (FileNotFoundError, ImportError, OSError) as exc:  # offline weights not installed
        pytest.skip(f"MobileNetV2 weights unavailable: {exc}")
    sampler = get_sampler("dwave", child=MockDWaveSampler(), num_reads=20)
    explanation = hybridxai.explain(model, load_sample("chelsea"), backend=sampler,
                                    max_qubits=8, seed=0)

    assert explanation.target_name == "Egyptian cat"
    qubo = explanation.qubo
    assert qubo.num_variables == 8
    assert set(explanation.selected) <= set(qubo.channels)
    # the selection is the lowest-energy unembedded sample, and its energy is the QUBO's
    best = explanation.sampleset.first
    assert explanation.energy == pytest.approx(best.energy)
    assert qubo.bqm.energy(best.sample) == pytest.approx(best.energy)
    assert best.energy < qubo.bqm.offset  # better than selecting nothing
    info = explanation.sampleset.info
    assert set(info["embedding"]["embedding"]) == set(qubo.channels)
    assert max(len(c) for c in info["embedding"]["embedding"].values()) > 1  # real chains
    assert info["solver"] == "MockDWaveSampler"
    assert explanation.saliency.shape == (224, 224)
    assert 0.0 <= explanation.saliency.min() and explanation.saliency.max() <= 1.0
