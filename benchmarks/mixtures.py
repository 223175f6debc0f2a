"""The 2D mixture benchmark: every loss and trick on the ring of 8 and the grid of 25 Gaussians.

    python benchmarks/mixtures.py                                  # everything, 5 seeds
    python benchmarks/mixtures.py --configs=gan,pacgan2 --seeds=2 --steps=2000

Protocol (PacGAN, Lin et al. 2018, from its paper and public code): ring of 8
Gaussians on the unit circle (std 0.01) and 5x5 grid with means in
{-4,-2,0,2,4}^2 (std 0.05); 100,000 training points; G = 4 hidden layers of 400
ReLU units with batch norm, 2D Gaussian input; D = 3 LinearMaxout layers of 200
units, 5 pieces; Adam(1e-4, beta_1=0.8), batch 100; 2,500 generated samples
scored by modes captured, % high-quality samples (within 3 std of a mode) and
reverse KL of the mode histogram against uniform (``zoo.mixtures``).

One deliberate difference: PacGAN trained 400 epochs (400,000 steps); on a
2-core CPU we train ``--steps`` (default 6,000) and say so next to the table.
Configs that the papers tune differently (WGAN: RMSProp 5e-5, clip 0.01,
5 critic steps; WGAN-GP: Adam(1e-4, 0.5, 0.9), 5 critic steps, lambda 10) use
their papers' settings. Results: ``benchmarks/results/mixtures.json`` and a
markdown table on stdout.
"""

import argparse
import json
import math
import multiprocessing as mp
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ADAM = {"optimizer": "adam", "lr": 1e-4, "beta_1": 0.8, "beta_2": 0.999}
CONFIGS = {
    "gan": {},
    "minimax": {"gan": {"loss": "minimax"}},
    "pacgan2": {"gan": {"pack": 2}},
    "pacgan4": {"gan": {"pack": 4}},
    "lsgan": {"gan": {"loss": "least_squares"}},
    "hinge": {"gan": {"loss": "hinge"}},
    "wgan": {"gan": {"loss": "wasserstein", "clip_value": 0.01, "d_steps": 5},
             "opt": {"optimizer": "rmsprop", "lr": 5e-5}},
    "wgan_gp": {"gan": {"loss": "wasserstein", "penalty": "wgan_gp", "penalty_weight": 10.0, "d_steps": 5},
                "opt": {"optimizer": "adam", "lr": 1e-4, "beta_1": 0.5, "beta_2": 0.9}},
    "dragan": {"gan": {"penalty": "dragan", "penalty_weight": 10.0}},
    "r1": {"gan": {"penalty": "r1", "penalty_weight": 0.1}},
    "rsgan": {"gan": {"loss": "relativistic"}},
    "ragan": {"gan": {"loss": "relativistic_average"}},
    "ttur": {"opt": {"optimizer": "adam", "lr": 1e-4, "d_lr": 4e-4, "beta_1": 0.8, "beta_2": 0.999}},
    "label_smoothing": {"gan": {"label_smoothing": 0.1}},
    "feature_matching": {"gan": {"feature_matching": 1.0}},
    "minibatch_discrimination": {"d": {"minibatch_kernels": 50}},
    "historical_averaging": {"gan": {"historical_averaging": 1e-5}},
    "virtual_batch_norm": {"g": {"norm": "virtual"}},
    "unrolled5": {"gan": {"unrolled_steps": 5}},
}
PUBLISHED = [
    ("GAN (PacGAN paper)", 6.3, 98.2, 0.45, 17.3, 94.8, 0.70),
    ("PacGAN2 (PacGAN paper)", 7.9, 95.6, 0.07, 23.8, 91.3, 0.13),
    ("PacGAN4 (PacGAN paper)", 7.8, 95.9, 0.07, 24.8, 93.6, 0.04),
    ("Unrolled GAN (VEEGAN paper)", 7.6, 35.6, None, 23.6, 16, None),
]


