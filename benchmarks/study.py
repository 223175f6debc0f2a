"""Reproduce "Are GANs Created Equal?" (Lucic et al., NeurIPS 2018) on MNIST and Fashion-MNIST.

    python benchmarks/study.py --losses=ns --datasets=fashion_mnist --seeds=0,1,2
    python benchmarks/study.py                                  # every loss on both data sets, seed 0
    python benchmarks/study.py --losses=ns --datasets=mnist --tag=ema --config ema_decay=0.999
    python benchmarks/study.py --table                          # only rewrite the table from the results

Each (loss, data set, seed[, tag]) is an independent job: it trains the recipe
``study_<loss>_<dataset>`` into ``<runs_dir>/<job>/`` (resuming a killed run from
its last epoch), scores every checkpoint, and writes its result to
``<results_dir>/<job>.json``; a job with a result is skipped. Every step of the
evaluation is cached in the run's ``fid/`` folder, so a killed evaluation
resumes too. The table (``--table_out``) puts each result beside the paper's.

The protocol (ANCHORS: compare_gan v1): the study's networks, z 64-d U(-1, 1),
batch 64, 15,625 discriminator updates, a checkpoint every 3,906 (4 in all). FID
on ``--fid_samples`` generated images (latent seed 0) against the 10,000 test
images with the FID Inception network. The paper reports the minimum FID over
checkpoints; computing a 10k FID for each of the four costs four times as much,
so here each checkpoint gets a proxy FID (``--proxy_samples`` generated images,
default 2,000, against the same 10,000 real features) and only the checkpoint
with the lowest proxy gets the 10k FID. The table says so.

``--verbose`` sets both training's output and the FID steps' progress: 2 (the
default) a few plain lines per feature extraction, so a ``nohup`` log shows
where a long FID step is; 1 a live bar on a terminal; 0 nothing.
"""

import argparse
import glob
import json
import os
import re
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks._args import positive_int  # noqa: E402
from benchmarks._machine import describe, machine_info  # noqa: E402
from recipes.cli import HeldStderr  # noqa: E402  (no TensorFlow)

# The paper's Table 2 (best FID, mean ± std): {(loss, dataset): (mean, std)}.
PAPER = {
    ("mm", "mnist"): (9.8, 0.9), ("mm", "fashion_mnist"): (29.6, 1.6),
    ("ns", "mnist"): (6.8, 0.5), ("ns", "fashion_mnist"): (26.5, 1.6),
    ("lsgan", "mnist"): (7.8, 0.6), ("lsgan", "fashion_mnist"): (30.7, 2.2),
    ("wgan", "mnist"): (6.7, 0.4), ("wgan", "fashion_mnist"): (21.5, 1.6),
    ("wgan_gp", "mnist"): (20.3, 5.0), ("wgan_gp", "fashion_mnist"): (24.5, 2.1),
    ("dragan", "mnist"): (7.6, 0.4), ("dragan", "fashion_mnist"): (27.7, 1.2),
    ("began", "mnist"): (13.1, 1.0), ("began", "fashion_mnist"): (22.9, 0.9),
}
LOSS_NAMES = {"mm": "MM GAN", "ns": "NS GAN", "lsgan": "LSGAN", "wgan": "WGAN", "wgan_gp": "WGAN-GP",
              "dragan": "DRAGAN", "began": "BEGAN"}
TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$")


class StudyError(Exception):
    """Bad input: printed as one ``error:`` line."""


def names(text, allowed, what):
    items = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in items if t not in allowed]
    if unknown or not items:
        raise StudyError(f"unknown {what} {', '.join(unknown) or repr(text)}: choose from {', '.join(allowed)}.")
    return list(dict.fromkeys(items))


def seeds(text):
    try:
        values = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 0:
        raise StudyError(f"--seeds must be a comma-separated list of integers >= 0, e.g. 0,1,2; got {text!r}.")
    return list(dict.fromkeys(values))


