"""The "ibm-runtime" backend: the Trotterized annealing circuit on IBM Quantum hardware.

The circuit is :func:`hybridxai.circuits.qiskit_circuit.annealing_circuit` with measurements,
transpiled for the device (its coupling map and basis gates, through Qiskit's
``generate_preset_pass_manager``) and run with ``qiskit_ibm_runtime.SamplerV2``. The shots
become a ``dimod.SampleSet`` over the BQM's variables.

Offline, any fake backend of ``qiskit_ibm_runtime.fake_provider`` stands in for a device:
``backend="fake_manila"`` (5 qubits) or an instance such as ``FakeManilaV2()``. SamplerV2 then
runs locally on Qiskit Aer with the fake device's noise model, no account needed.

Real devices need an IBM Quantum account: a saved account
(``QiskitRuntimeService.save_account(token=..., instance=..., set_as_default=True)``), the
``QISKIT_IBM_TOKEN`` / ``QISKIT_IBM_INSTANCE`` environment variables, or ``token=``. A missing
account is detected locally, before any network call; the token never appears in results and
is replaced by ``***`` in error messages.

Digitized annealing on today's devices is limited by depth: every Trotter step costs about
two CNOTs per coupled pair plus routing SWAPs, so keep ``num_steps`` small (the defaults,
``total_time=6``, ``num_steps=4``, give ~70 two-qubit gates for 4 fully coupled variables).
:func:`noise_report` measures what the noise costs.

Example:
    >>> import dimod
    >>> sampler = IBMRuntimeAnnealingSampler("fake_manila", seed=1)
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -1.0}, {(0, 1): 3.0}, 0.0, "BINARY")
    >>> sampleset = sampler.sample(bqm, num_reads=200)
    >>> sampleset.info["two_qubit_gate_count"] > 0
    True
"""

from __future__ import annotations

import os
import re
import socket
import time
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlparse

import dimod
import numpy as np

from hybridxai._util.optional import import_optional
from hybridxai.anneal.ising import DenseQubo, basis_energies, dense_qubo
from hybridxai.anneal.schedules import Layer, ScheduleLike
from hybridxai.anneal.spec import DriverScale, ground_fidelity
from hybridxai.backends.annealing import AnnealingSampler, Readout
from hybridxai.backends.cloud.connection import LONG_KEY, Credentials, RemoteSampler, is_network_error
from hybridxai.exceptions import (
    ConfigurationError,
    ProblemTooLargeError,
    ServiceUnavailableError,
    invalid_argument,
    invalid_type,
)

__all__ = [
    "IBMRuntimeAnnealingSampler",
    "NoiseReport",
    "noise_report",
    "resolve_backend",
    "fake_backend",
    "DEFAULT_TOTAL_TIME",
    "DEFAULT_NUM_STEPS",
]

DEFAULT_TOTAL_TIME = 6.0
"""Default anneal time ``T`` for hardware runs (short: depth grows with ``num_steps``)."""

DEFAULT_NUM_STEPS = 4
"""Default number of Trotter steps for hardware runs."""

_MAX_EXACT_QUBITS = 24
"""Up to this many qubits the ground manifold is found exactly (``2**d`` energies)."""

_DEFAULT_URL = "https://quantum.cloud.ibm.com"

_HOW_TO_CONFIGURE = (
    "Fix: save an account once with `from qiskit_ibm_runtime import QiskitRuntimeService; "
    "QiskitRuntimeService.save_account(token='<API key>', instance='<CRN>', "
    "set_as_default=True)`, or set QISKIT_IBM_TOKEN (and QISKIT_IBM_INSTANCE), or pass "
    "token=... to the sampler. The API key is on https://quantum.cloud.ibm.com. To run "
    "offline, pass backend='fake_manila' (a simulated noisy 5-qubit device)."
)

def _is_network_error(exc: BaseException) -> bool:
    requests_exc = import_optional("requests.exceptions", "ibm", "the 'ibm-runtime' backend")
    return is_network_error(exc, (requests_exc.ConnectionError, requests_exc.Timeout))


# -- backends --------------------------------------------------------------------------------
def _fake_key(name: str) -> str | None:
    """``"FakeManilaV2"`` / ``"fake-manila"`` / ``"fake_manila"`` → ``"manila"``; else None."""
    text = name.strip().lower()
    if not text.startswith("fake"):
        return None
    key = re.sub(r"[^a-z0-9]", "", text[4:])
    return key[:-2] if key.endswith("v2") else key


