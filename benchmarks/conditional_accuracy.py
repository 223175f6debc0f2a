"""Label control of a class-conditional MNIST generator, measured by the zoo's MNIST classifier.

    python benchmarks/conditional_accuracy.py runs/cgan_mnist            # a recipe workdir
    python benchmarks/conditional_accuracy.py zoo/weights/acgan_mnist.generator.keras
    python benchmarks/conditional_accuracy.py cgan_mnist --name cgan_mnist_pretrained   # a catalogue name

For every label k, the generator draws ``--samples`` images (default 1,000) from
the same latents (``latents(samples, seed)``, default seed 0) with ``labels=k``,
and the shipped MNIST classifier (``zoo.metrics.classifier``, ~99.5% test
accuracy) labels them. The accuracy of label k is the share classified as k.
Using the same latents for every label isolates what the label controls.

Writes ``benchmarks/results/conditional_accuracy_<name>.json`` (per-class
accuracy, mean classifier confidence, the confusion matrix, the pass/fail
against ``--target``) and prints a markdown table for the README.
"""

import argparse
import json
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from benchmarks._machine import machine_info  # noqa: E402

RESULTS = os.path.join(ROOT, "benchmarks", "results")


def load(source):
    """``(sampler, description, sha256 or None)`` for a workdir, a .keras file or a catalogue name."""
    import zoo
    from zoo.io import sha256_file
    from zoo.pretrained import CATALOGUE, PretrainedGenerator, PretrainedEntry, load_keras_file

    if source in CATALOGUE and not os.path.exists(source):
        g = zoo.load(source)
        return g, f"zoo.load({source!r})", g.entry.sha256
    path, latent = source, "normal"
    if os.path.isdir(source):
        path = os.path.join(source, "generator.keras")
        config = os.path.join(source, "config.json")
        if os.path.isfile(config):
            with open(config) as f:
                latent = json.load(f).get("model", {}).get("latent_distribution", "normal")
    if not os.path.isfile(path):
        raise SystemExit(f"error: {source!r} is not a workdir with generator.keras, a .keras file or a "
                         f"catalogue name ({', '.join(sorted(CATALOGUE))}).")
    model = load_keras_file(path)
    if isinstance(model, zoo.GAN):
        return model, path, sha256_file(path)
    entry = PretrainedEntry(name=os.path.basename(path), variant="?", dataset="?", image_shape=(),
                            file=path, sha256="", command="", metrics={}, latent_distribution=latent)
    return PretrainedGenerator(model, entry), path, sha256_file(path)


def measure(sampler, samples=1000, seed=0, batch_size=500):
    """Per-label accuracy, confidence and the confusion matrix (rows: requested, columns: classified)."""
    from zoo.metrics.classifier import load_mnist_classifier

    k = sampler.num_classes
    if not sampler.conditional or k != 10:
        what = f"conditional with {k} classes" if sampler.conditional else "not conditional"
        raise SystemExit(f"error: the generator must be class-conditional with 10 classes (MNIST digits); "
                         f"it is {what}.")
    clf = load_mnist_classifier()
    z = sampler.latents(samples, seed=seed)
    confusion = np.zeros((k, k), np.int64)
    confidence = []
    for label in range(k):
        images = sampler.generate(z=z, labels=label, batch_size=batch_size)
        predicted, probabilities = clf.predict_labels(images)
        confusion[label] = np.bincount(predicted, minlength=k)
        confidence.append(float(probabilities[:, label].mean()))
    accuracy = confusion.diagonal() / samples
    return accuracy, np.asarray(confidence), confusion


def table(name, accuracy):
    head = "| model | " + " | ".join(str(i) for i in range(len(accuracy))) + " | min | mean |"
    rule = "|---" * (len(accuracy) + 3) + "|"
    row = (f"| {name} | " + " | ".join(f"{a:.1%}" for a in accuracy)
           + f" | {accuracy.min():.1%} | {accuracy.mean():.1%} |")
    return "\n".join([head, rule, row])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="recipe workdir, .keras file (generator or whole GAN) or catalogue name")
    parser.add_argument("--name", help="results name (default: from the source)")
    parser.add_argument("--samples", type=int, default=1000, help="samples per label")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latents")
    parser.add_argument("--target", type=float, default=0.9, help="the accuracy every label must reach")
    parser.add_argument("--out", default=RESULTS, help="directory of the JSON result")
    args = parser.parse_args(argv)
    name = args.name or os.path.basename(os.path.normpath(args.source)).removesuffix(".keras").removesuffix(
        ".generator")

    import keras
    import tensorflow as tf

    from zoo.io import write_atomic
    from zoo.metrics.classifier import load_mnist_classifier

    start = time.time()
    sampler, description, sha = load(args.source)
    accuracy, confidence, confusion = measure(sampler, args.samples, args.seed)
    result = {
        "name": name,
        "source": description,
        "generator_sha256": sha,
        "classifier": load_mnist_classifier().name,
        "samples_per_label": args.samples,
        "seed": args.seed,
        "protocol": "the same latents (seed) for every label; accuracy = share the classifier labels as requested",
        "per_class_accuracy": {str(i): round(float(a), 4) for i, a in enumerate(accuracy)},
        "per_class_confidence": {str(i): round(float(c), 4) for i, c in enumerate(confidence)},
        "min_accuracy": round(float(accuracy.min()), 4),
        "mean_accuracy": round(float(accuracy.mean()), 4),
        "target": args.target,
        "target_met": bool(accuracy.min() >= args.target),
        "confusion": confusion.tolist(),
        "seconds": round(time.time() - start, 1),
        "machine": machine_info(),
        "versions": {"python": platform.python_version(), "tensorflow": tf.__version__,
                     "keras": keras.__version__},
    }
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"conditional_accuracy_{name}.json")
    write_atomic(path, json.dumps(result, indent=2))
    print(table(name, accuracy))
    print(f"\nmin {accuracy.min():.1%}, mean {accuracy.mean():.1%} "
          f"({'meets' if result['target_met'] else 'misses'} the {args.target:.0%} target); wrote {path}")
    return result


if __name__ == "__main__":
    main()
