"""Train a named recipe from one command.

    python -m recipes.train                                  # DCGAN on the embedded MNIST
    python -m recipes.train --recipe=dcgan_fashion_mnist --workdir=runs/fm --epochs=5
    python -m recipes.train --steps=200 --config width=32 --config g_lr=1e-4
    python -m recipes.train --list                           # the recipes and their configs

A run writes into ``--workdir`` (default ``runs/<recipe>``):

    config.json            the resolved config (a resumed run must match it)
    samples/epoch_NNNN.png a sample grid from fixed latents after every epoch
    samples/final.png      the final grid
    checkpoints/last.weights.h5   weights after the latest epoch (ModelCheckpoint)
    generators/epoch_NNNN.keras   the generator after every epoch (only with keep_generators=True)
    backup/                BackupAndRestore state while training (removed when done)
    tensorboard/           TensorBoard logs
    losses.csv             per-epoch losses (CSVLogger)
    generator.keras        the trained generator (its weight average when ema_decay is set)
    gan.keras              the whole GAN (both networks and optimizers)
    summary.json           what ran, how fast, the final losses, the artifacts

Running the same command again after a crash resumes from the last epoch.
"""

import dataclasses
import json
import math
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from recipes.cli import HeldStderr, fail  # noqa: E402  (no TensorFlow: it starts while stderr is held)

FLAGS = flags.FLAGS


def define_flags():
    """Defines the CLI flags; only when run as a script (absl flags are global: the
    CLIs share names such as --out, and tests import several of them)."""
    flags.DEFINE_string("recipe", "dcgan_mnist", "Name of the recipe to train.")
    flags.DEFINE_string("workdir", None, "Output directory (default runs/<recipe>).")
    flags.DEFINE_integer("epochs", None, "Epochs to train (overrides the recipe).")
    flags.DEFINE_integer("steps", None, "Total train steps (overrides epochs).")
    flags.DEFINE_integer("batch_size", None, "Global batch size (overrides the recipe).")
    flags.DEFINE_integer("seed", None, "Seed for data order, latents and weights.")
    flags.DEFINE_multi_string("config", [], "key=value override of a config key (repeatable).")
    flags.DEFINE_enum("strategy", "auto", ["auto", "default", "one_device", "mirrored", "multi_worker", "tpu"],
                      "tf.distribute strategy (multi_worker reads TF_CONFIG).")
    flags.DEFINE_string("tpu", None, "TPU name or grpc:// address for --strategy=tpu (default $TPU_NAME).")
    flags.DEFINE_enum("mixed_precision", None, ["float32", "float16", "bfloat16"],
                      "Compute dtype: float16 (mixed_float16, loss scaling) or bfloat16 (mixed_bfloat16).")
    flags.DEFINE_boolean("jit_compile", None, "XLA-compile the train step (default: the recipe's, off).")
    flags.DEFINE_boolean("download", False, "Let TFDS download datasets it has not prepared.")
    flags.DEFINE_string("cache_dir", None, "The zoo's dataset cache (default $GANZOO_HOME or ~/.cache/ganzoo).")
    flags.DEFINE_boolean("overwrite", False, "Start over in a workdir that holds a finished run.")
    flags.DEFINE_boolean("list", False, "List the recipes and exit.")


class RunError(Exception):
    """A problem with the run's inputs; the CLI prints it without a stack trace."""


