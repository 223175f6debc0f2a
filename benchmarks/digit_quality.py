"""How many generated digits the zoo's MNIST classifier reads with confidence.

    python benchmarks/digit_quality.py runs/dcgan_mnist            # a workdir, .keras file or catalogue name
    python benchmarks/digit_quality.py dcgan_mnist --num=1000 --seed=0 --out=benchmarks/results/x.json

For ``--num`` samples (latent seed ``--seed``) it reports the share the
classifier (99.5% on real MNIST test digits) labels with probability above
``--threshold`` (0.9), the class histogram and its KL divergence to uniform,
and the same share for as many real test digits (when MNIST is fetched). A
malformed digit gets a flat, unconfident prediction, so the confident share is
a cheap proxy for "a person would read it as a digit".
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks._args import positive_int  # noqa: E402
from benchmarks._machine import machine_info  # noqa: E402


def confidence_report(images, classifier, threshold=0.9):
    """``{"confident_fraction", "class_histogram", "kl_to_uniform"}`` of images in [-1, 1]."""
    import numpy as np

    logits = classifier.logits(images, 256)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    hist = np.bincount(p.argmax(axis=1), minlength=p.shape[1]) / len(p)
    nonzero = hist[hist > 0]
    return {"confident_fraction": float((p.max(axis=1) > threshold).mean()),
            "class_histogram": [round(float(h), 4) for h in hist],
            "kl_to_uniform": float(np.sum(nonzero * np.log(nonzero * len(hist))))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("generator", help="a recipe workdir, a .keras generator or a catalogue name")
    parser.add_argument("--num", type=positive_int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--out", default=None, help="JSON output (default: print only)")
    args = parser.parse_args(argv)

    from recipes.evaluate import load_any_generator
    from zoo.metrics.classifier import load_mnist_classifier
    from zoo.metrics.evaluate import sample_images

    classifier = load_mnist_classifier()
    model, description = load_any_generator(args.generator)
    report = {"generator": description, "num": args.num, "seed": args.seed, "threshold": args.threshold,
              "classifier": classifier.name,
              "generated": confidence_report(sample_images(model, args.num, seed=args.seed), classifier,
                                             args.threshold)}
    from recipes.fetch import dataset_path

    if os.path.exists(dataset_path("mnist")):
        import numpy as np

        with np.load(dataset_path("mnist")) as d:
            real = d["x_test"][: args.num, :, :, None].astype("float32") / 127.5 - 1.0
        report["real_test_digits"] = confidence_report(real, classifier, args.threshold)
    report["machine"] = machine_info()
    text = json.dumps(report, indent=2)
    if args.out:
        from zoo.io import write_atomic

        write_atomic(args.out, text + "\n")
    print(text)


if __name__ == "__main__":
    main()