def _fake_classes() -> dict[str, type]:
    fp = import_optional("qiskit_ibm_runtime.fake_provider", "ibm", "the 'ibm-runtime' backend")
    fake = import_optional("qiskit_ibm_runtime.fake_provider.fake_backend", "ibm",
                           "the 'ibm-runtime' backend")
    classes: dict[str, type] = {}
    for attr in dir(fp):
        obj = getattr(fp, attr)
        is_fake = isinstance(obj, type) and issubclass(obj, fake.FakeBackendV2)
        if is_fake and attr != "FakeBackendV2":
            for label in (attr, getattr(obj, "backend_name", None)):
                key = _fake_key(label) if isinstance(label, str) else None
                if key:
                    classes.setdefault(key, obj)
    return classes


def fake_backend(name: str) -> Any:
    """Create a ``qiskit_ibm_runtime.fake_provider`` backend by name (``"fake_manila"``).

    Args:
        name: The fake backend's name or class name.

    Returns:
        A new ``FakeBackendV2`` instance (its noise model comes from recorded calibrations).

    Raises:
        InvalidArgumentError: If no fake backend has that name; the message lists some.
    """
    classes = _fake_classes()
    key = _fake_key(name)
    if key not in classes:
        raise invalid_argument(
            "backend", name, "is not a fake backend of qiskit_ibm_runtime.fake_provider",
            "pass e.g. " + ", ".join(f"'fake_{k}'" for k in ("manila", "quito", "nairobi", "perth"))
            + f" (known: {len(classes)} fake backends)",
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "not intended to represent typical …"
        return classes[key]()


def _is_local(backend: Any) -> bool:
    """Tell whether ``backend`` runs locally (fake backends, Aer): no account, seedable."""
    fake = import_optional("qiskit_ibm_runtime.fake_provider.fake_backend", "ibm",
                           "the 'ibm-runtime' backend")
    if isinstance(backend, fake.FakeBackendV2):
        return True
    return type(backend).__module__.startswith("qiskit_aer")


class _RuntimeAccount(Credentials):
    """IBM Quantum credentials, checked locally; the service is created on demand."""

    service_name = "IBM Quantum"
    token_variable = "QISKIT_IBM_TOKEN"
    token_pattern = LONG_KEY

    def __init__(self, *, token: str | None = None, channel: str | None = None,
                 instance: str | None = None, account_name: str | None = None,
                 account_file: str | os.PathLike[str] | None = None, connect_timeout: float = 5.0,
                 url: str | None = None) -> None:
        super().__init__(token=token, connect_timeout=connect_timeout)
        self.channel = channel
        self.instance = instance
        self.account_name = account_name
        self.url = url
        # resolved now (not at import time) so HOME changes are honoured
        self.account_file = os.fspath(account_file) if account_file else os.path.join(
            os.path.expanduser("~"), ".qiskit", "qiskit-ibm.json")
        self._url: str | None = None
        self._proxies = False

    def lookup(self, what: str = "backend 'ibm-runtime'") -> None:
        """Find the account locally (no network); raise ConfigurationError if there is none."""
        if self.token:
            self._url = self.url
            return
        mgmt = import_optional("qiskit_ibm_runtime.accounts", "ibm", "the 'ibm-runtime' backend")
        try:
            account = mgmt.AccountManager.get(filename=self.account_file, name=self.account_name,
                                              channel=self.channel)
        except Exception as exc:  # AccountNotFoundError, InvalidAccountError, JSON errors …
            raise ConfigurationError(
                f"{what}: no usable IBM Quantum account was found (looked at "
                f"token=, QISKIT_IBM_TOKEN and {self.account_file!r}"
                + (f", account name {self.account_name!r}" if self.account_name else "")
                + f"; {self.describe(exc)}). " + _HOW_TO_CONFIGURE
            ) from None
        self.found_token = getattr(account, "token", None)
        self._url = getattr(account, "url", None)
        self._proxies = bool(getattr(account, "proxies", None))

    def _preflight(self) -> None:
        """Fail within ``connect_timeout`` when the API host is unreachable."""
        if self._proxies or any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy",
                                                             "ALL_PROXY", "all_proxy")):
            return
        parsed = urlparse(self._url or _DEFAULT_URL)
        host = parsed.hostname or "quantum.cloud.ibm.com"
        port = parsed.port or (80 if parsed.scheme == "http" else 443)
        try:
            socket.create_connection((host, port), timeout=self.connect_timeout).close()
        except OSError as exc:
            raise ServiceUnavailableError(
                f"backend 'ibm-runtime': the IBM Quantum API at {host} cannot be reached "
                f"({type(exc).__name__}: {exc}). Fix: check the network connection and proxy "
                "settings; or pass backend='fake_manila' to run offline."
            ) from None

    def service(self) -> Any:
        """Create the ``QiskitRuntimeService`` (network), translating errors."""
        runtime = import_optional("qiskit_ibm_runtime", "ibm", "the 'ibm-runtime' backend")
        self.lookup()
        self._preflight()
        kwargs = {k: v for k, v in dict(channel=self.channel, token=self.token, url=self.url,
                                        instance=self.instance, name=self.account_name,
                                        filename=self.account_file).items() if v}
        try:
            return runtime.QiskitRuntimeService(**kwargs)
        except Exception as exc:
            raise self.translate(exc) from None

    def translate(self, exc: BaseException, what: str = "backend 'ibm-runtime'") -> BaseException:
        """ServiceUnavailableError for network failures, ConfigurationError for the rest."""
        reason = self.describe(exc)
        if _is_network_error(exc):
            return ServiceUnavailableError(
                f"{what}: the IBM Quantum API cannot be reached ({reason}). Fix: "
                "check the network connection and proxy settings; or pass "
                "backend='fake_manila' to run offline."
            )
        return ConfigurationError(
            f"{what}: the IBM Quantum account was rejected or is incomplete "
            f"(token=***, instance={self.instance!r}; {reason}). " + _HOW_TO_CONFIGURE
        )


