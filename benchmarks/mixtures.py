"""Mode collapse on 2D mixtures (ring of 8, grid of 25 Gaussians), one command per table.

    python benchmarks/mixtures.py --protocol=notebook                  # Unrolled GAN authors' small protocol
    python benchmarks/mixtures.py --protocol=pacgan --steps=20000      # PacGAN's Table 1 at a CPU length
    python benchmarks/mixtures.py --protocol=pacgan --seeds=10         # ... at the paper's 400,000 steps
    python benchmarks/mixtures.py --protocol=tricks --steps=6000       # every loss and trick, PacGAN's networks
    python benchmarks/mixtures.py --protocol=notebook --table          # only rebuild the table

Protocols (ANCHORS §2):

* ``notebook``: the Unrolled GAN authors' reference notebook (poolio/unrolled_gan).
  Ring of 8 evenly spaced modes (radius 1, std 0.01; the notebook's ``linspace``
  repeats one) and the 5x5 grid (std 0.05), fresh samples every step; G and D
  2 x 128 tanh, orthogonal init (gain 1.4), z 256-d N(0, I); the saddle (minimax)
  objective with both players updated at once from the same weights
  (``GAN(simultaneous=True)``; D and G draw their own latents, the notebook one
  set); batch 512; D Adam 1e-4, G Adam 1e-3, beta_1 0.5, epsilon 1e-8; 25,000
  steps. Rows: GAN, GAN with the zoo's default alternating update
  (``gan_alternating``), Unrolled GAN (5 steps), PacGAN2/4 and the zoo's other
  anti-collapse options (minibatch discrimination, feature matching, WGAN-GP with
  its own loss, its paper's Adam(1e-4, 0.5, 0.9) and 5 critic steps, alternating).
  No published numbers: the rows compare with each other.
* ``pacgan``: PacGAN (Lin et al. 2018) Table 1. A fixed training set of 100,000
  points per seed; G 4 x (400, batch norm, ReLU), z 2-d N(0, 1); D 3 LinearMaxout
  layers of 200 units x 5 pieces; N(0, 0.02) init; Adam 1e-4, beta_1 0.8; batch 100;
  400,000 steps (``--steps`` shortens it; the table states the length).
* ``tricks``: every loss and trick of the zoo on PacGAN's networks and settings
  (losses with their own papers' optimisers: WGAN RMSProp 5e-5 with clipping,
  WGAN-GP Adam(1e-4, 0.5, 0.9); both 5 critic steps).
* ``stacked_mnist``: PacGAN Table 2 (ANCHORS §3). 128,000 training images, each
  channel an independent MNIST digit (train + test); DCGAN-tensorflow's networks
  (``zoo.networks.stacked_mnist``), z 100-d U(-1, 1), Adam 2e-4 / 0.5, batch 64,
  one D and two G updates per step, 100,000 steps (50 epochs); DCGAN vs
  PacDCGAN2. Scored on 26,000 samples: modes of 1,000 read by the zoo's MNIST
  classifier per channel (98.5% of real stacked digits read right:
  ``benchmarks/stacked_mnist.py --check_classifier``) and KL to uniform.

Every run (protocol, steps, config, mixture, seed) is scored on 2,500 samples
(modes captured, % high quality, reverse KL: ``zoo.mixtures.mode_metrics``) at
every tenth of its length, so the table shows whether the ranking has settled,
and written to its own JSON under ``--results_dir/<protocol>_<steps>steps/``; a
run with a result is skipped, so a stopped campaign resumes where it was. The
table (mean ± standard error over seeds, the last checkpoint) goes beside the
published rows into ``<protocol>_<steps>steps.md``.

Each worker process trains one run on one thread: the networks are small, so
XLA with 50 steps per call keeps Python out of the step, and runs in parallel
use the cores better than threads inside one small matmul.
``benchmarks/mixtures_cost.py`` measures this choice against plain ``fit`` and
against several seeds batched into one graph, and counts the step's FLOPs.
"""

