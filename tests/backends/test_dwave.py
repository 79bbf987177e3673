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


# -- anneal schedules (issue 16, item 3) -------------------------------------------------------
from dwave.system import DWaveSampler  # noqa: E402

from hybridxai.anneal.schedules import as_schedule, pause_schedule  # noqa: E402
from hybridxai.backends.cloud.qpu_schedule import check_anneal_schedule, qpu_schedule  # noqa: E402

not_mocked = pytest.mark.filterwarnings("ignore:'anneal_schedule' parameter is valid")


def ocean_accepts(child, schedule) -> bool:
    """Ocean's own check (DWaveSampler.validate_anneal_schedule) on the child's properties."""
    try:
        DWaveSampler.validate_anneal_schedule(child, schedule)
    except ValueError:
        return False
    return True


class _Spy:
    """Wraps a mock QPU and counts the problems submitted to it."""

    def __init__(self, properties=None):
        self.mock = MockDWaveSampler()
        if properties:
            self.mock.properties = {**self.mock.properties, **properties}
        self.calls = 0
        original = self.mock.sample

        def sample(*args, **kwargs):
            self.calls += 1
            return original(*args, **kwargs)

        self.mock.sample = sample


BAD_SCHEDULES = [
    ([[0, 0], [10, 0.7], [5, 1]], "time t must increase"),
    ([[0, 0], [10, 0.7], [10, 1]], "t=10 µs repeats"),
    ([[0, 0], [3000, 1]], "beyond this solver's maximum anneal time of 2000 µs"),
    ([[0, 0], [0.1, 1]], r"slope of 10 per µs, beyond this solver's maximum of 2 per µs"),
    ([[1, 0], [20, 1]], "the first point must be at t=0"),
    ([[0, 0.2], [20, 1]], "the first point must have s=0"),
    ([[0, 0], [5, 0.8], [10, 0.6], [20, 1]], "a forward anneal .* must be non-decreasing"),
    ([[0, 0], [20, 0.9]], "the last point must have s=1"),
    ([[0, 0], [1, 1.5], [20, 1]], r"s must lie in \[0, 1\]"),
    ([[0, 0], [5, -0.1], [20, 1]], r"s must lie in \[0, 1\]"),
    ([[0, 0]] + [[i, 0.05 * i] for i in range(1, 15)] + [[30, 1]], "at most 12 .max_anneal_schedule_points"),
    ([[0, 0]], "at least 2"),
    ([[0, 0], [float("nan"), 1]], "NaN or infinite"),
    ([[0, 1], [10, 0.5], [20, 1]], "reverse anneal, but no initial_state"),
]


@pytest.mark.parametrize(("schedule", "match"), BAD_SCHEDULES)
def test_bad_anneal_schedules_are_refused_before_any_qpu_call(schedule, match):
    spy = _Spy()
    sampler = DWaveAnnealingSampler(child=spy.mock, num_reads=5)
    with pytest.raises(InvalidArgumentError, match=rf"anneal_schedule=.* is invalid: .*{match}.*Fix: "):
        sampler.sample(random_bqm(4, 0), anneal_schedule=schedule)
    with pytest.raises(InvalidArgumentError, match=match):  # the pre-flight check explain() runs
        sampler.check_options(anneal_schedule=schedule)
    assert spy.calls == 0
    if "initial_state" not in match and "NaN" not in match and "first point must be at t=0" not in match \
            and "must lie in" not in match:
        assert not ocean_accepts(spy.mock, [list(p) for p in schedule])  # Ocean agrees


@pytest.mark.parametrize("schedule", [[[0, 0], [1, 1]], [[0, 0], [5, 0.4], [15, 0.4], [20, 1]],
                                      [[0, 0], [2000, 1]], [[0.0, 0.0], [0.5, 1.0]]])
def test_good_anneal_schedules_pass_and_reach_the_solver(schedule):
    spy = _Spy()
    assert ocean_accepts(spy.mock, schedule)
    assert check_anneal_schedule(schedule, spy.mock.properties) == [[float(t), float(s)] for t, s in schedule]
    with pytest.warns(UserWarning, match="not mocked"):
        result = DWaveAnnealingSampler(child=spy.mock, num_reads=5).sample(random_bqm(4, 0),
                                                                           anneal_schedule=schedule, seed=0)
    assert spy.calls == 1
    assert result.info["anneal_schedule"] == [[float(t), float(s)] for t, s in schedule]


def test_a_reverse_anneal_with_an_initial_state_is_accepted():
    schedule = [[0, 1], [10, 0.45], [20, 1]]
    assert check_anneal_schedule(schedule, MockDWaveSampler().properties, initial_state={0: 1}) == \
        [[0.0, 1.0], [10.0, 0.45], [20.0, 1.0]]


