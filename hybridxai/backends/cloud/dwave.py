"""D-Wave backends: a quantum annealer through Ocean, and the Leap hybrid BQM solver.

:class:`DWaveAnnealingSampler` is ``EmbeddingComposite(DWaveSampler(**config))`` built on first
use, with three additions: it fails fast and clearly when Leap is not configured or cannot be
reached, it saves the raw solver answer to disk before any post-processing (unembedding), and
it reports timing, chain breaks, the embedding and the chain strength in ``SampleSet.info``.
:class:`LeapHybridBQMSampler` does the same for ``dwave.system.LeapHybridSampler``, the solver
to use for the 512-feature-map problems that do not fit on a QPU.

Credentials are read the usual Ocean way (highest priority first): the ``token=`` argument, the
``DWAVE_API_TOKEN`` environment variable, the ``dwave.conf`` file written by
``dwave config create`` (or the file named by ``DWAVE_CONFIG_FILE``). A missing token is
detected locally, before any network call. The token is never stored in results, and is
replaced by ``***`` in every error message raised here.

Anneal schedules: an ``anneal_schedule=`` list is checked against the solver's published limits
before anything is sent (:func:`~hybridxai.backends.cloud.qpu_schedule.check_anneal_schedule`),
and ``schedule="local-adiabatic"`` (or any schedule of :mod:`hybridxai.anneal.schedules`) is turned
into a piecewise-linear ``anneal_schedule`` within those limits, built from the problem's gap
profile (:func:`~hybridxai.backends.cloud.qpu_schedule.qpu_schedule`).

Testing without hardware: pass any structured sampler as ``child``, e.g.
``dwave.system.testing.MockDWaveSampler()``.

Example:
    >>> import dimod
    >>> from dwave.system.testing import MockDWaveSampler
    >>> sampler = DWaveAnnealingSampler(child=MockDWaveSampler(), num_reads=10)
    >>> bqm = dimod.BinaryQuadraticModel({0: -1.0, 1: -1.0}, {(0, 1): 3.0}, 0.0, "BINARY")
    >>> float(sampler.sample(bqm, seed=1).first.energy)
    -1.0
"""

from __future__ import annotations

import functools
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import dimod
import numpy as np

from hybridxai._util.optional import import_optional
from hybridxai.anneal.schedules import Schedule, ScheduleLike, as_schedule, check_schedule
from hybridxai.backends.base import BaseSampler
from hybridxai.backends.cloud.connection import (
    LEAP_TOKEN,
    Credentials,
    RemoteSampler,
    is_network_error,
)
from hybridxai.backends.cloud.qpu_schedule import check_anneal_schedule, qpu_schedule
from hybridxai.exceptions import (
    ConfigurationError,
    ServiceUnavailableError,
    invalid_argument,
    invalid_type,
)

__all__ = [
    "DWaveAnnealingSampler",
    "LeapHybridBQMSampler",
    "DEFAULT_CHAIN_STRENGTH_PREFACTOR",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_HTTP_RETRIES",
    "default_raw_results_dir",
    "load_raw_result",
]

logger = logging.getLogger(__name__)

DEFAULT_CHAIN_STRENGTH_PREFACTOR = 1.414
"""Prefactor of Ocean's ``uniform_torque_compensation``, the default chain strength."""

DEFAULT_CONNECT_TIMEOUT = 5.0
"""Seconds to wait for a TCP connection to the Leap API (the read timeout stays at 60 s)."""

DEFAULT_HTTP_RETRIES = 2
"""Retries of a failed HTTP request (Ocean's own default is 10, which hides outages)."""

_HOW_TO_CONFIGURE = (
    "Fix: run `dwave config create` (or `dwave setup`) and paste your Leap API token, or set the "
    "DWAVE_API_TOKEN environment variable, or pass token=... to the sampler. Your token is on "
    "the Leap dashboard (https://cloud.dwavesys.com/leap/). To run without hardware, pass "
    "child=dwave.system.testing.MockDWaveSampler()."
)

def default_raw_results_dir() -> Path:
    """Where raw remote results go by default: ``$XDG_CACHE_HOME/hybridxai/raw-results``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hybridxai" / "raw-results"


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return repr(obj)


def _save_raw(
    directory: Path, prefix: str, sampleset: dimod.SampleSet, extra: Mapping[str, Any]
) -> Path:
    """Write a resolved sample set (and context) as JSON; return the file path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = directory / f"{prefix}-{stamp}-{uuid.uuid4().hex[:8]}.json"
    payload = {"sampleset": sampleset.to_serializable(), **extra}
    tmp = path.with_suffix(".json.part")
    tmp.write_text(json.dumps(payload, default=_json_default), encoding="utf-8")
    tmp.replace(path)
    return path


