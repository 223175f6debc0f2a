"""Train the zoo's MNIST classifier (the metrics' MNIST feature extractor).

    python -m recipes.fetch mnist            # once: the full 60k/10k MNIST
    python -m recipes.classifier             # -> zoo/weights/mnist_classifier.keras + .json
    python -m recipes.classifier --out=/tmp/c.keras --epochs=2 --seed=1

The network (``build_classifier``) is a small CNN, about 160k parameters: five
3x3 conv-BN-ReLU blocks (32, 32/2, 64, 64/2, 128 channels; "/2" = stride 2),
global average pooling, dropout, a 128-wide linear dense layer named
``features`` (its outputs, before the ReLU that follows, are the
Frechet-classifier-distance features), ReLU, dropout and a 10-way dense layer
named ``logits`` (the MNIST-score logits). Inputs are 28x28x1
floats in [-1, 1], the generator convention.

Training: the dataset's train split (full MNIST by default), every batch
augmented with one random affine map per image (rotation up to 10 degrees,
scale 0.9-1.1, shift up to 2 px, background -1) so the network also reads
slightly off-centre or tilted GAN digits; AdamW with a cosine learning-rate
decay; cross-entropy without label smoothing (the MNIST score wants confident
logits). Data order, augmentation and initial weights follow ``--seed``, and
TF op determinism is on, so a rerun on the same machine and TF version gives
the same weights.

The model is written atomically to ``--out``; a JSON summary (test accuracy
overall and per class, parameters, train time, sha256, the command) is printed
and written next to it with the suffix ``.json``. Bad flags give a one-line
``error: ...`` on stderr and exit status 2.
"""

import json
import math
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from recipes.cli import HeldStderr, fail, no_arguments  # noqa: E402  (no TensorFlow yet)

DEFAULT_OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "zoo", "weights",
                           "mnist_classifier.keras")
MODEL_NAME = "mnist_cnn_v1"
NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)
AUGMENT = {"max_rotation_degrees": 10.0, "scale_range": [0.9, 1.1], "max_shift_pixels": 2.0,
           "fill_value": -1.0}

FLAGS = flags.FLAGS


def define_flags():
    """Defines the CLI flags; only when run as a script (absl flags are global: the
    CLIs share names such as --batch_size, and tests import several of them)."""
    flags.DEFINE_string("out", DEFAULT_OUT, "Where to write the .keras model (summary: same name, .json).")
    flags.DEFINE_integer("epochs", 8, "Passes over the training split.")
    flags.DEFINE_integer("seed", 0, "Seed for weights, data order and augmentation.")
    flags.DEFINE_string("dataset", "mnist", "Labelled 28x28 digit source (recipes.data name, .npz or folder).")
    flags.DEFINE_integer("batch_size", 128, "Batch size.")
    flags.DEFINE_float("learning_rate", 2e-3, "Peak learning rate (cosine decay to 1% of it).")
    flags.DEFINE_integer("limit", 0, "For tests: train on only the first N training examples (0 = all).")
    flags.DEFINE_string("cache_dir", None, "The zoo's dataset cache (default $GANZOO_HOME or ~/.cache/ganzoo).")


class RunError(Exception):
    """A problem with the run's inputs; printed as one line without a stack trace."""


# ------------------------------------------------------------------ the network


def build_classifier(feature_dim=128, dropout=0.3, name="mnist_cnn"):
    """The classifier: images (n, 28, 28, 1) in [-1, 1] -> logits (n, 10); ``features`` layer inside."""
    import keras

    images = keras.Input(IMAGE_SHAPE, name="images")
    x = images
    for i, (filters, stride) in enumerate([(32, 1), (32, 2), (64, 1), (64, 2), (128, 1)], start=1):
        x = keras.layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                                name=f"conv{i}")(x)
        x = keras.layers.BatchNormalization(name=f"bn{i}")(x)
        x = keras.layers.ReLU(name=f"relu{i}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dropout(dropout, name="dropout_pool")(x)
    # "features" is linear and its ReLU a layer of its own, so the Frechet distance gets
    # the pre-activation values: full-rank and closer to Gaussian than ReLU outputs
    # (a few units are always 0 after the ReLU, which makes the covariance singular).
    x = keras.layers.Dense(feature_dim, name="features")(x)
    x = keras.layers.ReLU(name="features_relu")(x)
    x = keras.layers.Dropout(dropout, name="dropout_features")(x)
    logits = keras.layers.Dense(NUM_CLASSES, name="logits")(x)
    return keras.Model(images, logits, name=name)


def random_affine(images, seed):
    """One random rotation/scale/shift per image (stateless, from ``seed``: a shape-(2,) int tensor)."""
    import tensorflow as tf

    n = tf.shape(images)[0]
    h, w = IMAGE_SHAPE[:2]
    seeds = tf.random.experimental.stateless_split(seed, 4)
    max_angle = AUGMENT["max_rotation_degrees"] * math.pi / 180
    angle = tf.random.stateless_uniform([n], seeds[0], -1.0, 1.0) * max_angle
    lo, hi = AUGMENT["scale_range"]
    scale = tf.random.stateless_uniform([n], seeds[1], lo, hi)
    shift = AUGMENT["max_shift_pixels"]
    tx = tf.random.stateless_uniform([n], seeds[2], -shift, shift)
    ty = tf.random.stateless_uniform([n], seeds[3], -shift, shift)
    # The transform maps output pixel coordinates to input ones: the inverse of
    # "rotate and scale about the centre, then shift".
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    a0, a1 = tf.cos(angle) / scale, tf.sin(angle) / scale
    b0, b1 = -tf.sin(angle) / scale, tf.cos(angle) / scale
    a2 = cx - (a0 * (cx + tx) + a1 * (cy + ty))
    b2 = cy - (b0 * (cx + tx) + b1 * (cy + ty))
    zeros = tf.zeros_like(a0)
    transforms = tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=tf.constant([h, w], tf.int32),
        fill_value=AUGMENT["fill_value"], interpolation="BILINEAR", fill_mode="CONSTANT")
    return tf.clip_by_value(out, -1.0, 1.0)