def _study_settings():
    from recipes.registry import STUDY_DATASETS, STUDY_LOSSES

    return STUDY_LOSSES, STUDY_DATASETS


def parse_args(argv=None):
    STUDY_LOSSES, STUDY_DATASETS = _study_settings()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--losses", default=",".join(STUDY_LOSSES), help=f"comma-separated: {', '.join(STUDY_LOSSES)}")
    p.add_argument("--datasets", default="fashion_mnist,mnist", help="comma-separated: fashion_mnist, mnist")
    p.add_argument("--seeds", default="0", help="comma-separated seeds (training and weights)")
    p.add_argument("--tag", default=None, help="names a variation of the recipe (required with --config)")
    p.add_argument("--config", action="append", default=[],
                   help="key=value override of the recipe (a TrainConfig key or a variant option); repeatable")
    p.add_argument("--runs_dir", default=os.path.join(ROOT, "runs", "study"))
    p.add_argument("--results_dir", default=os.path.join(ROOT, "benchmarks", "results", "study"))
    p.add_argument("--table_out", default=os.path.join(ROOT, "benchmarks", "results", "study.md"))
    p.add_argument("--proxy_samples", type=positive_int, default=2_000,
                   help="generated images for each checkpoint's proxy FID")
    p.add_argument("--fid_samples", type=positive_int, default=10_000, help="generated images for the final FID")
    p.add_argument("--num_real", type=positive_int, default=10_000, help="real test images")
    p.add_argument("--extractor", default="inception", choices=("inception", "mnist"),
                   help="inception: the protocol's; mnist: the zoo's classifier (fast, for tests)")
    p.add_argument("--cache_dir", default=None, help="the zoo's cache (datasets, real features)")
    p.add_argument("--table", action="store_true", help="only rewrite the table from the results")
    p.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2),
                   help="Keras fit verbosity, also used for the FID steps' feature extraction: 0 nothing, "
                        "1 a live bar on a terminal (plain lines in a log), 2 a few plain lines")
    args = p.parse_args(argv)
    args.losses = names(args.losses, list(STUDY_LOSSES), "loss")
    args.datasets = names(args.datasets, list(STUDY_DATASETS), "data set")
    args.seeds = seeds(args.seeds)
    if args.config and not args.tag:
        raise StudyError("--config changes the recipe: name the variation with --tag (e.g. --tag=ema), so its "
                         "results are kept apart from the protocol's.")
    if args.tag is not None and not TAG.match(args.tag):
        raise StudyError(f"--tag must be letters, digits, '_', '.' or '-' (at most 41); got {args.tag!r}.")
    return args


def job_name(loss, dataset, seed, tag=None):
    return f"{loss}_{dataset}_seed{seed}" + (f"_{tag}" if tag else "")


def overrides(args, seed):
    """The recipe overrides of a job: ``--config`` and the seed. The study's length counts D updates
    (15,625, a checkpoint every quarter), so a ``d_steps`` override without ``steps_per_epoch``
    rescales the epochs to keep that budget (WGAN with 1 critic step: 3,906 train steps an epoch)."""
    from recipes.registry import STUDY_CHECKPOINTS, STUDY_D_UPDATES, parse_overrides

    out = {**parse_overrides(args.config), "seed": seed}
    d_steps = out.get("d_steps")
    if isinstance(d_steps, int) and not isinstance(d_steps, bool) and d_steps >= 1 and "steps_per_epoch" not in out:
        out["steps_per_epoch"] = STUDY_D_UPDATES // STUDY_CHECKPOINTS // d_steps
    return out


def _cached(path, compute):
    """The JSON at ``path``, computed (and written atomically) when absent."""
    from zoo.io import write_atomic

    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    value = compute()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_atomic(path, json.dumps(value, indent=2) + "\n")
    return value