def run_one(job):
    """Trains one (config, mixture, seed) and returns its metrics."""
    name, mixture, seed, steps, batch, eval_samples, jit = job
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, ROOT)
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from zoo import GAN
    from zoo.mixtures import mode_metrics, sample
    from zoo.networks import mlp_discriminator, mlp_generator

    config = CONFIGS[name]
    gan_opts = dict(config.get("gan", {}))
    opt = {**ADAM, **config.get("opt", {})}
    keras.utils.set_random_seed(seed)
    g = mlp_generator(**config.get("g", {}))
    d = mlp_discriminator(pack=gan_opts.get("pack", 1), **config.get("d", {}))
    gan = GAN(g, d, seed=seed, **gan_opts)

    def make(lr):
        if opt["optimizer"] == "rmsprop":
            return keras.optimizers.RMSprop(lr)
        return keras.optimizers.Adam(lr, beta_1=opt["beta_1"], beta_2=opt["beta_2"])

    gan.compile(d_optimizer=make(opt.get("d_lr", opt["lr"])), g_optimizer=make(opt["lr"]),
                steps_per_execution=50, jit_compile=jit)
    data = sample(mixture, 100_000, seed=1000 + seed)
    ds = tf.data.Dataset.from_tensor_slices(data).shuffle(100_000, seed=seed).repeat().batch(
        batch, drop_remainder=True).prefetch(4)
    start = time.time()
    history = gan.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0)
    seconds = time.time() - start
    samples = gan.generate(eval_samples, seed=10_000 + seed)
    metrics = mode_metrics(samples, mixture)
    finite = all(math.isfinite(v[-1]) for v in history.history.values())
    return {"config": name, "mixture": mixture, "seed": seed, "steps": steps, "seconds": round(seconds, 1),
            "finite": finite, **metrics}


def summarise(results):
    import numpy as np

    table = {}
    for r in results:
        table.setdefault(r["config"], {}).setdefault(r["mixture"], []).append(r)
    summary = {}
    for config, per in table.items():
        summary[config] = {}
        for mixture, runs in per.items():
            out = {"runs": len(runs)}
            for key in ("modes", "high_quality", "reverse_kl"):
                values = np.array([r[key] for r in runs], dtype=float)
                if key == "high_quality":
                    values = values * 100
                finite = values[np.isfinite(values)]
                out[key] = float(finite.mean()) if len(finite) else float("inf")
                out[key + "_se"] = float(finite.std(ddof=1) / math.sqrt(len(finite))) if len(finite) > 1 else 0.0
            summary[config][mixture] = out
    return summary


def markdown(summary, args):
    def cell(s, key, digits):
        if s is None:
            return ""
        return f"{s[key]:.{digits}f} ± {s[key + '_se']:.{digits}f}"

    lines = [
        f"| {args.steps} steps, {args.seeds} seeds (mean ± s.e.) | ring modes (of 8) | ring HQ % | ring rev. KL "
        "| grid modes (of 25) | grid HQ % | grid rev. KL |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in PUBLISHED:
        lines.append("| " + " | ".join([f"*{row[0]}*"] + ["" if v is None else str(v) for v in row[1:]]) + " |")
    for config, per in summary.items():
        ring, grid = per.get("ring"), per.get("grid")
        lines.append(f"| {config} | {cell(ring, 'modes', 1)} | {cell(ring, 'high_quality', 1)} | "
                     f"{cell(ring, 'reverse_kl', 2)} | {cell(grid, 'modes', 1)} | {cell(grid, 'high_quality', 1)} | "
                     f"{cell(grid, 'reverse_kl', 2)} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="all")
    parser.add_argument("--mixtures", default="ring,grid")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--eval_samples", type=int, default=2500)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--jit", type=int, default=1, help="XLA-compile the train step (1.4-2x faster on CPU)")
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "mixtures.json"))
    args = parser.parse_args()
    names = list(CONFIGS) if args.configs == "all" else args.configs.split(",")
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        raise SystemExit(f"Unknown configs {unknown}; known: {', '.join(CONFIGS)}")
    jobs = [(n, m, s, args.steps, args.batch, args.eval_samples, bool(args.jit))
            for n in names for m in args.mixtures.split(",") for s in range(args.seeds)]
    results = []
    started = time.time()
    with mp.get_context("spawn").Pool(args.workers, maxtasksperchild=4) as pool:
        for r in pool.imap_unordered(run_one, jobs):
            results.append(r)
            print(f"[{len(results)}/{len(jobs)} {time.time() - started:.0f}s] {r['config']} {r['mixture']} "
                  f"seed {r['seed']}: modes {r['modes']}/{r['num_modes']} HQ {100 * r['high_quality']:.1f}% "
                  f"revKL {r['reverse_kl']:.3f} ({r['seconds']}s)", flush=True)
    results.sort(key=lambda r: (names.index(r["config"]), r["mixture"], r["seed"]))
    summary = summarise(results)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"protocol": vars(args), "summary": summary, "runs": results}, f, indent=2)
    print(markdown({n: summary[n] for n in names if n in summary}, args))


if __name__ == "__main__":
    main()