def prepare_workdir(workdir, config_dict, overwrite=False):
    """Creates ``workdir`` and checks it is writable and compatible with ``config_dict``."""
    from zoo.io import ensure_writable_dir, write_atomic

    try:
        ensure_writable_dir(workdir)
    except OSError as e:
        raise RunError(
            f"The workdir {workdir!r} cannot be written ({e.strerror}). Pass --workdir= a "
            "directory you can write to."
        ) from None
    summary = os.path.join(workdir, "summary.json")
    config_path = os.path.join(workdir, "config.json")
    if os.path.exists(summary) and not overwrite:
        raise RunError(
            f"{workdir!r} already holds a finished run (summary.json). Pass --overwrite to "
            "train again there, or choose another --workdir."
        )
    if overwrite:
        for name in ("summary.json", "config.json", "losses.csv"):
            if os.path.exists(os.path.join(workdir, name)):
                os.remove(os.path.join(workdir, name))
    elif os.path.exists(config_path):
        with open(config_path) as f:
            previous = json.load(f)
        current = json.loads(json.dumps(config_dict))  # as it reads back from JSON (tuples -> lists)
        if previous != current:
            changed = sorted(k for k in set(previous) | set(current) if previous.get(k) != current.get(k))
            raise RunError(
                f"{workdir!r} holds an unfinished run with a different config (keys {changed} "
                "differ), which cannot be resumed with this one. Use the same flags, another "
                "--workdir, or --overwrite."
            )
    write_atomic(config_path, json.dumps(config_dict, indent=2, sort_keys=True))


def make_optimizer(config, learning_rate):
    """The config's optimizer at ``learning_rate`` (Adam with its betas, or RMSProp); the rate may
    be a ``LearningRateSchedule``."""
    import keras

    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    return keras.optimizers.Adam(learning_rate, beta_1=config.beta_1, beta_2=config.beta_2)


def conditional_options(config, spec):
    """The variant's options; a conditional variant (one that trains on labels) gets the data's
    ``num_classes`` unless the config sets it, and then it must match the data's."""
    from zoo.registry import get_variant

    options = dict(config.model)
    if not getattr(get_variant(config.variant), "needs_labels", False):
        return options
    if not spec.has_labels or not spec.num_classes:
        raise RunError(
            f"Variant {config.variant!r} is class-conditional, but dataset {spec.name!r} has no class "
            "labels: choose a labelled dataset (mnist, fashion_mnist, cifar10, a folder with one "
            "sub-folder per class, ...)."
        )
    wanted = options.setdefault("num_classes", spec.num_classes)
    if wanted != spec.num_classes:
        raise RunError(
            f"num_classes={wanted} but dataset {spec.name!r} has {spec.num_classes} classes: drop the "
            "num_classes override (it is taken from the data)."
        )
    return options


