"""Training throughput of ``GAN.fit`` against a hand-written TF loop and PyTorch, same networks.

    python benchmarks/throughput.py [--torch_python=/tmp/torchvenv/bin/python]
        [--configs=all] [--dcgan_batches=16,64,256] [--bf16_batches=256] [--rounds=3]
        [--seconds_per_round=2.5] [--out=benchmarks/results/throughput.json]

Configurations (``--configs``, comma-separated; ``all`` is the default):

  dcgan     zoo.DCGAN 28x28x1, width 64, latent 100, non-saturating loss, Adam(2e-4, 0.5),
            one D step then one G step, at each of ``--dcgan_batches``
  dcgan_bf16  the same under ``keras.mixed_precision`` "mixed_bfloat16" at ``--bf16_batches``
            (TF sides only)
  wgan_gp   the wgan_gp_fashion_mnist recipe's model: DCGAN with layer-norm D, Wasserstein
            loss, WGAN-GP penalty (weight 10, a double backward), d_steps=5 (the recipe's),
            Adam(1e-4, 0.5, 0.9), batch ``--wgan_batch``
  sagan     the sagan_fashion_mnist recipe's model: zoo.SAGAN 28x28x1, width 16, latent 128,
            attention at 14, hinge loss, one D step per G step, Adam 4e-4 (D) / 1e-4 (G),
            betas (0, 0.9), batch ``--sagan_batch`` (TF sides only: no torch port)
  study     the study's networks (zoo.StudyGAN, Lucic et al. 2018), NS loss, Adam(2e-4, 0.5),
            batch ``--study_batch`` (TF sides only)
  study_bf16  the same under "mixed_bfloat16" (TF sides only)

With a GPU visible (or ``--dry_run``), ``dcgan_gpu`` and ``study_gpu`` add DCGAN at the largest
batch and the study's step with jit_compile=True in float32, mixed_float16 and mixed_bfloat16
(TF sides). ``--dry_run`` runs every planned configuration for a moment on whatever device there
is and writes to a temporary file unless ``--out`` is given: it checks the script, not the speed
(``benchmarks/gpu_run.sh`` is the one command for a lent GPU machine).

Contenders, each in its own process (so that its peak RSS is its own):

  fit     the zoo model's ``GAN.fit`` on a ``tf.data`` dataset repeating one batch
  hand    the textbook ``tf.function`` + ``GradientTape`` loop on the *same* networks
          (taken from the zoo model, so same weights) and optimizer settings, fed from an
          iterator over the same dataset: d_steps x (fresh z, G forward, D loss [+ penalty
          by a nested tape], D update), then fresh z and the G update
  torch   the same networks re-built in PyTorch eager on CPU (``benchmarks/_torch_throughput.py``,
          run with ``--torch_python``; parameter counts are checked equal to Keras's), same
          step, same loss, same optimizer settings, ``torch.set_num_threads`` = the CPUs TF uses,
          ``OMP_WAIT_POLICY=PASSIVE`` (see TORCH_ENV: spinning OpenMP threads collapse on a shared machine)

Images/s counts real images per training step (batch x steps), whatever d_steps is.
All contenders of a configuration start together (build, trace, warm up); then each
times 3 steps alone for calibration, and the steps per round are chosen so that the
slowest contender's round takes about ``--seconds_per_round`` (at least
``--min_steps``). Then ``--rounds`` rounds alternate between
the contenders (one at a time, the others idle) and the median images/s of each is
reported with the ratios fit/hand and fit/torch. For fit, the steady-state rate (end of
the first step to end of the last, from a callback: fit's per-call setup excluded) is
reported too. The machine may be shared: the load
average is recorded before and after every round. Peak memory is the process's peak
resident set size (VmHWM, MB, CPU host memory, includes the framework runtime;
``rss_after_imports_mb`` is that peak right after importing the framework).

The FLOP rate: each step's FLOPs are counted from the networks' layer shapes
(``benchmarks/_flops.py``: Dense and conv layers, forward + backward, the penalty's second
backward not counted), and fit's steady-state rate in GFLOP/s is reported beside a large float32
matmul (``_flops.MATMUL_N`` square) timed in the fit process (same threads) between the rounds.

Writes ``--out`` (JSON) and prints a markdown table.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

from _args import positive_float, positive_int, positive_ints  # noqa: E402  (benchmarks/ is sys.path[0])
from _flops import MATMUL_N, gan_step_flops, matmul_gflops  # noqa: E402
from _machine import describe, machine_info  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_SCRIPT = os.path.join(HERE, "_torch_throughput.py")

IMAGE_SHAPE = (28, 28, 1)
# What each model trains with (the zoo constructor options, the optimizers, the loss the hand loop writes out).
MODELS = {
    "dcgan": dict(variant="DCGAN", options=dict(latent_dim=100, width=64), loss="non_saturating",
                  d_steps=1, penalty_weight=0.0, d_norm="batch",
                  optimizer=dict(d_lr=2e-4, g_lr=2e-4, beta_1=0.5, beta_2=0.999)),
    "wgan_gp": dict(variant="DCGAN", options=dict(latent_dim=100, width=64, d_norm="layer", loss="wasserstein",
                                                  penalty="wgan_gp", penalty_weight=10.0, d_steps=5),
                    loss="wasserstein", d_steps=5, penalty_weight=10.0, d_norm="layer",
                    optimizer=dict(d_lr=1e-4, g_lr=1e-4, beta_1=0.5, beta_2=0.9)),
    "sagan": dict(variant="SAGAN", options=dict(latent_dim=128, width=16, attention=14), loss="hinge",
                  d_steps=1, penalty_weight=0.0, d_norm=None,
                  optimizer=dict(d_lr=4e-4, g_lr=1e-4, beta_1=0.0, beta_2=0.9)),
    "study": dict(variant="StudyGAN", options=dict(latent_dim=64), loss="non_saturating",
                  d_steps=1, penalty_weight=0.0, d_norm="batch",
                  optimizer=dict(d_lr=2e-4, g_lr=2e-4, beta_1=0.5, beta_2=0.999)),
}
# torch's OpenMP threads spin while waiting by default; with other jobs on the cores that made a
# DCGAN step 100x slower here (5.4 s instead of 0.05 s at batch 16, 2 threads). TensorFlow's own
# thread pool does not spin like that. PASSIVE makes waiting threads sleep (measured: 0.050 s/step,
# vs 0.055 s with 1 thread), the fair setting on a shared machine.
TORCH_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}
CONFIG_NAMES = ("dcgan", "dcgan_bf16", "wgan_gp", "sagan", "study", "study_bf16", "dcgan_gpu", "study_gpu")
GPU_PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


def peak_rss_mb():
    """This process's peak resident set size in MB: VmHWM, which exec resets (ru_maxrss would keep the
    peak of the parent that forked us, here the driver with TensorFlow imported)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmHWM in /proc/self/status (peak RSS needs Linux)")


