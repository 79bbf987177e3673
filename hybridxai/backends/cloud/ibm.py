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
from hybridxai.anneal.ising import basis_energies, dense_qubo
from hybridxai.anneal.schedules import ScheduleLike, as_schedule, check_anneal_parameters
from hybridxai.anneal.spec import DriverScale, ground_fidelity
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

_LONG_SECRET = re.compile(r"[A-Za-z0-9_\-]{40,}")


def _redact(text: str, secrets: tuple[str | None, ...] = ()) -> str:
    """Remove API keys from ``text`` (the known ones, and any long key-like string)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _LONG_SECRET.sub("***", text)


def _root_cause(exc: BaseException) -> BaseException:
    root, seen = exc, {id(exc)}
    while (nxt := root.__cause__ or root.__context__) is not None and id(nxt) not in seen:
        seen.add(id(nxt))
        root = nxt
    return root


def _is_network_error(exc: BaseException) -> bool:
    requests_exc = import_optional("requests.exceptions", "ibm", "the 'ibm-runtime' backend")
    node: BaseException | None = exc
    seen: set[int] = set()
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        if isinstance(node, (requests_exc.ConnectionError, requests_exc.Timeout, socket.gaierror,
                             ConnectionError, TimeoutError)):
            return True
        node = node.__cause__ or node.__context__
    return False


def _describe(exc: BaseException, secrets: tuple[str | None, ...]) -> str:
    text = f"{type(exc).__name__}: {exc}"
    root = _root_cause(exc)
    if root is not exc:
        text += f"; caused by {type(root).__name__}: {root}"
    text = _redact(text, secrets)
    return text if len(text) <= 300 else text[:297] + "..."


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


class _RuntimeAccount:
    """IBM Quantum credentials, checked locally; the service is created on demand."""

    def __init__(self, *, token: str | None, channel: str | None, instance: str | None,
                 account_name: str | None, account_file: str | os.PathLike[str] | None,
                 connect_timeout: float, url: str | None = None) -> None:
        if token is not None and not isinstance(token, str):
            raise invalid_type("token", "***", "a string (your IBM Quantum API key)",
                               "pass token='...' or save an account")
        if not (isinstance(connect_timeout, (int, float)) and connect_timeout > 0):
            raise invalid_argument("connect_timeout", connect_timeout, "must be a positive number",
                                   "pass e.g. connect_timeout=5")
        self.token = token
        self.channel = channel
        self.instance = instance
        self.account_name = account_name
        self.url = url
        # resolved now (not at import time) so HOME changes are honoured
        self.account_file = os.fspath(account_file) if account_file else os.path.join(
            os.path.expanduser("~"), ".qiskit", "qiskit-ibm.json")
        self.connect_timeout = float(connect_timeout)
        self._found_token: str | None = None
        self._url: str | None = None
        self._proxies = False

    @property
    def secrets(self) -> tuple[str | None, ...]:
        return (self.token, self._found_token)

    def check(self) -> None:
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
                "backend 'ibm-runtime': no usable IBM Quantum account was found (looked at "
                f"token=, QISKIT_IBM_TOKEN and {self.account_file!r}"
                + (f", account name {self.account_name!r}" if self.account_name else "")
                + f"; {_describe(exc, self.secrets)}). " + _HOW_TO_CONFIGURE
            ) from None
        self._found_token = getattr(account, "token", None)
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
        self.check()
        self._preflight()
        kwargs = {k: v for k, v in dict(channel=self.channel, token=self.token, url=self.url,
                                        instance=self.instance, name=self.account_name,
                                        filename=self.account_file).items() if v}
        try:
            return runtime.QiskitRuntimeService(**kwargs)
        except Exception as exc:
            raise self.translate(exc) from None

    def translate(self, exc: BaseException) -> Exception:
        """ServiceUnavailableError for network failures, ConfigurationError for the rest."""
        reason = _describe(exc, self.secrets)
        if _is_network_error(exc):
            return ServiceUnavailableError(
                f"backend 'ibm-runtime': the IBM Quantum API cannot be reached ({reason}). Fix: "
                "check the network connection and proxy settings; or pass "
                "backend='fake_manila' to run offline."
            )
        return ConfigurationError(
            f"backend 'ibm-runtime': the IBM Quantum account was rejected or is incomplete "
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
        account = _RuntimeAccount(token=None, channel=None, instance=None, account_name=None,
                                  account_file=None, connect_timeout=5.0)
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
            f"is not available to this account ({_describe(exc, account.secrets)})",
            "pass a name from QiskitRuntimeService().backends(), or backend='fake_manila'",
        ) from None


# -- circuits and counts ---------------------------------------------------------------------
def _check_positive_int(name: str, value: Any, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise invalid_type(name, value, "a positive integer", f"pass e.g. {example}")
    if value < 1:
        raise invalid_argument(name, value, "must be at least 1", f"pass e.g. {example}")
    return int(value)


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


class IBMRuntimeAnnealingSampler(dimod.Sampler):
    """Digitized quantum annealing on an IBM Quantum device (or a fake one) via SamplerV2.

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
        total_time: Default anneal time ``T``.
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
        if optimization_level not in (0, 1, 2, 3):
            raise invalid_argument("optimization_level", optimization_level, "must be 0, 1, 2 or 3",
                                   "pass optimization_level=1")
        _check_positive_int("num_steps", num_steps, "num_steps=4 (hardware needs shallow circuits)")
        check_anneal_parameters(total_time, num_steps, order)
        self.defaults: dict[str, Any] = dict(
            total_time=float(total_time), num_steps=_check_positive_int("num_steps", num_steps,
                                                                        "num_steps=4"),
            schedule=schedule, order=order, driver_scale=driver_scale,
            num_reads=_check_positive_int("num_reads", num_reads, "num_reads=1000"), seed=seed,
        )
        as_schedule(schedule)
        self.optimization_level = int(optimization_level)
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
            self._account.check()  # fail fast, locally, when no account is configured
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

    @property
    def parameters(self) -> dict[str, list[Any]]:
        """Keyword arguments accepted by :meth:`sample`."""
        return {"total_time": [], "num_steps": [], "schedule": [], "order": [],
                "driver_scale": [], "num_reads": [], "seed": [], "optimization_level": []}

    @property
    def properties(self) -> dict[str, Any]:
        """``backend`` kind, the device name and its qubit count (resolves the backend)."""
        b = self.backend
        return {"backend": self.backend_name, "device": getattr(b, "name", str(b)),
                "num_qubits": int(getattr(b, "num_qubits", 0) or 0), "local": _is_local(b)}

    def check_options(self, **options: Any) -> dict[str, Any]:
        """The pre-flight check: validate :meth:`sample`'s options without building a circuit.

        Returns:
            The resolved options.

        Raises:
            InvalidArgumentError: An unknown option or a bad value.
        """
        unknown = sorted(set(options) - set(self.parameters))
        if unknown:
            raise invalid_argument(unknown[0], options[unknown[0]],
                                   f"is not a parameter of the '{self.backend_name}' backend",
                                   f"use some of {sorted(self.parameters)}")
        return self._params(options)

    def _params(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        params = dict(self.defaults)
        params.update({k: v for k, v in overrides.items() if v is not None})
        params["num_steps"] = _check_positive_int("num_steps", params["num_steps"], "num_steps=4")
        params["num_reads"] = _check_positive_int("num_reads", params["num_reads"],
                                                  "num_reads=1000")
        level = params.pop("optimization_level", None)
        params["optimization_level"] = self.optimization_level if level is None else level
        if params["optimization_level"] not in (0, 1, 2, 3):
            raise invalid_argument("optimization_level", params["optimization_level"],
                                   "must be 0, 1, 2 or 3", "pass optimization_level=1")
        return params

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
        return self._transpile(bqm, self._params(overrides))

    def _transpile(self, bqm: dimod.BinaryQuadraticModel, params: Mapping[str, Any]) -> Any:
        circuits = import_optional("hybridxai.circuits.qiskit_circuit", "ibm",
                                   "the 'ibm-runtime' backend")
        transpiler = import_optional("qiskit.transpiler", "ibm", "the 'ibm-runtime' backend")
        backend = self.backend
        d = bqm.num_variables
        capacity = int(getattr(backend, "num_qubits", 0) or 0)
        if capacity and d > capacity:
            raise ProblemTooLargeError(
                f"num_qubits={d} is too large for backend {getattr(backend, 'name', backend)!r}, "
                f"which has {capacity} qubits. Fix: pass max_qubits={capacity} (or fewer) to "
                "hybridxai.explain(), or choose a larger device."
            )
        circuit = circuits.annealing_circuit(
            bqm, params["total_time"], params["num_steps"], schedule=params["schedule"],
            order=params["order"], driver_scale=params["driver_scale"], measure=True)
        pm = transpiler.generate_preset_pass_manager(
            optimization_level=params["optimization_level"], backend=backend,
            seed_transpiler=params["seed"])
        return pm.run(circuit)

    def sample(
        self,
        bqm: dimod.BinaryQuadraticModel,
        *,
        total_time: float | None = None,
        num_steps: int | None = None,
        schedule: ScheduleLike = None,
        order: int | None = None,
        driver_scale: DriverScale | None = None,
        num_reads: int | None = None,
        seed: int | None = None,
        optimization_level: int | None = None,
    ) -> dimod.SampleSet:
        """Run the annealing circuit for ``bqm`` and return the shots as a SampleSet.

        Args:
            bqm: BINARY or SPIN model; samples come back in its vartype and labels.
            total_time: ``T``.
            num_steps: Trotter steps ``M`` (depth grows linearly with it).
            schedule: ``"linear"``, a callable ``s(u)`` or ``(times, values)``.
            order: Trotter order 1 or 2.
            driver_scale: ``"unit"``, ``"1/d"`` or a number.
            num_reads: Shots.
            seed: Transpiler seed; on local simulators also the shot seed.
            optimization_level: Preset pass-manager level 0–3.

        Returns:
            A ``dimod.SampleSet`` of the distinct measured states with ``num_occurrences`` and
            energies of ``bqm`` (offset included). ``info``: ``device``, ``transpiled_depth``,
            ``two_qubit_gate_count``, ``operations``, ``layout`` (physical qubit of each
            variable), ``ground_state_probability`` (fraction of shots in the exact ground
            manifold; ``None`` above 24 variables), ``ground_energy``,
            ``ground_state_degeneracy``, the anneal parameters, ``job_id``,
            ``runtime_usage`` (as reported by the service) and ``timing`` (``*_ns``).

        Raises:
            ProblemTooLargeError: More variables than device qubits.
            ConfigurationError / ServiceUnavailableError: Account or network problems.
        """
        if not isinstance(bqm, dimod.BinaryQuadraticModel):
            raise invalid_type("bqm", bqm, "a dimod.BinaryQuadraticModel",
                               "build one with hybridxai.build_qubo(...).bqm or dimod")
        params = self._params(dict(total_time=total_time, num_steps=num_steps, schedule=schedule,
                                   order=order, driver_scale=driver_scale, num_reads=num_reads,
                                   seed=seed, optimization_level=optimization_level))
        qubo = dense_qubo(bqm)
        d = qubo.num_variables
        if d == 0:
            return dimod.SampleSet.from_samples(
                (np.zeros((1, 0), dtype=np.int8), []), vartype=bqm.vartype,
                energy=[qubo.offset], num_occurrences=[params["num_reads"]],
                info={"backend": self.backend_name, "num_qubits": 0, "transpiled_depth": 0,
                      "two_qubit_gate_count": 0, "ground_state_probability": 1.0,
                      "num_reads": params["num_reads"], "timing": {}})
        t0 = time.perf_counter_ns()
        isa = self._transpile(bqm, params)
        t1 = time.perf_counter_ns()
        backend = self.backend
        local = _is_local(backend)
        try:
            sampler = _sampler_v2(backend)
            sampler.options.default_shots = params["num_reads"]
            if local and params["seed"] is not None:
                sampler.options.simulator.seed_simulator = int(params["seed"])
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
        energies = qubo.energies(bits)
        order_ = np.argsort(energies, kind="stable")
        bits, occurrences, energies = bits[order_], occurrences[order_], energies[order_]
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
        samples = 2 * bits - 1 if bqm.vartype is dimod.SPIN else bits
        usage = None
        try:
            usage = job.metrics().get("usage")
        except Exception:  # noqa: BLE001 - metrics are informative only
            usage = None
        layout = None
        if isa.layout is not None:
            physical = isa.layout.final_index_layout()
            layout = {v: int(physical[i]) for i, v in enumerate(qubo.variables)}
        info = {
            "backend": self.backend_name,
            "device": getattr(backend, "name", str(backend)),
            "local": local,
            "num_qubits": d,
            "transpiled_depth": int(isa.depth()),
            "two_qubit_gate_count": _two_qubit_count(isa),
            "operations": {str(k): int(v) for k, v in isa.count_ops().items()},
            "layout": layout,
            "ground_state_probability": ground_p,
            "ground_energy": ground_e,
            "ground_state_degeneracy": degeneracy,
            "total_time": float(params["total_time"]),
            "num_steps": int(params["num_steps"]),
            "order": int(params["order"]),
            "driver_scale": params["driver_scale"],
            "schedule": as_schedule(params["schedule"]).name,
            "num_reads": int(params["num_reads"]),
            "seed": params["seed"],
            "optimization_level": int(params["optimization_level"]),
            "job_id": str(job.job_id()),
            "runtime_usage": usage,
            "timing": {"preprocessing_ns": t1 - t0, "sampling_ns": t2 - t1,
                       "postprocessing_ns": time.perf_counter_ns() - t2},
        }
        return dimod.SampleSet.from_samples((samples, list(qubo.variables)), vartype=bqm.vartype,
                                            energy=energies, num_occurrences=occurrences,
                                            info=info)


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