def resolve_backend(backend: Any, account: _RuntimeAccount | None = None) -> Any:
    """Turn ``backend`` (a BackendV2, a fake name, a device name or ``None``) into a BackendV2.

    Args:
        backend: ``BackendV2`` instance (used as is); a fake backend name (``"fake_manila"``);
            an IBM device name (``"ibm_brisbane"``, needs an account); ``None`` for the least
            busy operational device of the account.
        account: Credentials for device names and ``None``.

    Returns:
        A ``qiskit.providers.BackendV2``.
    """
    providers = import_optional("qiskit.providers", "ibm", "the 'ibm-runtime' backend")
    if isinstance(backend, providers.BackendV2):
        return backend
    if isinstance(backend, str) and _fake_key(backend):
        return fake_backend(backend)
    if backend is not None and not isinstance(backend, str):
        raise invalid_type("backend", backend, "None, a backend name or a qiskit BackendV2",
                           "pass backend='fake_manila' (offline) or an IBM device name")
    if account is None:
        account = _RuntimeAccount()
    service = account.service()
    try:
        if backend is None:
            return service.least_busy(operational=True, simulator=False)
        return service.backend(backend)
    except Exception as exc:
        if _is_network_error(exc):
            raise account.translate(exc) from None
        raise invalid_argument(
            "backend", backend,
            f"is not available to this account ({account.describe(exc)})",
            "pass a name from QiskitRuntimeService().backends(), or backend='fake_manila'",
        ) from None


# -- circuits and counts ---------------------------------------------------------------------
def _two_qubit_count(circuit: Any) -> int:
    return sum(1 for inst in circuit.data
               if inst.operation.num_qubits == 2 and inst.operation.name != "barrier")


def _counts_to_bits(counts: Mapping[str, int], d: int) -> tuple[np.ndarray, np.ndarray]:
    """Qiskit count strings (big-endian, qubit 0 rightmost) → binary rows in qubit order."""
    keys = list(counts)
    bits = np.zeros((len(keys), d), dtype=np.int8)
    for row, key in enumerate(keys):
        key = key.replace(" ", "")
        for i in range(d):
            bits[row, i] = key[-1 - i] == "1"
    return bits, np.asarray([counts[k] for k in keys], dtype=np.int64)


def _sampler_v2(backend: Any) -> Any:
    runtime = import_optional("qiskit_ibm_runtime", "ibm", "the 'ibm-runtime' backend")
    with warnings.catch_warnings():
        # qiskit-ibm-runtime 0.50 deprecates SamplerV2 in favour of a client-side Sampler; the
        # runtime service keeps accepting SamplerV2 jobs until its removal.
        warnings.filterwarnings("ignore", message=".*SamplerV2 class is deprecated.*",
                                category=DeprecationWarning)
        return runtime.SamplerV2(mode=backend)