import argparse
import glob
import json
import math
import multiprocessing as mp
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks._args import positive_int  # noqa: E402
from benchmarks._machine import describe, machine_info  # noqa: E402

MIXTURES = ("ring", "grid")
CHECKPOINTS = 10  # metrics at every tenth of a run
EVAL_SAMPLES = 2500
STACKED_SAMPLES = 26_000  # PacGAN's Stacked MNIST evaluation
STACKED_TRAIN = 128_000
ORTHOGONAL = {"class_name": "Orthogonal", "config": {"gain": 1.4}}
NOTEBOOK_NETS = {
    "g": {"latent_dim": 256, "hidden": 128, "depth": 2, "norm": None, "activation": "tanh",
          "kernel_initializer": ORTHOGONAL},
    "d": {"hidden": 128, "depth": 2, "maxout_pieces": 1, "activation": "tanh", "kernel_initializer": ORTHOGONAL},
}
WGAN_GP = {"gan": {"loss": "wasserstein", "penalty": "wgan_gp", "penalty_weight": 10.0, "d_steps": 5,
                   "simultaneous": False},
           "opt": {"g": ("adam", 1e-4, 0.5, 0.9), "d": ("adam", 1e-4, 0.5, 0.9)}}

PROTOCOLS = {
    "notebook": {
        "title": "Unrolled GAN notebook protocol (poolio/unrolled_gan; no published numbers)",
        "nets": NOTEBOOK_NETS, "gan": {"loss": "minimax", "simultaneous": True},
        "opt": {"g": ("adam", 1e-3, 0.5, 0.999, 1e-8), "d": ("adam", 1e-4, 0.5, 0.999, 1e-8)},
        "batch": 512, "steps": 25_000, "seeds": 5, "data": "fresh",
        "configs": {
            "gan": {},
            "gan_alternating": {"gan": {"simultaneous": False}},
            "unrolled5": {"gan": {"unrolled_steps": 5}},
            "pacgan2": {"gan": {"pack": 2}},
            "pacgan4": {"gan": {"pack": 4}},
            # 5 kernels of dimension 5: the pairwise term grows with batch^2 x kernels, and at
            # batch 512 the tricks protocol's 50 kernels cost 14x a GAN step (5 kernels: 2.4x)
            "minibatch_discrimination": {"d": {"minibatch_kernels": 5}},
            "feature_matching": {"gan": {"feature_matching": 1.0}},
            "wgan_gp": WGAN_GP,
        },
        "published": [],
    },
    "pacgan": {
        "title": "PacGAN protocol (Lin et al. 2018, Table 1)",
        "nets": {"g": {}, "d": {}}, "opt": {"g": ("adam", 1e-4, 0.8, 0.999), "d": ("adam", 1e-4, 0.8, 0.999)},
        # PacGAN's code draws 100 *packs* a step (100 m points for PacGAN-m): "batch" counts packs here
        "batch": 100, "batch_counts_packs": True, "steps": 400_000, "seeds": 10, "data": "fixed",
        "configs": {"gan": {}, "pacgan2": {"gan": {"pack": 2}}, "pacgan3": {"gan": {"pack": 3}},
                    "pacgan4": {"gan": {"pack": 4}}},
        # PacGAN Table 1, 10 trials, mean ± s.e.: (modes, HQ %, reverse KL) for ring, then grid
        "published": [
            ("GAN", "6.3 ± 0.5", "98.2 ± 0.2", "0.45 ± 0.09", "17.3 ± 0.8", "94.8 ± 0.7", "0.70 ± 0.07"),
            ("PacGAN2", "7.9 ± 0.1", "95.6 ± 2.0", "0.07 ± 0.03", "23.8 ± 0.7", "91.3 ± 0.8", "0.13 ± 0.04"),
            ("PacGAN3", "7.8 ± 0.1", "97.7 ± 0.3", "0.10 ± 0.02", "24.6 ± 0.4", "94.2 ± 0.4", "0.06 ± 0.02"),
            ("PacGAN4", "7.8 ± 0.1", "95.9 ± 1.4", "0.07 ± 0.02", "24.8 ± 0.2", "93.6 ± 0.6", "0.04 ± 0.01"),
        ],
    },
    "tricks": {
        "title": "Every loss and trick on PacGAN's networks and settings",
        "nets": {"g": {}, "d": {}}, "opt": {"g": ("adam", 1e-4, 0.8, 0.999), "d": ("adam", 1e-4, 0.8, 0.999)},
        "batch": 100, "batch_counts_packs": True, "steps": 400_000, "seeds": 5, "data": "fixed",
        "configs": {
            "gan": {},
            "minimax": {"gan": {"loss": "minimax"}},
            "pacgan2": {"gan": {"pack": 2}},
            "pacgan4": {"gan": {"pack": 4}},
            "lsgan": {"gan": {"loss": "least_squares"}},
            "hinge": {"gan": {"loss": "hinge"}},
            "wgan": {"gan": {"loss": "wasserstein", "clip_value": 0.01, "d_steps": 5},
                     "opt": {"g": ("rmsprop", 5e-5), "d": ("rmsprop", 5e-5)}},
            "wgan_gp": WGAN_GP,
            "dragan": {"gan": {"penalty": "dragan", "penalty_weight": 10.0}},
            "r1": {"gan": {"penalty": "r1", "penalty_weight": 0.1}},
            "rsgan": {"gan": {"loss": "relativistic"}},
            "ragan": {"gan": {"loss": "relativistic_average"}},
            "ttur": {"opt": {"d": ("adam", 4e-4, 0.8, 0.999)}},
            "label_smoothing": {"gan": {"label_smoothing": 0.1}},
            "feature_matching": {"gan": {"feature_matching": 1.0}},
            "minibatch_discrimination": {"d": {"minibatch_kernels": 50}},
            "historical_averaging": {"gan": {"historical_averaging": 1e-5}},
            "virtual_batch_norm": {"g": {"norm": "virtual"}},
            "unrolled5": {"gan": {"unrolled_steps": 5}},
        },
        "published": [],
    },
    "stacked_mnist": {
        "title": "Stacked MNIST, PacGAN protocol (Lin et al. 2018, Table 2)", "kind": "stacked_mnist",
        "mixtures": ("stacked_mnist",), "gan": {"latent_distribution": "uniform", "g_steps": 2},
        "opt": {"g": ("adam", 2e-4, 0.5, 0.999), "d": ("adam", 2e-4, 0.5, 0.999)},
        "batch": 64, "steps": 100_000, "seeds": 5, "data": "stacked_mnist",
        "configs": {"dcgan": {}, "pacdcgan2": {"gan": {"pack": 2}}},
        # PacGAN Table 2: (modes of 1,000, KL to uniform)
        "published": [("DCGAN (PacGAN's run)", "78.9 ± 6.5", "4.50 ± 0.13"),
                      ("PacDCGAN2 (PacGAN)", "1000.0 ± 0.0", "0.06-0.07 (PacDCGAN2-4)")],
    },
}


