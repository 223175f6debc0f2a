"""Train a named recipe from one command.

    python -m recipes.train                                  # DCGAN on the embedded MNIST
    python -m recipes.train --recipe=dcgan_fashion_mnist --workdir=runs/fm --epochs=5
    python -m recipes.train --steps=200 --config width=32 --config g_lr=1e-4
    python -m recipes.train --list                           # the recipes: what they train, what they need
    python -m recipes.train --list --list_format=json        # the same as JSON lines, with each recipe's config
    python -m recipes.train --grid_scale=4 --tensorboard_update_freq=50

A run writes into ``--workdir`` (default ``runs/<recipe>``):

    config.json            the resolved config (a resumed run must match it)
    samples/epoch_NNNN.png a sample grid from fixed latents after every epoch (--grid_scale times enlarged)
    samples/final.png      the final grid
    checkpoints/last.weights.h5   weights after the latest epoch (ModelCheckpoint)
    generators/epoch_NNNN.keras   the generator after every epoch (only with keep_generators=True)
    backup/                BackupAndRestore state while training (removed when done)
    tensorboard/           TensorBoard logs (zoo.TensorBoard): losses and both learning rates per epoch
                           (per step too with --tensorboard_update_freq), the sample grid per epoch
                           (Images), the config (HParams); view with `tensorboard --logdir runs`
    losses.csv             per-epoch losses (zoo.CSVLogger)
    generator.keras        the trained generator (its weight average when ema_decay is set)
    gan.keras              the whole GAN (both networks and optimizers)
    summary.json           what ran, how fast, the final losses, the artifacts

Running the same command again after a crash resumes from the last epoch.
"""

import csv
import io
import json
import os
import platform
import shutil
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from recipes.cli import HeldStderr, fail, flags_parser, no_arguments  # noqa: E402  (no TensorFlow yet)
from recipes.training import RunError, TrainingData  # noqa: E402,F401  (shared with recipes.translation)

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
    flags.DEFINE_boolean("list", False, "List the recipes (what each trains, on what data, what it needs first) "
                         "and exit.")
    flags.DEFINE_enum("list_format", "table", ["table", "json"],
                      "Output of --list: a table, or JSON lines (one object per recipe, with its config).")
    flags.DEFINE_integer("grid_scale", None, "Enlarge the sample grids (PNGs and TensorBoard) this many times, "
                         "nearest neighbour (default: tiles of at least 64 pixels, e.g. 3x for 28x28 MNIST).",
                         lower_bound=1)
    flags.DEFINE_string("tensorboard_update_freq", "epoch",
                        "TensorBoard scalars per 'epoch', or every N train steps (an integer; 'batch' = 1) as "
                        "well (Keras TensorBoard's update_freq).")


# What a run writes into its workdir (besides extra models such as CycleGAN's): --overwrite removes these
# and nothing else, so files of the user's own in the workdir survive.
RUN_FILES = ("config.json", "summary.json", "losses.csv", "generator.keras", "gan.keras")
RUN_DIRS = ("samples", "checkpoints", "generators", "backup", "tensorboard")


