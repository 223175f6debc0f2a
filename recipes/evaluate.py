"""Evaluate a generator against a real dataset from one command.

    python -m recipes.evaluate --generator=dcgan_mnist --dataset=mnist_embedded --split=test \\
        --metrics=fid,kid,pr --num_samples=10000
    python -m recipes.evaluate --generator=runs/dcgan_mnist --dataset=mnist --extractor=mnist --metrics=fid,is

``--generator`` is a pretrained zoo name (``zoo.list_pretrained()``), a preset folder,
a ``.keras`` file or a recipe workdir (holding ``generator.keras``), loaded as
``zoo.pretrained.load_generator`` loads it (checksums, safe mode). Real images are read
from ``--dataset``/``--split`` with the data layer (any source ``recipes.train``
accepts), converted to the generator's resolution and channels, and their
features are cached under ``<cache>/metrics/``. Prints a table and writes JSON
to ``--out``, by default next to what was evaluated (``default_output_path``):

* a recipe workdir or a preset folder: ``<folder>/evaluation.json``;
* a ``.keras`` file: ``<file without .keras>.evaluation.json`` beside it;
* a zoo name: ``runs/evaluate/<name>/evaluation.json`` under the current
  directory (like ``recipes.train``'s ``runs/<recipe>``), created when written.

The path is printed before the work starts and again when it is written; an
existing file there is replaced.

Progress: each feature extraction (real images, then generated ones) is shown
batch by batch with images/s, as ``keras.Model.predict`` shows it: a live bar on
a terminal, a few plain lines when the output goes to a file; ``--quiet``
shows none (the table and the path are still printed).

Metrics: fid, kid, is, pr (precision/recall/f1/density/coverage), stacked_modes.
With ``--extractor=inception`` (default) FID/KID use the FID Inception network;
with ``--extractor=mnist`` they use the zoo's MNIST classifier (FID then is the
Frechet classifier distance and ``is`` is the MNIST score).
"""

import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from recipes.cli import HeldStderr, fail, flags_parser, no_arguments  # noqa: E402  (no TensorFlow yet)

FLAGS = flags.FLAGS


def define_flags():
    """Defines the CLI flags; only when run as a script (absl flags are global: the
    CLIs share names such as --batch_size, and tests import several of them)."""
    flags.DEFINE_string("generator", None, "Pretrained zoo name, preset folder, .keras file or recipe workdir.")
    flags.DEFINE_string("dataset", "mnist_embedded", "Real data: a dataset name, tfds:NAME, folder or .npz.")
    flags.DEFINE_string("split", "test", "Split of the real data.")
    flags.DEFINE_string("metrics", "fid,kid,pr", "Comma-separated: fid, kid, is, pr, stacked_modes.")
    flags.DEFINE_enum("extractor", "inception", ["inception", "mnist"], "Feature extractor.")
    flags.DEFINE_integer("num_samples", 10_000, "Generated images.")
    flags.DEFINE_integer("num_real", 10_000, "Real images (at most the split's size).")
    flags.DEFINE_integer("seed", 0, "Seed of the generator's latents.")
    flags.DEFINE_integer("batch_size", 64, "Feature-extraction batch size.")
    flags.DEFINE_string("out", None, "JSON output path. Default: <workdir>/evaluation.json for a recipe workdir, "
                        "<file>.evaluation.json beside a .keras file, runs/evaluate/<name>/evaluation.json "
                        "(under the current directory, created) for a zoo name.")
    flags.DEFINE_string("cache_dir", None, "The zoo's cache (default $GANZOO_HOME or ~/.cache/ganzoo).")
    flags.DEFINE_boolean("download", False, "Let TFDS download datasets it has not prepared.")
    flags.DEFINE_boolean("quiet", False, "Show no progress (by default each feature extraction shows a live "
                         "bar on a terminal, or a few plain lines when the output is a file).")


def load_any_generator(spec):
    """``(sampler_or_model, description)`` for a zoo name, preset folder, ``.keras`` path, workdir or model:
    ``zoo.pretrained.load_generator``, the zoo's one loading path."""
    from zoo.pretrained import load_generator

    return load_generator(spec)


def real_images_loader(dataset, split, image_shape, num_real, cache_dir=None, download=False):
    """``(loader, key, available)``: a callable giving the real images in [-1, 1] at ``image_shape``."""
    import numpy as np

    from recipes.data import make_pipeline, resolve_source

    source = resolve_source(dataset, split, cache_dir=cache_dir, download=download)
    n = min(num_real, source.spec.num_examples)
    h, w, c = image_shape

    def load():
        ds = make_pipeline(source, 500, shuffle=False, image_size=(h, w), channels=c, drop_remainder=False)
        batches, have = [], 0
        for batch in ds:
            batches.append(batch.numpy())
            have += len(batches[-1])
            if have >= n:
                break
        return np.concatenate(batches)[:n]

    key = f"{source.spec.name}-{split}-{h}x{w}x{c}-{source.fingerprint()[:16]}"  # what the data is, not its name
    return load, key, n