# ---------------------------------------------------------------------------- TF worker (own process)


def tf_worker(spec):
    """Builds one contender ("fit" or "hand") for ``spec``, then serves the line protocol."""
    sys.path.insert(0, ROOT)
    import keras
    import numpy as np
    import tensorflow as tf

    import zoo

    rss_after_imports = peak_rss_mb()
    if spec["precision"] != "float32":
        keras.mixed_precision.set_global_policy(spec["precision"])
    model = MODELS[spec["model"]]
    keras.utils.set_random_seed(0)
    gan = getattr(zoo, model["variant"])(image_shape=IMAGE_SHAPE, seed=0, **model["options"])
    opt = model["optimizer"]

    def adam(lr, name):
        return keras.optimizers.Adam(lr, beta_1=opt["beta_1"], beta_2=opt["beta_2"], name=name)

    d_opt, g_opt = adam(opt["d_lr"], "d_optimizer"), adam(opt["g_lr"], "g_optimizer")
    x = np.random.default_rng(0).uniform(-1, 1, (spec["batch"], *IMAGE_SHAPE)).astype("float32")
    # Autotuning off (recipes.data.prefetched): its thread can hold the deletion of the iterator that ends
    # every fit call for seconds.
    from recipes.data import prefetched

    data = prefetched(tf.data.Dataset.from_tensors(x).repeat())
    g, d = gan.generator, gan.discriminator
    latent = gan.latent_dim

    if spec["side"] == "fit":
        gan.compile(d_optimizer=d_opt, g_optimizer=g_opt, jit_compile=spec["jit"])
        marks = []
        stamp = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: marks.append(time.perf_counter()))

        def run(steps):
            marks.clear()
            start = time.perf_counter()
            history = gan.fit(data, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=[stamp])
            seconds = time.perf_counter() - start
            # Steady state: from the end of the first step to the end of the last (fit's per-call setup excluded).
            steady = (marks[-1] - marks[0]) / (len(marks) - 1) if len(marks) > 1 else None
            return seconds, [history.history["d_loss"][-1], history.history["g_loss"][-1]], steady
    else:
        d_opt.build(d.trainable_variables)
        g_opt.build(g.trainable_variables)
        it = iter(data)
        loss, d_steps, weight = model["loss"], model["d_steps"], model["penalty_weight"]

        def d_loss_fn(real_logits, fake_logits):
            if loss == "non_saturating":
                return tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(tf.nn.softplus(fake_logits))
            if loss == "hinge":
                return tf.reduce_mean(tf.nn.relu(1.0 - real_logits)) + tf.reduce_mean(tf.nn.relu(1.0 + fake_logits))
            return tf.reduce_mean(fake_logits) - tf.reduce_mean(real_logits)

        def g_loss_fn(fake_logits):
            if loss == "non_saturating":
                return tf.reduce_mean(tf.nn.softplus(-fake_logits))
            return -tf.reduce_mean(fake_logits)

        def gradient_penalty(real, fake):
            eps = tf.random.uniform((tf.shape(real)[0], 1, 1, 1))
            points = eps * real + (1.0 - eps) * fake
            with tf.GradientTape() as inner:
                inner.watch(points)
                total = tf.reduce_sum(tf.cast(d(points, training=True), tf.float32))
            grads = inner.gradient(total, points)
            norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + 1e-12)
            return tf.reduce_mean(tf.square(norms - 1.0))

        @tf.function(jit_compile=spec["jit"])
        def step(real):
            n = tf.shape(real)[0]
            for _ in range(d_steps):
                fake = g(tf.random.normal((n, latent)), training=True)
                with tf.GradientTape() as tape:
                    d_loss = d_loss_fn(d(real, training=True), d(fake, training=True))
                    if weight:
                        d_loss += weight * gradient_penalty(real, fake)
                d_opt.apply_gradients(zip(tape.gradient(d_loss, d.trainable_variables), d.trainable_variables))
            with tf.GradientTape() as tape:
                g_loss = g_loss_fn(d(g(tf.random.normal((n, latent)), training=True), training=True))
            g_opt.apply_gradients(zip(tape.gradient(g_loss, g.trainable_variables), g.trainable_variables))
            return d_loss, g_loss

        def run(steps):
            start = time.perf_counter()
            for _ in range(steps):
                out = step(next(it))
            losses = [float(out[0]), float(out[1])]  # waits for the last step
            return time.perf_counter() - start, losses, None

    run(5)  # trace and warm up

    def count(net):
        return {"trainable": int(sum(np.prod(v.shape) for v in net.trainable_weights)),
                "non_trainable": int(sum(np.prod(v.shape) for v in net.non_trainable_weights))}

    info = {
        "params": {"generator": count(g), "discriminator": count(d)},
        "tensorflow": tf.__version__, "keras": keras.__version__,
        "dtype_policy": keras.mixed_precision.global_policy().name,
        "threads": {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                    "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
                    "note": "0 = TensorFlow's default (all CPUs it can use)"},
        "devices": sorted({f"{dev.device_type}" for dev in tf.config.list_logical_devices()}),
        "rss_after_imports_mb": rss_after_imports,
        "gflop_per_step": gan_step_flops(gan, spec["batch"], model["d_steps"]) / 1e9,
    }
    serve(info, run)


