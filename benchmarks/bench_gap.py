"""Benchmark: adaptive ``min_gap`` against the paper's per-step Lanczos scan.

The paper computes the gap "at each time step": ``M = T/dt`` points ``s_k`` (``T = 10``,
``dt = 0.01``: 1000 points), each with a fresh Lanczos solve (``scipy.sparse.linalg.eigsh``,
``k = 2``, ``which="SA"``). That scan is far too slow to run in full at ``d = 20`` (tens of
seconds per point), so it is timed on ``--sample`` evenly spread per-step points and
extrapolated to all ``M`` (marked as such). The adaptive search runs in full.

Usage::

    python benchmarks/bench_gap.py --d 16 20 --kind paper --sample 5
    python benchmarks/bench_gap.py --d 24 --kind paper --sample 0     # adaptive only
    python benchmarks/bench_gap.py --d 16 --sample 0 --warm-per-step  # + min_gap(dense=True)

Prints, per size: Δ_min and s* of the adaptive search, its wall time and products H·v, the
per-step scan's time per point and extrapolated total, the minimum over the sampled per-step
points, and the speed-up ratio.

``--real`` instead times the exact-gap entry points on real feature-map QUBOs (MobileNetV2,
the bundled ``chelsea`` photo, ``build_qubo(..., beta=0.7, max_qubits=d)``):
``gap_profile(bqm)`` (64 points, default arguments) at ``--profile-d``, the gap-only adaptive
profile ``gap_profile(bqm, adaptive=True, matrix_elements=False)`` at ``--adaptive-profile-d``
and ``min_gap(bqm)`` at ``--min-gap-d`` (``--with-26`` adds d = 26 to both: the gap-only
profile's smallest plan there is 27 vectors, 13.5 GiB, since the twenty-first round, and fits
beside torch on a 23 GiB machine), each against a peer measured in the same run: cold
``scipy.sparse.linalg.eigsh(k, which="SA", tol=1e-10)`` on the same matrix-free Hamiltonian
at ``--peer-points`` values of ``s``, extrapolated to as many points as the profile has (64)
or the adaptive search evaluated (skipped above ``--peer-max-d``). Writes a PNG of time
against ``d`` (``--plot``)::

    python benchmarks/bench_gap.py --real --profile-d 12 14 16 18 20 --min-gap-d 16 18 20 22 24

``--search-spaces 7 16`` times ``min_gap`` at ``--min-gap-d`` with the Davidson search space
forced to each size (by wrapping ``GapTracker``; the default is 7 for ``min_gap``)::

    python benchmarks/bench_gap.py --search-spaces 7 16 --min-gap-d 20 22

``--reference 0.999 0.99998`` prints, for the real QUBO at each ``--min-gap-d``, the gap from a
cold ``scipy.sparse.linalg.eigsh(k=3, which="SA", tol=1e-12)`` (ARPACK, no warm start, none of
hybridxai's eigensolvers) at each given ``s``, beside ``min_gap``'s Δ_min and s*::

    python benchmarks/bench_gap.py --reference 0.999 0.9995 0.9999 0.99995 0.99998 0.99999 --min-gap-d 20

``--reference-instance random --seed 7`` does the same on ``random_feature_qubo(d, 7)``, and
``--near-min`` adds ``s*`` and ``s* ± 1e-2, 1e-3, 1e-4`` to the given points (other offsets with
``--near-steps``; at d = 24 each point is a cold eigsh of several minutes)::

    python benchmarks/bench_gap.py --reference 0.1 0.3 0.5 0.7 0.9 --near-min \
        --reference-instance random --seed 7 --min-gap-d 20

``--fine-grid 51`` checks ``min_gap`` at each ``--min-gap-d`` against a reference over all of
[0, 1] that uses none of hybridxai's eigensolvers: ARPACK gaps on 51 evenly spaced ``s``
(:class:`ArpackGaps`, each solve started from the last one's vectors), refined by scipy's
bounded Brent search around every grid minimum within 20 % of the lowest; it prints
``min_gap − reference`` and whether that is within ``--tol``::

    python benchmarks/bench_gap.py --fine-grid 51 --min-gap-d 20 --reference-instance random --seed 7

``--profile-tols 1e-8 1e-6`` and ``--profile-spaces 8 10`` time ``gap_profile`` on the real
QUBOs at ``--profile-d`` at each ``tol`` and with each Davidson search space forced, beside the
default (``tol=1e-10``, search space 16), with how far their gaps and matrix elements are from
it::

    python benchmarks/bench_gap.py --profile-d 20 --profile-tols 1e-8 1e-6 --profile-spaces 8 10

``--continuation 18 20`` times ``gap_profile`` (``tol=1e-10``) against a profile of the same 64
points by eigenvector continuation (:class:`ReducedBasisProfile`: Davidson solves only where a
shared reduced basis cannot certify a point to ``tol``, every other point from Gram matrices
of that basis), on the real QUBOs or ``--reference-instance random --seed 7``, with both
product counts and how far the reduced basis's gaps and matrix elements are from
``gap_profile``'s::

    python benchmarks/bench_gap.py --continuation 18 20 --reference-instance random --seed 7

``--kernels`` times the product ``H(s)·v`` and the Walsh–Hadamard transform of the gap solver,
serial and threaded (each numba variant called directly), against a copy of a vector of the
same size (``numpy.copyto``, the memory-bandwidth floor), at ``--kernel-d``, and the threaded
product from one row of a block of vectors into the next, plain and staggered as the Davidson
workspace does it (:func:`hybridxai.anneal.eigensolvers.staggered_rows`), and the staggered
product and the threaded Walsh transform in float32, as the profile's inner CG steps run them,
and the Gram matrix of 16 staggered rows against 4, handed to the kernel as the padded 2-D
arrays are (strided) and as the solver hands them (:func:`hybridxai._util.jit.row_major`;
below d = 17 the rows are not padded, so both are the same layout)::

    python benchmarks/bench_gap.py --kernels --kernel-d 16 20 24

``--starts 16 18 20 --seeds 4`` times ``gap_profile(adaptive=True)`` with its start points (the
midpoints of 4 cells) against a candidate, :func:`field_ratio_starts` (where the
driver-to-problem energy ratio is 1, 1/4, 1/16, 1/64; patched in), on the ``chelsea`` QUBO
and ``random_feature_qubo(d, seed)`` for seeds ``0 .. --seeds - 1``, with both conventions
(driver ``"unit"`` and ``"1/d"``): products, points, seconds and ``Δ_min`` of each, the totals
and their ratio::

    python benchmarks/bench_gap.py --starts 16 18 20 --seeds 4

``--adaptive 20 22 24 --grid-max-d 0 --gap-only`` times ``gap_profile(bqm, adaptive=True)``
and ``min_gap`` at each d, and the adaptive profile of the gap only (``matrix_elements=False``)
beside them (on ``--reference-instance``; ``--grid-max-d`` also runs the 64-point grid up to
that d, ``--fine-max-d`` checks both against a fine reference up to that d)::

    python benchmarks/bench_gap.py --adaptive 20 22 24 --grid-max-d 0 --gap-only

``--alignment 22 24`` times ``H(s)·v`` between rows that start 16 bytes past a cache line,
where glibc puts numpy's large arrays, and rows on one (``hybridxai._util.aligned``)::

    python benchmarks/bench_gap.py --alignment 22 24

``--threading 12 13 14 16`` times ``gap_profile(random_feature_qubo(d, --seed))`` with every
kernel serial and with every kernel threaded, the two sides of
:data:`hybridxai.anneal.operators.PARALLEL_MIN_QUBITS`::

    python benchmarks/bench_gap.py --threading 12 13 14 16 --seed 3

``--cross-check 6 7 8 --seeds 150`` compares ``min_gap`` with the adaptive profile's lowest
point on ``random_feature_qubo(d, seed)``; ``--cross-check-kinds paper z2`` adds the same
instances' SPIN couplings alone (``flip_symmetric_qubo``), whose gaps have kinks::

    python benchmarks/bench_gap.py --cross-check 7 8 9 --seeds 40 --cross-check-kinds paper z2

``--dense-check 8 9 10 --seeds 30 --cross-check-kinds z2`` checks ``min_gap`` and the gap-only
adaptive profile (Davidson) against dense ``eigh`` instead, with the products they took::

    python benchmarks/bench_gap.py --dense-check 8 9 10 --seeds 30 --cross-check-kinds z2 --tol 1e-8

``--profile-products 12 14 16 18 --seeds 3`` prints the products, points, time and ``Δ_min``
of the gap-only adaptive profile on ``chelsea`` and ``--seeds`` random instances per d (run
it in two trees to compare them)::

    python benchmarks/bench_gap.py --profile-products 12 14 16 18 --seeds 3

``--sector-search 8 9 10 --seeds 40`` runs ``min_gap`` on ``flip_symmetric_qubo`` with and
without step 6 (each sector's own gap searched), checks where they differ against dense
``eigh`` of each sector's block, and sums the products::

    python benchmarks/bench_gap.py --sector-search 8 9 10 11 12 --seeds 40 --tol 1e-8
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import dimod
import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh

from hybridxai.analysis import flip_symmetric_qubo, min_gap, per_step_points, random_feature_qubo
from hybridxai.anneal.eigensolvers import blas_threads, staggered_rows
from hybridxai.anneal.gap_profile import level_tolerance
from hybridxai.anneal.operators import PARALLEL_MIN_QUBITS, AnnealingOperator
from hybridxai.exceptions import UnresolvedProfileWarning


def gaussian_bqm(d: int, seed: int) -> dimod.BinaryQuadraticModel:
    """Dense N(0, 1) linear and quadratic biases (SK-like)."""
    rng = np.random.default_rng(seed)
    return dimod.BinaryQuadraticModel(
        {i: float(rng.normal()) for i in range(d)},
        {(i, j): float(rng.normal()) for i in range(d) for j in range(i + 1, d)}, 0.0, "BINARY")


def per_step_eigsh(op: AnnealingOperator, s_values: np.ndarray) -> tuple[float, float, float]:
    """Cold ``eigsh(k=2, which='SA')`` at each ``s``: (seconds per point, min gap, its s)."""
    n = op.dimension
    best = (np.inf, np.nan)
    t0 = time.perf_counter()
    for s in s_values:
        lin = LinearOperator((n, n), matvec=lambda v, s=s: op.matvec(s, v), dtype=np.float64)
        w = np.sort(eigsh(lin, k=2, which="SA", tol=1e-10)[0])
        best = min(best, (float(w[1] - w[0]), float(s)))
    return (time.perf_counter() - t0) / max(len(s_values), 1), best[0], best[1]


def chelsea_qubos(sizes: list[int]) -> dict[int, dimod.BinaryQuadraticModel]:
    """Real QUBOs: MobileNetV2 feature maps of the ``chelsea`` photo, ``beta=0.7``, ``max_qubits=d``."""
    import hybridxai
    from hybridxai.vision.images import prepare_images
    from hybridxai.vision.models import model_info
    from hybridxai.vision.samples import load_sample

    model = hybridxai.load_pretrained("mobilenet_v2")
    batch = prepare_images([load_sample("chelsea")], model_info(model).transform).batch
    fb = hybridxai.extract_features(model, batch)
    return {d: hybridxai.build_qubo(fb.activations[0], fb.gradients[0], beta=0.7, max_qubits=d).bqm
            for d in sizes}


def instance_qubos(sizes: list[int], instance: str, seed: int) -> dict[int, dimod.BinaryQuadraticModel]:
    """``chelsea`` or ``random_feature_qubo(·, seed)`` QUBOs at ``sizes`` and d = 10 (for warm-up)."""
    every = sorted(set(sizes) | {10})
    if instance == "chelsea":
        return chelsea_qubos(every)
    return {d: random_feature_qubo(d, seed) for d in every}


def peer_seconds(op: AnnealingOperator, k: int, s_values: list[float]) -> float:
    """Mean seconds of a cold ``eigsh(k, which="SA", tol=1e-10)`` per point."""
    n = op.dimension
    t0 = time.perf_counter()
    with blas_threads(1):
        for s in s_values:
            lin = LinearOperator((n, n), matvec=lambda v, s=s: op.matvec(s, v), dtype=np.float64)
            eigsh(lin, k=k, which="SA", tol=1e-10)
    return (time.perf_counter() - t0) / len(s_values)


def _best(f, repeat: int) -> float:  # noqa: ANN001
    f()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def _kernel_row(d: int, repeat: int) -> str:
    # the kernels' serial and threaded numba variants, called directly (private names: this
    # benchmark measures the implementation, not an API)
    from hybridxai.anneal import eigensolvers, operators
    from hybridxai.anneal.correction import walsh_transform

    rng = np.random.default_rng(0)
    n = 1 << d
    diag, v, out = rng.standard_normal(n), rng.standard_normal(n), np.empty(n)
    copy = _best(lambda: np.copyto(out, v), repeat)
    mv = {name: _best(lambda k=k: k(diag, v, out, 0.7, -0.3, d), repeat) for name, k in
          (("serial", operators._kernel_serial), ("parallel", operators._kernel_parallel))}
    wt = {name: _best(lambda p=p: walsh_transform(out, d, parallel=p), repeat) for name, p in
          (("serial", False), ("parallel", True))}
    # the solver's case: from one row of a block of vectors into another (rows of a plain
    # C-contiguous array lie a power of two apart; the workspace staggers them from d = 17)
    rows = {}
    for name, block in (("plain", np.zeros((2, n))), ("staggered", staggered_rows(2, n))):
        block[0] = v
        rows[name] = _best(lambda b=block: operators._kernel_parallel(diag, b[0], b[1], 0.7, -0.3, d),
                           repeat)
    # the profile's inner CG steps: the same in float32 (float32 diagonal and scalars)
    single = staggered_rows(2, n, dtype=np.float32)
    single[0] = v
    diag32, a32, b32 = diag.astype(np.float32), np.float32(0.7), np.float32(-0.3)
    rows["single"] = _best(lambda: operators._kernel_parallel(diag32, single[0], single[1], a32, b32, d),
                           repeat)
    walsh32 = _best(lambda: walsh_transform(single[1], d, parallel=True), repeat)
    # the Gram matrix of a Davidson search space (16 staggered rows) against 4 new images: the
    # kernel handed the padded 2-D arrays as they are (numba's non-contiguous "A" layout)
    # against the row_major views the solver hands it
    basis, images = staggered_rows(16, n), staggered_rows(4, n, first_slot=17)
    basis[:] = v
    images[:] = v
    gram = {"A": _best(lambda: eigensolvers._dots_parallel(basis, 16, images, 4, n), repeat),
            "C": _best(lambda: eigensolvers._gram(basis, 16, images, 4, parallel=True), repeat)}
    return (f"| {d} | {8 * n / 2**20:.3g} MiB | {copy * 1e3:.2f} | {mv['serial'] * 1e3:.2f} | "
            f"{mv['parallel'] * 1e3:.2f} | {mv['parallel'] / copy:.1f} | {wt['serial'] * 1e3:.2f} | "
            f"{wt['parallel'] * 1e3:.2f} | {mv['serial'] / mv['parallel']:.2f} | "
            f"{rows['plain'] * 1e3:.2f} | {rows['staggered'] * 1e3:.2f} | "
            f"{rows['single'] * 1e3:.2f} | {walsh32 * 1e3:.2f} | {gram['A'] * 1e3:.2f} | "
            f"{gram['C'] * 1e3:.2f} |")


def kernel_timings(sizes: list[int], repeat: int = 5) -> None:
    """Serial vs threaded H·v and Walsh transform against a copy of the same size (best of ``repeat``)."""
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; best of {repeat}")
    print("| d | vector | copy (ms) | H·v serial (ms) | H·v threaded (ms) | threaded × copy | "
          "Walsh serial (ms) | Walsh threaded (ms) | H·v serial / threaded | "
          "H·v threaded, row to row (ms) | same, staggered rows (ms) | same, float32 (ms) | "
          "Walsh threaded, float32 (ms) | Gram 16 × 4 staggered rows, as strided arrays (ms) | "
          "same, row_major views (ms) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for d in sizes:
        print(_kernel_row(d, repeat), flush=True)


def alignment_timings(sizes: list[int], repeat: int = 5) -> None:
    """``H(s)·v`` between rows 16 bytes past a cache line (numpy's large arrays on glibc) and on one.

    The rows of an 8-row block, from row 1 into row 5 (float64, ``op.matvec``) and with the
    overlaps of two more rows (float32, ``op.matvec_overlaps``, as in the inner CG steps);
    beside them a ``numpy.add`` of the same rows, which only streams (best of ``repeat``).
    """
    from hybridxai._util.aligned import CACHE_LINE, aligned_empty

    def rows(n: int, dtype: type, offset: int) -> np.ndarray:
        size = 8 * n * np.dtype(dtype).itemsize
        buffer = aligned_empty(size + CACHE_LINE, np.uint8)
        return buffer[offset:offset + size].view(dtype).reshape(8, n)

    print(f"load average {os.getloadavg()[0]:.2f}; best of {repeat}")
    print("| d | precision | H·v, 16 bytes past a line (ms) | H·v, on a line (ms) | ratio | "
          "add, past (ms) | add, on (ms) |")
    print("|---|---|---|---|---|---|---|")
    for d in sizes:
        op = AnnealingOperator.from_bqm(random_feature_qubo(d, 0))
        for dtype in (np.float64, np.float32):
            found = []
            for offset in (16, 0):
                block = rows(op.dimension, dtype, offset)
                block[:] = 0.5
                if dtype == np.float64:
                    product = lambda b=block, o=op: o.matvec(0.7, b[1], out=b[5])  # noqa: E731
                else:
                    product = lambda b=block, o=op: o.matvec_overlaps(0.7, b[1], b[5], b[2:4])  # noqa: E731
                found.append((_best(product, repeat),
                              _best(lambda b=block: np.add(b[1], b[2], out=b[3]), repeat)))
                del block
            (past, add_past), (on, add_on) = found
            print(f"| {d} | {np.dtype(dtype).name} | {1e3 * past:.2f} | {1e3 * on:.2f} | "
                  f"{on / past:.2f} | {1e3 * add_past:.2f} | {1e3 * add_on:.2f} |", flush=True)


def threading_threshold(sizes: list[int], seed: int, repeat: int = 3) -> None:
    """``gap_profile`` with every kernel serial against the threaded kernels, best of ``repeat``."""
    from hybridxai.analysis import gap_profile
    from hybridxai.anneal import operators

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; "
          f"gap_profile(random_feature_qubo(d, {seed})), 64 points, best of {repeat}")
    print("| d | serial (s) | threaded (s) | serial / threaded | threads responded |")
    print("|---|---|---|---|---|")
    default = operators.PARALLEL_MIN_QUBITS
    try:
        for d in sizes:
            bqm = random_feature_qubo(d, seed)
            seconds = {}
            for name, threshold in (("serial", 41), ("threaded", 1)):
                operators.PARALLEL_MIN_QUBITS = threshold  # read when an operator is made
                seconds[name] = _best(lambda b=bqm: gap_profile(b), repeat)
            # on a busy machine the "threaded" operator falls back to serial kernels: say so
            responded = operators.AnnealingOperator.from_bqm(bqm).threaded
            print(f"| {d} | {seconds['serial']:.2f} | {seconds['threaded']:.2f} | "
                  f"{seconds['serial'] / seconds['threaded']:.2f} | "
                  f"{'yes' if responded else 'no'} |", flush=True)
    finally:
        operators.PARALLEL_MIN_QUBITS = default


@contextlib.contextmanager
def forced_search_space(space: int) -> Iterator[None]:
    """Every ``GapTracker`` made inside gets a Davidson search space of ``space`` (0: its own)."""
    from hybridxai.anneal import gap_profile as tracking

    original = tracking.GapTracker.__init__

    def forced(self, op, g, solver, guard, own, *rest, **kw):  # noqa: ANN001, ANN202
        original(self, op, g, solver, guard, space or own, *rest, **kw)

    tracking.GapTracker.__init__ = forced  # type: ignore[method-assign]
    try:
        yield
    finally:
        tracking.GapTracker.__init__ = original  # type: ignore[method-assign]


def search_spaces(sizes: list[int], spaces: list[int]) -> None:
    """``min_gap`` on the real QUBOs with the Davidson search space forced to each of ``spaces``."""
    qubos = chelsea_qubos(sorted(set(sizes) | {10}))
    min_gap(qubos[10], solver="davidson")  # compile the kernels outside the timings
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print("| d | search space | seconds | products H·v | Δ_min |")
    print("|---|---|---|---|---|")
    for d in sizes:
        for space in spaces:
            with forced_search_space(space):
                t0 = time.perf_counter()
                result = min_gap(qubos[d])
            print(f"| {d} | {space} | {time.perf_counter() - t0:.1f} | {result.matvecs} | "
                  f"{result.min_gap:.9f} |", flush=True)


def profile_variants(sizes: list[int], spaces: list[int], tols: list[float]) -> None:
    """``gap_profile`` on the real QUBOs at each ``tol`` and forced search space, against the default.

    The default run (``tol=1e-10``, the tracker's own search space) comes first; every other
    row says how far its gaps and matrix elements are from it.
    """
    from hybridxai.analysis import gap_profile

    qubos = chelsea_qubos(sorted(set(sizes) | {10}))
    gap_profile(qubos[10], solver="davidson")  # compile the kernels outside the timings
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print("| d | tol | search space | seconds | products H·v | max abs. gap difference | "
          "max abs. matrix-element difference | smallest gap |")
    print("|---|---|---|---|---|---|---|---|")
    variants = [(1e-10, 0)] + [(tol, 0) for tol in tols if tol != 1e-10]
    variants += [(1e-10, space) for space in spaces if space]
    for d in sizes:
        reference = None
        for tol, space in variants:
            with forced_search_space(space):
                t0 = time.perf_counter()
                profile = gap_profile(qubos[d], tol=tol, solver="davidson")
            seconds = time.perf_counter() - t0
            reference = profile if reference is None else reference
            print(f"| {d} | {tol:g} | {space or 'default'} | {seconds:.1f} | {profile.matvecs} | "
                  f"{np.abs(profile.gaps - reference.gaps).max():.1e} | "
                  f"{np.abs(profile.couplings - reference.couplings).max():.1e} | "
                  f"{profile.min_gap:.9f} |", flush=True)


def independent_reference(sizes: list[int], s_values: list[float], instance: str, seed: int,
                          near_min: bool, steps: tuple[float, ...] = (1e-2, 1e-3, 1e-4)) -> None:
    """Cold ARPACK gaps at ``s_values`` (and at s*, s* ± ``steps`` with ``near_min``) beside ``min_gap``."""
    qubos = (chelsea_qubos(sizes) if instance == "chelsea"
             else {d: random_feature_qubo(d, seed) for d in sizes})
    for d in sizes:
        result = min_gap(qubos[d])
        print(f"d={d} ({instance}{'' if instance == 'chelsea' else f', seed {seed}'}): min_gap "
              f"Δ_min={result.min_gap:.10f} at s*={result.s_min:.6f}", flush=True)
        op = AnnealingOperator.from_bqm(qubos[d])
        n = op.dimension
        points = list(s_values)
        if near_min:
            points += [result.s_min + sign * step for step in steps for sign in (-1, 1)]
            points.append(result.s_min)
        for s in sorted({min(1.0, max(0.0, x)) for x in points}):
            t0 = time.perf_counter()
            lin = LinearOperator((n, n), matvec=lambda v, s=s, op=op: op.matvec(s, v),
                                 dtype=np.float64)
            with blas_threads(1):
                w = np.sort(eigsh(lin, k=3, which="SA", tol=1e-12)[0])
            print(f"  eigsh s={s:.6f}: gap={w[1] - w[0]:.10f} ({time.perf_counter() - t0:.0f} s)",
                  flush=True)


class ArpackGaps:
    """``Δ(s)`` from ARPACK alone, each solve started from the previous one's eigenvectors.

    ``eigsh(k=g+2, which="SA", tol=1e-12)`` on the matrix-free operator, with (at least) 64 Lanczos
    vectors below ``s = 0.5`` instead of scipy's 20 (there the first excited level is a
    cluster of ``d`` nearly degenerate ones, and with 20 vectors ARPACK restarts for thousands
    of products: random_feature_qubo(18, 7) at s = 0.04, 4789 products with 20, 717 with 64;
    above, where warm starts converge in few products, 64 vectors only make each restart
    dearer: 50 s against 22 s at s = 0.98, d = 20); ``v0`` is the last
    point's ground and ``E_g`` vectors summed, plus a little noise (which keeps Lanczos out of a
    single symmetry sector). The end points are exact: ``2c·w`` at ``s = 0`` (``w`` the Hamming
    weight of level ``g`` of ``-c·ΣX``), ``E_P``'s own gap at ``s = 1``.
    """

    def __init__(self, bqm: dimod.BinaryQuadraticModel, seed: int) -> None:
        from hybridxai.anneal.gap_profile import ground_degeneracy

        self.op = AnnealingOperator.from_bqm(bqm)
        self.g = ground_degeneracy(self.op.diagonal)
        self.rng = np.random.default_rng(seed)
        self.start: np.ndarray | None = None

    def __call__(self, s: float) -> float:
        op, g, n = self.op, self.g, self.op.dimension
        if s == 1.0:
            lowest = np.sort(op.diagonal)[: g + 1]
            return float(lowest[g] - lowest[0])
        if s == 0.0:  # level g of -c·ΣX: Hamming weight w (C(d, w)-fold) lies 2c·w above E_0
            below, w = 0, 0
            while below + math.comb(op.num_qubits, w) <= g:
                below += math.comb(op.num_qubits, w)
                w += 1
            return 2.0 * op.driver_coefficient * w
        lin = LinearOperator((n, n), matvec=lambda v: op.matvec(s, v), dtype=np.float64)
        v0 = self.rng.standard_normal(n) if self.start is None else self.start
        v0 = v0 / np.linalg.norm(v0) + 1e-3 * self.rng.standard_normal(n) / np.sqrt(n)
        with blas_threads(1):
            values, vectors = eigsh(lin, k=g + 2, which="SA", tol=1e-12, v0=v0,
                                    ncv=min(n - 1, max(2 * g + 5, 64 if s < 0.5 else 20)))
        order = np.argsort(values)
        self.start = vectors[:, order[0]] + vectors[:, order[g]]
        return float(values[order[g]] - values[order[0]])


def fine_reference(sizes: list[int], instance: str, seed: int, num_points: int,
                   tol: float = 1e-6) -> None:
    """``min_gap`` against ARPACK (:class:`ArpackGaps`) on a fine grid over all of [0, 1].

    The grid is ``num_points`` evenly spaced ``s`` swept from ``s = 1`` down; then scipy's
    bounded Brent minimisation of the ARPACK gap between the neighbours of every grid minimum
    within 20 % of the lowest. Prints every grid value, the refined minima and the verdict
    ``|Δ_min − Δ_ref| ≤ tol``. The check is as fine as its grid: a dip narrower than the
    spacing that ``min_gap`` misses too goes unseen.
    """
    from scipy.optimize import minimize_scalar

    qubos = (chelsea_qubos(sizes) if instance == "chelsea"
             else {d: random_feature_qubo(d, seed) for d in sizes})
    for d in sizes:
        label = f"d={d} ({instance}{'' if instance == 'chelsea' else f', seed {seed}'})"
        t0 = time.perf_counter()
        result = min_gap(qubos[d], tol=tol)
        print(f"{label}: min_gap Δ_min={result.min_gap:.10f} at s*={result.s_min:.6f} "
              f"({time.perf_counter() - t0:.1f} s)", flush=True)
        arpack_gap = ArpackGaps(qubos[d], seed)
        grid = np.linspace(0.0, 1.0, num_points)
        gaps = np.empty(num_points)
        t0 = time.perf_counter()
        for i in range(num_points - 1, -1, -1):
            t1 = time.perf_counter()
            gaps[i] = arpack_gap(float(grid[i]))
            print(f"  grid s={grid[i]:.6f}: gap={gaps[i]:.10f} ({time.perf_counter() - t1:.0f} s)",
                  flush=True)
        print(f"  grid of {num_points} points: {time.perf_counter() - t0:.0f} s; lowest "
              f"{gaps.min():.10f} at s={grid[np.argmin(gaps)]:.6f}", flush=True)
        best, where = float(gaps.min()), float(grid[np.argmin(gaps)])
        for i in range(num_points):
            lo, hi = max(i - 1, 0), min(i + 1, num_points - 1)
            if gaps[i] > min(gaps[lo], gaps[hi], 1.2 * best):
                continue
            t0 = time.perf_counter()
            found = minimize_scalar(arpack_gap, bounds=(float(grid[lo]), float(grid[hi])),
                                    method="bounded", options={"xatol": 1e-7})
            print(f"  Brent on [{grid[lo]:.6f}, {grid[hi]:.6f}]: {found.fun:.10f} at "
                  f"s={found.x:.7f} ({found.nfev} eigsh, {time.perf_counter() - t0:.0f} s)",
                  flush=True)
            if found.fun < best:
                best, where = float(found.fun), float(found.x)
        # below the reference: the grid missed a dip that min_gap found; above: min_gap missed one
        verdict = "within" if abs(result.min_gap - best) <= tol else (
            "NOT within (min_gap lower: the grid is too coarse)" if result.min_gap < best
            else "NOT within (min_gap higher: it missed a minimum)")
        print(f"{label}: reference Δ_ref={best:.10f} at s={where:.7f}; min_gap − reference = "
              f"{result.min_gap - best:.2e}, {verdict} tol={tol:g}", flush=True)


class ReducedBasisProfile:
    """A gap profile by eigenvector continuation: how many products a reduced basis would save.

    ``H(s) = s·E_P − (1 − s)·c·ΣX`` is affine in ``s``, so in a basis ``V`` (orthonormal rows)
    the projection ``V·H(s)·Vᵀ = s·A_P − (1 − s)·c·A_X`` and ``V·H(s)²·Vᵀ`` (hence every Ritz
    residual norm, ``‖r‖² = yᵀ·V H² Vᵀ·y − θ²``) follow for any ``s`` from five Gram matrices of
    ``V``: ``V X Vᵀ``, ``V E_P Vᵀ``, ``V X² Vᵀ``, ``V E_P² Vᵀ`` and ``V X E_P Vᵀ``. Greedy
    (reduced-basis method): solve, with the profile's Davidson settings and started from the
    Ritz vectors, at the grid point whose error bound ``min(‖r‖, ‖r‖²/δ)`` (Davidson's own) for
    any of ``E_0 … E_g`` (the levels the gap and the matrix element use) is worst, add its
    ``g + 2`` eigenvectors to ``V``, and repeat until every point's bound is at most
    ``tol / 2`` or has been solved directly (whose own error then counts). Values come from
    the reduced model everywhere (at a solved point ``V`` holds the solver's vectors, up to
    remainders below 1e-8, so its Ritz values are no higher). Each basis vector costs three
    driver products, ``ΣX·v``, ``ΣX·(ΣX·v)`` and ``ΣX·(E_P∘v)``. The residual norm comes
    from a difference of squares, so rounding hides it below about
    ``sqrt(m·ε)·(s·max|E_P| + (1 − s)·c·d)``: it is never taken as smaller than that, and the
    points it would hide are solved directly (cheaply, from near-exact starts). The matrix
    element counts the levels within ``level_tolerance`` of ``E_g`` among the ``g + 2`` computed
    (no widening as ``gap_profile`` does for a degenerate ``E_g``).
    """

    def __init__(self, bqm: dimod.BinaryQuadraticModel, tol: float = 1e-10,
                 max_vectors: int = 160, seed: int = 0) -> None:
        from hybridxai.anneal.gap_profile import ground_degeneracy

        self.op = AnnealingOperator.from_bqm(bqm)
        self.tol, self.g = tol, ground_degeneracy(self.op.diagonal)
        self.k = min(self.g + 2, self.op.dimension)
        size = min(max_vectors, self.op.dimension)
        self.basis = np.zeros((size, self.op.dimension))
        self.grams = np.zeros((5, size, size))  # X, E_P, X², E_P², X·E_P (not symmetric)
        self.m = 0
        self.products = 0
        self.solves = 0
        self.rng = np.random.default_rng(seed)
        self.workspace = None

    def add(self, rows: np.ndarray) -> None:
        """Orthonormalize ``rows`` against the basis and append them with their Gram entries."""
        op, p, m = self.op, self.op.diagonal, self.m
        block = np.array(rows, dtype=np.float64)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        for _ in range(3):  # classical Gram–Schmidt, three times: the remainders are small
            block -= (block @ self.basis[:m].T) @ self.basis[:m]
        q, r = np.linalg.qr(block.T)
        # dropping a remainder below 1e-8 moves no eigenvalue by more than ~1e-16·‖H‖ (a
        # threshold of 1e-6 cost up to 7e-9 in the gap at d = 8); below it, normalising magnifies rounding
        keep = np.abs(np.diag(r)) > 1e-8
        new = q[:, keep].T[: self.basis.shape[0] - m]
        if not new.shape[0]:
            return
        end = m + new.shape[0]
        self.basis[m:end] = new
        images = np.empty((new.shape[0], 6, self.op.dimension))
        for j, w in enumerate(new):  # X w, E_P w, X² w, E_P² w, X E_P w, E_P X w
            xw = op.driver_matvec(w)
            images[j] = (xw, p * w, op.driver_matvec(xw), p * p * w, op.driver_matvec(p * w), p * xw)
        self.products += 3 * new.shape[0]
        columns = (self.basis[:end] @ images.reshape(-1, self.op.dimension).T).reshape(end, -1, 6)
        for j in range(new.shape[0]):
            col = m + j
            for t in range(4):
                self.grams[t, :end, col] = self.grams[t, col, :end] = columns[:, j, t]
            self.grams[4, :end, col] = columns[:, j, 4]  # v_i·X E_P w
            self.grams[4, col, :end] = columns[:, j, 5]  # w·X E_P v_i = (E_P X w)·v_i
        self.m = end

    def reduced(self, s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ritz values, their coefficient vectors and error bounds at ``s``."""
        m, c = self.m, self.op.driver_coefficient
        a, b = s, -(1.0 - s) * c
        x, e, xx, ee, xe = self.grams[:, :m, :m]
        h = a * e + b * x
        theta, y = np.linalg.eigh(0.5 * (h + h.T))
        square = a * a * ee + b * b * xx + a * b * (xe + xe.T)
        nr = min(self.k + 1, m)
        floor = math.sqrt(m * np.finfo(float).eps) * (
            abs(a) * float(np.abs(self.op.diagonal).max()) + abs(b) * self.op.num_qubits)
        rnorm = np.sqrt(np.maximum(np.einsum("ij,ik,kj->j", y[:, :nr], square, y[:, :nr])
                                   - theta[:nr] ** 2, floor**2))
        others = np.abs(theta[:nr, None] - theta[None, :])
        others[np.arange(nr), np.arange(nr)] = np.inf
        delta = np.maximum(others.min(axis=1), 1e-300)
        return theta, y, np.minimum(rnorm, rnorm**2 / delta)

    def solve(self, s: float) -> float:
        """Davidson at ``s`` (the profile's settings) from the Ritz vectors; adds the eigenvectors."""
        from hybridxai.anneal.eigensolvers import DavidsonWorkspace, lowest_eigenpairs

        _, y, _ = self.reduced(s)
        start = y[:, : self.k + 1].T @ self.basis[: self.m]
        block = min(self.k + 1, self.op.dimension)
        if self.workspace is None:
            self.workspace = DavidsonWorkspace(self.op.dimension, max(12, 4 * block), block,
                                               staggered=True)
        pairs = lowest_eigenpairs(self.op, s, self.k, solver="davidson", x0=start,
                                  tol=0.5 * self.tol, rng=self.rng, guard=1,
                                  max_subspace=max(12, 4 * block), workspace=self.workspace,
                                  sentinel=True, inner_steps=10, inner_reduction=0.1,
                                  inner_precision="single")
        self.products += pairs.matvecs
        self.solves += 1
        self.add(pairs.vectors[: self.k])
        return float(pairs.errors[0] + pairs.errors[self.g])  # the gap's, as GapPoint.error

    def profile(self, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Gaps, matrix elements ``‖P_g·∂ₛH·P_<‖`` and error bounds of the gaps on ``grid``."""
        op, g = self.op, self.g
        lowest = np.argsort(op.diagonal, kind="stable")[: self.k + 1]
        start = np.zeros((lowest.size + 1, op.dimension))
        start[np.arange(lowest.size), lowest] = 1.0  # the classical states (s = 1)
        start[-1] = 1.0  # the uniform superposition (s = 0)
        self.add(start)
        solved: dict[float, float] = {}
        with blas_threads(1):
            while True:
                bounds = {float(s): float(self.reduced(float(s))[2][: g + 1].max())
                          for s in grid if float(s) not in solved}
                worst = max(bounds, key=bounds.get, default=None)
                if worst is None or bounds[worst] <= 0.5 * self.tol:
                    break
                if self.m + self.k > self.basis.shape[0]:
                    raise RuntimeError(f"the reduced basis is full ({self.m} vectors)")
                solved[worst] = self.solve(worst)
        x, e = self.grams[:2, : self.m, : self.m]
        derivative = e + op.driver_coefficient * x  # ∂ₛH = E_P + c·ΣX in the basis
        gaps, couplings, errors = (np.empty(grid.size) for _ in range(3))
        for i, s in enumerate(grid):
            theta, y, err = self.reduced(float(s))
            members = [j for j in range(g, min(self.k + 1, theta.size))
                       if theta[j] - theta[g] <= level_tolerance(op, float(s))]
            gaps[i] = theta[g] - theta[0]
            couplings[i] = float(np.linalg.norm(y[:, members].T @ derivative @ y[:, :g]))
            errors[i] = solved.get(float(s), float(err[0] + err[g]))
        return gaps, couplings, errors


def continuation(sizes: list[int], instance: str, seed: int, tol: float) -> None:
    """``gap_profile`` against :class:`ReducedBasisProfile` on 64 points: products, time, agreement."""
    from hybridxai.analysis import gap_profile
    from hybridxai.anneal.gap_points import profile_grid

    qubos = instance_qubos(sizes, instance, seed)
    gap_profile(qubos[10], solver="davidson")  # compile the kernels outside the timings
    print("| d | gap_profile s | products | reduced basis s | products (solves + 3/vector) | "
          "solves | vectors | max gap diff | max matrix-element diff | max bound |", flush=True)
    print("|---|---|---|---|---|---|---|---|---|---|")
    for d in sizes:
        t0 = time.perf_counter()
        reference = gap_profile(qubos[d], tol=tol, solver="davidson")
        seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        reduced = ReducedBasisProfile(qubos[d], tol=tol, seed=seed)
        gaps, couplings, errors = reduced.profile(profile_grid())
        rb_seconds = time.perf_counter() - t0
        print(f"| {d} | {seconds:.1f} | {reference.matvecs} | {rb_seconds:.1f} | {reduced.products} | "
              f"{reduced.solves} | {reduced.m} | {np.abs(gaps - reference.gaps).max():.1e} | "
              f"{np.abs(couplings - reference.couplings).max():.1e} | {errors.max():.1e} |",
              flush=True)


def adaptive_profiles(sizes: list[int], instance: str, seed: int, grid_max_d: int,
                      fine_max_d: int, gap_only: bool = False) -> None:
    """The adaptive profile against the 64-point grid and ``min_gap``, same instances, one run.

    With ``gap_only`` also the adaptive profile without matrix elements
    (``gap_profile(bqm, adaptive=True, matrix_elements=False)``): its time, products, points and
    how far its ``Δ_min`` is from the full adaptive profile's, in columns of their own.

    Per d: the grid profile (``gap_profile(bqm)``, up to ``grid_max_d``), the adaptive one
    (``gap_profile(bqm, adaptive=True)``) and ``min_gap(bqm)`` (its default tol, 1e-6). Up to
    ``fine_max_d`` both profiles are also checked against a fine reference profile (the 1024
    cell midpoints and 300 points ``1 − 10^-k``, k from 2 to 6, tol 1e-10): the largest
    relative error of each one's straight lines for the gap over the reference points inside its
    first and last point, and ``max_u |s(u) − s_ref(u)|`` of the local-adiabatic schedules built
    from each (what ``schedule="local-adiabatic"`` would anneal with). Above ``fine_max_d`` the
    adaptive straight lines are compared with the grid's gaps instead.
    """
    from hybridxai.analysis import gap_profile
    from hybridxai.anneal.schedules import ProblemSchedule

    qubos = instance_qubos(sizes, instance, seed)
    gap_profile(qubos[10], solver="davidson")  # compile the kernels outside the timings
    gap_profile(qubos[10], solver="davidson", adaptive=True)
    print(f"instance {instance}" + ("" if instance == "chelsea" else f", seed {seed}")
          + f"; load average {os.getloadavg()[0]:.2f}", flush=True)
    print("| d | grid s | products | grid lowest − Δ_min | adaptive s | products | points | "
          "Δ_min at s* (adaptive) | adaptive − min_gap | gap line error: grid / adaptive | "
          "schedule error: grid / adaptive |"
          + (" gap only s | products | points | gap only − adaptive Δ_min |" if gap_only else ""),
          flush=True)
    print("|---" * (15 if gap_only else 11) + "|")
    u = np.linspace(0.0, 1.0, 4001)
    rule = ProblemSchedule()
    fine_s = np.unique(np.concatenate([(np.arange(1024) + 0.5) / 1024, 1.0 - np.logspace(-2, -6, 300)]))

    def line_error(profile, s, gaps) -> float:  # noqa: ANN001
        inside = (s >= profile.s[0]) & (s <= profile.s[-1])
        return float(np.abs(np.interp(s[inside], profile.s, profile.gaps) / gaps[inside] - 1).max())

    for d in sizes:
        bqm = qubos[d]
        grid = gap_profile(bqm) if d <= grid_max_d else None
        adaptive = gap_profile(bqm, adaptive=True)
        reference = min_gap(bqm)
        row = [str(d), "not run", "", ""]
        if grid is not None:
            row = [str(d), f"{grid.seconds:.1f}", str(grid.matvecs),
                   f"{grid.min_gap - reference.min_gap:.1e}"]
        row += [f"{adaptive.seconds:.1f}", str(adaptive.matvecs), str(adaptive.s.size),
                f"{adaptive.min_gap:.10f} at {adaptive.s_min:.6f}",
                f"{adaptive.min_gap - reference.min_gap:.1e}"]
        if d <= fine_max_d and grid is not None:
            fine = gap_profile(bqm, s=fine_s, tol=1e-10)
            schedule = rule.from_profile(fine)(u)
            row += [" / ".join(f"{line_error(p, fine.s, fine.gaps):.1e}" for p in (grid, adaptive)),
                    " / ".join(f"{np.abs(rule.from_profile(p)(u) - schedule).max():.3f}"
                               for p in (grid, adaptive))]
        elif grid is not None:
            row += [f"— / {line_error(adaptive, grid.s, grid.gaps):.1e} (against the grid)", ""]
        else:
            row += ["", ""]
        if gap_only:
            bare = gap_profile(bqm, adaptive=True, matrix_elements=False)
            row += [f"{bare.seconds:.1f}", str(bare.matvecs), str(bare.s.size),
                    f"{bare.min_gap - adaptive.min_gap:.1e}"]
        print("| " + " | ".join(row) + " |", flush=True)


def field_ratio_starts(op: AnnealingOperator) -> np.ndarray:
    """Start points where the driver-to-problem energy ratio ``Γ(s) = (1 − s)·c/(s·λ)`` is 1, 1/4, 1/16, 1/64.

    ``λ = max|E_P − mean(E_P)|/d`` is the problem's energy per qubit, ``c`` the driver's, so the
    points follow the driver scale and the size of the QUBO's energies: ``s = c/(c + λ·Γ)``.
    A candidate for :func:`hybridxai.anneal.gap_adaptive.adaptive_points` measured against its
    midpoint starts (docs/benchmarks.md, ninth round); not adopted.
    """
    ratios = np.array([1.0, 1 / 4, 1 / 16, 1 / 64])
    scale = op.diagonal_deviation / op.num_qubits
    return np.unique(op.driver_coefficient / (op.driver_coefficient + scale * ratios))


@contextlib.contextmanager
def field_ratio_start() -> Iterator[None]:
    """Adaptive profiles made inside start from :func:`field_ratio_starts` instead of midpoints."""
    from hybridxai.anneal import gap_profile as profiles

    original = profiles.adaptive_points

    def patched(tracker, ends, rtol, tol, max_points):  # noqa: ANN001, ANN202
        return original(tracker, ends, rtol, tol, max_points, starts=field_ratio_starts(tracker.op))

    profiles.adaptive_points = patched  # type: ignore[assignment]
    try:
        yield
    finally:
        profiles.adaptive_points = original  # type: ignore[assignment]


def start_points_comparison(sizes: list[int], seeds: int) -> None:
    """``gap_profile(adaptive=True)`` from its midpoint starts against :func:`field_ratio_starts`."""
    from hybridxai.analysis import gap_profile

    gap_profile(random_feature_qubo(10, 0), solver="davidson", adaptive=True)  # compile the kernels
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print("| conventions | d | instance | midpoint starts: products / points / s | "
          "field-ratio starts: products / points / s | Δ_min (both) |")
    print("|---|---|---|---|---|---|")
    for conventions in ("hybridxai", "authors"):
        for d in sizes:
            instances = {"chelsea": chelsea_qubos([d])[d],
                         **{f"random seed {seed}": random_feature_qubo(d, seed) for seed in range(seeds)}}
            totals = np.zeros((2, 2))
            for name, bqm in instances.items():
                before = gap_profile(bqm, adaptive=True, conventions=conventions)
                with field_ratio_start():
                    after = gap_profile(bqm, adaptive=True, conventions=conventions)
                totals += [[before.matvecs, before.seconds], [after.matvecs, after.seconds]]
                same = abs(before.min_gap - after.min_gap) <= before.tol + after.tol
                print(f"| {conventions} | {d} | {name} | {before.matvecs} / {before.s.size} / "
                      f"{before.seconds:.1f} | {after.matvecs} / {after.s.size} / {after.seconds:.1f} | "
                      f"{after.min_gap:.10f}{'' if same else f' (midpoints: {before.min_gap:.10f})'} |",
                      flush=True)
            print(f"| {conventions} | {d} | **total** | {totals[0, 0]:.0f} / — / {totals[0, 1]:.1f} | "
                  f"{totals[1, 0]:.0f} / — / {totals[1, 1]:.1f} | "
                  f"products × {totals[1, 0] / totals[0, 0]:.2f}, "
                  f"time × {totals[1, 1] / totals[0, 1]:.2f} |", flush=True)


def cross_check(sizes: list[int], seeds: int, tol: float, kinds: list[str]) -> None:
    """``min_gap`` against the adaptive profile's lowest point on random instances.

    Two different searches for ``Δ_min`` (Brent with a tangent stop and a shape check;
    bisection by the Hermite error, then Hermite minima); every instance where they differ by
    more than ``tol`` is printed, with ``min_gap``'s evaluations in all. ``kinds``: ``paper``
    (``random_feature_qubo(d, seed)``), ``z2`` (its couplings alone: ``flip_symmetric_qubo(d, seed)``).
    """
    from hybridxai.analysis import gap_profile

    build = {"paper": random_feature_qubo, "z2": flip_symmetric_qubo}
    differ = evaluations = 0
    with blas_threads(1):
        for kind in kinds:
            for d in sizes:
                for seed in range(seeds):
                    bqm = build[kind](d, seed)
                    found = min_gap(bqm, tol=tol)
                    evaluations += found.num_evaluations
                    profile = gap_profile(bqm, adaptive=True, num_points=128)
                    if abs(profile.min_gap - found.min_gap) > tol:
                        differ += 1
                        print(f"{kind} d={d} seed={seed}: min_gap {found.min_gap:.9f} at "
                              f"{found.s_min:.6f}, adaptive profile {profile.min_gap:.9f} at "
                              f"{profile.s_min:.6f}", flush=True)
    print(f"{differ} of {len(kinds) * len(sizes) * seeds} instances differ by more than {tol:g}; "
          f"min_gap evaluated {evaluations} points")


def dense_check(sizes: list[int], seeds: int, tol: float, kinds: list[str]) -> None:
    """``min_gap`` and the gap-only adaptive profile, both Davidson, against dense ``eigh``.

    The reference is ``min_gap(solver="dense", tol=1e-10)``: the same search with an exact
    eigensolver, so this checks the eigensolver, not the search (a dip that both searches miss
    is not seen). Every instance where either is more than ``tol`` above it is printed; a miss
    is ``min_gap`` above it by more than ``tol`` or the profile by more than ``3·tol`` (its
    contract, :mod:`hybridxai.anneal.gap_adaptive`). On ``z2`` instances (``flip_symmetric_qubo``) the
    Davidson solver splits the spin-flip sectors (:mod:`hybridxai.anneal.sectors`): the
    products of both are summed per kind, to show what the split costs.
    """
    from hybridxai.analysis import gap_profile

    build = {"paper": random_feature_qubo, "z2": flip_symmetric_qubo}
    with blas_threads(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", UnresolvedProfileWarning)
        for kind in kinds:
            missed = {"min_gap": 0, "profile": 0}
            worst = {"min_gap": 0.0, "profile": 0.0}
            products = {"min_gap": 0, "profile": 0}
            for d in sizes:
                for seed in range(seeds):
                    bqm = build[kind](d, seed)
                    reference = min_gap(bqm, solver="dense", tol=1e-10).min_gap
                    found = {"min_gap": min_gap(bqm, solver="davidson", tol=tol),
                             "profile": gap_profile(bqm, adaptive=True, solver="davidson",
                                                    tol=tol, matrix_elements=False)}
                    for name, result in found.items():
                        excess = result.min_gap - reference
                        worst[name] = max(worst[name], excess)
                        products[name] += result.matvecs
                        if excess > tol:
                            missed[name] += excess > (tol if name == "min_gap" else 3 * tol)
                            print(f"{kind} d={d} seed={seed}: {name} {result.min_gap:.10f}, dense "
                                  f"{reference:.10f} (+{excess:.3g})", flush=True)
            count = len(sizes) * seeds
            print(f"{kind}: min_gap {missed['min_gap']} of {count} above dense by more than {tol:g} "
                  f"(largest excess {worst['min_gap']:.3g}, {products['min_gap']} products); "
                  f"adaptive profile {missed['profile']} above by more than {3 * tol:g} (largest "
                  f"{worst['profile']:.3g}, {products['profile']} products)", flush=True)


@contextlib.contextmanager
def without_sector_search() -> Iterator[None]:
    """``min_gap`` calls made inside skip step 6, the search of each sector's own gap."""
    from hybridxai.analysis import gap as gap_module

    original = gap_module._refine_branches
    gap_module._refine_branches = lambda *args: []  # type: ignore[assignment]
    try:
        yield
    finally:
        gap_module._refine_branches = original  # type: ignore[assignment]


def profile_products(sizes: list[int], seeds: int) -> None:
    """Products, points, wall time and ``Δ_min`` of the gap-only adaptive profile, one instance at a time.

    On ``chelsea`` and ``random_feature_qubo(d, seed)`` for seeds ``0 .. seeds - 1`` at each
    d (default arguments, ``matrix_elements=False``), with the totals; run it in two trees
    to compare their products (times only with nothing else running).
    """
    from hybridxai.anneal.gap_profile import compute_gap_profile

    print(f"load average {os.getloadavg()[0]:.2f}")
    chelsea = chelsea_qubos(sizes)
    total, seconds = 0, 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for d in sizes:
            instances = [("chelsea", chelsea[d])]
            instances += [(f"random {seed}", random_feature_qubo(d, seed)) for seed in range(seeds)]
            for name, bqm in instances:
                t0 = time.perf_counter()
                profile = compute_gap_profile(bqm, adaptive=True, matrix_elements=False, progress=False)
                wall = time.perf_counter() - t0
                total, seconds = total + profile.matvecs, seconds + wall
                print(f"d={d:2d} {name:9s} products {profile.matvecs:5d}  points {profile.s.size:3d}  "
                      f"{wall:7.2f} s  Δ_min {profile.min_gap:.12f} at {profile.s_min:.10f}  "
                      f"resolved {profile.info['resolved']}", flush=True)
    print(f"total: {total} products, {seconds:.1f} s")


def sector_search_check(sizes: list[int], seeds: int, tol: float) -> None:
    """``min_gap`` with and without its search of each sector's own gap, on ``flip_symmetric_qubo``.

    Where they differ by more than ``tol``, both are compared with an independent reference
    around them (``tests/analysis/_reference.py: sector_reference_min_gap``: Kronecker
    products, dense ``eigh`` of each sector's block, 11 points, then bounded Brent); the
    products of both are summed per d.
    """
    from hybridxai.anneal.ising import flip_symmetries

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' references
    from tests.analysis._reference import sector_reference_min_gap

    print(f"load average {os.getloadavg()[0]:.2f}; tol {tol:g}, Davidson")
    with blas_threads(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for d in sizes:
            differ = 0
            products = np.zeros(2, dtype=int)
            for seed in range(seeds):
                bqm = flip_symmetric_qubo(d, seed)
                with without_sector_search():
                    before = min_gap(bqm, solver="davidson", tol=tol)
                after = min_gap(bqm, solver="davidson", tol=tol)
                products += [before.matvecs, after.matvecs]
                if abs(before.min_gap - after.min_gap) > tol:
                    differ += 1
                    low, high = sorted((before.s_min, after.s_min))
                    reference, where = sector_reference_min_gap(
                        bqm, flip_symmetries(bqm), points=11,
                        bounds=(max(0.0, low - 0.005), min(1.0, high + 0.005)))
                    print(f"d={d} seed={seed}: without {before.min_gap:.10f} at {before.s_min:.6f}, "
                          f"with {after.min_gap:.10f} at {after.s_min:.6f}; sector reference "
                          f"{reference:.10f} at {where:.6f}", flush=True)
            print(f"d={d}: {differ} of {seeds} differ by more than {tol:g}; products without "
                  f"{products[0]}, with {products[1]} (× {products[1] / products[0]:.3f})", flush=True)


def real_scaling(args: argparse.Namespace) -> None:
    """Time gap_profile and min_gap on real instances against the eigsh peer; plot time vs d."""
    from hybridxai.analysis import gap_profile

    min_gap_sizes = list(args.min_gap_d) + ([26] if args.with_26 else [])
    adaptive_sizes = list(args.adaptive_profile_d) + ([26] if args.with_26 else [])
    warm = PARALLEL_MIN_QUBITS  # the threaded kernels too (numba compiles them on first use)
    qubos = chelsea_qubos(sorted(set(args.profile_d) | set(min_gap_sizes) | set(adaptive_sizes)
                                 | {10, warm}))
    for d in (10, warm):  # compile the kernels outside the timings
        gap_profile(qubos[d], solver="davidson")
        gap_profile(qubos[d], solver="davidson", adaptive=True, matrix_elements=False)
        min_gap(qubos[d], solver="davidson")
    peer_s = [float(x) for x in args.peer_points]
    adaptive = "gap_profile(adaptive, gap only)"
    rows: dict[str, list[tuple[int, float, float]]] = {"gap_profile": [], adaptive: [], "min_gap": []}
    run = {"gap_profile": gap_profile, "min_gap": min_gap,
           adaptive: lambda bqm: gap_profile(bqm, adaptive=True, matrix_elements=False)}
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; peer: cold eigsh at "
          f"s = {peer_s}, extrapolated to the number of points evaluated")
    print("| function | d | seconds | points | products H·v | Δ_min | s* | peer s/point | "
          "peer (extrapolated) | ratio peer/ours |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, sizes in (("gap_profile", args.profile_d), (adaptive, adaptive_sizes),
                        ("min_gap", min_gap_sizes)):
        for d in sizes:
            bqm = qubos[d]
            t0 = time.perf_counter()
            result = run[name](bqm)
            ours = time.perf_counter() - t0
            points = int(result.s.size)
            peer = per_point = float("nan")
            if d <= args.peer_max_d:
                op = AnnealingOperator.from_bqm(bqm)
                k = result.degeneracy + (2 if name == "gap_profile" else 1)  # + E_g's next level
                per_point = peer_seconds(op, k, peer_s)
                peer = per_point * points
            rows[name].append((d, ours, peer))
            print(f"| {name} | {d} | {ours:.1f} | {points} | {result.matvecs} | {result.min_gap:.9f} | "
                  f"{result.s_min:.6f} | {per_point:.2f} | {peer:.0f} | {peer / ours:.1f} |", flush=True)
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for name, marker in (("gap_profile", "o"), (adaptive, "^"), ("min_gap", "s")):
            if rows[name]:
                ds, ours_t, peer_t = zip(*rows[name], strict=True)
                ax.semilogy(ds, ours_t, marker + "-", label=f"{name} (Davidson)")
                ax.semilogy(ds, peer_t, marker + "--", label=f"{name}: cold eigsh, extrapolated")
        ax.set_xlabel("d (qubits)")
        ax.set_ylabel("seconds")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.plot, dpi=120)
        print(f"wrote {args.plot}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--d", type=int, nargs="+", default=[16, 20])
    parser.add_argument("--kind", choices=["paper", "gauss"], default="paper")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--total-time", type=float, default=10.0)
    parser.add_argument("--sample", type=int, default=3,
                        help="per-step points to time for the extrapolation (0: skip the scan; "
                             "at d = 20 each point costs 1-8 minutes)")
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--warm-per-step", action="store_true",
                        help="also run min_gap(dense=True): all per-step points, warm-started")
    parser.add_argument("--real", action="store_true",
                        help="time gap_profile (grid, adaptive) and min_gap on real QUBOs (see above)")
    parser.add_argument("--profile-d", type=int, nargs="*", default=[12, 14, 16, 18, 20])
    parser.add_argument("--min-gap-d", type=int, nargs="*", default=[16, 18, 20, 22, 24])
    parser.add_argument("--adaptive-profile-d", type=int, nargs="*", default=[16, 18, 20, 22, 24])
    parser.add_argument("--with-26", action="store_true",
                        help="also min_gap and the gap-only adaptive profile at d = 26 "
                        "(12-13.5 GiB and 13.5-17.5 GiB)")
    parser.add_argument("--peer-points", type=float, nargs="+", default=[0.3, 0.6, 0.9])
    parser.add_argument("--peer-max-d", type=int, default=18,
                        help="largest d at which the eigsh peer is run")
    parser.add_argument("--plot", default="hybridxai-out/gap_scaling.png", help="PNG path ('' for none)")
    parser.add_argument("--kernels", action="store_true",
                        help="time the H·v and Walsh kernels, serial vs threaded, against a copy")
    parser.add_argument("--kernel-d", type=int, nargs="+", default=[16, 20, 24])
    parser.add_argument("--alignment", type=int, nargs="*", default=[],
                        help="H·v between rows 16 bytes past a cache line and on one, at these d")
    parser.add_argument("--threading", type=int, nargs="*", default=[],
                        help="gap_profile at these d with serial and with threaded kernels")
    parser.add_argument("--reference", type=float, nargs="*", default=[],
                        help="cold eigsh gaps at these s beside min_gap, at --min-gap-d")
    parser.add_argument("--reference-instance", choices=["chelsea", "random"], default="chelsea",
                        help="--reference on the chelsea QUBOs or on random_feature_qubo(d, --seed)")
    parser.add_argument("--near-min", action="store_true",
                        help="--reference also at s* and s* ± each of --near-steps")
    parser.add_argument("--near-steps", type=float, nargs="+", default=[1e-2, 1e-3, 1e-4],
                        help="offsets from s* for --near-min (each point costs a cold eigsh)")
    parser.add_argument("--profile-tols", type=float, nargs="*", default=[],
                        help="gap_profile at --profile-d at each tol against tol=1e-10")
    parser.add_argument("--profile-spaces", type=int, nargs="*", default=[],
                        help="gap_profile at --profile-d with each forced Davidson search space")
    parser.add_argument("--fine-grid", type=int, default=0,
                        help="min_gap at --min-gap-d against ARPACK on this many points over "
                             "[0, 1] (each point an ARPACK solve: about 30 s at d = 20)")
    parser.add_argument("--continuation", type=int, nargs="*", default=[],
                        help="gap_profile against a reduced-basis profile at these d "
                             "(--reference-instance, --seed; tol 1e-10)")
    parser.add_argument("--adaptive", type=int, nargs="*", default=[],
                        help="gap_profile(adaptive=True) against the 64-point grid and min_gap at "
                             "these d (--reference-instance, --seed)")
    parser.add_argument("--grid-max-d", type=int, default=22,
                        help="with --adaptive: run the 64-point grid profile up to this d")
    parser.add_argument("--gap-only", action="store_true",
                        help="with --adaptive: also the adaptive profile without matrix elements")
    parser.add_argument("--fine-max-d", type=int, default=16,
                        help="with --adaptive: check both profiles against a fine one up to this d")
    parser.add_argument("--cross-check", type=int, nargs="*", default=[],
                        help="min_gap against gap_profile(adaptive=True) on random_feature_qubo(d, "
                             "seed) at these d, seeds 0 .. --seeds - 1 (--tol)")
    parser.add_argument("--cross-check-kinds", nargs="*", default=["paper"], choices=["paper", "z2"],
                        help="instances of --cross-check: random_feature_qubo (paper) and its "
                             "SPIN couplings alone (z2)")
    parser.add_argument("--dense-check", type=int, nargs="*", default=[],
                        help="min_gap and the gap-only adaptive profile (Davidson) against dense "
                             "eigh at these d, on the --cross-check-kinds instances, seeds "
                             "0 .. --seeds - 1 (--tol)")
    parser.add_argument("--sector-search", type=int, nargs="*", default=[],
                        help="min_gap with and without its search of each sector's own gap on "
                             "flip_symmetric_qubo(d, seed) at these d, seeds 0 .. --seeds - 1 (--tol)")
    parser.add_argument("--seeds", type=int, default=150,
                        help="random instances per d of --cross-check and --starts")
    parser.add_argument("--profile-products", type=int, nargs="*", default=[],
                        help="products of the gap-only adaptive profile at these d, on chelsea "
                             "and --seeds random instances")
    parser.add_argument("--starts", type=int, nargs="*", default=[],
                        help="gap_profile(adaptive=True) from its midpoint starts against "
                             "field-ratio starts at these d, on chelsea and --seeds random instances")
    parser.add_argument("--search-spaces", type=int, nargs="*", default=[],
                        help="time min_gap at --min-gap-d with these Davidson search spaces")
    args = parser.parse_args()
    if args.reference or args.near_min:
        independent_reference(args.min_gap_d, args.reference, args.reference_instance, args.seed,
                              args.near_min, tuple(args.near_steps))
        return
    if args.fine_grid:
        fine_reference(args.min_gap_d, args.reference_instance, args.seed, args.fine_grid, args.tol)
        return
    if args.continuation:
        continuation(args.continuation, args.reference_instance, args.seed, 1e-10)
        return
    if args.cross_check:
        cross_check(args.cross_check, args.seeds, args.tol, args.cross_check_kinds)
        return
    if args.dense_check:
        dense_check(args.dense_check, args.seeds, args.tol, args.cross_check_kinds)
        return
    if args.sector_search:
        sector_search_check(args.sector_search, args.seeds, args.tol)
        return
    if args.starts:
        start_points_comparison(args.starts, args.seeds)
        return
    if args.profile_products:
        profile_products(args.profile_products, args.seeds)
        return
    if args.adaptive:
        adaptive_profiles(args.adaptive, args.reference_instance, args.seed, args.grid_max_d,
                          args.fine_max_d, args.gap_only)
        return
    if args.profile_tols or args.profile_spaces:
        profile_variants(args.profile_d, args.profile_spaces, args.profile_tols)
        return
    if args.search_spaces:
        search_spaces(args.min_gap_d, args.search_spaces)
        return
    if args.alignment:
        alignment_timings(args.alignment)
        return
    if args.kernels:
        kernel_timings(args.kernel_d)
        return
    if args.threading:
        threading_threshold(args.threading, args.seed)
        return
    if args.real:
        real_scaling(args)
        return

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; kind={args.kind}, "
          f"seed={args.seed}, T={args.total_time}, dt=0.01, tol={args.tol}")
    for d in args.d:
        bqm = (random_feature_qubo(d, args.seed) if args.kind == "paper"
               else gaussian_bqm(d, args.seed))
        t0 = time.perf_counter()
        result = min_gap(bqm, tol=args.tol)
        adaptive = time.perf_counter() - t0
        print(f"d={d:2d} adaptive: Δ_min={result.min_gap:.9f} s*={result.s_min:.7f} "
              f"time={adaptive:.1f}s evaluations={result.num_evaluations} matvecs={result.matvecs} "
              f"solver={result.solver}", flush=True)
        if args.warm_per_step:
            t0 = time.perf_counter()
            steps = min_gap(bqm, tol=args.tol, dense=True, dense_total_time=args.total_time)
            warm = time.perf_counter() - t0
            print(f"d={d:2d} per-step warm-started (min_gap dense=True): Δ_min={steps.min_gap:.9f} "
                  f"s*={steps.s_min:.7f} time={warm:.1f}s matvecs={steps.matvecs}; "
                  f"ratio/adaptive = {warm / adaptive:.1f}x", flush=True)
        if args.sample <= 0:
            continue
        points = per_step_points(args.total_time)
        pick = points[np.linspace(0, points.size - 1, args.sample).round().astype(int)]
        op = AnnealingOperator.from_bqm(bqm)
        with blas_threads(1):
            per_point, sampled_min, sampled_s = per_step_eigsh(op, pick)
        total = per_point * points.size
        print(f"d={d:2d} per-step eigsh: {per_point:.2f}s/point x {points.size} points = "
              f"{total:.0f}s (extrapolated from {args.sample}); min over sampled points "
              f"{sampled_min:.6f} at s={sampled_s:.4f}; ratio per-step/adaptive = "
              f"{total / adaptive:.0f}x", flush=True)
        if result.min_gap > sampled_min + args.tol:
            print(f"d={d:2d} WARNING: adaptive Δ_min is above a sampled per-step gap")


if __name__ == "__main__":
    main()