class IBMRuntimeAnnealingSampler(RemoteSampler, AnnealingSampler):
    """Digitized quantum annealing on an IBM Quantum device (or a fake one) via SamplerV2.

    An :class:`~hybridxai.backends.annealing.AnnealingSampler` whose device step runs the
    measured Trotter circuit on the device instead of simulating the statevector: the options,
    their checks, the schedule and the layers are those of every annealing backend.

    Args:
        backend: A ``BackendV2`` (e.g. ``FakeManilaV2()``, an ``IBMBackend``, ``AerSimulator``),
            a fake backend name (``"fake_manila"``), an IBM device name (``"ibm_brisbane"``),
            or ``None`` for the least busy device of the account.
        token: IBM Quantum API key (default: saved account or ``QISKIT_IBM_TOKEN``).
        channel: ``"ibm_quantum_platform"`` (default) or ``"ibm_cloud"``.
        instance: Instance CRN or name.
        account_name: Name of a saved account.
        account_file: The saved-accounts JSON file (default ``~/.qiskit/qiskit-ibm.json``).
        url: API URL, only with ``token=`` (default: the IBM Quantum Platform).
        total_time: Default anneal time ``T`` (``"auto"`` is not available: it simulates the
            anneal, which is what a device run avoids).
        num_steps: Default number of Trotter steps.
        schedule: Default schedule (see :func:`hybridxai.anneal.schedules.as_schedule`).
        order: Default Trotter order (1 or 2).
        driver_scale: ``"unit"``, ``"1/d"`` or a number.
        num_reads: Default number of shots.
        seed: Default seed of the transpiler and, on local simulators, of the shots.
        optimization_level: Preset pass-manager level 0–3.
        connect_timeout: Seconds to wait for a TCP connection to the IBM API.

    Raises:
        ConfigurationError: If a real device is requested and no account is configured.
    """

    backend_name = "ibm-runtime"

    def __init__(
        self,
        backend: Any = None,
        *,
        token: str | None = None,
        channel: str | None = None,
        instance: str | None = None,
        account_name: str | None = None,
        account_file: str | os.PathLike[str] | None = None,
        url: str | None = None,
        total_time: float = DEFAULT_TOTAL_TIME,
        num_steps: int = DEFAULT_NUM_STEPS,
        schedule: ScheduleLike = None,
        order: int = 1,
        driver_scale: DriverScale = "unit",
        num_reads: int = 1000,
        seed: int | None = None,
        optimization_level: int = 1,
        connect_timeout: float = 5.0,
    ) -> None:
        super().__init__(total_time=total_time, num_steps=num_steps, num_reads=num_reads, seed=seed,
                         schedule=schedule, order=order, driver_scale=driver_scale)
        self.optimization_level = _check_optimization_level(optimization_level)
        self.defaults["optimization_level"] = self.optimization_level
        self._account = _RuntimeAccount(token=token, channel=channel, instance=instance,
                                        account_name=account_name, account_file=account_file,
                                        connect_timeout=connect_timeout, url=url)
        providers = import_optional("qiskit.providers", "ibm", "the 'ibm-runtime' backend")
        self._backend: Any = None
        self._backend_spec = backend
        if isinstance(backend, providers.BackendV2):
            self._backend = backend
        elif isinstance(backend, str) and _fake_key(backend):
            self._backend = fake_backend(backend)
        elif backend is None or isinstance(backend, str):
            self._account.lookup()  # fail fast, locally, when no account is configured
        else:
            raise invalid_type("backend", backend, "None, a backend name or a qiskit BackendV2",
                               "pass backend='fake_manila' (offline) or an IBM device name")

    def __repr__(self) -> str:
        name = getattr(self._backend, "name", self._backend_spec)
        return f"{type(self).__name__}(backend={name!r})"

    @property
    def backend(self) -> Any:
        """The ``BackendV2`` (resolved through the runtime service on first access if needed)."""
        if self._backend is None:
            self._backend = resolve_backend(self._backend_spec, self._account)
        return self._backend

    def _release(self) -> None:
        """Forget a device resolved through the runtime service (the next use resolves it again)."""
        if self._backend_spec is None or (isinstance(self._backend_spec, str)
                                          and not _fake_key(self._backend_spec)):
            self._backend = None

    @property
    def parameters(self) -> dict[str, list[Any]]:
        """Keyword arguments accepted by :meth:`sample`."""
        shared = {k: v for k, v in super().parameters.items() if k != "target_fidelity"}
        return {**shared, "optimization_level": []}

    @property
    def properties(self) -> dict[str, Any]:
        """``backend`` kind, the device name and its qubit count (resolves the backend)."""
        b = self.backend
        return {"backend": self.backend_name, "device": getattr(b, "name", str(b)),
                "num_qubits": int(getattr(b, "num_qubits", 0) or 0), "local": _is_local(b)}

    def _resolve_options(self, options: dict[str, Any],
                         bqm: dimod.BinaryQuadraticModel | None) -> dict[str, Any]:
        if isinstance(options["total_time"], str):
            raise invalid_argument("total_time", options["total_time"],
                                   "'auto' simulates the anneal, which a device run cannot",
                                   "pass a number, e.g. total_time=6.0")
        options = super()._resolve_options(options, bqm)
        options["optimization_level"] = _check_optimization_level(options["optimization_level"])
        return options

    def _check_problem(self, bqm: dimod.BinaryQuadraticModel, options: Mapping[str, Any]) -> None:
        d = bqm.num_variables
        if d == 0:
            return
        backend = self.backend
        capacity = int(getattr(backend, "num_qubits", 0) or 0)
        if capacity and d > capacity:
            raise ProblemTooLargeError(
                f"num_qubits={d} is too large for backend {getattr(backend, 'name', backend)!r}, "
                f"which has {capacity} qubits. Fix: pass max_qubits={capacity} (or fewer) to "
                "hybridxai.explain(), or choose a larger device."
            )

    def transpile(self, bqm: dimod.BinaryQuadraticModel, **overrides: Any) -> Any:
        """Build the measured annealing circuit for ``bqm`` and transpile it for the device.

        Args:
            bqm: The problem.
            **overrides: ``total_time``, ``num_steps``, ``schedule``, ``order``,
                ``driver_scale``, ``seed``, ``optimization_level``.

        Returns:
            The transpiled ``QuantumCircuit``; its classical bit ``i`` holds qubit ``i``
            (the ``i``-th BQM variable).
        """
        params = self.check_options(bqm, **overrides)
        return self._transpile(dense_qubo(bqm), self._layers(bqm, params), params)

    def _transpile(self, qubo: DenseQubo, layers: list[Layer], params: Mapping[str, Any]) -> Any:
        circuits = import_optional("hybridxai.circuits.qiskit_circuit", "ibm",
                                   "the 'ibm-runtime' backend")
        transpiler = import_optional("qiskit.transpiler", "ibm", "the 'ibm-runtime' backend")
        circuit = circuits.trotter_circuit(qubo, layers, measure=True)
        pm = transpiler.generate_preset_pass_manager(
            optimization_level=params["optimization_level"], backend=self.backend,
            seed_transpiler=params["seed"])
        return pm.run(circuit)

    def _readout(self, qubo: DenseQubo, layers: list[Layer], options: dict[str, Any]) -> Readout:
        """The device step: transpile, run ``num_reads`` shots with SamplerV2, count them."""
        d = qubo.num_variables
        if d == 0:
            return Readout(
                bits=np.zeros((1, 0), dtype=np.int8), counts=np.array([options["num_reads"]]),
                energies=np.array([qubo.offset]),
                info={"transpiled_depth": 0, "two_qubit_gate_count": 0, "ground_state_probability": 1.0,
                      "ground_energy": float(qubo.offset), "ground_state_degeneracy": 1},
                timing={"sampling_ns": 0}, started_postprocessing_ns=time.perf_counter_ns())
        t0 = time.perf_counter_ns()
        isa = self._transpile(qubo, layers, options)
        t1 = time.perf_counter_ns()
        backend = self.backend
        local = _is_local(backend)
        try:
            sampler = _sampler_v2(backend)
            sampler.options.default_shots = options["num_reads"]
            if local and options["seed"] is not None:
                sampler.options.simulator.seed_simulator = int(options["seed"])
            job = sampler.run([isa])
            result = job.result()
        except (ConfigurationError, ServiceUnavailableError):
            raise
        except Exception as exc:
            if not local and (_is_network_error(exc) or "auth" in str(exc).lower()):
                raise self._account.translate(exc) from None
            raise
        t2 = time.perf_counter_ns()
        counts = result[0].data.meas.get_counts()
        bits, occurrences = _counts_to_bits(counts, d)
        ground_p, ground_e, degeneracy = None, None, None
        if d <= _MAX_EXACT_QUBITS:
            diagonal = basis_energies(qubo)
            _, ground_e, ground = ground_fidelity(np.zeros_like(diagonal), diagonal)
            ground_set = set(ground.tolist())
            idx = (bits.astype(np.int64) << np.arange(d, dtype=np.int64)).sum(axis=1)
            hits = sum(int(c) for i, c in zip(idx, occurrences, strict=True)
                       if int(i) in ground_set)
            ground_p = hits / int(occurrences.sum())
            degeneracy = int(ground.size)
        try:
            usage = job.metrics().get("usage")
        except Exception:  # noqa: BLE001 - metrics are informative only
            usage = None
        layout = None
        if isa.layout is not None:
            physical = isa.layout.final_index_layout()
            layout = {v: int(physical[i]) for i, v in enumerate(qubo.variables)}
        info = {
            "device": getattr(backend, "name", str(backend)),
            "local": local,
            "transpiled_depth": int(isa.depth()),
            "two_qubit_gate_count": _two_qubit_count(isa),
            "operations": {str(k): int(v) for k, v in isa.count_ops().items()},
            "layout": layout,
            "ground_state_probability": ground_p,
            "ground_energy": ground_e,
            "ground_state_degeneracy": degeneracy,
            "optimization_level": int(options["optimization_level"]),
            "job_id": str(job.job_id()),
            "runtime_usage": usage,
        }
        return Readout(bits=bits, counts=occurrences, energies=qubo.energies(bits), info=info,
                       timing={"preprocessing_ns": t1 - t0, "sampling_ns": t2 - t1},
                       started_postprocessing_ns=t2)

    def sample(self, bqm: dimod.BinaryQuadraticModel, **options: Any) -> dimod.SampleSet:
        """Run the annealing circuit for ``bqm`` and return the shots as a SampleSet.

        Args:
            bqm: BINARY or SPIN model; samples come back in its vartype and labels.
            **options: ``total_time`` (``T``), ``num_steps`` (Trotter steps ``M``; depth grows
                linearly with it), ``schedule``, ``order`` (1 or 2), ``driver_scale``,
                ``num_reads`` (shots), ``seed`` (transpiler seed; on local simulators also the
                shot seed), ``optimization_level`` (preset pass-manager level 0–3).

        Returns:
            A ``dimod.SampleSet`` of the distinct measured states with ``num_occurrences`` and
            energies of ``bqm`` (offset included), lowest first. ``info``: ``backend``,
            ``device``, ``local``, ``transpiled_depth``, ``two_qubit_gate_count``,
            ``operations``, ``layout`` (physical qubit of each variable),
            ``ground_state_probability`` (fraction of shots in the exact ground manifold;
            ``None`` above 24 variables), ``ground_energy``, ``ground_state_degeneracy``, the
            anneal parameters, ``job_id``, ``runtime_usage`` (as reported by the service) and
            ``timing`` (``*_ns``).

        Raises:
            ProblemTooLargeError: More variables than device qubits.
            ConfigurationError / ServiceUnavailableError: Account or network problems.
        """
        return super().sample(bqm, **options)


