"""Build the saved QUBO instance set of the optimality benchmark (benchmarks/instances/).

Real instances of the offline default model, ``hybridxai.load_pretrained("mobilenet_v2")`` (layer
``features.18``): the 50 offline photographs of the faithfulness study (docs/faithfulness.md,
"The study": 21 photos shipped in skimage/scikit-learn/matplotlib and 29 Fashion-MNIST test
photos from the Debian package ``dataset-fashion-mnist``), each explained for its ``--top``
most probable ImageNet classes, and each (photo, class) pair cut to ``max_qubits`` = ``--sizes``
most important maps at ``β = --beta`` (``build_qubo(..., beta=0.7, max_qubits=d)``, exactly what
``explain(..., max_qubits=d, beta=0.7)`` anneals).

Every instance is stored as the dense QUBO hybridxai anneals (:func:`hybridxai.anneal.ising.dense_qubo`:
linear ``h``, strictly upper-triangular ``J``, ``offset``; energy ``offset + h·n + nᵀJn``), its
channels, and its exact optimum (``dimod.ExactSolver``: energy, bits and degeneracy), in one
compressed ``.npz`` (``instance_count`` instances; keys ``<name>/h``, ``<name>/J``, ``<name>/channels``,
``<name>/ground_bits``) plus a JSON ``meta`` entry (one record per instance: photo, target class,
rank, d, β, ground energy, degeneracy).

Usage::

    python benchmarks/make_instances.py                       # 50 photos x top-2 classes x d 10-16
    python benchmarks/make_instances.py --fashion 0 --top 1   # the 21 shipped photos only

Load them with :func:`load_instances` (``from benchmarks.make_instances import load_instances``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import dimod
import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_PATH = HERE / "instances" / "mobilenet_v2_beta0.7.npz"
SIZES = (10, 12, 14, 16)


def to_bqm(h: np.ndarray, J: np.ndarray, offset: float) -> dimod.BinaryQuadraticModel:
    """The BINARY BQM of a stored instance (variables ``0 … d−1``, qubit ``i`` = variable ``i``)."""
    return dimod.BinaryQuadraticModel(np.diag(h) + J, "BINARY", offset=float(offset))


def load_instances(path: str | Path = DEFAULT_PATH) -> list[dict[str, Any]]:
    """The stored instances: one dict per instance with its metadata and ``bqm``, ``h``, ``J``.

    Returns:
        Dicts with the ``meta`` fields (``name``, ``photo``, ``target``, ``class_name``, ``rank``,
        ``d``, ``beta``, ``offset``, ``ground_energy``, ``degeneracy``) and ``h``, ``J``,
        ``channels``, ``ground_bits`` and ``bqm``.
    """
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        out = []
        for record in meta:
            name = record["name"]
            item = {**record, **{key: data[f"{name}/{key}"] for key in ("h", "J", "channels", "ground_bits")}}
            item["bqm"] = to_bqm(item["h"], item["J"], record["offset"])
            out.append(item)
    return out


def exact_optimum(bqm: dimod.BinaryQuadraticModel) -> tuple[float, np.ndarray, int]:
    """Ground energy, one ground state (bits in variable order) and the degeneracy, by ExactSolver."""
    sampleset = dimod.ExactSolver().sample(bqm)
    energies = sampleset.record.energy
    low = float(energies.min())
    ties = np.abs(energies - low) <= 1e-9 * max(1.0, abs(low))
    first = sampleset.first
    bits = np.array([first.sample[v] for v in bqm.variables], dtype=np.int8)
    return low, bits, int(ties.sum())


def photos_and_names(num_fashion: int) -> tuple[list[Any], list[str]]:
    """The faithfulness study's offline photographs (benchmarks/bench_faithfulness.py)."""
    sys.path.insert(0, str(HERE))
    from bench_faithfulness import fashion, photos

    images, names = photos()
    if num_fashion:
        extra, extra_names = fashion(num_fashion)
        images, names = images + extra, names + extra_names
    return images, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fashion", type=int, default=29, help="Fashion-MNIST photos (default 29)")
    parser.add_argument("--top", type=int, default=2, help="target classes per photo (top-k, default 2)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--beta", type=float, default=0.7)
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args()

    import torch

    import hybridxai
    from hybridxai.anneal.ising import dense_qubo
    from hybridxai.vision.features import extract_features
    from hybridxai.vision.images import prepare_images
    from hybridxai.vision.models import model_info

    t0 = time.perf_counter()
    torch.manual_seed(0)
    model = hybridxai.load_pretrained("mobilenet_v2")
    info = model_info(model)
    class_names = list(info.class_names or [])
    images, names = photos_and_names(args.fashion)
    batch = prepare_images(images, info.transform).batch
    with torch.no_grad():
        logits = model(batch)
    top = torch.topk(logits, args.top, dim=1).indices.numpy()
    arrays: dict[str, np.ndarray] = {}
    meta: list[dict[str, Any]] = []
    for rank in range(args.top):
        targets = [int(c) for c in top[:, rank]]
        features = extract_features(model, batch, layer=info.default_layer, targets=targets)
        for i, photo in enumerate(names):
            for d in args.sizes:
                q = hybridxai.build_qubo(features.activations[i], features.gradients[i], beta=args.beta,
                                         max_qubits=d)
                if q.num_variables < d:
                    continue  # fewer positive maps than d
                dense = dense_qubo(q.bqm)
                name = f"p{i:02d}_r{rank}_d{d}"
                bqm = to_bqm(dense.linear, dense.quadratic, dense.offset)
                ground, bits, degeneracy = exact_optimum(bqm)
                arrays[f"{name}/h"] = dense.linear
                arrays[f"{name}/J"] = dense.quadratic
                arrays[f"{name}/channels"] = np.asarray(dense.variables, dtype=np.int32)
                arrays[f"{name}/ground_bits"] = bits
                meta.append({"name": name, "photo": photo, "target": targets[i],
                             "class_name": class_names[targets[i]] if class_names else str(targets[i]),
                             "rank": rank, "d": d, "beta": args.beta, "offset": float(dense.offset),
                             "ground_energy": ground, "degeneracy": degeneracy})
        print(f"rank {rank + 1}: {len(meta)} instances so far ({time.perf_counter() - t0:.0f} s)", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, meta=np.array(json.dumps(meta)), **arrays)
    counts = {d: sum(1 for m in meta if m["d"] == d) for d in args.sizes}
    print(f"wrote {len(meta)} instances {counts} to {args.out} ({args.out.stat().st_size / 1e3:.0f} kB, "
          f"{time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