def test_the_solvers_own_limits_are_used():
    spy = _Spy({"annealing_time_range": [1.0, 100.0], "max_anneal_schedule_points": 4})
    sampler = DWaveAnnealingSampler(child=spy.mock, num_reads=5)
    bqm = random_bqm(4, 0)
    for schedule, match in (([[0, 0], [0.8, 1]], r"maximum of 1 per µs"), ([[0, 0], [150, 1]], "100 µs"),
                            ([[0, 0], [1, 0.1], [2, 0.2], [3, 0.3], [20, 1]], "at most 4")):
        with pytest.raises(InvalidArgumentError, match=match):
            sampler.sample(bqm, anneal_schedule=schedule)
    assert spy.calls == 0


def test_anneal_schedule_conflicts_are_refused():
    sampler = DWaveAnnealingSampler(child=MockDWaveSampler(), num_reads=5)
    bqm = random_bqm(4, 0)
    with pytest.raises(InvalidArgumentError, match="annealing_time=50 is invalid: cannot be combined"):
        sampler.sample(bqm, anneal_schedule=[[0, 0], [20, 1]], annealing_time=50)
    with pytest.raises(InvalidArgumentError, match="cannot be combined with schedule='local-adiabatic'"):
        sampler.sample(bqm, anneal_schedule=[[0, 0], [20, 1]], schedule="local-adiabatic")
    with pytest.raises(InvalidArgumentError, match="schedule="):
        sampler.sample(bqm, schedule=("pause", 1.5, 0.2))
    with pytest.raises(InvalidArgumentError, match="schedule="):
        DWaveAnnealingSampler(child=MockDWaveSampler(), schedule="quadratic")


@pytest.mark.parametrize("points", [12, 4])
def test_local_adiabatic_maps_to_a_qpu_schedule_within_the_limits(points):
    spy = _Spy({"max_anneal_schedule_points": points})
    bqm = random_bqm(6, seed=1)
    sampler = DWaveAnnealingSampler(child=spy.mock, num_reads=5)
    with pytest.warns(UserWarning, match="not mocked"):
        result = sampler.sample(bqm, schedule="local-adiabatic", annealing_time=50.0, seed=0)
    sent = result.info["anneal_schedule"]
    assert spy.calls == 1 and result.info["schedule"] == "local-adiabatic"
    assert result.info["annealing_time"] == 50.0
    assert 2 < len(sent) <= points and sent[0] == [0.0, 0.0] and sent[-1] == [50.0, 1.0]
    assert ocean_accepts(spy.mock, sent)  # within the QPU's limits, by Ocean's own check
    # it follows the gap-aware s(u) of the problem (exactly at the knots, closely between them)
    target = as_schedule("local-adiabatic", problem=bqm)
    t, s = np.array(sent).T
    u = np.linspace(0, 1, 401)
    assert np.allclose(target(t / 50.0), s, atol=1e-9)
    assert np.max(np.abs(np.interp(u * 50.0, t, s) - target(u))) < (0.02 if points == 12 else 0.1)


def test_local_adiabatic_slows_down_at_the_minimum_gap():
    from hybridxai.anneal.schedules import cached_gap_profile

    bqm = random_bqm(6, seed=1)
    profile = cached_gap_profile(bqm)
    sent = qpu_schedule(as_schedule("local-adiabatic", problem=bqm), 20.0, MockDWaveSampler().properties)
    t, s = np.array(sent).T
    slopes = np.diff(s) / np.diff(t)
    at_min = slopes[np.searchsorted(s, profile.s_min) - 1]
    assert at_min < 1 / 20.0 < slopes.max()  # slower than linear where the gap is smallest


def test_the_schedule_is_stretched_to_the_solvers_maximum_slope():
    properties = {**MockDWaveSampler().properties, "annealing_time_range": [2.0, 2000.0]}
    # 90 % of the anneal paused at s = 0.5: the ramps would be 5x steeper than allowed at T = 2.5
    sent = qpu_schedule(pause_schedule(0.5, 0.9), 2.5, properties)
    assert ocean_accepts(type("Child", (), {"parameters": {"anneal_schedule": []},
                                           "properties": properties})(), sent)
    t, s = np.array(sent).T
    assert t[-1] == 2.5 and np.max(np.diff(s) / np.diff(t)) <= 0.5 + 1e-9


def test_schedule_annealing_time_outside_the_range_is_refused():
    sampler = DWaveAnnealingSampler(child=MockDWaveSampler(), num_reads=5)
    with pytest.raises(InvalidArgumentError, match=r"annealing_time=5000 .*_range \[0.5, 2000\]"):
        sampler.sample(random_bqm(4, 0), schedule=("pause", 0.5, 0.2), annealing_time=5000)


@not_mocked
def test_linear_schedule_sends_no_anneal_schedule():
    result = mock_sampler().sample(random_bqm(4, 0), schedule="linear", seed=0)
    assert result.info["schedule"] == "linear" and result.info["anneal_schedule"] is None
