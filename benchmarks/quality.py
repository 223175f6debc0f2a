"""Sample-quality numbers on real data and for the pretrained catalogue.

    python benchmarks/quality.py [--num=5000] [--extractors=inception,mnist] [--generators=dcgan_mnist,...]

Needs full MNIST and Fashion-MNIST in the cache (``python -m recipes.fetch
mnist fashion_mnist``) and, for the Inception rows, the FID Inception weights
(``python -m recipes.fetch fid_inception``). For each extractor it extracts
features once per set (the first ``--num`` images of each split, in file
order; generated sets from seed 0) and reports:

* FID / KID between MNIST train and MNIST test (should be small: the same
  distribution) and between MNIST test and Fashion-MNIST test (large);
* precision / recall / density / coverage of MNIST test against MNIST train;
* the MNIST score (Inception-score formula on our MNIST classifier's logits)
  of real MNIST test digits;
* FID, KID, precision and recall of each catalogue generator against its
  dataset's test split.

Writes ``benchmarks/results/quality.json`` and prints a markdown table.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from benchmarks._machine import machine_info  # noqa: E402

import zoo  # noqa: E402
from recipes.fetch import dataset_path  # noqa: E402
from zoo import metrics  # noqa: E402

CATALOGUE_DATA = {"dcgan_mnist": "mnist", "study_ns_mnist": "mnist", "study_ns_fashion_mnist": "fashion_mnist"}


def split_images(name, split, n):
    path = dataset_path(name)
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: run python -m recipes.fetch {name}")
    with np.load(path) as d:
        return d[f"x_{split}"][:n, :, :, None]


def compare(real_feats, fake_feats):
    out = {"fid": metrics.fid_from_features(real_feats, fake_feats)}
    out["kid"], out["kid_std"] = metrics.kid_from_features(real_feats, fake_feats, num_subsets=100,
                                                           subset_size=1000)
    out.update(metrics.prdc(real_feats, fake_feats))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=5000, help="images per set")
    parser.add_argument("--extractors", default="inception,mnist")
    parser.add_argument("--generators", default=",".join(CATALOGUE_DATA))
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "quality.json"))
    args = parser.parse_args()

    sets = {
        "mnist_train": lambda: split_images("mnist", "train", args.num),
        "mnist_test": lambda: split_images("mnist", "test", args.num),
        "fashion_mnist_test": lambda: split_images("fashion_mnist", "test", args.num),
    }
    generators = [g for g in args.generators.split(",") if g]
    for g in generators:
        sets[g] = lambda g=g: zoo.load(g).generate(args.num, seed=0)
    report = {"num_per_set": args.num, "machine": machine_info(), "extractors": {}}
    for ext_name in [e for e in args.extractors.split(",") if e]:
        extractor = metrics.get_extractor(ext_name)
        feats, seconds = {}, {}
        for name, load in sets.items():
            images = load()
            start = time.perf_counter()
            feats[name] = extractor.features(images, args.batch)
            seconds[name] = time.perf_counter() - start
            print(f"{extractor.name}: {name} {len(images)} images in {seconds[name]:.1f} s", flush=True)
        rows = {
            "mnist_train_vs_mnist_test": compare(feats["mnist_train"], feats["mnist_test"]),
            "mnist_test_vs_fashion_mnist_test": compare(feats["mnist_test"], feats["fashion_mnist_test"]),
        }
        for g in generators:
            real = "mnist_test" if CATALOGUE_DATA.get(g, "mnist") == "mnist" else "fashion_mnist_test"
            rows[f"{g}_vs_{real}"] = compare(feats[real], feats[g])
        entry = {"name": extractor.name, "rows": rows,
                 "images_per_second": sum(len(f) for f in feats.values()) / sum(seconds.values())}
        if extractor.num_classes:
            logits = extractor.logits(split_images("mnist", "test", args.num), args.batch)
            entry["mnist_test_score"] = metrics.inception_score_from_logits(logits, splits=10)
            for g in generators:
                entry[f"{g}_score"] = metrics.inception_score_from_logits(
                    extractor.logits(zoo.load(g).generate(args.num, seed=0), args.batch), splits=10)
        report["extractors"][ext_name] = entry
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=2)
    print("\n| extractor | comparison | FID | KID x 1e3 | precision | recall | density | coverage |")
    print("|---|---|---|---|---|---|---|---|")
    for ext_name, entry in report["extractors"].items():
        for row, v in entry["rows"].items():
            print(f"| {ext_name} | {row} | {v['fid']:.2f} | {1e3 * v['kid']:.2f} ± {1e3 * v['kid_std']:.2f} | "
                  f"{v['precision']:.3f} | {v['recall']:.3f} | {v['density']:.3f} | {v['coverage']:.3f} |")
        for key in [k for k in entry if k.endswith("_score")]:
            print(f"{ext_name} {key}: {entry[key][0]:.3f} ± {entry[key][1]:.3f}")
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