class Refusal(Exception):
    """Bad command-line input: printed as one line."""


def _optimizer(spec):
    import keras

    kind, lr, *betas = spec
    if kind == "rmsprop":
        return keras.optimizers.RMSprop(lr)
    return keras.optimizers.Adam(lr, *betas)  # beta_1, beta_2[, epsilon]


def build(protocol, config, seed):
    """One run's GAN (not compiled) and its (D, G) optimizers."""
    import keras

    from zoo import GAN
    from zoo.networks.mlp import mlp_discriminator, mlp_generator
    from zoo.networks.stacked_mnist import stacked_mnist_discriminator, stacked_mnist_generator

    spec = PROTOCOLS[protocol]
    cfg = spec["configs"][config]
    gan_opts = {**spec.get("gan", {}), **cfg.get("gan", {})}
    keras.utils.set_random_seed(seed)
    if spec.get("kind") == "stacked_mnist":
        g, d = stacked_mnist_generator(), stacked_mnist_discriminator(pack=gan_opts.get("pack", 1))
    else:
        g = mlp_generator(**{**spec["nets"]["g"], **cfg.get("g", {})})
        d = mlp_discriminator(pack=gan_opts.get("pack", 1), **{**spec["nets"]["d"], **cfg.get("d", {})})
    gan = GAN(g, d, seed=seed, **gan_opts)
    opt = {**spec["opt"], **cfg.get("opt", {})}
    return gan, _optimizer(opt["d"]), _optimizer(opt["g"])


