"""How well an InfoGAN's categorical code captures the MNIST digit class, without labels.

    python benchmarks/infogan_codes.py runs/infogan_mnist          # a recipe workdir
    python benchmarks/infogan_codes.py path/to/generator.keras --samples=1000 --seed=0

For every categorical value k the generator draws ``--samples`` images (default
1,000) from the same latents ``z`` and continuous codes (``generate(z=,
categorical=k, continuous=)``, continuous from U(-1, 1) with ``--seed``); the
shipped MNIST classifier (``zoo.metrics.classifier``, ~99.5% test accuracy) labels
them. The code values are unnamed, so the agreement is taken after the best
one-to-one matching of code values to digit classes (the Hungarian assignment on
the code x class count matrix, computed exactly here by dynamic programming over
subsets of classes): agreement = matched counts / all samples. Also reported: the
per-code purity (share of the code's majority class) and how many distinct
classes are some code's majority.

It also writes a sweep grid of each continuous code (rows: categorical values in
matched-class order; columns: the code from -2 to 2, others 0; one z) to
``--sweep_png`` (default ``docs/infogan_sweep.png``; code j > 0 goes to
``..._c<j+1>.png``). Results: ``benchmarks/results/infogan_codes.json``.
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


def best_matching(counts):
    """Exact maximum-weight one-to-one matching of rows to columns of ``counts`` (rows <= cols,
    cols <= ~20): ``(total, assignment)`` with ``assignment[row] = col``. DP over column subsets."""
    counts = np.asarray(counts)
    rows, cols = counts.shape
    if rows > cols:
        raise ValueError("best_matching needs rows <= cols.")
    best = {0: (0, ())}  # mask of used columns -> (score, assignment of the first popcount rows)
    for r in range(rows):
        nxt = {}
        for mask, (score, assign) in best.items():
            for c in range(cols):
                if mask & (1 << c):
                    continue
                key, value = mask | (1 << c), score + int(counts[r, c])
                if key not in nxt or value > nxt[key][0]:
                    nxt[key] = (value, assign + (c,))
        best = nxt
    score, assign = max(best.values(), key=lambda t: t[0])
    return score, list(assign)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", help="a recipe workdir (generator.keras) or a .keras generator")
    parser.add_argument("--samples", type=int, default=1000, help="images per categorical value")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sweep_png", default=os.path.join(ROOT, "docs", "infogan_sweep.png"))
    parser.add_argument("--out", default=os.path.join(RESULTS, "infogan_codes.json"))
    args = parser.parse_args()

    import keras

    import zoo
    from zoo.images import save_grid
    from zoo.io import sha256_file, write_atomic
    from zoo.metrics.classifier import load_mnist_classifier
    from zoo.pretrained import PretrainedEntry, PretrainedGenerator, load_keras_file

    path = os.path.join(args.source, "generator.keras") if os.path.isdir(args.source) else args.source
    model = load_keras_file(path)
    if isinstance(model, zoo.GAN):
        sampler = model
    else:
        entry = PretrainedEntry(name=os.path.basename(path), variant="infogan", dataset="?", image_shape=(),
                                file=path, sha256="", command="", metrics={})
        sampler = PretrainedGenerator(model, entry)
    split = sampler.code_split
    if split is None:
        raise SystemExit(f"error: {path!r} is not an InfoGAN generator (no 'codes' input with a recorded split).")
    cat, cont = split
    classifier = load_mnist_classifier()
    start = time.time()
    z = sampler.latents(args.samples, seed=args.seed)
    continuous = np.random.default_rng([args.seed, 2]).uniform(-1, 1, (args.samples, cont)).astype("float32")
    counts = np.zeros((cat, 10), np.int64)
    confidence = []
    for k in range(cat):
        images = sampler.generate(z=z, categorical=k, continuous=continuous)
        labels, probs = classifier.predict_labels(images)
        counts[k] = np.bincount(labels, minlength=10)
        confidence.append(float(probs.max(1).mean()))
    matched, assignment = best_matching(counts) if cat <= 10 else best_matching(counts.T)
    total = int(counts.sum())
    if cat > 10:  # more code values than classes: each class matched to one code value
        assignment = None
    purity = counts.max(1) / counts.sum(1)
    result = {
        "generator": os.path.relpath(path, ROOT) if path.startswith(ROOT) else path,
        "generator_sha256": sha256_file(path),
        "categorical": cat, "continuous": cont, "samples_per_value": args.samples, "seed": args.seed,
        "agreement_after_matching": round(matched / total, 4),
        "matching_code_to_class": assignment,
        "per_code_purity": [round(float(p), 4) for p in purity],
        "mean_purity": round(float(purity.mean()), 4),
        "distinct_majority_classes": int(len(set(counts.argmax(1).tolist()))),
        "classifier_mean_confidence": round(float(np.mean(confidence)), 4),
        "counts_code_by_class": counts.tolist(),
        "protocol": "same z and continuous codes (U(-1,1)) for every categorical value; zoo MNIST "
                    "classifier labels; exact optimal one-to-one matching of code values to classes",
        "seconds": round(time.time() - start, 1),
        "machine": machine_info(),
        "versions": {"python": platform.python_version(), "keras": keras.__version__},
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    write_atomic(args.out, json.dumps(result, indent=2))
    order = np.argsort(assignment) if assignment is not None else np.arange(cat)  # rows in digit order
    base, ext = os.path.splitext(args.sweep_png)
    os.makedirs(os.path.dirname(args.sweep_png) or ".", exist_ok=True)
    for j in range(cont):
        zz, codes, cols = sampler.sweep_inputs(index=j, cols=9, seed=args.seed)
        grid = sampler.generate(z=zz, codes=codes).reshape(cat, cols, *sampler.generator.outputs[0].shape[1:])
        target = args.sweep_png if j == 0 else f"{base}_c{j + 1}{ext}"
        save_grid(grid[order].reshape(-1, *grid.shape[2:]), target, cols=cols)
        print(f"sweep of continuous code {j + 1}: {target}")
    print(f"| agreement after matching | mean purity | distinct majority classes |\n|---|---|---|\n"
          f"| {result['agreement_after_matching']:.1%} | {result['mean_purity']:.1%} | "
          f"{result['distinct_majority_classes']}/10 |")
    print(json.dumps({k: result[k] for k in ("agreement_after_matching", "matching_code_to_class")}))


if __name__ == "__main__":
    main()