def serve(info, run):
    print("READY " + json.dumps(info), flush=True)
    training_peak, matmul_ran = peak_rss_mb(), False
    for line in sys.stdin:
        words = line.split()
        if words and words[0] == "run":
            seconds, losses, steady = run(int(words[1]))
            if not matmul_ran:  # the high-water mark of training alone (the rounds repeat the same steps)
                training_peak = peak_rss_mb()
            print("TIME " + json.dumps({"seconds": seconds, "losses": [float(v) for v in losses],
                                        "steady_s_per_step": steady}), flush=True)
        elif words and words[0] == "matmul":  # the float32 matmul rate with this process's threads
            matmul_ran = True
            print("MATMUL " + json.dumps({"gflops": matmul_gflops()}), flush=True)
        elif words and words[0] == "quit":
            break
    print("DONE " + json.dumps({"peak_rss_mb": training_peak, "peak_rss_with_matmul_mb": peak_rss_mb()}), flush=True)


# ---------------------------------------------------------------------------- driver


class Worker:
    """One contender's process, driven over stdin/stdout."""

    def __init__(self, name, command, env=None):
        self.name = name
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     text=True, bufsize=1, cwd=ROOT, env={**os.environ, **(env or {})})

    def expect(self, tag):
        while True:
            line = self.proc.stdout.readline()
            if not line:
                self.proc.wait()
                self.log.seek(0)
                tail = self.log.read()[-3000:]
                raise RuntimeError(f"{self.name} exited (code {self.proc.returncode}) before {tag}:\n{tail}")
            if line.startswith(tag + " "):
                return json.loads(line[len(tag) + 1:])

    def send(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def close(self):
        self.send("quit")
        done = self.expect("DONE")
        self.proc.wait(timeout=60)
        self.log.close()
        return done


def plan_configs(args, gpu):
    configs = []
    for name in args.configs:
        if name == "dcgan":
            configs += [dict(name=f"dcgan_b{b}", model="dcgan", batch=b, precision="float32", jit=False,
                             sides=["fit", "hand", "torch"]) for b in args.dcgan_batches]
        elif name == "dcgan_bf16":
            configs += [dict(name=f"dcgan_bf16_b{b}", model="dcgan", batch=b, precision="mixed_bfloat16",
                             jit=False, sides=["fit", "hand"]) for b in args.bf16_batches]
        elif name == "wgan_gp":
            configs.append(dict(name=f"wgan_gp_b{args.wgan_batch}", model="wgan_gp", batch=args.wgan_batch,
                                precision="float32", jit=False, sides=["fit", "hand", "torch"]))
        elif name == "sagan":
            configs.append(dict(name=f"sagan_b{args.sagan_batch}", model="sagan", batch=args.sagan_batch,
                                precision="float32", jit=False, sides=["fit", "hand"]))
        elif name in ("study", "study_bf16"):
            precision = "mixed_bfloat16" if name == "study_bf16" else "float32"
            configs.append(dict(name=f"{name}_b{args.study_batch}", model="study", batch=args.study_batch,
                                precision=precision, jit=False, sides=["fit", "hand"]))
        elif name in ("dcgan_gpu", "study_gpu") and gpu:
            model = name.split("_")[0]
            b = max(args.dcgan_batches) if model == "dcgan" else args.study_batch
            configs += [dict(name=f"{model}_gpu_{p}_jit_b{b}", model=model, batch=b, precision=p, jit=True,
                             sides=["fit", "hand"]) for p in GPU_PRECISIONS]
    return configs


def torch_spec(config, threads):
    sys.path.insert(0, ROOT)
    from zoo.networks.dcgan import upsampling_plan

    model = MODELS[config["model"]]
    return dict(model=config["model"], image_shape=list(IMAGE_SHAPE), latent_dim=model["options"]["latent_dim"],
                width=model["options"]["width"], plan=list(upsampling_plan(IMAGE_SHAPE)), batch=config["batch"],
                optimizer=model["optimizer"], d_steps=model["d_steps"], penalty_weight=model["penalty_weight"],
                loss=model["loss"], d_norm=model["d_norm"], threads=threads)


def run_config(config, args, threads):
    """Starts the contenders of one configuration, interleaves the rounds, returns the record."""
    record = {k: config[k] for k in ("model", "batch", "precision", "jit")}
    record.update(image_shape=list(IMAGE_SHAPE), model_settings=MODELS[config["model"]], contenders={})
    sides = list(config["sides"])
    if "torch" in sides and not args.torch_python:
        sides.remove("torch")
        record["torch_skipped"] = "not run: pass --torch_python=/path/to/python-with-torch"
    workers = {}
    for side in sides:
        if side == "torch":
            command = [args.torch_python, TORCH_SCRIPT, json.dumps(torch_spec(config, threads))]
        else:
            spec = dict(model=config["model"], batch=config["batch"], precision=config["precision"],
                        jit=config["jit"], side=side)
            command = [sys.executable, os.path.abspath(__file__), "--_worker", json.dumps(spec)]
        workers[side] = Worker(f"{config['name']}/{side}", command, env=TORCH_ENV if side == "torch" else None)
    try:
        ready = {side: w.expect("READY") for side, w in workers.items()}
        calibration = {}
        for side, w in workers.items():  # one at a time, after every contender has finished warming up
            w.send("run 3")
            calibration[side] = w.expect("TIME")["seconds"] / 3
        record["calibration_s_per_step"] = calibration
        steps = max(args.min_steps, min(2000, round(args.seconds_per_round / max(calibration.values()))))
        record["steps_per_round"] = steps
        rates = {side: [] for side in workers}
        steady = {side: [] for side in workers}
        losses, loads, matmul = {}, [], []
        for r in range(args.rounds):
            order = list(workers) if r % 2 == 0 else list(reversed(workers))  # alternate who goes first
            for side in order:
                before = os.getloadavg()
                workers[side].send(f"run {steps}")
                timed = workers[side].expect("TIME")
                after = os.getloadavg()
                rates[side].append(steps * config["batch"] / timed["seconds"])
                if timed["steady_s_per_step"]:
                    steady[side].append(config["batch"] / timed["steady_s_per_step"])
                losses[side] = timed["losses"]
                loads.append({"round": r, "side": side, "loadavg_before": before, "loadavg_after": after})
            workers["fit"].send("matmul")  # the machine's rate, between the rounds
            matmul.append(workers["fit"].expect("MATMUL")["gflops"])
            print(f"  {config['name']} round {r + 1}/{args.rounds}: "
                  + ", ".join(f"{s} {rates[s][-1]:.0f}" for s in workers), flush=True)
        for side, w in workers.items():
            done = w.close()
            record["contenders"][side] = {
                "images_per_second": rates[side], "median_images_per_second": statistics.median(rates[side]),
                "peak_rss_mb": done["peak_rss_mb"], "last_losses": losses[side], **ready[side]}
            if steady[side]:
                record["contenders"][side]["steady_state_images_per_second"] = steady[side]
                record["contenders"][side]["median_steady_state_images_per_second"] = statistics.median(steady[side])
        record["loadavg"] = loads
        record["matmul_gflops"], record["matmul_n"] = matmul, MATMUL_N
    finally:
        for w in workers.values():
            if w.proc.poll() is None:
                w.proc.kill()
                w.proc.wait()
    med = {side: c["median_images_per_second"] for side, c in record["contenders"].items()}
    fit = record["contenders"]["fit"]
    steady_rate = fit.get("median_steady_state_images_per_second", med["fit"])
    record["achieved_gflops"] = fit["gflop_per_step"] * steady_rate / config["batch"]
    record["fraction_of_matmul_rate"] = record["achieved_gflops"] / statistics.median(record["matmul_gflops"])
    if "hand" in med:
        record["ratio_fit_over_hand"] = med["fit"] / med["hand"]
        record["ratio_fit_steady_state_over_hand"] = (
            record["contenders"]["fit"]["median_steady_state_images_per_second"] / med["hand"])
    if "torch" in med:
        record["ratio_fit_over_torch"] = med["fit"] / med["torch"]
        keras_params = record["contenders"]["fit"]["params"]
        torch_params = record["contenders"]["torch"]["params"]
        record["params_equal_keras_torch"] = keras_params == torch_params
        if keras_params != torch_params:
            raise RuntimeError(f"{config['name']}: torch networks differ from Keras's: {torch_params} vs {keras_params}")
    return record


def table(results):
    lines = ["| configuration | batch | `GAN.fit` img/s | fit steady state | hand loop img/s | torch img/s "
             "| fit / hand | fit / torch | fit GFLOP/s (of matmul) | peak RSS MB fit / hand / torch |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, rec in results["configurations"].items():
        c = rec["contenders"]

        def cell(side, key="median_images_per_second", fmt="{:.0f}"):
            return fmt.format(c[side][key]) if side in c else "-"

        label = f"{rec['model']} {rec['precision']}" + (" jit" if rec["jit"] else "")
        fh = f"{rec['ratio_fit_over_hand']:.2f}" if "ratio_fit_over_hand" in rec else "-"
        ft = f"{rec['ratio_fit_over_torch']:.2f}" if "ratio_fit_over_torch" in rec else "-"
        rss = " / ".join(cell(s, "peak_rss_mb") for s in ("fit", "hand", "torch"))
        rate = f"{rec['achieved_gflops']:.0f} ({100 * rec['fraction_of_matmul_rate']:.0f}%)"
        lines.append(f"| {label} | {rec['batch']} | {cell('fit')} | "
                     f"{cell('fit', 'median_steady_state_images_per_second')} | {cell('hand')} | {cell('torch')} | {fh} | {ft} "
                     f"| {rate} | {rss} |")
    return "\n".join(lines)


def config_names(text):
    names = [n.strip() for n in text.split(",") if n.strip()]
    if names == ["all"]:
        return list(CONFIG_NAMES)
    bad = [n for n in names if n not in CONFIG_NAMES]
    if not names or bad:
        raise argparse.ArgumentTypeError(f"unknown configuration(s) {bad or text!r}: choose from "
                                         f"{', '.join(CONFIG_NAMES)} or all")
    return names


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--torch_python", default=None,
                        help="python of a venv with torch (e.g. /tmp/torchvenv/bin/python); without it the "
                             "torch column is skipped and the JSON says so")
    parser.add_argument("--configs", type=config_names, default=list(CONFIG_NAMES),
                        help=f"comma-separated subset of {', '.join(CONFIG_NAMES)} (default: all)")
    parser.add_argument("--dcgan_batches", type=positive_ints, default=[16, 64, 256])
    parser.add_argument("--bf16_batches", type=positive_ints, default=[256])
    parser.add_argument("--wgan_batch", type=positive_int, default=64)
    parser.add_argument("--sagan_batch", type=positive_int, default=64)
    parser.add_argument("--study_batch", type=positive_int, default=64)
    parser.add_argument("--dry_run", action="store_true",
                        help="one short round of every planned configuration (the GPU ones too, on any device), "
                             "written to a temporary file unless --out is given: checks the script, not the speed")
    parser.add_argument("--rounds", type=positive_int, default=3)
    parser.add_argument("--seconds_per_round", type=positive_float, default=3.0,
                        help="target duration of the slowest contender's round (sets the steps per round)")
    parser.add_argument("--min_steps", type=positive_int, default=6, help="fewest steps in a round")
    parser.add_argument("--out", default=None, help="JSON to write (default: benchmarks/results/throughput.json)")
    parser.add_argument("--_worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.torch_python and not (os.path.isfile(args.torch_python) and os.access(args.torch_python, os.X_OK)):
        parser.error(f"--torch_python={args.torch_python!r} is not an executable file: give the python of a "
                     "venv that has torch, e.g. /tmp/torchvenv/bin/python")
    if args.dry_run:
        args.rounds, args.seconds_per_round, args.min_steps = 1, 0.1, 2  # 2: a steady-state rate exists
        args.out = args.out or os.path.join(tempfile.mkdtemp(prefix="throughput_dry_run_"), "throughput.json")
    args.out = args.out or os.path.join(HERE, "results", "throughput.json")
    out_dir = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(out_dir):
        parser.error(f"--out={args.out!r}: the folder {out_dir!r} does not exist")
    return args


def main():
    args = parse_args()
    if args._worker:
        tf_worker(json.loads(args._worker))
        return
    import tensorflow as tf  # only to see the devices; the contenders run in their own processes

    gpus = tf.config.list_physical_devices("GPU")
    threads = len(os.sched_getaffinity(0))
    configs = plan_configs(args, bool(gpus) or args.dry_run)
    results = {
        "benchmark": "gan_train_throughput",
        "note": ("shared machine: other jobs ran during these rounds (see loadavg per round); peak RSS is the "
                 "process's peak resident set size on the CPU host (VmHWM), framework runtime included"),
        "images_per_second_counts": "real images per training step (batch x steps), whatever d_steps is",
        "rounds": args.rounds, "seconds_per_round_target": args.seconds_per_round, "dry_run": args.dry_run,
        "machine": {**machine_info(), "cpus_usable": threads, "gpus": [g.name for g in gpus]},
        "python": platform.python_version(), "tensorflow": tf.__version__,
        "torch_python": args.torch_python, "torch_threads": threads, "torch_env": TORCH_ENV,
        "tf_threads": "TensorFlow defaults (intra/inter-op 0 = all usable CPUs)",
        "configurations": {},
    }
    del tf
    start = time.perf_counter()
    for config in configs:
        print(f"{config['name']}: {', '.join(config['sides'])}", flush=True)
        results["configurations"][config["name"]] = run_config(config, args, threads)
        with open(args.out, "w") as f:  # after every configuration, so a cut-short run keeps what it measured
            json.dump(results, f, indent=2)
    results["wall_seconds"] = time.perf_counter() - start
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)
    print(describe(results["machine"]))
    print(table(results))
    print(f"wrote {args.out} ({results['wall_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