def dataset(protocol, mixture, seed, batch):
    """Training batches: a fixed set of 100,000 points (PacGAN), fresh points every step (notebook) or
    128,000 Stacked-MNIST images (one set per seed) in [-1, 1]. Autotuning is off (``prefetched``): its
    thread would hold the end of each of the run's ``fit`` calls."""
    import tensorflow as tf

    from recipes.data import prefetched
    from zoo.mixtures import get_mixture, sample

    if PROTOCOLS[protocol]["data"] == "stacked_mnist":
        images = stacked_training_set(seed)
        return prefetched(tf.data.Dataset.from_tensor_slices(images).shuffle(20_000, seed=seed).repeat().batch(
            batch, drop_remainder=True).map(lambda x: tf.cast(x, tf.float32) / 127.5 - 1.0), 4)
    if PROTOCOLS[protocol]["data"] == "fixed":
        data = sample(mixture, 100_000, seed=1000 + seed)
        return prefetched(tf.data.Dataset.from_tensor_slices(data).shuffle(100_000, seed=seed).repeat().batch(
            batch, drop_remainder=True), 4)
    means, std = get_mixture(mixture)
    means = tf.constant(means, tf.float32)

    def draw(step):
        key = tf.stack([tf.cast(seed, tf.int64) + 1000, step])
        modes = tf.random.stateless_uniform((batch,), key, 0, means.shape[0], tf.int32)
        noise = tf.random.stateless_normal((batch, 2), key + tf.constant([0, 1 << 40], tf.int64))
        return tf.gather(means, modes) + std * noise

    return prefetched(tf.data.Dataset.counter().map(draw), 4)


def stacked_training_set(seed):
    """PacGAN's Stacked-MNIST training set: 128,000 uint8 images whose channels are independent digits of
    the MNIST train and test splits."""
    from benchmarks.stacked_mnist import mnist_digits
    from zoo.metrics import stacked_mnist

    return stacked_mnist(*mnist_digits(("train", "test")), STACKED_TRAIN, seed=seed)[0]


PLOT_POINTS = 500  # final samples kept in each 2D run's JSON


def eval_samples(protocol):
    """Samples scored per checkpoint: 26,000 Stacked-MNIST images or 2,500 points."""
    return STACKED_SAMPLES if PROTOCOLS[protocol].get("kind") == "stacked_mnist" else EVAL_SAMPLES


def score(gan, protocol, mixture, seed, num):
    """The run's metrics now: mode coverage of ``num`` points (mixtures) or Stacked-MNIST images."""
    if PROTOCOLS[protocol].get("kind") == "stacked_mnist":
        from zoo.metrics import stacked_mnist_modes

        out = stacked_mnist_modes(gan.generate(num, seed=10_000 + seed), verbose=0)
        return {k: out[k] for k in ("modes", "num_modes", "reverse_kl")}
    from zoo.mixtures import mode_metrics

    return mode_metrics(gan.generate(num, seed=10_000 + seed), mixture)