def evaluate_generator(generator, dataset="mnist_embedded", split="test", metrics="fid,kid,pr",
                       extractor="inception", num_samples=10_000, num_real=10_000, seed=0, batch_size=64,
                       cache_dir=None, download=False, verbose="auto", on_ready=None):
    """The CLI's work as a function: returns the JSON-ready result dict.

    ``verbose``: progress of the feature extractions, as in ``zoo.metrics.evaluate``
    ("auto" by default, like ``keras.Model.predict``; 0 for none). ``on_ready``: called
    with no arguments once the generator and the data are found, before the long part.
    """
    from zoo.metrics import evaluate
    from zoo.metrics.evaluate import check_count, check_metrics
    from zoo.progress import resolve_verbose

    metrics = check_metrics(metrics)
    resolve_verbose(verbose)  # a bad value fails before anything is loaded
    for name, value in (("num_samples", num_samples), ("num_real", num_real), ("batch_size", batch_size)):
        check_count(name, value)  # before the generator and the data are loaded
    loaded = load_any_generator(generator)
    model, description = loaded
    image_shape = tuple(int(d) for d in loaded.network.outputs[0].shape[1:])
    if len(image_shape) != 3:
        from zoo.errors import ConfigError

        raise ConfigError(f"{description} makes samples of shape {image_shape}, not images: "
                          "image metrics need (height, width, channels) outputs.")
    loader, key, n_real = real_images_loader(dataset, split, image_shape, num_real, cache_dir, download)
    if on_ready is not None:
        on_ready()
    start = time.perf_counter()
    results = evaluate(model, loader, metrics=metrics, extractor=extractor, num_samples=num_samples,
                       num_real=n_real, seed=seed, real_key=key, cache=cache_dir, batch_size=batch_size,
                       verbose=verbose)
    return {"generator": description, "dataset": dataset, "split": split, "metrics": list(metrics),
            "seed": seed, "seconds": round(time.perf_counter() - start, 1), "results": results}


def format_table(report):
    rows = [(k, f"{v:.4f}" if isinstance(v, float) else str(v)) for k, v in report["results"].items()]
    width = max(len(k) for k, _ in rows)
    head = f"{report['generator']} vs {report['dataset']}/{report['split']} ({report['seconds']} s)"
    return "\n".join([head] + [f"  {k.ljust(width)}  {v}" for k, v in rows])


def default_output_path(generator):
    """Where the CLI writes its JSON without ``--out`` (see the module docstring)."""
    if os.path.isdir(generator):
        return os.path.join(generator, "evaluation.json")
    if generator.endswith(".keras"):
        return generator[:-len(".keras")] + ".evaluation.json"
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in generator) or "generator"
    return os.path.join("runs", "evaluate", safe, "evaluation.json")


def check_output_path(out, create=False):
    """Fails with one line unless a file can be written at ``out``: its folder exists and is writable,
    or, with ``create``, the folder can be created (its nearest existing parent is a writable folder)."""
    folder = os.path.dirname(os.path.abspath(out))
    what = f"--out={out}" if not create else f"The default output {out} (set --out to choose another)"
    if os.path.isdir(out):
        fail(f"{what} is a directory: give a file path such as {os.path.join(out, 'evaluation.json')}.")
    probe = folder
    if create:
        while not os.path.exists(probe):
            probe = os.path.dirname(probe)
    if os.path.exists(probe) and not os.path.isdir(probe):
        fail(f"{what}: {probe} is not a folder; choose another path.")
    if not os.path.isdir(probe):
        fail(f"{what}: the folder {folder} does not exist; create it first or choose another path.")
    if not os.access(probe, os.W_OK | os.X_OK):
        fail(f"{what}: the folder {probe} is not writable; choose another path.")


def main(argv):
    no_arguments(argv, "--generator=dcgan_mnist")
    if not FLAGS.generator:
        fail("--generator is required: a pretrained zoo name, a .keras file or a recipe workdir.")
    out = FLAGS.out or default_output_path(FLAGS.generator)
    check_output_path(out, create=not FLAGS.out)  # before the work, not after it
    verbose = 0 if FLAGS.quiet else "auto"

    def announce():
        if verbose:
            print(f"Evaluating {FLAGS.generator}; the results will go to {os.path.abspath(out)}", flush=True)

    message = None
    held = HeldStderr().start()  # TensorFlow's start-up lines: replayed unless the input was bad
    try:
        from zoo.errors import ZooError
        from zoo.io import write_atomic

        try:
            report = evaluate_generator(FLAGS.generator, FLAGS.dataset, FLAGS.split, FLAGS.metrics,
                                        FLAGS.extractor, FLAGS.num_samples, FLAGS.num_real, FLAGS.seed,
                                        FLAGS.batch_size, FLAGS.cache_dir, FLAGS.download, verbose,
                                        on_ready=announce)
        except ZooError as e:
            message = str(e)
    finally:
        held.drop() if message else held.release()
    if message:
        fail(message)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    write_atomic(out, json.dumps(report, indent=2) + "\n")
    print(format_table(report))
    print(f"Wrote {os.path.abspath(out)}.")


if __name__ == "__main__":
    define_flags()
    app.run(main, flags_parser=flags_parser("recipes.evaluate"))