# ------------------------------------------------------------------ data


def load_arrays(dataset, split, cache_dir=None):
    """(images float32 (n, 28, 28, 1) in [-1, 1], labels int32 (n,)) of a labelled source."""
    import numpy as np

    from recipes.data import make_pipeline, resolve_source

    src = resolve_source(dataset, split, cache_dir=cache_dir)
    spec = src.spec
    if not spec.has_labels:
        raise RunError(f"Dataset {dataset!r} ({split}) has no labels; the classifier needs labelled digits.")
    if spec.num_classes is not None and spec.num_classes != NUM_CLASSES:
        raise RunError(f"Dataset {dataset!r} has {spec.num_classes} classes; the classifier needs 10.")
    if tuple(spec.image_shape[:2]) != IMAGE_SHAPE[:2]:
        raise RunError(f"Dataset {dataset!r} has images of shape {spec.image_shape}; the classifier "
                       f"is trained on 28x28 digits.")
    ds = make_pipeline(src, 2048, shuffle=False, channels=1, with_labels=True, drop_remainder=False)
    xs, ys = [], []
    for x, y in ds:
        xs.append(x.numpy())
        ys.append(y.numpy())
    labels = np.concatenate(ys).astype(np.int32)
    if labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise RunError(f"Dataset {dataset!r} has labels outside 0..9.")
    return np.concatenate(xs).astype(np.float32), labels


