"""Variations of the default job (``python -m recipes.train``), each scored by its confident-digit share.

    python benchmarks/default_job.py --tag=baseline
    python benchmarks/default_job.py --tag=smooth0.1 --config label_smoothing=0.1
    python benchmarks/default_job.py --tag=hinge_ttur --recipe=hinge_ttur_mnist

Each tag trains ``--recipe`` (default: the default job's) with ``--seed`` and the ``--config``
overrides into ``runs/default_job/<tag>`` through the train CLI (so the wall time is what a user
waits for), then scores 1,000 samples (latent seed 0) with ``benchmarks/digit_quality.py`` and
writes ``benchmarks/results/default_job/<tag>.json``: the command, the wall time, the machine and
the confident share. A tag with a result is skipped; a killed run resumes from its last epoch.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks._machine import machine_info  # noqa: E402

TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tag", required=True, help="names the variation (letters, digits, '_', '.', '-')")
    parser.add_argument("--recipe", default="dcgan_mnist")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", action="append", default=[], help="key=value override; repeatable")
    parser.add_argument("--steps", type=int, default=None, help="total train steps (default: the recipe's)")
    parser.add_argument("--runs_dir", default=os.path.join(ROOT, "runs", "default_job"))
    parser.add_argument("--results_dir", default=os.path.join(ROOT, "benchmarks", "results", "default_job"))
    args = parser.parse_args(argv)
    if not TAG.match(args.tag):
        parser.error(f"--tag must be letters, digits, '_', '.' or '-'; got {args.tag!r}")
    out = os.path.join(args.results_dir, f"{args.tag}.json")
    if os.path.exists(out):
        print(f"[default_job] {args.tag}: done ({out})")
        return
    workdir = os.path.join(args.runs_dir, args.tag)
    command = [sys.executable, "-m", "recipes.train", f"--recipe={args.recipe}", f"--workdir={workdir}",
               f"--seed={args.seed}"] + [f"--config={c}" for c in args.config]
    if args.steps:
        command.append(f"--steps={args.steps}")
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2")
    start = time.time()
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    wall = time.time() - start
    quality = os.path.join(workdir, "digit_quality.json")
    subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "digit_quality.py"), workdir,
                    "--num=1000", "--seed=0", f"--out={quality}"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    with open(quality) as f:
        report = json.load(f)
    with open(os.path.join(workdir, "summary.json")) as f:
        summary = json.load(f)
    result = {"tag": args.tag, "recipe": args.recipe, "seed": args.seed, "config": args.config,
              "command": " ".join(["python -m recipes.train"] + [c.replace(ROOT + os.sep, "") for c in command[3:]]),
              "wall_seconds": round(wall, 1), "train_seconds": summary.get("train_seconds"),
              "train_steps": summary.get("epochs", 0) * summary.get("steps_per_epoch", 0),
              "confident_fraction": report["generated"]["confident_fraction"],
              "kl_to_uniform": report["generated"]["kl_to_uniform"],
              "class_histogram": report["generated"]["class_histogram"],
              "real_test_digits": report.get("real_test_digits", {}).get("confident_fraction"),
              "machine": machine_info()}
    os.makedirs(args.results_dir, exist_ok=True)
    from zoo.io import write_atomic

    write_atomic(out, json.dumps(result, indent=2) + "\n")
    print(f"[default_job] {args.tag}: {result['confident_fraction']:.1%} confident, {wall:.0f} s")


if __name__ == "__main__":
    main()