POLICIES = {"float32": "float32", "float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}


def run(config, workdir, strategy="auto", cache_dir=None, download=False, overwrite=False, verbose="auto",
        tpu=None, on_ready=None):
    """Trains ``config`` (a ``TrainConfig``) into ``workdir``; returns the summary dict.

    ``strategy`` is a name from ``recipes.strategy`` (``tpu`` the TPU's address for
    ``strategy="tpu"``). In a multi-worker run only the chief writes into ``workdir``;
    the other workers keep their own ``backup_<task>/`` there (to resume) and
    return a short summary. ``on_ready()`` is called once everything is checked and
    built, just before training (the CLI shows TensorFlow's held start-up lines then).
    """
    from recipes.registry import TrainConfig
    from zoo.errors import ConfigError

    if not isinstance(config, TrainConfig):
        raise ConfigError(
            "config must be a TrainConfig (recipes.registry.make_config(recipe, overrides)); "
            f"got {type(config).__name__}."
        )
    import keras
    import tensorflow as tf

    import zoo
    from recipes.strategy import make_strategy, worker_role
    from zoo.io import ensure_writable_dir, float32_copy, save_keras_atomic, write_atomic

    chief, role = worker_role(strategy)
    if chief:
        prepare_workdir(workdir, config.to_dict(), overwrite)
    else:  # a multi-worker run's other workers train in step and keep only their own backup
        ensure_writable_dir(workdir)
    strat = make_strategy(strategy, tpu=tpu)  # first: multi-worker collectives must start before other TF work
    if getattr(zoo.registry.get_variant(config.variant), "translation", None):  # pix2pix, CycleGAN: image pairs
        from recipes.translation import translation_data as load_data
    else:
        load_data = image_data
    data = load_data(config, cache_dir, download)
    if config.batch_size % strat.num_replicas_in_sync:
        raise RunError(
            f"batch_size={config.batch_size} does not split across {strat.num_replicas_in_sync} "
            "replicas: use a multiple of the replica count."
        )
    batches = config.steps_per_epoch or data.num_examples // config.batch_size
    if config.steps:
        steps_per_epoch = min(config.steps, batches)
        epochs = math.ceil(config.steps / steps_per_epoch)
    else:
        steps_per_epoch, epochs = batches, config.epochs

    keras.utils.set_random_seed(config.seed)
    previous_policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(POLICIES[config.mixed_precision])
    try:  # layers keep the policy they were built with
        with strat.scope():
            gan = zoo.build_variant(config.variant, image_shape=data.image_shape, seed=config.seed,
                                    **data.model_options)
            if config.lr_decay is None:
                d_opt, g_opt = make_optimizer(config, config.d_lr), make_optimizer(config, config.g_lr)
            else:  # constant, then linearly to 0 over the run's updates of each optimizer (CycleGAN)
                d_opt, g_opt = zoo.linear_decay_optimizers(
                    lambda lr: make_optimizer(config, lr), config.d_lr, config.g_lr, epochs * steps_per_epoch,
                    d_steps=gan.d_steps, decay_start=config.lr_decay)
            gan.compile(d_optimizer=d_opt, g_optimizer=g_opt, jit_compile=config.jit_compile)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)
    paths = {name: os.path.join(workdir, name) for name in (
        "samples", "checkpoints", "generators", "backup", "tensorboard", "losses.csv", "generator.keras",
        "gan.keras", "summary.json", *data.extra_models)}
    divergence = zoo.StopOnNonFinite()
    if chief:
        os.makedirs(paths["checkpoints"], exist_ok=True)
        grid = data.grid(paths["samples"])
        # Per-epoch generators come before the backup, so no epoch's snapshot is skipped on resume.
        snapshots = [zoo.GeneratorSnapshots(paths["generators"])] if config.keep_generators else []
        callbacks = [
            divergence,
            *snapshots,
            zoo.AtomicBackupAndRestore(paths["backup"]),
            grid,
            zoo.FiniteModelCheckpoint(os.path.join(paths["checkpoints"], "last.weights.h5"),
                                      save_weights_only=True),
            keras.callbacks.TensorBoard(paths["tensorboard"]),
            keras.callbacks.CSVLogger(paths["losses.csv"], append=True),
        ]
    else:  # only the chief writes samples, checkpoints, logs and models
        callbacks = [divergence, zoo.AtomicBackupAndRestore(os.path.join(workdir, f"backup_{role}"))]
    start = time.time()
    if verbose == "auto":  # a progress bar on a terminal, one line per epoch in a log
        verbose = 1 if sys.stdout.isatty() else 2
    if on_ready is not None:
        on_ready()
    history = gan.fit(data.dataset, epochs=epochs, steps_per_epoch=steps_per_epoch, callbacks=callbacks,
                      verbose=verbose)
    seconds = time.time() - start
    if divergence.failure:
        raise RunError(
            f"Training diverged: {divergence.describe()}. The last good weights (the last epoch "
            f"with finite losses) are in {paths['checkpoints']}; lower the learning rates or check "
            "the data."
        )

    steps_run = len(history.epoch) * steps_per_epoch
    if not chief:
        return {"status": "finished", "role": role, "steps_this_run": steps_run,
                "train_seconds": round(seconds, 2), "replicas": strat.num_replicas_in_sync}
    grid.save(os.path.join(paths["samples"], "final.png"))
    # Generators are saved in float32 whatever the training precision (exports check parity in float32);
    # gan.keras keeps the training policy, to resume as it ran.
    save_keras_atomic(float32_copy(gan.sampling_generator), paths["generator.keras"])  # EMA weights if any
    for name, attribute in data.extra_models.items():  # CycleGAN's generator_b2a.keras
        save_keras_atomic(float32_copy(getattr(gan, attribute)), paths[name])
    save_keras_atomic(gan, paths["gan.keras"])
    summary = {
        "status": "finished",
        "recipe_config": config.to_dict(),
        "dataset": data.summary,
        "epochs": epochs,
        "steps_per_epoch": steps_per_epoch,
        "steps_this_run": steps_run,
        "train_seconds": round(seconds, 2),
        "images_per_second": round(steps_run * config.batch_size / max(seconds, 1e-9), 1),
        "final_metrics": {k: float(v[-1]) for k, v in history.history.items()} if history.epoch else {},
        "replicas": strat.num_replicas_in_sync,
        "strategy": strategy,
        "strategy_class": type(strat).__name__,
        "compute_dtype": POLICIES[config.mixed_precision],
        "artifacts": {k: os.path.relpath(v, workdir) for k, v in paths.items()
                      if k != "backup" and (k != "generators" or config.keep_generators)} | {"final_samples": "samples/final.png"},
        "versions": {"python": platform.python_version(), "tensorflow": tf.__version__,
                     "keras": keras.__version__},
    }
    write_atomic(paths["summary.json"], json.dumps(summary, indent=2))
    return summary