def train_dataset(x, y, batch_size, epochs, seed):
    """Shuffled (per epoch, from ``seed``), batched, augmented; ``epochs`` passes in one dataset."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).repeat(epochs)
    ds = ds.batch(batch_size, drop_remainder=True).enumerate()

    def augment(step, batch):
        images, labels = batch
        return random_affine(images, tf.stack([tf.cast(seed, tf.int64), step])), labels

    return ds.map(augment, num_parallel_calls=1, deterministic=True).prefetch(2)


# ------------------------------------------------------------------ training


def evaluate(model, x, y, batch_size=1000):
    """Overall accuracy, per-class accuracy and the number of errors of ``model`` on (x, y)."""
    import numpy as np

    logits = model.predict(x, batch_size=batch_size, verbose=0)
    pred = np.argmax(logits, axis=1)
    per_class = {str(c): round(float(np.mean(pred[y == c] == c)), 4) for c in range(NUM_CLASSES)}
    return {"accuracy": round(float(np.mean(pred == y)), 4), "errors": int(np.sum(pred != y)),
            "examples": int(len(y)), "per_class_accuracy": per_class}


def run(out, epochs=8, seed=0, dataset="mnist", batch_size=128, learning_rate=2e-3, limit=0,
        cache_dir=None, verbose=2):
    """Trains, evaluates and saves the classifier; returns the summary dict (also written as JSON)."""
    _check_args(out, epochs, batch_size, learning_rate, limit)
    out = os.path.abspath(out)
    _check_writable(os.path.dirname(out))

    import keras
    import numpy as np
    import tensorflow as tf

    from recipes import data
    from zoo.io import save_keras_atomic, sha256_file, write_atomic

    x_train, y_train = load_arrays(dataset, "train", cache_dir)
    x_test, y_test = load_arrays(dataset, "test", cache_dir)
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    batch_size = min(batch_size, len(x_train))
    steps_per_epoch = len(x_train) // batch_size

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    model = build_classifier()
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, epochs * steps_per_epoch, alpha=0.01)
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=1e-4),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(train_dataset(x_train, y_train, batch_size, epochs, seed), epochs=epochs,
                        steps_per_epoch=steps_per_epoch, verbose=verbose)
    train_seconds = time.perf_counter() - start

    start = time.perf_counter()
    test = evaluate(model, x_test, y_test)
    # The embedded 2,000 test digits (a subset of MNIST's test split) are what the tests check.
    embedded = None
    if dataset in ("mnist", "mnist_embedded"):
        embedded = evaluate(model, *load_arrays(data.EMBEDDED_PATH, "test"))
    eval_seconds = time.perf_counter() - start

    # Ship an uncompiled copy: the weights without the optimizer's state (a third of the size).
    shipped = build_classifier()
    shipped.set_weights(model.get_weights())
    save_keras_atomic(shipped, out)
    summary = {
        "model": MODEL_NAME,
        "file": os.path.basename(out),
        "sha256": sha256_file(out),
        "weights_sha256": weights_sha256(shipped),
        "bytes": os.path.getsize(out),
        "params": int(model.count_params()),
        "feature_layer": "features",
        "feature_dim": int(model.get_layer("features").units),
        "num_classes": NUM_CLASSES,
        "input": "28x28x1 float32 in [-1, 1] (background -1)",
        "dataset": dataset,
        "train_examples": int(len(x_train)),
        "test_accuracy": test["accuracy"],
        "test_errors": test["errors"],
        "test_examples": test["examples"],
        "per_class_accuracy": test["per_class_accuracy"],
        "mnist_embedded_test_accuracy": embedded and embedded["accuracy"],
        "mnist_embedded_per_class_accuracy": embedded and embedded["per_class_accuracy"],
        "final_train_loss": round(float(history.history["loss"][-1]), 5),
        "final_train_accuracy": round(float(history.history["accuracy"][-1]), 5),
        "epochs": epochs,
        "steps": epochs * steps_per_epoch,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "seed": seed,
        "augmentation": AUGMENT,
        "train_seconds": round(train_seconds, 1),
        "eval_seconds": round(eval_seconds, 1),
        "command": _command(out, epochs, seed, dataset, batch_size, learning_rate, limit),
        "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}",
        "versions": {"python": platform.python_version(), "tensorflow": tf.__version__,
                     "keras": keras.__version__, "numpy": np.__version__},
    }
    write_atomic(summary_path(out), json.dumps(summary, indent=2) + "\n")
    return summary


def weights_sha256(model):
    """sha256 of the weight values alone: equal for equal training runs (the .keras
    file's own sha256 also covers a save date, so it differs between runs)."""
    import hashlib

    digest = hashlib.sha256()
    for w in model.get_weights():
        digest.update(w.astype(w.dtype.newbyteorder("<")).tobytes())
    return digest.hexdigest()


def summary_path(out):
    return out[: -len(".keras")] + ".json"


def _command(out, epochs, seed, dataset, batch_size, learning_rate, limit):
    args = ["python -m recipes.classifier"]
    if os.path.abspath(out) != os.path.abspath(DEFAULT_OUT):
        args.append(f"--out={out}")
    args += [f"--epochs={epochs}", f"--seed={seed}", f"--dataset={dataset}"]
    if batch_size != 128:
        args.append(f"--batch_size={batch_size}")
    if learning_rate != 2e-3:
        args.append(f"--learning_rate={learning_rate}")
    if limit:
        args.append(f"--limit={limit}")
    return " ".join(args)


def _check_args(out, epochs, batch_size, learning_rate, limit):
    if not str(out).endswith(".keras"):
        raise RunError(f"--out must be a .keras path; got {out!r}.")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if value < 1:
            raise RunError(f"--{name} must be a positive integer; got {value}.")
    if not (learning_rate > 0 and math.isfinite(learning_rate)):
        raise RunError(f"--learning_rate must be a positive number; got {learning_rate}.")
    if limit < 0:
        raise RunError(f"--limit must be 0 (all) or a positive number of examples; got {limit}.")


def _check_writable(directory):
    from zoo.io import ensure_writable_dir

    try:
        ensure_writable_dir(directory)
    except OSError as e:
        raise RunError(
            f"Cannot write to {directory!r} ({e.strerror}). Pass --out= a path you can write."
        ) from None


def main(argv):
    no_arguments(argv, "--epochs=8")
    try:  # before the (slow) TF import, so a typo fails at once
        _check_args(FLAGS.out, FLAGS.epochs, FLAGS.batch_size, FLAGS.learning_rate, FLAGS.limit)
    except RunError as e:
        _fail(str(e))
    message = None
    held = HeldStderr().start()  # TensorFlow's start-up lines: replayed unless the input was bad
    try:
        from zoo.errors import ZooError

        try:
            summary = run(FLAGS.out, FLAGS.epochs, FLAGS.seed, FLAGS.dataset, FLAGS.batch_size,
                          FLAGS.learning_rate, FLAGS.limit, FLAGS.cache_dir)
        except (ZooError, RunError) as e:
            message = str(e).strip().splitlines()[0]
    finally:
        held.drop() if message else held.release()
    if message:
        _fail(message)
    print(json.dumps(summary, indent=2))
    print(f"Test accuracy {summary['test_accuracy']:.4f} after {summary['train_seconds']} s; wrote "
          f"{FLAGS.out} and {summary_path(os.path.abspath(FLAGS.out))}.")


_fail = fail


if __name__ == "__main__":
    define_flags()
    app.run(main)