def steps_per_call(steps):
    """Steps per XLA call: 50 where a tenth of the run is a multiple of it, else the largest divisor."""
    return math.gcd(50, steps // CHECKPOINTS)


def run_one(job):
    """Trains one (protocol, config, mixture, seed) run and returns its result (metrics every tenth)."""
    protocol, config, mixture, seed, steps, *rest = job
    num = rest[0] if rest else eval_samples(protocol)
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    spec = PROTOCOLS[protocol]
    gan, d_opt, g_opt = build(protocol, config, seed)
    # XLA pays for the small 2D networks; compiling the Stacked-MNIST DCGAN's step takes minutes on a CPU
    gan.compile(d_optimizer=d_opt, g_optimizer=g_opt, steps_per_execution=steps_per_call(steps),
                jit_compile=spec.get("kind") != "stacked_mnist")
    checkpoints = []
    started = time.time()

    class Score(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            finite = all(math.isfinite(float(v)) for v in (logs or {}).values())
            checkpoints.append({"step": (epoch + 1) * steps // CHECKPOINTS, "seconds": round(time.time() - started, 1),
                                "finite": finite, **score(gan, protocol, mixture, seed, num)})

    batch = spec["batch"] * (gan.pack if spec.get("batch_counts_packs") else 1)
    gan.fit(dataset(protocol, mixture, seed, batch), steps_per_epoch=steps // CHECKPOINTS,
            epochs=CHECKPOINTS, verbose=0, callbacks=[Score()])
    seconds = time.time() - started
    result = {"protocol": protocol, "config": config, "mixture": mixture, "seed": seed, "steps": steps,
              "batch": batch, "eval_samples": num, "seconds": round(seconds, 1),
              "ms_per_step": round(1000 * seconds / steps, 2),
              **{k: v for k, v in checkpoints[-1].items() if k not in ("step", "seconds")},
              "checkpoints": checkpoints, "machine": machine_info()}
    if spec.get("kind") != "stacked_mnist":  # for scatter plots (benchmarks/mixtures_plot.py)
        points = gan.generate(PLOT_POINTS, seed=10_000 + seed)
        result["final_points"] = [[round(float(x), 3), round(float(y), 3)] for x, y in points]
    return result


def _write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=2)
    os.replace(tmp, path)


def _run_path(folder, config, mixture, seed):
    return os.path.join(folder, f"{config}_{mixture}_seed{seed}.json")


def _mean_se(values):
    import numpy as np

    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return float("nan"), 0.0
    se = float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0
    return float(values.mean()), se


def summarise(results):
    """{config: {mixture: {seeds, modes, modes_se, high_quality, ..., modes_by_tenth}}} over seeds."""
    summary = {}
    for r in results:
        summary.setdefault(r["config"], {}).setdefault(r["mixture"], []).append(r)
    for config, per in summary.items():
        for mixture, runs in per.items():
            out = {"seeds": sorted(r["seed"] for r in runs), "ms_per_step": _mean_se([r["ms_per_step"] for r in runs])[0]}
            for key, scale in (("modes", 1), ("high_quality", 100), ("reverse_kl", 1)):
                if key in runs[0]:
                    out[key], out[key + "_se"] = _mean_se([scale * r[key] for r in runs])
            tenths = min(len(r["checkpoints"]) for r in runs)
            out["modes_by_tenth"] = [_mean_se([r["checkpoints"][i]["modes"] for r in runs])[0] for i in range(tenths)]
            out["all_finite"] = all(r["finite"] for r in runs)
            out["eval_samples"] = sorted({r.get("eval_samples", eval_samples(r["protocol"])) for r in runs})
            per[mixture] = out
    return summary


def markdown(protocol, steps, summary, configs):
    spec = PROTOCOLS[protocol]

    def cell(s, key, digits):
        return "" if s is None else f"{s[key]:.{digits}f} ± {s[key + '_se']:.{digits}f}"

    seeds = sorted({n for per in summary.values() for s in per.values() for n in [len(s["seeds"])]})
    length = f"{steps:,} steps" + ("" if steps == spec["steps"] else f" (the protocol: {spec['steps']:,})")
    stacked = spec.get("kind") == "stacked_mnist"
    counts = sorted({n for per in summary.values() for s in per.values() for n in s["eval_samples"]})
    batch = f"{spec['batch']} packs (PacGAN-m: {spec['batch']} m points)" if spec.get("batch_counts_packs") \
        else str(spec["batch"])
    per_row = "/".join(map(str, seeds)) or "0"
    lines = [f"**{spec['title']}**, {length}, batch {batch}, "
             f"{per_row} seed{'' if per_row == '1' else 's'} per row; mean ± standard error over seeds at the end of "
             f"the run; {'/'.join(f'{n:,}' for n in counts) or f'{eval_samples(protocol):,}'} samples per run.", ""]
    if stacked:
        lines += ["| config | modes (of 1,000) | KL to uniform | ms/step |", "|---|---|---|---|"]
    else:
        lines += ["| config | ring modes (of 8) | ring HQ % | ring rev. KL | grid modes (of 25) | grid HQ % "
                  "| grid rev. KL | ms/step |", "|---|---|---|---|---|---|---|---|"]
    for row in spec["published"]:
        lines.append("| " + " | ".join([f"*{row[0]} (paper)*", *row[1:], ""]) + " |")
    for config in configs if stacked else ():
        s = summary.get(config, {}).get("stacked_mnist")
        lines.append(f"| {config} | not yet run | | |" if s is None else
                     f"| {config}{'' if s['all_finite'] else ' (NaN in some runs)'} | {cell(s, 'modes', 1)} | "
                     f"{cell(s, 'reverse_kl', 2)} | {s['ms_per_step']:.0f} |")
    for config in () if stacked else configs:
        per = summary.get(config)
        if not per:
            lines.append(f"| {config} | not yet run | | | | | | |")
            continue
        ring, grid = per.get("ring"), per.get("grid")
        ms = "/".join(f"{s['ms_per_step']:.0f}" for s in (ring, grid) if s)
        flag = "" if all(s["all_finite"] for s in per.values()) else " (NaN in some runs)"
        lines.append(f"| {config}{flag} | {cell(ring, 'modes', 1)} | {cell(ring, 'high_quality', 1)} | "
                     f"{cell(ring, 'reverse_kl', 2)} | {cell(grid, 'modes', 1)} | {cell(grid, 'high_quality', 1)} | "
                     f"{cell(grid, 'reverse_kl', 2)} | {ms} |")
    lines += ["", "Modes captured (mean over seeds) at each tenth of the run:", "",
              "| config | mixture | " + " | ".join(f"{10 * (i + 1)}%" for i in range(CHECKPOINTS)) + " |",
              "|---|---|" + "---|" * CHECKPOINTS]
    for config in configs:
        for mixture in spec.get("mixtures", MIXTURES):
            s = summary.get(config, {}).get(mixture)
            if s:
                lines.append(f"| {config} | {mixture} | " + " | ".join(f"{m:.1f}" for m in s["modes_by_tenth"]) + " |")
    return "\n".join(lines) + "\n"


def write_table(protocol, steps, folder, configs):
    """Summarises every finished run in ``folder`` into ``<folder>.json`` and ``<folder>.md``; returns the markdown."""
    results = []
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        with open(path) as f:
            results.append(json.load(f))
    known = [c for c in configs if any(r["config"] == c for r in results)] + \
        [c for c in configs if not any(r["config"] == c for r in results)]
    summary = summarise(results)
    machines = sorted({describe(r["machine"]) for r in results})
    _write_json(folder + ".json", {"protocol": protocol, "steps": steps, "spec": PROTOCOLS[protocol],
                                   "machines": machines, "summary": summary})
    text = markdown(protocol, steps, summary, known)
    if machines:
        text += "\nMachine" + ("s" if len(machines) > 1 else "") + ": " + "; ".join(machines) + ".\n"
    with open(folder + ".md", "w") as f:
        f.write(text)
    return text


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--protocol", default="notebook", help=f"one of {', '.join(PROTOCOLS)}")
    p.add_argument("--configs", default="all", help="comma-separated rows of the protocol (default: all)")
    p.add_argument("--mixtures", default=None, help="ring and/or grid (default: both; stacked_mnist has one)")
    p.add_argument("--seeds", type=positive_int, default=None, help="seeds 0..n-1 (default: the protocol's)")
    p.add_argument("--steps", type=positive_int, default=None, help="steps per run (default: the protocol's)")
    p.add_argument("--eval_samples", type=positive_int, default=None,
                   help="samples scored per checkpoint (default: the protocol's, 2,500 or 26,000)")
    p.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1,
                   help="runs trained at once, one thread each")
    p.add_argument("--results_dir", default=os.path.join(ROOT, "benchmarks", "results", "mixtures"))
    p.add_argument("--table", action="store_true", help="only rebuild the table from the finished runs")
    args = p.parse_args(argv)
    if args.protocol not in PROTOCOLS:
        raise Refusal(f"Unknown protocol {args.protocol!r}; choose one of {', '.join(PROTOCOLS)}.")
    spec = PROTOCOLS[args.protocol]
    args.steps = args.steps or spec["steps"]
    args.seeds = args.seeds or spec["seeds"]
    args.configs = list(spec["configs"]) if args.configs == "all" else args.configs.split(",")
    unknown = [c for c in args.configs if c not in spec["configs"]]
    if unknown:
        raise Refusal(f"Unknown configs {unknown} for --protocol={args.protocol}; known: {', '.join(spec['configs'])}.")
    known = spec.get("mixtures", MIXTURES)
    args.mixtures = list(known) if args.mixtures is None else args.mixtures.split(",")
    if any(m not in known for m in args.mixtures):
        raise Refusal(f"--mixtures takes {' and/or '.join(known)}; got {','.join(args.mixtures)}.")
    if args.steps % CHECKPOINTS:
        raise Refusal(f"--steps must be a multiple of {CHECKPOINTS} (metrics at every tenth); got {args.steps}.")
    return args


