"""Image-to-image quality: pix2pix's L1 against trivial baselines, CycleGAN's cycle error and classifier scores.

    python benchmarks/translation.py                  # train the 3 recipes (short CPU runs), then measure
    python benchmarks/translation.py --skip_training  # measure the existing runs/<recipe> workdirs
    python benchmarks/translation.py --recipes=cyclegan_mnist2inverted_mnist --steps=300

Each recipe is trained with ``recipes.train.run`` (what ``python -m recipes.train
--recipe=NAME`` runs) into ``--runs/<recipe>`` unless that workdir holds a
finished run, and its ``gan.keras`` is measured on the *test* split (held out;
the built-in tasks take it from MNIST / Fashion-MNIST's test sets):

* pix2pix (``pix2pix_edges2fashion_mnist``): mean absolute error (pixels in
  [-1, 1]) of ``translate(edges)`` against the real image, next to two trivial
  predictors: the input edge map itself, and the mean training image (the
  best constant image under L2, a strong constant under L1). Reported on the
  whole 32x32 image and on the central 28x28 (without the mirrored padding),
  deterministic (``translate``) and in the paper's stochastic test mode.
* CycleGAN: the cycle-consistency error ``|F(G(x)) - x|`` on held-out images in
  both directions (an identity mapping would score 0, so it is read together
  with the next measures); translations into the digit domain are scored by the
  shipped MNIST classifier (``zoo.metrics.classifier``): its mean confidence
  (max softmax) and entropy on the translated images, against real held-out
  digits (what "a digit" scores) and against the untranslated inputs (what the
  translator started from), with the entropy of the class marginal and the
  MNIST score (Inception-score formula) so that mapping everything onto one
  confident digit does not pass. For ``mnist2inverted_mnist`` the true mapping is
  known (B = 255 - A) and the labels of B are known, so it also reports the L1
  to the exact inverse and the classifier's *accuracy* on ``b2a(b)`` against
  b's labels (content kept), and on ``-a2b(a)``. A small domain classifier
  (3 convolutions, trained here for 1,000 steps of 64 images on the two training
  domains; its accuracy on real held-out images is reported) gives
  P(target domain) for the translations of both directions.

Writes ``benchmarks/results/translation.json`` and prints a markdown table.
Timings depend on the machine's load (the runs here shared 2 CPU cores).
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
RECIPES = ("pix2pix_edges2fashion_mnist", "cyclegan_mnist2inverted_mnist", "cyclegan_mnist2fashion_mnist")
CROP = slice(2, 30)  # the 28x28 inside the 2-pixel padding


def train_recipe(recipe, workdir, overrides, retrain=False):
    from recipes import train
    from recipes.registry import make_config

    summary = os.path.join(workdir, "summary.json")
    if os.path.exists(summary) and not retrain:
        with open(summary) as f:
            return json.load(f), False
    config = make_config(recipe, overrides)
    return train.run(config, workdir, overwrite=True, verbose=2), True


def l1(a, b, crop=False):
    if crop:
        a, b = a[:, CROP, CROP], b[:, CROP, CROP]
    return float(np.mean(np.abs(a - b)))


def classifier_scores(clf, images, labels=None):
    """Mean confidence (max softmax), mean entropy (nats) and, with labels, accuracy."""
    predicted, probs = clf.predict_labels(images[:, CROP, CROP])
    p = np.clip(probs, 1e-12, 1.0)
    marginal = p.mean(axis=0)
    # Confidence alone rewards a translator that maps everything onto one confident digit: the class
    # marginal's entropy (ln 10 = 2.303 for balanced digits) and the MNIST score (the Inception-score
    # formula, exp E[KL(p(y|x) || p(y))], at most 10) expose that collapse.
    out = {"confidence": round(float(p.max(axis=1).mean()), 4),
           "entropy": round(float(-(p * np.log(p)).sum(axis=1).mean()), 4),
           "class_marginal_entropy": round(float(-(marginal * np.log(marginal)).sum()), 4),
           "mnist_score": round(float(np.exp(np.mean(np.sum(p * (np.log(p) - np.log(marginal)), axis=1)))), 3)}
    if labels is not None:
        out["accuracy"] = round(float(np.mean(predicted == labels)), 4)
    return out


def domain_classifier(a_train, b_train, steps=1000, seed=0):
    """A small CNN telling domain A (0) from domain B (1); returns a function images -> P(B)."""
    import keras

    keras.utils.set_random_seed(seed)
    x = keras.Input(a_train.shape[1:])
    h = keras.layers.Conv2D(16, 4, strides=2, padding="same", activation="relu")(x)
    h = keras.layers.Conv2D(32, 4, strides=2, padding="same", activation="relu")(h)
    h = keras.layers.Conv2D(32, 4, strides=2, padding="same", activation="relu")(h)
    h = keras.layers.Flatten()(h)
    model = keras.Model(x, keras.layers.Dense(1, activation="sigmoid")(h))
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
    images = np.concatenate([a_train, b_train])
    labels = np.concatenate([np.zeros(len(a_train)), np.ones(len(b_train))]).astype("float32")
    order = np.random.default_rng(seed).permutation(len(images))
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((images[order], labels[order])).repeat().batch(64)
    model.fit(ds, epochs=1, steps_per_epoch=steps, verbose=0)
    return lambda imgs: model.predict(imgs, batch_size=500, verbose=0)[:, 0]


def measure_pix2pix(gan, dataset, n):
    from recipes.translation import task_arrays, to_model_range

    test = task_arrays(dataset, "test")
    edges, images = to_model_range(test["first"][:n]), to_model_range(test["second"][:n])
    mean_image = to_model_range(task_arrays(dataset, "train")["second"]).mean(axis=0, keepdims=True)
    fake = gan.translate(edges)
    noisy = gan.translate(edges, stochastic=True, batch_size=16)  # the paper's test mode at the training batch
    out = {"held_out_pairs": int(len(edges))}
    for crop in (False, True):
        key = "l1_28x28" if crop else "l1_32x32"
        out[key] = {
            "pix2pix": round(l1(fake, images, crop), 4),
            "pix2pix_stochastic": round(l1(noisy, images, crop), 4),
            "baseline_input_edges": round(l1(edges, images, crop), 4),
            "baseline_mean_train_image": round(l1(np.broadcast_to(mean_image, images.shape), images, crop), 4),
        }
    return out


def measure_cyclegan(gan, dataset, n, domain_steps):
    from recipes.translation import task_arrays, to_model_range
    from zoo.metrics.classifier import load_mnist_classifier

    test, train = task_arrays(dataset, "test"), task_arrays(dataset, "train")
    a, b = to_model_range(test["first"][:n]), to_model_range(test["second"][:n])
    a_labels, b_labels = test["first_labels"][:n], test["second_labels"][:n]
    a2b, b2a = gan.translate(a, "a2b"), gan.translate(b, "b2a")
    cycled_a, cycled_b = gan.translate(a2b, "b2a"), gan.translate(b2a, "a2b")
    clf = load_mnist_classifier()
    inverted = dataset.endswith("inverted_mnist")
    out = {
        "held_out": {"a": int(len(a)), "b": int(len(b))},
        "cycle_l1": {"a2b2a": round(l1(cycled_a, a), 4), "b2a2b": round(l1(cycled_b, b), 4)},
        "change_l1": {"a_vs_a2b": round(l1(a2b, a), 4), "b_vs_b2a": round(l1(b2a, b), 4)},
        "mnist_classifier": {
            "real_digits_a": classifier_scores(clf, a, a_labels),
            "b2a_translated_into_digits": classifier_scores(clf, b2a, b_labels if inverted else None),
            "b_untranslated": classifier_scores(clf, b, b_labels if inverted else None),
        },
    }
    if inverted:  # the exact mapping is known: x -> -x
        out["l1_to_true_inverse"] = {"a2b": round(l1(a2b, -a), 4), "b2a": round(l1(b2a, -b), 4),
                                     "baseline_identity": round(l1(a, -a), 4)}
        out["mnist_classifier"]["a2b_inverted_back"] = classifier_scores(clf, -a2b, a_labels)
    rng = np.random.default_rng(0)
    pick = lambda x: x[rng.permutation(len(x))[:20_000]]  # noqa: E731
    p_b = domain_classifier(to_model_range(pick(train["first"])), to_model_range(pick(train["second"])),
                            steps=domain_steps)
    out["domain_classifier"] = {
        "accuracy_real_held_out": round(float((np.mean(p_b(a) < 0.5) + np.mean(p_b(b) > 0.5)) / 2), 4),
        "p_domain_b_of_a2b": round(float(np.mean(p_b(a2b))), 4),
        "p_domain_a_of_b2a": round(float(np.mean(1.0 - p_b(b2a))), 4),
        "p_domain_b_of_a_untranslated": round(float(np.mean(p_b(a))), 4),
    }
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--runs", default=os.path.join(ROOT, "runs"))
    parser.add_argument("--steps", type=int, default=None, help="override the recipes' training steps")
    parser.add_argument("--config", action="append", default=[],
                        help="key=value override of a recipe key (repeatable); results go under 'recipe+key=value'")
    parser.add_argument("--retrain", action="store_true", help="train even where a finished run exists")
    parser.add_argument("--skip_training", action="store_true")
    parser.add_argument("--held_out", type=int, default=5000, help="test images per domain / pairs")
    parser.add_argument("--domain_steps", type=int, default=1000)
    parser.add_argument("--out", default=os.path.join(RESULTS, "translation.json"))
    args = parser.parse_args(argv)

    import keras
    import tensorflow as tf

    results = {}
    if os.path.exists(args.out):
        with open(args.out) as f:
            results = json.load(f).get("runs", {})
    from recipes.registry import parse_overrides

    for recipe in [r for r in args.recipes.split(",") if r]:
        name = "+".join([recipe, *args.config])
        workdir = os.path.join(args.runs, name)
        overrides = parse_overrides(args.config)
        if args.steps:
            overrides["steps"] = args.steps
        if args.skip_training:
            with open(os.path.join(workdir, "summary.json")) as f:
                summary, trained = json.load(f), False
        else:
            summary, trained = train_recipe(recipe, workdir, overrides, args.retrain)
        gan = keras.models.load_model(os.path.join(workdir, "gan.keras"))
        dataset = summary["recipe_config"]["dataset"]
        start = time.time()
        if gan.translation == "paired":
            metrics = measure_pix2pix(gan, dataset, args.held_out)
        else:
            metrics = measure_cyclegan(gan, dataset, args.held_out, args.domain_steps)
        cmd = f"python -m recipes.train --recipe={recipe} --workdir={os.path.relpath(workdir, ROOT)}"
        if args.steps:
            cmd += f" --steps={args.steps}"
        cmd += "".join(f" --config {c}" for c in args.config)
        results[name] = {
            "command": cmd,
            "config": summary["recipe_config"],
            "steps": summary["steps_this_run"],
            "train_seconds": summary["train_seconds"],
            "final_losses": summary["final_metrics"],
            "trained_in_this_run": trained,
            "measure_seconds": round(time.time() - start, 1),
            "metrics": metrics,
        }
        print(json.dumps({name: results[name]["metrics"]}, indent=1), flush=True)
    report = {
        "protocol": __doc__.split("\n\n", 2)[2].strip(),
        "runs": results,
        "machine": machine_info(),
        "versions": {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__},
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=2)
    print(markdown(results))


def markdown(results):
    rows = ["| recipe | steps | train s | measure | value | baseline(s) |", "|---|---|---|---|---|---|"]
    for name, r in results.items():
        m = r["metrics"]
        head = f"| {name} | {r['steps']} | {r['train_seconds']:.0f} |"
        if "l1_28x28" in m:
            l = m["l1_28x28"]
            rows.append(f"{head} L1 (28x28, held out) | {l['pix2pix']} (stochastic {l['pix2pix_stochastic']}) | "
                        f"edges {l['baseline_input_edges']}, mean image {l['baseline_mean_train_image']} |")
        else:
            c, k = m["cycle_l1"], m["mnist_classifier"]
            rows.append(f"{head} cycle L1 a->b->a / b->a->b | {c['a2b2a']} / {c['b2a2b']} | identity 0 |")
            t, u, d = k["b2a_translated_into_digits"], k["b_untranslated"], k["real_digits_a"]
            rows.append(f"| | | | MNIST clf. on b2a(b): confidence / entropy / MNIST score | {t['confidence']} / "
                        f"{t['entropy']} / {t['mnist_score']} | real digits {d['confidence']} / {d['entropy']} / "
                        f"{d['mnist_score']}; untranslated {u['confidence']} / {u['entropy']} / {u['mnist_score']} |")
            if "accuracy" in t:
                rows.append(f"| | | | MNIST clf. accuracy on b2a(b) (b's labels) | {t['accuracy']} | untranslated "
                            f"{u['accuracy']}, real {d['accuracy']} |")
            dc = m["domain_classifier"]
            rows.append(f"| | | | P(target domain): a2b / b2a | {dc['p_domain_b_of_a2b']} / {dc['p_domain_a_of_b2a']} "
                        f"| untranslated a: P(B) {dc['p_domain_b_of_a_untranslated']} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