def score(path, dataset, n, args):
    """FID of the generator at ``path`` on ``n`` samples (latent seed 0) against the test split."""
    from recipes.evaluate import evaluate_generator

    report = evaluate_generator(path, dataset=dataset, split="test", metrics="fid", extractor=args.extractor,
                                num_samples=n, num_real=args.num_real, seed=0, cache_dir=args.cache_dir,
                                verbose=args.verbose)
    return {"fid": report["results"]["fid"], "num_samples": n, "num_real": report["results"]["num_real"],
            "extractor": report["results"]["extractor"], "seconds": report["seconds"]}


def run_job(loss, dataset, seed, args):
    """Trains (or resumes) one job, scores its checkpoints and returns its result dict."""
    import keras

    from recipes.registry import make_config
    from recipes.train import run

    name = job_name(loss, dataset, seed, args.tag)
    workdir = os.path.join(args.runs_dir, name)
    recipe = f"study_{loss}_{dataset}"
    config = make_config(recipe, overrides(args, seed))
    summary_path = os.path.join(workdir, "summary.json")
    if os.path.exists(summary_path):
        with open(summary_path) as f:
            summary = json.load(f)
    else:
        print(f"[study] {name}: training {recipe} into {workdir}", flush=True)
        summary = run(config, workdir, verbose=args.verbose)
        keras.backend.clear_session()
    d_steps = config.model.get("d_steps", 1)
    snapshots = sorted(glob.glob(os.path.join(workdir, "generators", "epoch_*.keras")))
    if not snapshots:
        raise StudyError(f"{workdir} has no generators/epoch_*.keras: was it trained with keep_generators=True?")
    checkpoints = []
    for path in snapshots:
        epoch = int(re.search(r"epoch_(\d+)", path).group(1))
        print(f"[study] {name}: proxy FID of epoch {epoch}", flush=True)
        proxy = _cached(os.path.join(workdir, "fid", f"epoch_{epoch:04d}_{args.extractor}_n{args.proxy_samples}.json"),
                        lambda: score(path, dataset, args.proxy_samples, args))
        g_steps = epoch * config.steps_per_epoch
        checkpoints.append({"epoch": epoch, "g_steps": g_steps, "d_updates": g_steps * d_steps,
                            "proxy_fid": proxy["fid"], "proxy_seconds": proxy["seconds"]})
    best = min(checkpoints, key=lambda c: c["proxy_fid"])
    chosen = os.path.join(workdir, "generators", f"epoch_{best['epoch']:04d}.keras")
    print(f"[study] {name}: FID on {args.fid_samples} samples of epoch {best['epoch']}", flush=True)
    final = _cached(os.path.join(workdir, "fid", f"epoch_{best['epoch']:04d}_{args.extractor}_n{args.fid_samples}.json"),
                    lambda: score(chosen, dataset, args.fid_samples, args))
    mean, std = PAPER[(loss, dataset)]
    return {
        "job": name, "loss": loss, "dataset": dataset, "seed": seed, "tag": args.tag, "recipe": recipe,
        "overrides": args.config,
        "config": config.to_dict(),
        "fid": final["fid"], "fid_num_samples": final["num_samples"], "fid_num_real": final["num_real"],
        "extractor": final["extractor"], "fid_seconds": final["seconds"],
        "chosen_checkpoint": best, "checkpoints": checkpoints,
        "selection": f"lowest proxy FID ({args.proxy_samples} samples) over the checkpoints, then the "
                     f"{args.fid_samples}-sample FID of that checkpoint",
        "paper": {"mean": mean, "std": std}, "verdict": verdict(final["fid"], mean, std),
        "train_seconds": summary.get("train_seconds"), "images_per_second": summary.get("images_per_second"),
        "command": " ".join(["python benchmarks/study.py", f"--losses={loss}", f"--datasets={dataset}",
                             f"--seeds={seed}"] + ([f"--tag={args.tag}"] if args.tag else [])
                            + [f"--config {c}" for c in args.config]),
        "machine": machine_info(),
        "versions": summary.get("versions"),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def verdict(fid, mean, std):
    """Where ``fid`` stands against the paper's mean ± 2 std."""
    if fid < mean - 2 * std:
        return "better"
    if fid > mean + 2 * std:
        return "worse"
    return "within"


def load_results(results_dir):
    results = []
    for path in sorted(glob.glob(os.path.join(results_dir, "*.json"))):
        with open(path) as f:
            results.append(json.load(f))
    return results


def table(results, args):
    """The markdown table: every (loss, data set) row of the paper, with ours beside it."""
    lines = [
        "| loss | data set | paper FID (mean ± std) | ours: FID (seed) | verdict | chosen checkpoint "
        "(G steps) | train time | tag |",
        "|---|---|---|---|---|---|---|---|",
    ]
    by_row = {}
    for r in results:
        by_row.setdefault((r["loss"], r["dataset"]), []).append(r)
    for dataset in ("fashion_mnist", "mnist"):
        for loss in LOSS_NAMES:
            mean, std = PAPER[(loss, dataset)]
            rows = sorted(by_row.get((loss, dataset), []), key=lambda r: (r["tag"] or "", r["seed"]))
            if not rows:
                lines.append(f"| {LOSS_NAMES[loss]} | {dataset} | {mean} ± {std} | not yet run | | | | |")
            for r in rows:
                c = r["chosen_checkpoint"]
                minutes = f"{r['train_seconds'] / 60:.0f} min" if r.get("train_seconds") else "?"
                lines.append(
                    f"| {LOSS_NAMES[loss]} | {dataset} | {mean} ± {std} | {r['fid']:.1f} ({r['seed']}) | "
                    f"{r['verdict']} | {c['epoch']} of {len(r['checkpoints'])} ({c['g_steps']}) | {minutes} | "
                    f"{r['tag'] or ''} |")
    machines = sorted({describe(r["machine"]) for r in results})
    notes = [
        "",
        f"FID: {results[0]['fid_num_samples'] if results else args.fid_samples} generated vs "
        f"{results[0]['fid_num_real'] if results else args.num_real} test images, extractor "
        f"{results[0]['extractor'] if results else args.extractor} (fid_inception_2015_12_05 is the paper's "
        "network). Checkpoint: " + (results[0]["selection"] if results else "see benchmarks/study.py")
        + " (the paper: the minimum 10k FID over checkpoints).",
        "Verdict: within / better / worse than the paper's mean ± 2 std.",
        "Machines: " + ("; ".join(machines) if machines else "none yet") + ".",
    ]
    return "\n".join(lines + notes) + "\n"


def main(argv=None):
    held = HeldStderr().start()  # TensorFlow's start-up lines: dropped when the arguments are bad
    try:
        args = parse_args(argv)
    except StudyError as e:
        held.drop()
        print(f"error: {e}", file=sys.stderr)
        return 2
    held.release()
    # Import everything a job needs now: a campaign runs for hours, and modules imported lazily later would
    # come from whatever code is on disk by then (a mix of versions).
    import recipes.evaluate  # noqa: F401
    import recipes.train  # noqa: F401
    import zoo.metrics.inception  # noqa: F401
    from recipes.train import RunError
    from zoo.errors import ZooError
    from zoo.io import write_atomic

    os.makedirs(args.results_dir, exist_ok=True)
    if not args.table:
        for dataset in args.datasets:
            for loss in args.losses:
                for seed in args.seeds:
                    out = os.path.join(args.results_dir, job_name(loss, dataset, seed, args.tag) + ".json")
                    if os.path.exists(out):
                        print(f"[study] {os.path.basename(out)} exists: skipped", flush=True)
                        continue
                    try:
                        result = run_job(loss, dataset, seed, args)
                    except (ZooError, StudyError, RunError) as e:
                        print(f"error: {e}", file=sys.stderr)
                        return 2
                    write_atomic(out, json.dumps(result, indent=2) + "\n")
                    print(f"[study] {result['job']}: FID {result['fid']:.2f} (paper {result['paper']['mean']} ± "
                          f"{result['paper']['std']}: {result['verdict']})", flush=True)
    text = table(load_results(args.results_dir), args)
    write_atomic(args.table_out, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