def check_workdir(workdir, config_dict, overwrite=False):
    """Raises ``RunError`` when ``workdir`` cannot take this run; reads only, writes nothing."""
    if os.path.exists(workdir) and not os.path.isdir(workdir):
        raise RunError(f"The workdir {workdir!r} is a file, not a directory. Pass --workdir= a directory.")
    probe = workdir
    while not os.path.exists(probe):  # the nearest existing ancestor must let us create the rest
        probe = os.path.dirname(os.path.abspath(probe))
    if not os.path.isdir(probe) or not os.access(probe, os.W_OK | os.X_OK):
        why = "Not a directory" if not os.path.isdir(probe) else "Permission denied"
        raise RunError(f"The workdir {workdir!r} cannot be written ({why}). Pass --workdir= a directory you can "
                       "write to.")
    if overwrite or not os.path.isdir(workdir):
        return
    if os.path.exists(os.path.join(workdir, "summary.json")):
        raise RunError(
            f"{workdir!r} already holds a finished run (summary.json). Pass --overwrite to "
            "train again there, or choose another --workdir."
        )
    config_path = os.path.join(workdir, "config.json")
    if os.path.exists(config_path):
        try:
            with open(config_path) as f:
                previous = json.load(f)
            if not isinstance(previous, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as e:
            raise RunError(f"{config_path!r} is damaged ({e}), so the unfinished run there cannot be resumed. "
                           "Pass --overwrite to start over, or choose another --workdir.") from None
        current = json.loads(json.dumps(config_dict))  # as it reads back from JSON (tuples -> lists)
        if previous != current:
            changed = sorted(k for k in set(previous) | set(current) if previous.get(k) != current.get(k))
            raise RunError(
                f"{workdir!r} holds an unfinished run with a different config (keys {changed} "
                "differ), which cannot be resumed with this one. Use the same flags, another "
                "--workdir, or --overwrite."
            )


def claim_workdir(workdir, config_dict, overwrite=False, extra_files=()):
    """Creates and locks ``workdir``, checks it again under the lock, clears it for ``overwrite``, and
    writes ``config.json``; returns the held ``DirectoryLock``. Called once the inputs are checked."""
    from zoo.io import DirectoryInUse, DirectoryLock, ensure_writable_dir, write_atomic

    try:
        ensure_writable_dir(workdir)
    except OSError as e:
        raise RunError(
            f"The workdir {workdir!r} cannot be written ({e.strerror}). Pass --workdir= a "
            "directory you can write to."
        ) from None
    try:
        lock = DirectoryLock(workdir).acquire()
    except DirectoryInUse as e:
        raise RunError(str(e).replace("directory.", "--workdir.")) from None
    check_workdir(workdir, config_dict, overwrite)  # again: another run may have finished meanwhile
    if overwrite:  # start from nothing: an old backup must not be resumed with new settings
        for name in RUN_DIRS + tuple(f for f in os.listdir(workdir) if f.startswith("backup_")):
            shutil.rmtree(os.path.join(workdir, name), ignore_errors=True)
        for name in RUN_FILES + tuple(extra_files):
            if os.path.exists(os.path.join(workdir, name)):
                os.remove(os.path.join(workdir, name))
    write_atomic(os.path.join(workdir, "config.json"), json.dumps(config_dict, indent=2, sort_keys=True))
    return lock


def check_free_space(workdir, gan, snapshots=0):
    """Refuses a run whose artifacts would not fit on the workdir's disk (a full disk mid-save breaks the
    HDF5 writer in ways no message can explain). Counts both networks with Adam's two moments, in the
    backup, the checkpoint and ``gan.keras``, plus the generator and its snapshots, in float32."""
    g_params = gan.generator.count_params()
    total = g_params + gan.discriminator.count_params()
    need = 4 * (3 * 3 * total + g_params * (1 + snapshots)) + 64 * 2**20  # + logs, grids, TensorBoard
    probe = workdir
    while not os.path.exists(probe):
        probe = os.path.dirname(os.path.abspath(probe))
    free = shutil.disk_usage(probe).free
    if free < need:
        raise RunError(f"The run needs about {need / 2**20:.0f} MB free for its checkpoints and models, but "
                       f"{probe!r} has {free / 2**20:.0f} MB: free some space or choose another --workdir.")


def resumed_epochs(backup_dir):
    """Epochs a backup in ``backup_dir`` has finished (0 without one)."""
    try:
        with open(os.path.join(backup_dir, "training_metadata.json")) as f:
            return int(json.load(f)["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def trim_log(path, epochs):
    """Keeps the rows of a CSVLogger file for the first ``epochs`` epochs: a resumed run redoes the
    rest, and its logger appends them again."""
    if not os.path.exists(path):
        return
    from zoo.io import write_atomic

    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return
    header, body = rows[0], rows[1:]
    kept = [r for r in body if r and r[0].isdigit() and int(r[0]) < epochs]
    if len(kept) != len(body):
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([header] + kept)
        write_atomic(path, out.getvalue())


def last_logged(path):
    """The last row of a CSVLogger file as floats (a resumed run that had nothing left to train)."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError:
        return {}
    out = {}
    for key, value in (rows[-1].items() if rows else ()):
        try:
            if key != "epoch":
                out[key] = float(value)
        except (TypeError, ValueError):  # "NA" in the columns Keras adds for validation data
            pass
    return {k: v for k, v in out.items() if v == v}


def schedule(steps, steps_per_epoch, epochs):
    """``(steps_per_epoch, epochs)`` that run exactly ``steps`` train steps when it is given: the longest
    epochs (at most ``steps_per_epoch``) that divide it."""
    if not steps:
        return steps_per_epoch, epochs
    per = min(steps, steps_per_epoch)
    while steps % per:
        per -= 1
    return per, steps // per


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


def check_update_freq(value):
    """``"epoch"`` or a positive number of steps from ``value`` (``"batch"`` is 1; digits as text are read
    as a number), else a ``RunError`` that says what is allowed."""
    if value in ("epoch", "batch"):
        return 1 if value == "batch" else value
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RunError(f"The TensorBoard update frequency must be 'epoch', 'batch' or a positive number of "
                       f"steps; got {value!r}.")
    return value


def run(config, workdir, strategy="auto", cache_dir=None, download=False, overwrite=False, verbose="auto",
        tpu=None, on_ready=None, grid_scale=1, tensorboard_update_freq="epoch"):
    """Trains ``config`` (a ``TrainConfig``) into ``workdir``; returns the summary dict.

    ``strategy`` is a name from ``recipes.strategy`` (``tpu`` the TPU's address for
    ``strategy="tpu"``). In a multi-worker run only the chief writes into ``workdir``;
    the other workers keep their own ``backup_<task>/`` there (to resume) and
    return a short summary. ``on_ready()`` is called once everything is checked and
    built, just before training (the CLI shows TensorFlow's held start-up lines then).
    ``grid_scale`` enlarges the sample grids (``None``: tiles of at least 64 pixels, the
    CLI's default); ``tensorboard_update_freq`` is Keras TensorBoard's ``update_freq``
    (``"epoch"``, or a number of steps for per-step scalars too). Neither is part of the
    config: they change what the run shows, not what it trains.
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
    from zoo.images import check_scale, viewable_scale
    from zoo.io import ensure_writable_dir, float32_copy, save_keras_atomic, write_atomic
    from zoo.pretrained import saved_generator

    update_freq = check_update_freq(tensorboard_update_freq)
    if grid_scale is not None:
        try:
            check_scale(grid_scale)
        except ValueError as e:
            raise RunError(str(e)) from None
    chief, role = worker_role(strategy)
    if chief:  # nothing is written before every input is checked (data, strategy, model)
        check_workdir(workdir, config.to_dict(), overwrite)
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
    if batches < 1:
        raise RunError(f"The dataset has {data.num_examples} examples, fewer than one batch of "
                       f"{config.batch_size}: use a smaller --batch_size or more data.")
    steps_per_epoch, epochs = schedule(config.steps, batches, config.epochs)

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
                    d_steps=gan.d_steps, g_steps=gan.g_steps, decay_start=config.lr_decay)
            gan.compile(d_optimizer=d_opt, g_optimizer=g_opt, jit_compile=config.jit_compile)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)
    paths = {name: os.path.join(workdir, name) for name in (
        "samples", "checkpoints", "generators", "backup", "tensorboard", "losses.csv", "generator.keras",
        "gan.keras", "summary.json", *data.extra_models)}
    divergence = zoo.StopOnNonFinite()
    lock = None
    if chief:
        check_free_space(workdir, gan, epochs if config.keep_generators else 0)
        lock = claim_workdir(workdir, config.to_dict(), overwrite, extra_files=data.extra_models)
        os.makedirs(paths["checkpoints"], exist_ok=True)
        trim_log(paths["losses.csv"], resumed_epochs(paths["backup"]))
        grid = data.grid(paths["samples"], scale=grid_scale or viewable_scale(data.image_shape))
        snapshots = [zoo.GeneratorSnapshots(paths["generators"])] if config.keep_generators else []
        # The backup goes last: an epoch counts as done only once everything else has recorded it, so a
        # kill at an epoch's end redoes that epoch (its log row trimmed above) and loses nothing. It is
        # kept after fit returns and removed once the final artifacts exist, so a rerun after a kill
        # during the final saving only saves.
        callbacks = [
            divergence,
            *snapshots,
            grid,
            zoo.FiniteModelCheckpoint(os.path.join(paths["checkpoints"], "last.weights.h5"),
                                      save_weights_only=True),
            zoo.TensorBoard(paths["tensorboard"], grid=grid, hparams=config.to_dict(), update_freq=update_freq),
            zoo.CSVLogger(paths["losses.csv"], append=True),
            zoo.AtomicBackupAndRestore(paths["backup"], delete_checkpoint=False),
        ]
    else:  # only the chief writes samples, checkpoints, logs and models
        ensure_writable_dir(workdir)
        callbacks = [divergence, zoo.AtomicBackupAndRestore(os.path.join(workdir, f"backup_{role}"))]
    start = time.time()
    if verbose == "auto":  # a progress bar on a terminal, one line per epoch in a log
        verbose = 1 if sys.stdout.isatty() else 2
    if on_ready is not None:
        on_ready()
    try:
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
        # EMA weights if any, with the latent distribution, so that the file samples as the GAN does
        save_keras_atomic(saved_generator(gan), paths["generator.keras"])
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
            "final_metrics": ({k: float(v[-1]) for k, v in history.history.items()} if history.epoch
                              else last_logged(paths["losses.csv"])),  # a rerun that only had to save
            "replicas": strat.num_replicas_in_sync,
            "strategy": strategy,
            "strategy_class": type(strat).__name__,
            "compute_dtype": POLICIES[config.mixed_precision],
            "artifacts": {k: os.path.relpath(v, workdir) for k, v in paths.items()
                          if k != "backup" and (k != "generators" or config.keep_generators)}
            | {"final_samples": "samples/final.png"},
            "versions": {"python": platform.python_version(), "tensorflow": tf.__version__,
                         "keras": keras.__version__},
        }
        write_atomic(paths["summary.json"], json.dumps(summary, indent=2))
        shutil.rmtree(paths["backup"], ignore_errors=True)  # only now that every artifact exists
        return summary
    finally:
        if lock is not None:
            lock.release()


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
        grid=lambda directory, scale=1: zoo.SampleGrid(directory, n=config.samples, seed=config.seed, scale=scale),
        summary={"name": source.spec.name, "split": source.spec.split,
                 "num_examples": source.spec.num_examples, "image_shape": list(image_shape)},
    )


def dataset_needs(dataset, cache_dir=None):
    """What must be done once before a recipe can train on ``dataset`` on this machine: a list of short
    steps, empty when nothing is (data that ships with the zoo, or already fetched into the cache)."""
    from recipes import fetch
    from recipes.data import LOCAL_NAMES
    from recipes.translation import PAIRED_TASKS, UNPAIRED_TASKS
    from zoo.io import cache_dir as zoo_cache

    if dataset.startswith("pix2pix/"):
        short = dataset[len("pix2pix/"):]
        if os.path.isdir(os.path.join(zoo_cache(cache_dir), "datasets", "pix2pix", short)):
            return []
        return [f"{short}.tar.gz unpacked into <cache>/datasets/pix2pix/"]
    if dataset.startswith("cycle_gan/"):
        short = dataset[len("cycle_gan/"):]
        if os.path.isdir(os.path.join(zoo_cache(cache_dir), "datasets", "cycle_gan", short)):
            return []
        return [f"TFDS download (--download), or {short}.zip unzipped into <cache>/datasets/cycle_gan/"]
    if dataset in PAIRED_TASKS:
        sources = [PAIRED_TASKS[dataset]]
    elif dataset in UNPAIRED_TASKS:
        sources = list(dict.fromkeys(UNPAIRED_TASKS[dataset][:2]))
    else:
        sources = [dataset]
    fetchable = [s for s in sources if s in LOCAL_NAMES and s != "mnist_embedded"
                 and not os.path.exists(fetch.dataset_path(s, cache_dir))]
    steps = [f"python -m recipes.fetch {' '.join(fetchable)}"] if fetchable else []
    if any(s not in LOCAL_NAMES for s in sources):  # a TFDS name: prepared by TFDS, not checked here
        steps.append("TFDS download (--download)")
    return steps


def list_recipes(fmt="table", cache_dir=None, out=None):
    """Prints the recipes (``--list``): a table of name, variant, dataset, what must be done first and a
    description; or, for ``fmt="json"``, one JSON object per line with the recipe's config too."""
    from recipes.registry import RECIPES, TrainConfig, recipe_description
    from zoo.io import cache_dir as zoo_cache

    out = out or sys.stdout
    rows = []
    for name, recipe in RECIPES.items():
        dataset = recipe.get("dataset", TrainConfig.dataset)
        rows.append({"name": name, "variant": recipe.get("variant", TrainConfig.variant), "dataset": dataset,
                     "description": recipe_description(name), "needs": dataset_needs(dataset, cache_dir),
                     "config": recipe})
    if fmt == "json":
        for row in rows:
            print(json.dumps(row), file=out)
        return
    columns = ("name", "variant", "dataset")
    widths = {c: max(len(c), *(len(row[c]) for row in rows)) for c in columns}
    indent = " " * (sum(widths.values()) + 2 * len(columns))

    def line(*cells):
        return "  ".join(cell.ljust(widths[c]) for c, cell in zip(columns, cells))

    print(line("RECIPE", "VARIANT", "DATASET") + "  DESCRIPTION", file=out)
    for row in rows:
        print(line(row["name"], row["variant"], row["dataset"]) + "  " + row["description"], file=out)
        for step in row["needs"]:
            print(f"{indent}needs first: {step}", file=out)
    print("\nTrain one with `python -m recipes.train --recipe=NAME`; those without a 'needs first' line train "
          f"right away.\n'needs first' is done once per machine: `python -m recipes.fetch` fills the zoo's cache "
          f"(<cache> = {zoo_cache(cache_dir)}); --download lets TFDS download.\n"
          "Each recipe's config: --list --list_format=json.", file=out)


def main(argv):
    no_arguments(argv, "--recipe=dcgan_mnist")
    held = HeldStderr().start()  # TensorFlow's start-up lines, shown once training starts
    message = None
    try:
        from recipes.registry import make_config, parse_overrides
        from zoo.errors import ZooError

        if FLAGS.list:
            list_recipes(FLAGS.list_format, FLAGS.cache_dir)
            held.drop()  # the listing is the whole output: TensorFlow's start-up lines are no news
            return
        try:
            overrides = parse_overrides(FLAGS.config)
            for key in ("epochs", "steps", "batch_size", "seed", "mixed_precision", "jit_compile"):
                if getattr(FLAGS, key) is not None:
                    overrides[key] = getattr(FLAGS, key)
            config = make_config(FLAGS.recipe, overrides)
            workdir = FLAGS.workdir or os.path.join("runs", FLAGS.recipe)
            summary = run(config, workdir, FLAGS.strategy, FLAGS.cache_dir, FLAGS.download, FLAGS.overwrite,
                          tpu=FLAGS.tpu, on_ready=held.release, grid_scale=FLAGS.grid_scale,
                          tensorboard_update_freq=FLAGS.tensorboard_update_freq)
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
    app.run(main, flags_parser=flags_parser("recipes.train"))
