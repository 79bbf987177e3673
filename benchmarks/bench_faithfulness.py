"""Faithfulness study of the QUBO selection vs GradCAM on offline real photos (docs/faithfulness.md).

The image set (50 independent photographs, all shipped with installed packages or the Debian
package ``dataset-fashion-mnist``, so the run needs no network):

* 21 photos: the ``skimage.data`` photographs astronaut, camera, chelsea, coffee, coins, rocket,
  hubble_deep_field, immunohistochemistry, retina, moon, text, page, grass, gravel, brick, clock,
  cell and the left view of stereo_motorcycle; scikit-learn's china and flower; matplotlib's
  grace_hopper. (``skimage.data.cat`` is chelsea again and the right motorcycle view is the same
  scene, so neither is used; drawings and synthetic images — logo, horse, colorwheel,
  checkerboard, phantom — are left out.)
* 29 Fashion-MNIST test photographs (28×28 grey product photos, Zalando): the first 3 of each
  class in file order, 2 for the last (test indices recorded in scores.csv).

Run (about 12 minutes on 2 shared CPU cores)::

    python benchmarks/bench_faithfulness.py --out hybridxai-out/faithfulness
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np
from PIL import Image

import hybridxai
from hybridxai.evaluate import QuantusSettings, evaluate
from hybridxai.vision.data.idx import read_idx

SKIMAGE = ("astronaut", "camera", "chelsea", "coffee", "coins", "rocket", "hubble_deep_field",
           "immunohistochemistry", "retina", "moon", "text", "page", "grass", "gravel", "brick",
           "clock", "cell")
FASHION = Path("/usr/share/datasets/fashion-mnist")


def photos() -> tuple[list[Image.Image], list[str]]:
    import matplotlib.cbook
    import skimage.data
    from sklearn.datasets import load_sample_images

    images, names = [], []
    for name in SKIMAGE:
        images.append(Image.fromarray(np.asarray(getattr(skimage.data, name)())).convert("RGB"))
        names.append(f"skimage:{name}")
    images.append(Image.fromarray(skimage.data.stereo_motorcycle()[0]).convert("RGB"))
    names.append("skimage:stereo_motorcycle[left]")
    for i, name in enumerate(("china", "flower")):
        images.append(Image.fromarray(load_sample_images().images[i]).convert("RGB"))
        names.append(f"sklearn:{name}")
    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as fh:
        images.append(Image.open(fh).convert("RGB"))
    names.append("matplotlib:grace_hopper")
    return images, names


def fashion(count: int) -> tuple[list[Image.Image], list[str]]:
    pixels = read_idx(FASHION / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(FASHION / "t10k-labels-idx1-ubyte.gz")
    chosen: list[int] = []
    per_class = -(-count // 10)
    for c in range(10):
        chosen += [int(i) for i in np.flatnonzero(labels == c)[:per_class]]
    chosen = sorted(chosen, key=lambda i: (int(labels[i]), i))[:count]
    return ([Image.fromarray(pixels[i]).convert("RGB") for i in chosen],
            [f"fashion-mnist:t10k[{i}] (class {int(labels[i])})" for i in chosen])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="hybridxai-out/faithfulness")
    parser.add_argument("--fashion", type=int, default=29, help="Fashion-MNIST images (default 29)")
    parser.add_argument("--methods", nargs="+",
                        default=["qubo:beta=0.7", "qubo:beta=0.99", "random:beta=0.7", "gradcam",
                                 "gradcam++"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    images, names = photos()
    extra, extra_names = fashion(args.fashion)
    images += extra
    names += extra_names
    model = hybridxai.load_pretrained("mobilenet_v2")
    start = time.perf_counter()
    result = evaluate(model, images, args.methods, seed=args.seed, settings=QuantusSettings(),
                      progress=True)
    result = dataclasses.replace(result, sources=tuple(names))
    paths = result.save(args.out)
    print(result.to_markdown())
    control = "random:beta=0.7"
    if control in result.methods:  # the same scores, tested against the random control instead
        versus = dataclasses.replace(result, reference=control)
        (Path(args.out) / "summary_vs_random.md").write_text(versus.to_markdown(), encoding="utf-8")
        print(versus.to_markdown())
    print(f"{len(images)} images in {time.perf_counter() - start:.0f} s; written: {paths['summary_md']}")


if __name__ == "__main__":
    main()