def _check_optimization_level(level: Any) -> int:
    if isinstance(level, bool) or level not in (0, 1, 2, 3):
        raise invalid_argument("optimization_level", level, "must be 0, 1, 2 or 3",
                               "pass optimization_level=1")
    return int(level)


@dataclass(frozen=True)
class NoiseReport:
    """Ground-state probability of one anneal with and without device noise.

    Attributes:
        ideal: Exact probability of the ground manifold in the noiseless final state.
        ideal_sampled: The same estimated from ``num_reads`` noiseless shots of the transpiled
            circuit (checks transpilation and readout mapping; ``None`` if Aer is missing).
        noisy: Fraction of ``num_reads`` shots on ``backend`` (noisy) in the ground manifold.
        uniform: ``degeneracy / 2**d``, the probability of a uniformly random guess.
        num_qubits: ``d``.
        ground_state_degeneracy: Number of ground states.
        num_reads: Shots per run.
        device: Backend name.
        transpiled_depth: Depth of the device circuit.
        two_qubit_gate_count: Two-qubit gates in the device circuit.
    """

    ideal: float
    ideal_sampled: float | None
    noisy: float
    uniform: float
    num_qubits: int
    ground_state_degeneracy: int
    num_reads: int
    device: str
    transpiled_depth: int
    two_qubit_gate_count: int

    def as_dict(self) -> dict[str, Any]:
        """Return the report as a plain dict."""
        return asdict(self)

    def __str__(self) -> str:
        return (f"{self.device}, d={self.num_qubits}: P(ground) ideal={self.ideal:.3f}, "
                f"noisy={self.noisy:.3f}, uniform={self.uniform:.4f} "
                f"(depth {self.transpiled_depth}, {self.two_qubit_gate_count} two-qubit gates, "
                f"{self.num_reads} shots)")


