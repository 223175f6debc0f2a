"""Stacked MNIST (1,000 modes): how well the zoo's MNIST classifier reads real stacked digits.

    python benchmarks/stacked_mnist.py --check_classifier          # 26,000 real stacked test digits

Modes of generated Stacked-MNIST images are counted by reading each channel with
the zoo's MNIST classifier (``zoo.metrics.classify_stacked``). Before that count
means anything, the classifier must read real stacked digits: this draws
``--num`` images (the PacGAN protocol's evaluation size) whose three channels are
independent MNIST *test* digits (which the classifier never trained on) and
reports the share whose whole mode (all three digits) is read right, the
per-channel accuracy, and the modes covered and KL to uniform that the real data
itself gets (the floor a perfect generator would reach with this many samples).
Writes ``benchmarks/results/stacked_mnist_classifier.json``. Needs the full MNIST
(``python -m recipes.fetch mnist``).
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks._args import positive_int  # noqa: E402
from benchmarks._machine import machine_info  # noqa: E402


def mnist_path(cache_dir=None):
    """The fetched full MNIST (``<cache>/datasets/mnist.npz``); exits with one line when it is missing."""
    from recipes.fetch import dataset_path

    path = dataset_path("mnist", cache_dir)
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: python -m recipes.fetch mnist")
    return path


def mnist_digits(splits, cache_dir=None):
    """``(images, labels)`` of the fetched MNIST's ``splits`` ("train", "test"), uint8 (n, 28, 28)."""
    import numpy as np

    with np.load(mnist_path(cache_dir)) as d:
        return (np.concatenate([d[f"x_{s}"] for s in splits]), np.concatenate([d[f"y_{s}"] for s in splits]))


def check_classifier(num, seed, cache_dir=None):
    """Reads ``num`` real stacked test digits; returns the accuracy and coverage figures."""
    import numpy as np

    from zoo.metrics import classify_stacked, kl_to_uniform, stacked_mnist
    from zoo.metrics.classifier import load_mnist_classifier

    images, labels = mnist_digits(("test",), cache_dir)
    stacked, modes = stacked_mnist(images, labels, num, seed=seed)
    classifier = load_mnist_classifier()
    start = time.time()
    predicted = classify_stacked(stacked.astype("float32") / 127.5 - 1.0, classifier, verbose=0)
    digits = lambda m: np.stack([m // 100, m // 10 % 10, m % 10], axis=1)  # noqa: E731
    channel_accuracy = (digits(predicted) == digits(modes)).mean(axis=0)
    true_counts = np.bincount(modes, minlength=1000)
    read_counts = np.bincount(predicted, minlength=1000)
    return {
        "num": num, "seed": seed, "split": "test", "classifier": classifier.name,
        "mode_accuracy": float((predicted == modes).mean()),
        "channel_accuracy": [round(float(a), 4) for a in channel_accuracy],
        "real_modes_covered": int(np.count_nonzero(true_counts)),
        "real_kl_to_uniform": kl_to_uniform(true_counts),
        "read_modes_covered": int(np.count_nonzero(read_counts)),
        "read_kl_to_uniform": kl_to_uniform(read_counts),
        "seconds": round(time.time() - start, 1),
        "machine": machine_info(),
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check_classifier", action="store_true", help="read real stacked digits (see above)")
    p.add_argument("--num", type=positive_int, default=26_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache_dir", default=None, help="the data cache (default: ~/.cache/ganzoo)")
    p.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "stacked_mnist_classifier.json"))
    args = p.parse_args(argv)
    if not args.check_classifier:
        p.error("nothing to do: pass --check_classifier (training runs: python benchmarks/mixtures.py is next)")
    result = check_classifier(args.num, args.seed, args.cache_dir)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"whole mode read right: {100 * result['mode_accuracy']:.2f}%; per channel: "
          + ", ".join(f"{100 * a:.2f}%" for a in result["channel_accuracy"])
          + f"; real data covers {result['real_modes_covered']}/1000 modes (KL {result['real_kl_to_uniform']:.3f}),"
          f" as read: {result['read_modes_covered']}/1000 (KL {result['read_kl_to_uniform']:.3f})")


if __name__ == "__main__":
    main()