def load_raw_result(path: str | os.PathLike[str]) -> tuple[dimod.SampleSet, dict[str, Any]]:
    """Read back a file written by ``raw_results_dir=``.

    Args:
        path: The JSON file.

    Returns:
        ``(sampleset, context)``: the raw solver sample set (for the QPU, on physical qubits,
        before unembedding) and the rest of the saved record (``embedding`` as
        ``[[variable, [qubits…]], …]``, ``source_bqm``, ``solver``, ``parameters``).
    """
    payload = json.loads(Path(path).read_text(encoding="utf-8"))
    sampleset = dimod.SampleSet.from_serializable(payload.pop("sampleset"))
    if payload.get("source_bqm") is not None:
        payload["source_bqm"] = dimod.BinaryQuadraticModel.from_serializable(payload["source_bqm"])
    return sampleset, payload


def _ocean_errors() -> dict[str, Any]:
    """Import the Ocean exception classes that are translated here (lazily)."""
    cloud_exc = import_optional("dwave.cloud.exceptions", "dwave", "hybridxai's D-Wave support")
    config_exc = import_optional("dwave.cloud.config.exceptions", "dwave", "hybridxai's D-Wave support")
    requests_exc = import_optional("requests.exceptions", "dwave", "hybridxai's D-Wave support")
    return {"cloud": cloud_exc, "config": config_exc, "requests": requests_exc}


