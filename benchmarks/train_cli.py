"""The train CLI's throughput against a bare ``fit`` on the same networks, batch and step count.

    python benchmarks/train_cli.py [--recipe=dcgan_mnist] [--epochs=2] [--rounds=3]
        [--out=benchmarks/results/train_cli.json]

Contenders, each a fresh process per round, rounds alternating which goes first:

  cli    ``python -m recipes.train --recipe=R --epochs=E`` into a temporary workdir: the real data
         pipeline and every callback the CLI installs (sample grids, checkpoints, TensorBoard,
         CSV log, backup, the non-finite guard). Its rate is the CLI's own ``images_per_second``
         (the ``fit`` call: the first step's tracing, every step and every epoch-end callback).
  bare   the same recipe's model, optimizers and batch built through the same registry, ``fit``
         on one repeated batch (``recipes.data.prefetched``), no callbacks, the same number of steps,
         timed the same way (the whole ``fit`` call, tracing included).

Both are run with the process's environment, so ``ONEDNN_MAX_CPU_ISA=AVX2 python
benchmarks/train_cli.py`` measures both with AVX2 kernels. Per round: images/s of each and
the ratio cli / bare, with user and system CPU seconds of each process (a pipeline or callback
that makes threads fight shows up as system time). Writes ``--out`` (JSON, with the machine:
CPU model, vector extensions, cores, load) and prints a markdown table.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks._args import positive_int  # noqa: E402
from benchmarks._machine import describe, machine_info  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # the contenders inherit it


def bare(recipe, epochs):
    """Trains the recipe's GAN on one repeated batch with a plain ``fit``; prints one JSON line."""
    import keras
    import tensorflow as tf

    import zoo
    from recipes import train
    from recipes.data import prefetched
    from recipes.registry import make_config

    config = make_config(recipe, {"epochs": epochs})
    data = train.image_data(config)
    steps_per_epoch, epochs = train.schedule(config.steps, data.num_examples // config.batch_size, config.epochs)
    keras.utils.set_random_seed(config.seed)
    gan = zoo.build_variant(config.variant, image_shape=data.image_shape, seed=config.seed, **data.model_options)
    gan.compile(d_optimizer=train.make_optimizer(config, config.d_lr),
                g_optimizer=train.make_optimizer(config, config.g_lr), jit_compile=config.jit_compile)
    batch = next(iter(data.dataset))
    repeated = prefetched(tf.data.Dataset.from_tensors(batch).repeat())
    start = time.time()
    gan.fit(repeated, epochs=epochs, steps_per_epoch=steps_per_epoch, verbose=0)
    seconds = time.time() - start
    print(json.dumps({"train_seconds": seconds, "steps": epochs * steps_per_epoch,
                      "images_per_second": epochs * steps_per_epoch * config.batch_size / seconds}))


def run_contender(side, recipe, epochs):
    """Runs one contender in its own process; returns its rate and CPU times."""
    workdir = tempfile.mkdtemp(prefix=f"train_cli_{side}_")
    if side == "cli":
        command = [sys.executable, "-m", "recipes.train", f"--recipe={recipe}", f"--epochs={epochs}",
                   f"--workdir={workdir}"]
    else:
        command = [sys.executable, os.path.abspath(__file__), "--_bare", f"--recipe={recipe}", f"--epochs={epochs}"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        wall = time.time() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode:
            raise SystemExit(f"{side} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        if side == "cli":
            with open(os.path.join(workdir, "summary.json")) as f:
                summary = json.load(f)
        else:
            summary = json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"images_per_second": summary["images_per_second"], "train_seconds": summary["train_seconds"],
            "process_seconds": wall, "user_seconds": after.ru_utime - before.ru_utime,
            "system_seconds": after.ru_stime - before.ru_stime, "loadavg_before": os.getloadavg()}


def table(result):
    lines = ["| round | CLI images/s | bare fit images/s | CLI / bare | CPU user / sys s: CLI | bare |",
             "|---|---|---|---|---|---|"]
    for i, r in enumerate(result["rounds"], 1):
        c, b = r["cli"], r["bare"]
        lines.append(f"| {i} | {c['images_per_second']:.0f} | {b['images_per_second']:.0f} | {r['ratio']:.2f} | "
                     f"{c['user_seconds']:.0f} / {c['system_seconds']:.0f} | "
                     f"{b['user_seconds']:.0f} / {b['system_seconds']:.0f} |")
    lines.append(f"| median | | | **{result['median_ratio']:.2f}** | | |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", default="dcgan_mnist")
    parser.add_argument("--epochs", type=positive_int, default=2)
    parser.add_argument("--rounds", type=positive_int, default=3)
    parser.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "train_cli.json"))
    parser.add_argument("--_bare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._bare:
        return bare(args.recipe, args.epochs)
    from recipes.registry import make_config
    from zoo.errors import ZooError

    try:  # an unknown recipe or a bad --epochs: one line, before any run
        make_config(args.recipe, {"epochs": args.epochs})
    except ZooError as e:
        raise SystemExit(f"train_cli: {e}") from None
    result = {"benchmark": "train_cli_vs_bare_fit", "recipe": args.recipe, "epochs": args.epochs,
              "machine": machine_info(), "rounds": []}
    for r in range(args.rounds):
        order = ("cli", "bare") if r % 2 == 0 else ("bare", "cli")
        record = {side: run_contender(side, args.recipe, args.epochs) for side in order}
        record["ratio"] = record["cli"]["images_per_second"] / record["bare"]["images_per_second"]
        result["rounds"].append(record)
        print(f"round {r + 1}/{args.rounds}: cli {record['cli']['images_per_second']:.0f}, "
              f"bare {record['bare']['images_per_second']:.0f} images/s ({record['ratio']:.2f})", flush=True)
    result["median_ratio"] = statistics.median(r["ratio"] for r in result["rounds"])
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(describe(result["machine"]))
    print(table(result))


if __name__ == "__main__":
    main()
