"""What one training step of a 2D-mixture protocol costs, and where the time goes.

    python benchmarks/mixtures_cost.py --protocol=notebook
    python benchmarks/mixtures_cost.py --protocol=pacgan --rounds=3

For the protocol's plain GAN, on one thread (as ``mixtures.py`` trains each run),
in interleaved rounds: ms per step of ``fit`` without XLA, with XLA, and with XLA
and 50 steps per call (what ``mixtures.py`` uses); and the same with a batch five
times as large, divided by five, which bounds from below what five seeds trained in
one graph could cost per seed. The step's FLOPs are counted from the networks'
Dense layers and set beside a 1024 x 1024 matmul's rate on the same thread, timed
in the same rounds, so the result says whether a step is limited by arithmetic or
by overhead.
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
from benchmarks._flops import gan_step_flops, matmul_seconds  # noqa: E402
from benchmarks._machine import describe, machine_info  # noqa: E402

SETTINGS = {  # name: (jit_compile, steps_per_execution, batch multiplier)
    "fit": (False, 1, 1),
    "fit_xla": (True, 1, 1),
    "fit_xla_50_per_call": (True, 50, 1),
    "five_seeds_bound": (True, 50, 5),
}


def measure(protocol, results_dir, rounds=3, steps=500):
    """Runs the comparison for ``protocol``'s GAN row and writes ``<results_dir>/cost_<protocol>.json``."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from benchmarks.mixtures import PROTOCOLS, build, dataset

    batch = PROTOCOLS[protocol]["batch"]
    trained = {}
    for name, (jit, per_call, times) in SETTINGS.items():
        gan, d_opt, g_opt = build(protocol, "gan", seed=0)
        gan.compile(d_optimizer=d_opt, g_optimizer=g_opt, jit_compile=jit, steps_per_execution=per_call)
        data = dataset(protocol, "ring", 0, batch * times)
        gan.fit(data, steps_per_epoch=2 * per_call, epochs=1, verbose=0)  # trace and compile
        trained[name] = (gan, data, times)
    matmul, n = matmul_seconds(), 1024
    seconds = {name: [] for name in (*SETTINGS, "matmul")}
    for _ in range(rounds):  # interleaved, so load that comes and goes touches every setting alike
        for name, (gan, data, times) in trained.items():
            start = time.perf_counter()
            gan.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
            seconds[name].append((time.perf_counter() - start) / steps / times)
            seconds["matmul"].append(matmul())
    median = {name: sorted(s)[len(s) // 2] for name, s in seconds.items()}
    ms = {name: 1000 * median[name] for name in SETTINGS}
    flops = gan_step_flops(trained["fit"][0], batch)
    rate = 2 * n ** 3 / median["matmul"] / 1e9
    best = ms["fit_xla_50_per_call"]
    result = {
        "protocol": protocol, "batch": batch, "steps_timed": steps, "rounds": rounds,
        "ms_per_step_per_seed": {k: round(v, 3) for k, v in ms.items()},
        "speedup_over_fit": {k: round(ms["fit"] / v, 2) for k, v in ms.items()},
        "gflop_per_step": round(flops / 1e9, 4),
        "achieved_gflops": round(flops / best / 1e6, 1),
        "matmul_gflops_one_thread": round(rate, 1),
        "fraction_of_matmul_rate": round(flops / best / 1e6 / rate, 3),
        "machine": machine_info(),
    }
    result["machine_line"] = describe(result["machine"])
    os.makedirs(results_dir, exist_ok=True)
    with open(os.path.join(results_dir, f"cost_{protocol}.json"), "w") as f:
        json.dump(result, f, indent=2)
    return result


def main(argv=None):
    from benchmarks.mixtures import PROTOCOLS

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--protocol", default="notebook", choices=list(PROTOCOLS))
    p.add_argument("--rounds", type=positive_int, default=3)
    p.add_argument("--steps", type=positive_int, default=500, help="steps timed per setting and round (x50)")
    p.add_argument("--results_dir", default=os.path.join(ROOT, "benchmarks", "results", "mixtures"))
    args = p.parse_args(argv)
    if args.steps % 50:
        p.error(f"--steps must be a multiple of 50 (the steps per call); got {args.steps}")
    if "gan" not in PROTOCOLS[args.protocol]["configs"]:
        p.error(f"the cost is measured on a 2D protocol's plain GAN; --protocol={args.protocol} has none")
    print(json.dumps(measure(args.protocol, args.results_dir, args.rounds, args.steps), indent=2))


if __name__ == "__main__":
    main()