class _LeapCredentials(Credentials):
    """Ocean client configuration with a local check for the token (no network)."""

    service_name = "Leap"
    token_variable = "DWAVE_API_TOKEN"
    token_pattern = LEAP_TOKEN

    def __init__(
        self,
        *,
        token: str | None = None,
        endpoint: str | None = None,
        solver: str | Mapping[str, Any] | None = None,
        region: str | None = None,
        profile: str | None = None,
        config_file: str | os.PathLike[str] | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        http_retries: int = DEFAULT_HTTP_RETRIES,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(token=token, connect_timeout=connect_timeout)
        if isinstance(http_retries, bool) or not isinstance(http_retries, int) or http_retries < 0:
            raise invalid_argument("http_retries", http_retries, "must be an integer >= 0",
                                   f"pass e.g. http_retries={DEFAULT_HTTP_RETRIES}")
        self.kwargs: dict[str, Any] = {
            k: v for k, v in dict(token=token, endpoint=endpoint, solver=solver, region=region,
                                  profile=profile,
                                  config_file=os.fspath(config_file) if config_file else None,
                                  **(extra or {})).items()
            if v is not None
        }
        self.http_retries = int(http_retries)

    def lookup(self, what: str) -> dict[str, Any]:
        """Load file/env/kwargs config locally; fail if no token; return kwargs for Ocean."""
        loaders = import_optional("dwave.cloud.config", "dwave", "hybridxai's D-Wave support")
        kwargs = dict(self.kwargs)
        file_kwargs = {k: kwargs.pop(k) for k in ("config_file", "profile") if k in kwargs}
        with self.translated(what):
            try:
                loaded = loaders.load_config(**file_kwargs, **kwargs)
            except ValueError as exc:  # unknown profile
                raise ConfigurationError(
                    f"{what}: profile={file_kwargs.get('profile')!r} is invalid ({exc}). Fix: pass "
                    "an existing profile name, or run `dwave config create --profile NAME`."
                ) from None
        token = loaded.get("token")
        if not token:
            raise ConfigurationError(
                f"{what}: no Leap API token is configured (looked at token=, DWAVE_API_TOKEN and "
                "the dwave.conf file"
                + (f" {file_kwargs['config_file']!r}" if "config_file" in file_kwargs else "")
                + "). " + _HOW_TO_CONFIGURE
            )
        self.found_token = str(token)
        # short connection timeout and few retries, unless configured explicitly
        if "request_timeout" not in loaded:
            kwargs["request_timeout"] = (self.connect_timeout, 60.0)
        if "http_retry_total" not in loaded:
            kwargs["http_retry_total"] = self.http_retries
        return {**file_kwargs, **kwargs}

    def translate(self, exc: BaseException, what: str) -> BaseException:
        """Map an Ocean/requests exception to ConfigurationError / ServiceUnavailableError."""
        errors = _ocean_errors()
        cloud, config, req = errors["cloud"], errors["config"], errors["requests"]
        reason = self.describe(exc)
        if isinstance(exc, cloud.SolverAuthenticationError):
            return ConfigurationError(
                f"{what}: token=*** was rejected by the Leap API (invalid or revoked token; {reason}). "
                + _HOW_TO_CONFIGURE
            )
        if isinstance(exc, cloud.SolverNotFoundError):
            return ConfigurationError(
                f"{what}: no solver matches the configured solver selection ({reason}). Fix: check "
                "the solver= argument / DWAVE_API_SOLVER / the 'solver' line of dwave.conf, and list "
                "the solvers your account can use with `dwave solvers`."
            )
        if isinstance(exc, config.ConfigFileError):
            return ConfigurationError(
                f"{what}: the D-Wave configuration file could not be read ({reason}). Fix: check "
                "DWAVE_CONFIG_FILE / config_file=, or recreate it with `dwave config create`."
            )
        if isinstance(exc, ValueError) and "token" in str(exc).lower():
            return ConfigurationError(f"{what}: no Leap API token is configured ({reason}). "
                                      + _HOW_TO_CONFIGURE)
        if is_network_error(exc, (req.RequestException, cloud.PollingTimeout)):
            return ServiceUnavailableError(
                f"{what}: the Leap API cannot be reached ({reason}). Fix: check the network "
                "connection, proxy (DWAVE_API_PROXY) and endpoint/region settings, and the status "
                "page https://status.dwavesys.com; or pass child=MockDWaveSampler() to test offline."
            )
        return exc


def _timing_info(remote: Mapping[str, Any] | None, local_ns: Mapping[str, int]) -> dict[str, Any]:
    """Solver timing (µs, keys suffixed ``_us``) plus our wall-clock timings (``_ns``).

    Solver keys that already end in ``_ns`` (local stand-ins such as the mocks) are left out
    here, so the ``*_ns`` keys are always ours; they stay in the raw ``qpu_timing``.
    """
    timing: dict[str, Any] = {}
    for key, value in (remote or {}).items():
        if not key.endswith("_ns"):
            timing[key if key.endswith("_us") else f"{key}_us"] = value
    timing.update(local_ns)
    return timing


def _solver_name(sampler: Any) -> str | None:
    solver = getattr(sampler, "solver", None)
    name = getattr(solver, "name", None)
    if isinstance(name, str):
        return name
    try:
        props = sampler.properties
    except Exception:  # noqa: BLE001 - properties of an arbitrary child
        return type(sampler).__name__
    chip = props.get("chip_id") if isinstance(props, Mapping) else None
    return str(chip) if chip else type(sampler).__name__


def _weighted_mean(sampleset: dimod.SampleSet, field: str) -> float | None:
    if field not in sampleset.record.dtype.names or len(sampleset) == 0:
        return None
    values = np.asarray(sampleset.record[field], dtype=np.float64)
    weights = np.asarray(sampleset.record.num_occurrences, dtype=np.float64)
    return float(np.average(values, weights=weights)) if weights.sum() > 0 else float(values.mean())


ChainStrength = float | Callable[..., float] | None


def _check_chain_strength(value: Any) -> ChainStrength:
    if value is None or callable(value):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise invalid_type("chain_strength", value, "a positive number, a callable "
                           "f(bqm, embedding) -> float, or None",
                           "pass e.g. chain_strength=2.0, or None for uniform torque compensation")
    if not np.isfinite(value) or value <= 0:
        raise invalid_argument("chain_strength", value, "must be positive and finite",
                               "pass e.g. chain_strength=2.0, or None for the default")
    return float(value)


class _RecordingChild(dimod.ComposedSampler, dimod.Structured):
    """Structured pass-through that saves the raw answer right after it resolves.

    It sits between ``EmbeddingComposite`` and the QPU sampler, so the physical-qubit answer is
    written to disk before unembedding, and it measures the wall-clock sampling time.
    """

    def __init__(self, child: dimod.Sampler, record: dict[str, Any], save: Callable[..., Any],
                 seed: int | None, translate: Callable[[], Any]) -> None:
        self._child = child
        self._record = record
        self._save = save
        self._seed = seed
        self._translate = translate

    @property
    def children(self) -> list[dimod.Sampler]:
        return [self._child]

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self._child.parameters)

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self._child.properties)

    @property
    def nodelist(self) -> list[Any]:
        return list(self._child.nodelist)

    @property
    def edgelist(self) -> list[tuple[Any, Any]]:
        return list(self._child.edgelist)

    def _mock_seed(self) -> dict[str, Any] | None:
        """For MockDWaveSampler-like children: substitute_kwargs with the seed, else None."""
        sub_kwargs = getattr(self._child, "substitute_kwargs", None)
        sub_sampler = getattr(self._child, "substitute_sampler", None)
        if self._seed is None or not isinstance(sub_kwargs, dict) or sub_sampler is None:
            return None
        if "seed" not in getattr(sub_sampler, "parameters", {}):
            return None
        return {**sub_kwargs, "seed": self._seed}

    def sample(self, bqm: dimod.BinaryQuadraticModel, **parameters: Any) -> dimod.SampleSet:
        t0 = time.perf_counter_ns()
        seeded = self._mock_seed()
        original = getattr(self._child, "substitute_kwargs", None)
        with self._translate():
            if seeded is not None:
                self._child.substitute_kwargs = seeded
            try:
                response = self._child.sample(bqm, **parameters)
            finally:
                if seeded is not None:
                    self._child.substitute_kwargs = original

        def resolve(response: dimod.SampleSet) -> dimod.SampleSet:
            with self._translate():
                response.resolve()
            self._record["remote_ns"] = time.perf_counter_ns() - t0
            self._record["raw_path"] = self._save(response)
            return response

        return dimod.SampleSet.from_future(response, resolve)