@dataclasses.dataclass
class TrainingData:
    """What ``run`` trains on, from ``image_data`` or ``recipes.translation.translation_data``.

    ``grid(directory)`` makes the sample-grid callback (also used for ``final.png``);
    ``extra_models`` maps extra workdir files to GAN attributes saved beside ``generator.keras``.
    """

    dataset: object
    num_examples: int
    image_shape: tuple
    model_options: dict
    grid: object
    summary: dict
    extra_models: dict = dataclasses.field(default_factory=dict)


def image_data(config, cache_dir=None, download=False):
    """``TrainingData`` for the image GANs: the data layer's pipeline (with labels for conditional variants)."""
    import zoo
    from recipes.data import make_pipeline, output_shape, resolve_source

    source = resolve_source(config.dataset, config.split, cache_dir=cache_dir, download=download,
                            channels=config.channels)
    image_shape = output_shape(source.spec, config.image_size, config.channels)
    options = conditional_options(config, source.spec)
    dataset = make_pipeline(source, config.batch_size, seed=config.seed, image_size=config.image_size,
                            channels=config.channels, with_labels="num_classes" in options, repeat=True)
    return TrainingData(
        dataset=dataset, num_examples=source.spec.num_examples, image_shape=image_shape, model_options=options,
        grid=lambda directory: zoo.SampleGrid(directory, n=config.samples, seed=config.seed),
        summary={"name": source.spec.name, "split": source.spec.split,
                 "num_examples": source.spec.num_examples, "image_shape": list(image_shape)},
    )


def main(argv):
    if len(argv) > 1:
        fail(f"Unexpected arguments {argv[1:]}: options are flags, e.g. --recipe=dcgan_mnist.")
    held = HeldStderr().start()  # TensorFlow's start-up lines, shown once training starts
    message = None
    try:
        from recipes.registry import RECIPES, make_config, parse_overrides
        from zoo.errors import ZooError

        if FLAGS.list:
            for name, recipe in RECIPES.items():
                print(f"{name}: {json.dumps(recipe)}")
            return
        try:
            overrides = parse_overrides(FLAGS.config)
            for key in ("epochs", "steps", "batch_size", "seed", "mixed_precision", "jit_compile"):
                if getattr(FLAGS, key) is not None:
                    overrides[key] = getattr(FLAGS, key)
            config = make_config(FLAGS.recipe, overrides)
            workdir = FLAGS.workdir or os.path.join("runs", FLAGS.recipe)
            summary = run(config, workdir, FLAGS.strategy, FLAGS.cache_dir, FLAGS.download, FLAGS.overwrite,
                          tpu=FLAGS.tpu, on_ready=held.release)
        except (ZooError, RunError) as e:
            message = str(e)
    finally:  # bad input: only its error line; anything else: what was held, then the traceback
        held.drop() if message else held.release()
    if message:
        fail(message)
    if summary.get("role", "chief") != "chief":
        print(f"Done in {summary['train_seconds']} s as {summary['role']}; the chief wrote the results.")
        return
    print(f"Done in {summary['train_seconds']} s ({summary['images_per_second']} images/s). "
          f"Samples: {os.path.join(workdir, 'samples', 'final.png')}; generator: "
          f"{os.path.join(workdir, 'generator.keras')}.")


if __name__ == "__main__":
    define_flags()
    app.run(main)
