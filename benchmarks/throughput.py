"""Training throughput of ``GAN.fit`` against a hand-written TF loop on the same networks.

    python benchmarks/throughput.py [--width=64] [--batch=64] [--steps=100] [--repeats=3]

Both sides train the zoo's DCGAN networks (same builder, same initial weights,
same Adam settings, same in-memory batch) for the same number of steps; the
hand-written side is the textbook ``tf.function`` + ``GradientTape`` D step then
G step. Rounds alternate between the two and the median images/s of each is
reported, with their ratio (the number to watch: fit's overhead should be ~0).
Writes ``benchmarks/results/throughput.json`` and prints a markdown table.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import zoo  # noqa: E402
from zoo.networks import dcgan_discriminator, dcgan_generator  # noqa: E402


def make_data(batch, shape):
    x = np.random.default_rng(0).uniform(-1, 1, (batch, *shape)).astype("float32")
    return tf.data.Dataset.from_tensors(x).repeat()


def zoo_fit_runner(args, shape):
    keras.utils.set_random_seed(0)
    gan = zoo.DCGAN(image_shape=shape, latent_dim=args.latent, width=args.width, seed=0)
    gan.compile(jit_compile=args.jit)
    data = make_data(args.batch, shape)
    gan.fit(data, steps_per_epoch=5, epochs=1, verbose=0)  # trace + warm up

    def run(steps):
        start = time.perf_counter()
        gan.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
        return time.perf_counter() - start

    return run


def hand_loop_runner(args, shape):
    keras.utils.set_random_seed(0)
    g = dcgan_generator(args.latent, shape, args.width)
    d = dcgan_discriminator(shape, args.width)
    g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    g_opt.build(g.trainable_variables)
    d_opt.build(d.trainable_variables)
    it = iter(make_data(args.batch, shape))

    @tf.function(jit_compile=args.jit)
    def step(real):
        n = tf.shape(real)[0]
        z = tf.random.normal((n, args.latent))
        with tf.GradientTape() as tape:
            fake = g(z, training=True)
            real_logits, fake_logits = d(real, training=True), d(fake, training=True)
            d_loss = tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(tf.nn.softplus(fake_logits))
        d_opt.apply_gradients(zip(tape.gradient(d_loss, d.trainable_variables), d.trainable_variables))
        z = tf.random.normal((n, args.latent))
        with tf.GradientTape() as tape:
            g_loss = tf.reduce_mean(tf.nn.softplus(-d(g(z, training=True), training=True)))
        g_opt.apply_gradients(zip(tape.gradient(g_loss, g.trainable_variables), g.trainable_variables))
        return d_loss, g_loss

    for _ in range(5):
        step(next(it))

    def run(steps):
        start = time.perf_counter()
        for _ in range(steps):
            out = step(next(it))
        float(out[0])  # wait for the last step
        return time.perf_counter() - start

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--latent", type=int, default=100)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jit", action="store_true")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "throughput.json"))
    args = parser.parse_args()
    shape = (args.size, args.size, args.channels)
    runners = {"zoo GAN.fit": zoo_fit_runner(args, shape), "hand-written tf.function loop": hand_loop_runner(args, shape)}
    rates = {name: [] for name in runners}
    for _ in range(args.repeats):
        for name, run in runners.items():
            rates[name].append(args.steps * args.batch / run(args.steps))
    median = {name: statistics.median(r) for name, r in rates.items()}
    ratio = median["zoo GAN.fit"] / median["hand-written tf.function loop"]
    devices = [d.device_type for d in tf.config.list_logical_devices()]
    result = {
        "benchmark": "dcgan_train_throughput", "image_shape": list(shape), "width": args.width,
        "batch": args.batch, "steps_per_round": args.steps, "rounds": args.repeats, "jit_compile": args.jit,
        "images_per_second": rates, "median_images_per_second": median, "ratio_fit_over_hand_loop": ratio,
        "devices": sorted(set(devices)), "cpu_count": os.cpu_count(), "tensorflow": tf.__version__,
        "keras": keras.__version__, "python": platform.python_version(),
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"| DCGAN {shape}, width {args.width}, batch {args.batch} | images/s (median of {args.repeats}) |")
    print("|---|---|")
    for name, value in median.items():
        print(f"| {name} | {value:.0f} |")
    print(f"| ratio fit / hand loop | {ratio:.3f} |")


if __name__ == "__main__":
    main()