class _LeapClientSampler(RemoteSampler, BaseSampler):
    """What the Leap-backed samplers share: cloud configuration, the lazy child, raw results.

    Subclasses set :attr:`backend_name` and :attr:`_ocean_sampler` (the ``dwave.system`` class
    built on first use), check their own arguments, then call :meth:`_setup_client`. Options
    they do not declare go to the solver, which validates them.
    """

    forwards_unknown_options = True

    backend_name: str
    _ocean_sampler: str
    _raw_label: str
    """How log messages name a raw result (e.g. ``"D-Wave"``)."""

    @staticmethod
    def _check_child(child: dimod.Sampler | None, token: str | None,
                     client_config: Mapping[str, Any], why: str) -> None:
        """Reject a ``child`` given together with the Leap configuration it would replace."""
        if child is not None and (token is not None or client_config):
            raise invalid_argument("child", child, "cannot be combined with token= or client "
                                   f"options{why}", "pass either child= or the Leap configuration")

    def _setup_client(
        self,
        child: dimod.Sampler | None,
        raw_results_dir: str | os.PathLike[str] | None,
        **config: Any,
    ) -> None:
        """Keep ``child``, or check the Leap configuration locally; choose ``raw_results_dir``.

        Args:
            child: The given sampler, or ``None`` to build :attr:`_ocean_sampler` on first use.
            raw_results_dir: ``"auto"``, ``None`` or a path (see :class:`DWaveAnnealingSampler`).
            **config: The :class:`_LeapCredentials` arguments (looked up only without ``child``).

        Raises:
            ConfigurationError: If no token is configured (and no ``child`` is given).
        """
        self._child = child
        self._owns_child = child is None
        self._credentials = _LeapCredentials(**config)
        if child is None:
            self._client_kwargs = self._credentials.lookup(self._what)
        if raw_results_dir == "auto":
            self.raw_results_dir = default_raw_results_dir() if child is None else None
        else:
            self.raw_results_dir = Path(raw_results_dir) if raw_results_dir is not None else None

    # -- lazy child ------------------------------------------------------------------------
    @property
    def _what(self) -> str:
        return f"backend '{self.backend_name}'"

    def _translate(self) -> Any:
        return self._credentials.translated(self._what)

    @property
    def child(self) -> dimod.Sampler:
        """The Ocean sampler (built on first access), or the given child."""
        if self._child is None:
            system = import_optional("dwave.system", "dwave", f"the '{self.backend_name}' backend")
            with self._translate():
                self._child = getattr(system, self._ocean_sampler)(**self._client_kwargs)
        return self._child

    def _release(self) -> None:
        """Close the cloud client if this sampler created it (a given ``child`` is left open)."""
        if self._owns_child and self._child is not None:
            close = getattr(self._child, "close", None)
            if callable(close):
                close()
            self._child = None

    @property
    def properties(self) -> dict[str, Any]:
        """``backend``, ``solver`` and the solver's own properties (connects on first use)."""
        child = self.child
        return {**super().properties, "solver": _solver_name(child),
                "child_properties": dict(child.properties)}

    def _save_raw_result(self, sampleset: dimod.SampleSet,
                         extra: Callable[[], Mapping[str, Any]]) -> str | None:
        """Save ``sampleset`` and ``extra()`` under :attr:`raw_results_dir`, if set.

        Returns:
            The file path, or ``None`` if nothing was saved (a failure only logs a warning).
        """
        if self.raw_results_dir is None:
            return None
        try:
            return str(_save_raw(self.raw_results_dir, self.backend_name, sampleset, extra()))
        except (OSError, TypeError, ValueError) as exc:
            logger.warning("could not save the raw %s result to %s: %s", self._raw_label,
                           self.raw_results_dir, exc)
            return None