def main(argv=None):
    try:
        args = parse_args(argv)
    except Refusal as e:
        sys.exit(f"mixtures.py: {e}")
    folder = os.path.join(args.results_dir, f"{args.protocol}_{args.steps}steps")
    os.makedirs(folder, exist_ok=True)
    # seed-major: a campaign stopped early still has every row, with fewer seeds
    num = args.eval_samples or eval_samples(args.protocol)
    jobs = [(args.protocol, c, m, s, args.steps, num) for s in range(args.seeds) for c in args.configs
            for m in args.mixtures if not os.path.exists(_run_path(folder, c, m, s))]
    if not args.table and jobs:
        if PROTOCOLS[args.protocol]["data"] == "stacked_mnist":  # before any worker starts
            from benchmarks.stacked_mnist import mnist_path

            mnist_path()
        print(f"[mixtures] {len(jobs)} runs to train ({args.protocol}, {args.steps:,} steps, {args.workers} at once)",
              flush=True)
        started = time.time()
        with mp.get_context("spawn").Pool(min(args.workers, len(jobs)), maxtasksperchild=1) as pool:
            for i, r in enumerate(pool.imap_unordered(run_one, jobs), 1):
                _write_json(_run_path(folder, r["config"], r["mixture"], r["seed"]), r)
                quality = f" HQ {100 * r['high_quality']:.1f}%" if "high_quality" in r else ""
                print(f"[{i}/{len(jobs)} {time.time() - started:.0f}s] {r['config']} {r['mixture']} seed {r['seed']}: "
                      f"modes {r['modes']}/{r['num_modes']}{quality} "
                      f"revKL {r['reverse_kl']:.3f} ({r['ms_per_step']} ms/step)", flush=True)
    print(write_table(args.protocol, args.steps, folder, args.configs))


if __name__ == "__main__":
    main()