def noise_report(
    bqm: dimod.BinaryQuadraticModel,
    backend: Any = "fake_manila",
    *,
    total_time: float = DEFAULT_TOTAL_TIME,
    num_steps: int = DEFAULT_NUM_STEPS,
    schedule: ScheduleLike = None,
    order: int = 1,
    driver_scale: DriverScale = "unit",
    num_reads: int = 4000,
    seed: int | None = None,
    optimization_level: int = 1,
    **account: Any,
) -> NoiseReport:
    """Compare the ground-state probability of the anneal on a noisy device with the ideal.

    Args:
        bqm: The problem (at most 24 variables: the ground manifold is found exactly).
        backend: As for :class:`IBMRuntimeAnnealingSampler` (default: ``"fake_manila"``,
            simulated locally with its noise model).
        total_time: ``T``.
        num_steps: Trotter steps.
        schedule: Annealing schedule.
        order: Trotter order.
        driver_scale: Driver scale.
        num_reads: Shots on each backend.
        seed: Transpiler and simulator seed.
        optimization_level: Preset pass-manager level.
        **account: ``token=``, ``instance=`` … for real devices.

    Returns:
        A :class:`NoiseReport`. On a working device, ``uniform < noisy < ideal``: noise pulls
        the distribution toward uniform.

    Example:
        >>> import dimod
        >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: 0.5}, {(0, 1): -1.0}, 0.0, "BINARY")
        >>> report = noise_report(bqm, "fake_manila", num_reads=2000, seed=1)
        >>> report.uniform < report.noisy < report.ideal
        True
    """
    d = bqm.num_variables
    if d == 0 or d > _MAX_EXACT_QUBITS:
        raise invalid_argument("bqm", bqm, f"has {d} variables; the noise report needs 1 to "
                               f"{_MAX_EXACT_QUBITS}", "pass a small problem (4–6 variables "
                               "suit today's devices)")
    qinfo = import_optional("qiskit.quantum_info", "ibm", "noise_report()")
    circuits = import_optional("hybridxai.circuits.qiskit_circuit", "ibm", "noise_report()")
    qubo = dense_qubo(bqm)
    diagonal = basis_energies(qubo)
    circuit = circuits.annealing_circuit(bqm, total_time, num_steps, schedule=schedule,
                                         order=order, driver_scale=driver_scale, measure=False)
    probabilities = np.abs(np.asarray(qinfo.Statevector(circuit).data)) ** 2
    ideal, _, ground = ground_fidelity(probabilities / probabilities.sum(), diagonal)
    params = dict(total_time=total_time, num_steps=num_steps, schedule=schedule, order=order,
                  driver_scale=driver_scale, num_reads=num_reads, seed=seed,
                  optimization_level=optimization_level)
    noisy_sampler = IBMRuntimeAnnealingSampler(backend, **params, **account)
    noisy = noisy_sampler.sample(bqm)
    ideal_sampled = None
    try:
        aer = import_optional("qiskit_aer", "ibm", "noise_report()")
        clean = IBMRuntimeAnnealingSampler(aer.AerSimulator(), **params)
        ideal_sampled = clean.sample(bqm).info["ground_state_probability"]
    except ImportError:
        ideal_sampled = None
    return NoiseReport(
        ideal=float(ideal),
        ideal_sampled=None if ideal_sampled is None else float(ideal_sampled),
        noisy=float(noisy.info["ground_state_probability"]),
        uniform=ground.size / 2.0**d,
        num_qubits=d,
        ground_state_degeneracy=int(ground.size),
        num_reads=int(num_reads),
        device=str(noisy.info["device"]),
        transpiled_depth=int(noisy.info["transpiled_depth"]),
        two_qubit_gate_count=int(noisy.info["two_qubit_gate_count"]),
    )