class DWaveAnnealingSampler(_LeapClientSampler):
    """A D-Wave quantum annealer (``EmbeddingComposite(DWaveSampler(**config))``), built lazily.

    Nothing touches the network in the constructor: it only checks, locally, that a Leap API
    token is configured. The QPU client is created on first use (:meth:`sample`,
    :attr:`properties`, :attr:`child`), with a short connection timeout and few retries, so a
    missing network or a rejected token fails within seconds with a clear message.

    Args:
        child: Any structured ``dimod`` sampler to use in place of ``DWaveSampler``, e.g.
            ``dwave.system.testing.MockDWaveSampler()`` for offline tests. When given, no
            credentials are needed or read.
        token: Leap API token (default: ``DWAVE_API_TOKEN`` or the dwave.conf file).
        endpoint: Solver API endpoint URL (default: from config/region).
        solver: Solver name or feature filter, e.g. ``"Advantage_system4.1"`` or
            ``{"topology__type": "zephyr"}`` (default: the QPU with most active qubits).
        region: Leap region code, e.g. ``"na-west-1"``.
        profile: Profile (section) of the dwave.conf file.
        config_file: Path of the dwave.conf file to read.
        num_reads: Default number of anneal-readout cycles per problem.
        annealing_time: Default anneal duration in µs (``None``: the solver's default, 20 µs on
            Advantage systems).
        schedule: Default schedule (``None``: the QPU's own linear one; see :meth:`sample`).
        chain_strength: Default chain strength: a number, a callable ``f(bqm, embedding)``, or
            ``None`` for ``uniform_torque_compensation(prefactor=1.414)``, Ocean's default (RMS
            of the problem's couplings times the square root of the average degree, times
            1.414).
        embedding_parameters: Keyword arguments for ``minorminer.find_embedding`` (e.g.
            ``{"timeout": 10}``).
        raw_results_dir: Directory where each resolved solver answer is saved as JSON before
            unembedding. ``"auto"`` (default): :func:`default_raw_results_dir` for the real QPU,
            nothing for a user-supplied ``child``; ``None``: never save; a path: always save.
        connect_timeout: TCP connect timeout in seconds for Leap API requests (ignored if
            ``request_timeout`` is configured explicitly).
        http_retries: Retries of a failed HTTP request (ignored if ``http_retry_total`` is
            configured explicitly).
        **client_config: Further ``DWaveSampler`` / ``dwave.cloud.Client`` options
            (``proxy=``, ``request_timeout=``, …).

    Raises:
        ConfigurationError: If no token is configured (and no ``child`` is given).
    """

    backend_name = "dwave"
    _ocean_sampler = "DWaveSampler"
    _raw_label = "D-Wave"

    def __init__(
        self,
        *,
        child: dimod.Sampler | None = None,
        token: str | None = None,
        endpoint: str | None = None,
        solver: str | Mapping[str, Any] | None = None,
        region: str | None = None,
        profile: str | None = None,
        config_file: str | os.PathLike[str] | None = None,
        num_reads: int = 100,
        annealing_time: float | None = None,
        chain_strength: ChainStrength = None,
        schedule: ScheduleLike = None,
        embedding_parameters: Mapping[str, Any] | None = None,
        raw_results_dir: str | os.PathLike[str] | None = "auto",
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        http_retries: int = DEFAULT_HTTP_RETRIES,
        **client_config: Any,
    ) -> None:
        if child is not None and (not isinstance(child, dimod.Sampler)
                                  or not isinstance(child, dimod.Structured)):
            raise invalid_type("child", child, "a structured dimod.Sampler (with nodelist "
                               "and edgelist), such as DWaveSampler or MockDWaveSampler",
                               "pass child=dwave.system.testing.MockDWaveSampler()")
        self._check_child(child, token, client_config,
                          " (they configure the DWaveSampler it replaces)")
        super().__init__(num_reads=num_reads, annealing_time=annealing_time,
                         chain_strength=_check_chain_strength(chain_strength), schedule=schedule)
        if schedule is not None:
            check_schedule(schedule)
        self.defaults = self.check_options()
        self.embedding_parameters = dict(embedding_parameters or {})
        self._setup_client(
            child, raw_results_dir, token=token, endpoint=endpoint, solver=solver, region=region,
            profile=profile, config_file=config_file, connect_timeout=connect_timeout,
            http_retries=http_retries, extra=client_config)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(child={type(self._child).__name__ if self._child else None}"
                f", num_reads={self.defaults['num_reads']})")

    # -- dimod API -------------------------------------------------------------------------
    @property
    def parameters(self) -> dict[str, list[Any]]:
        """Keyword arguments of :meth:`sample`; other solver parameters are passed through."""
        return {"num_reads": [], "annealing_time": [], "chain_strength": [], "seed": [],
                "return_embedding": [], "chain_break_method": [], "embedding_parameters": [],
                "label": [], "schedule": [], "anneal_schedule": []}

    def _save(self, response: dimod.SampleSet, context: dict[str, Any]) -> str | None:
        return self._save_raw_result(response, lambda: {
            "solver": context["solver"],
            "parameters": context["parameters"],
            "embedding": [[v, list(chain)] for v, chain in context["embedding"].items()],
            "source_bqm": context["bqm"].to_serializable(),
        })

    def _resolve_options(self, options: dict[str, Any],
                         bqm: dimod.BinaryQuadraticModel | None) -> dict[str, Any]:
        """``num_reads``, ``chain_strength``, ``schedule`` and ``anneal_schedule`` are checked here.

        ``anneal_schedule`` is checked against the solver's properties (for the real QPU this
        fetches them, but submits nothing); the QPU checks the other solver parameters itself.
        """
        options["num_reads"] = int(options["num_reads"])
        options["chain_strength"] = _check_chain_strength(options["chain_strength"])
        schedule = options.get("schedule")
        if schedule is not None:
            schedule = options["schedule"] = check_schedule(schedule)
        given = options.get("anneal_schedule")
        if given is not None:
            if schedule is not None and not (isinstance(schedule, Schedule) and schedule.name == "linear"):
                raise invalid_argument("anneal_schedule", given, f"cannot be combined with "
                                       f"schedule={schedule.name!r}",
                                       "pass either an explicit anneal_schedule or schedule=")
            if options.get("annealing_time") is not None:
                raise invalid_argument("annealing_time", options["annealing_time"],
                                       "cannot be combined with anneal_schedule (its last point's t is "
                                       "the anneal time)",
                                       "leave annealing_time unset (here and in the constructor) when "
                                       "passing anneal_schedule")
            with self._translate():
                properties = self.child.properties
            options["anneal_schedule"] = check_anneal_schedule(
                given, properties, initial_state=options.get("initial_state"))
        return options

    def sample(
        self,
        bqm: dimod.BinaryQuadraticModel,
        *,
        num_reads: int | None = None,
        annealing_time: float | None = None,
        chain_strength: ChainStrength = None,
        seed: int | None = None,
        schedule: ScheduleLike = None,
        return_embedding: bool = True,
        chain_break_method: Callable[..., Any] | None = None,
        embedding_parameters: Mapping[str, Any] | None = None,
        **solver_parameters: Any,
    ) -> dimod.SampleSet:
        """Embed ``bqm`` on the QPU, anneal, unembed.

        Args:
            bqm: The problem, BINARY or SPIN; the samples come back in its vartype and labels.
            num_reads: Anneal-readout cycles (default: the constructor's, 100).
            annealing_time: Anneal duration in µs (default: the solver's).
            chain_strength: Overrides the constructor's (see there).
            seed: Seeds the embedding search (``minorminer``'s ``random_seed``) and, for a
                ``MockDWaveSampler`` child, its substitute sampler. QPU samples are not
                seedable.
            schedule: ``None`` or ``"linear"`` (the QPU's own linear anneal), or any schedule of
                :func:`hybridxai.anneal.schedules.as_schedule`: ``"local-adiabatic"`` (gap-aware,
                built from the gap profile of ``bqm``; see
                :class:`~hybridxai.anneal.schedules.ProblemSchedule`), ``("pause", s_p,
                fraction)``, a callable ``s(u)`` or samples. It is sent as a piecewise-linear
                ``anneal_schedule`` of ``annealing_time`` µs (default: the solver's
                ``default_annealing_time``) within the solver's limits
                (:func:`~hybridxai.backends.cloud.qpu_schedule.qpu_schedule`).
            return_embedding: Keep the embedding context in ``info["embedding"]``.
            chain_break_method: ``dwave.embedding`` chain-break method (default: majority vote).
            embedding_parameters: Overrides/extends the constructor's.
            **solver_parameters: Passed to the QPU (e.g. ``label``). An ``anneal_schedule`` is
                checked first against the solver's limits (``annealing_time_range``,
                ``max_anneal_schedule_points``; see
                :func:`~hybridxai.backends.cloud.qpu_schedule.check_anneal_schedule`).

        Returns:
            A ``dimod.SampleSet`` with a per-sample ``chain_break_fraction`` field, energies of
            the source ``bqm`` (offset included), and ``info`` with ``timing`` (solver timings
            in µs under ``*_us`` keys, ours in ns under ``*_ns`` keys), ``qpu_timing`` (as
            returned), ``chain_break_fraction`` (occurrence-weighted mean), ``embedding`` (the
            embedding context), ``chain_strength``, ``solver``, ``num_reads``,
            ``seed``, ``problem_id``, ``raw_results_path`` (or ``None``), ``schedule`` (its
            name, or ``None``) and ``anneal_schedule`` (the list sent, or ``None``).

        Raises:
            InvalidArgumentError: A bad option, e.g. an ``anneal_schedule`` beyond the solver's
                limits, before anything is sent to the QPU.
            ConfigurationError: Missing or rejected token, unknown solver.
            ServiceUnavailableError: The Leap API cannot be reached.
        """
        options = self.check_sample(bqm, num_reads=num_reads, annealing_time=annealing_time,
                                    chain_strength=chain_strength, seed=seed, schedule=schedule,
                                    **solver_parameters)
        system = import_optional("dwave.system", "dwave", "the 'dwave' backend")
        minorminer = import_optional("minorminer", "dwave", "the 'dwave' backend")
        reads, anneal, strength = options["num_reads"], options["annealing_time"], options["chain_strength"]
        solver_parameters = dict(solver_parameters)
        if options.get("anneal_schedule") is not None:  # checked against the solver's limits
            solver_parameters["anneal_schedule"] = options["anneal_schedule"]
        schedule_name, anneal_time = None, anneal
        if options.get("schedule") is not None:
            wanted = options["schedule"]
            schedule_name = wanted.name
            if bqm.num_variables and not (isinstance(wanted, Schedule) and wanted.name == "linear"):
                built = as_schedule(wanted, problem=bqm)  # gap-aware ones: from bqm's gap profile
                with self._translate():
                    properties = self.child.properties
                anneal_time = anneal if anneal is not None else float(
                    properties.get("default_annealing_time", 20.0))
                solver_parameters["anneal_schedule"] = qpu_schedule(built, anneal_time, properties)
                schedule_name, anneal = built.name, None  # the schedule carries the time
        if strength is None:
            strength = functools.partial(
                import_optional("dwave.embedding.chain_strength", "dwave", "the 'dwave' backend")
                .uniform_torque_compensation, prefactor=DEFAULT_CHAIN_STRENGTH_PREFACTOR)
        params: dict[str, Any] = {"num_reads": reads, **solver_parameters}
        if anneal is not None:
            params["annealing_time"] = anneal
        emb_params = {**self.embedding_parameters, **(embedding_parameters or {})}
        if seed is not None:
            emb_params.setdefault("random_seed", seed)

        child = self.child
        record: dict[str, Any] = {}
        context: dict[str, Any] = {"solver": _solver_name(child), "bqm": bqm, "embedding": {},
                                   "parameters": {k: v for k, v in params.items()
                                                  if isinstance(v, (int, float, str, bool))
                                                  or k == "anneal_schedule"}}

        def find_embedding(source: Any, target: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter_ns()
            embedding = minorminer.find_embedding(source, target, **kwargs)
            record["embedding_search_ns"] = time.perf_counter_ns() - t0
            context["embedding"] = embedding
            return embedding

        def save(response: dimod.SampleSet) -> str | None:
            return self._save(response, context)

        recording = _RecordingChild(child, record, save, seed, self._translate)
        composite = system.EmbeddingComposite(recording, find_embedding=find_embedding)
        t_start = time.perf_counter_ns()
        kwargs: dict[str, Any] = dict(chain_strength=strength, return_embedding=True,
                                      embedding_parameters=emb_params, **params)
        if chain_break_method is not None:
            kwargs["chain_break_method"] = chain_break_method
        try:
            sampleset = composite.sample(bqm, **kwargs)
            sampleset.resolve()
        except Exception as exc:
            if record.get("raw_path") and hasattr(exc, "add_note"):
                exc.add_note(f"The raw solver result was saved to {record['raw_path']} "
                             "(hybridxai.backends.cloud.dwave.load_raw_result reads it).")
            raise
        t_total = time.perf_counter_ns() - t_start
        sampleset = self._finish(sampleset, record, context, reads, anneal_time, t_total,
                                 return_embedding, seed)
        sampleset.info.update(schedule=schedule_name, anneal_schedule=params.get("anneal_schedule"))
        return sampleset

    def _finish(self, sampleset: dimod.SampleSet, record: dict[str, Any], context: dict[str, Any],
                reads: int, anneal: float | None, t_total: int,
                return_embedding: bool, seed: int | None) -> dimod.SampleSet:
        info = dict(sampleset.info)
        embedding_context = info.pop("embedding_context", {}) or {}
        qpu_timing = info.pop("timing", None)
        emb_timing = embedding_context.get("timing") or {}
        local = {
            "embedding_search_ns": int(record.get("embedding_search_ns", 0)),
            "embed_bqm_ns": int(emb_timing.get("embedding", 0.0) * 1e9),
            "remote_ns": int(record.get("remote_ns", 0)),
            "unembedding_ns": int(emb_timing.get("unembedding", 0.0) * 1e9),
        }
        # the standard dwave-samplers keys, shared with the other hybridxai backends
        local["preprocessing_ns"] = local["embedding_search_ns"] + local["embed_bqm_ns"]
        local["sampling_ns"] = local["remote_ns"]
        local["postprocessing_ns"] = max(0, t_total - local["preprocessing_ns"]
                                         - local["remote_ns"])
        local["total_ns"] = t_total
        info.update(
            solver=context["solver"],
            num_reads=reads,
            annealing_time=anneal,
            seed=seed,
            qpu_timing=dict(qpu_timing) if qpu_timing else None,
            chain_break_fraction=_weighted_mean(sampleset, "chain_break_fraction"),
            chain_strength=embedding_context.get("chain_strength"),
            raw_results_path=record.get("raw_path"),
        )
        if return_embedding:
            info["embedding"] = embedding_context
        return self.to_sampleset(sampleset, info=info, timing=_timing_info(qpu_timing, local))


class LeapHybridBQMSampler(_LeapClientSampler):
    """D-Wave's Leap hybrid BQM solver (``dwave.system.LeapHybridSampler``), built lazily.

    Meant for problems too large to embed on a QPU (e.g. the 512 feature maps of a full
    ResNet-18 layer). Same configuration, fail-fast and raw-result rules as
    :class:`DWaveAnnealingSampler`.

    Args:
        child: A ready ``LeapHybridSampler``-like sampler (``sample(bqm, time_limit=)``) to use
            instead of building one; no credentials are read then.
        token: Leap API token (default: ``DWAVE_API_TOKEN`` or the dwave.conf file).
        endpoint: Solver API endpoint URL.
        solver: Hybrid solver name or feature filter (default: the latest hybrid BQM solver).
        region: Leap region code.
        profile: Profile of the dwave.conf file.
        config_file: Path of the dwave.conf file.
        time_limit: Default run time in seconds (``None``: the solver's minimum for the problem
            size, 3 s for small problems on the current ``hybrid_binary_quadratic_model``
            solvers).
        raw_results_dir: As for :class:`DWaveAnnealingSampler`.
        connect_timeout: TCP connect timeout in seconds.
        http_retries: Retries of a failed HTTP request.
        **client_config: Further ``dwave.cloud.Client`` options.
    """

    backend_name = "leap-hybrid"
    _ocean_sampler = "LeapHybridSampler"
    _raw_label = "Leap"

    def __init__(
        self,
        *,
        child: dimod.Sampler | None = None,
        token: str | None = None,
        endpoint: str | None = None,
        solver: str | Mapping[str, Any] | None = None,
        region: str | None = None,
        profile: str | None = None,
        config_file: str | os.PathLike[str] | None = None,
        time_limit: float | None = None,
        raw_results_dir: str | os.PathLike[str] | None = "auto",
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        http_retries: int = DEFAULT_HTTP_RETRIES,
        **client_config: Any,
    ) -> None:
        if child is not None and not isinstance(child, dimod.Sampler):
            raise invalid_type("child", child, "a dimod.Sampler such as LeapHybridSampler",
                               "pass child=dwave.system.LeapHybridSampler(...)")
        self._check_child(child, token, client_config, "")
        self.time_limit = self._check_time_limit(time_limit)
        super().__init__(time_limit=self.time_limit)
        self._setup_client(
            child, raw_results_dir, token=token, endpoint=endpoint, solver=solver, region=region,
            profile=profile, config_file=config_file, connect_timeout=connect_timeout,
            http_retries=http_retries, extra=client_config)

    @staticmethod
    def _check_time_limit(value: Any) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise invalid_type("time_limit", value, "a number of seconds or None",
                               "pass e.g. time_limit=5, or None for the solver's minimum")
        if not np.isfinite(value) or value <= 0:
            raise invalid_argument("time_limit", value, "must be a positive number of seconds",
                                   "pass e.g. time_limit=5, or None for the solver's minimum")
        return float(value)

    @property
    def parameters(self) -> dict[str, list[Any]]:
        """Keyword arguments of :meth:`sample`."""
        return {"time_limit": [], "label": []}

    def min_time_limit(self, bqm: dimod.BinaryQuadraticModel) -> float:
        """Return the solver's minimum ``time_limit`` in seconds for ``bqm`` (connects)."""
        with self._translate():
            return float(self.child.min_time_limit(bqm))

    def _resolve_options(self, options: dict[str, Any],
                         bqm: dimod.BinaryQuadraticModel | None) -> dict[str, Any]:
        """``time_limit`` is checked here; the solver checks the rest itself."""
        options["time_limit"] = self._check_time_limit(options.get("time_limit"))
        return options

    def sample(
        self,
        bqm: dimod.BinaryQuadraticModel,
        *,
        time_limit: float | None = None,
        **solver_parameters: Any,
    ) -> dimod.SampleSet:
        """Solve ``bqm`` on the Leap hybrid solver.

        Args:
            bqm: The problem.
            time_limit: Seconds of solver run time (default: the constructor's, else the
                solver's minimum for this problem size).
            **solver_parameters: Passed through (e.g. ``label=``).

        Returns:
            The solver's ``dimod.SampleSet`` with ``info`` holding ``timing`` (solver timings
            in µs under ``*_us`` keys, ours under ``*_ns``), ``solver_timing`` (as returned),
            ``solver``, ``time_limit``, ``problem_id`` and ``raw_results_path``.
        """
        limit = self.check_sample(bqm, time_limit=time_limit, **solver_parameters)["time_limit"]
        child = self.child
        kwargs = dict(solver_parameters)
        if limit is None and callable(getattr(child, "min_time_limit", None)):
            with self._translate():
                limit = float(child.min_time_limit(bqm))
        if limit is not None:
            kwargs["time_limit"] = limit
        t0 = time.perf_counter_ns()
        with self._translate():
            sampleset = child.sample(bqm, **kwargs)
            sampleset.resolve()
        t_sampling = time.perf_counter_ns() - t0
        raw_path = self._save_raw_result(sampleset, lambda: {
            "solver": _solver_name(child), "parameters": {"time_limit": limit},
            "source_bqm": bqm.to_serializable()})
        info = dict(sampleset.info)
        remote = info.pop("timing", None)
        if remote is None:  # hybrid solvers report timing keys at the top level of info
            remote = {k: info[k] for k in ("qpu_access_time", "run_time", "charge_time")
                      if k in info}
        info.update(solver=_solver_name(child), time_limit=limit,
                    solver_timing=dict(remote) if remote else None, raw_results_path=raw_path)
        return self.to_sampleset(sampleset, info=info, timing=_timing_info(
            remote, {"remote_ns": t_sampling, "sampling_ns": t_sampling}))
