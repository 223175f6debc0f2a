"""Export a trained generator to SavedModel (TF Serving), ONNX and LiteRT, with a parity check.

    python -m exports --generator=runs/dcgan_mnist --out=exported
    python -m exports --generator=runs/dcgan_mnist/generator.keras --out=exported \\
        --formats=saved_model,onnx --name=mnist --version=2 --opset=17

``--generator`` is a ``.keras`` file, a recipe workdir (holding generator.keras), a preset folder or a
catalogue name (``zoo.list_pretrained()``), loaded as ``zoo.pretrained.load_generator`` loads it.
Writes ``DIR/<name>/<version>/`` (SavedModel), ``DIR/<name>-v<version>.onnx``,
``.tflite`` and ``.fp16.tflite``, ``DIR/models.config`` and ``DIR/manifest.json``;
see the "Export a generator" section of README.md. Bad input stops with one ``error: ...`` line and exit status 2.
Progress (each artifact written, each parity check) goes to stdout: a live bar on a
terminal, one plain line per step otherwise; ``--quiet`` leaves only the summary.
"""

import contextlib
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

# recipes.cli imports no TensorFlow: importing zoo here would start it before its start-up lines are held.
from recipes.cli import HeldStderr, fail as _fail, flags_parser, no_arguments  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("generator", None, "A .keras generator file, a recipe workdir holding generator.keras, a "
                    "preset folder or a catalogue name.")
flags.DEFINE_string("out", None, "Output directory of the export.")
flags.DEFINE_string("formats", "saved_model,onnx,litert", "Comma-separated formats: saved_model, onnx, litert.")
flags.DEFINE_string("name", "generator", "Model name (TF Serving model name and file stem).")
# Strings, not integers, so that a bad value gets our one-line message, not absl's.
flags.DEFINE_string("version", "1", "Model version: a positive integer (TF Serving version directory).")
flags.DEFINE_string("opset", "17", "ONNX opset.")
flags.DEFINE_string("fp16_tolerance", "0.01", "Largest absolute error allowed for the float16 LiteRT model.")
flags.DEFINE_string("serving_base_path", "/models", "Where --out is mounted inside the TF Serving container.")
flags.DEFINE_boolean("overwrite", False, "Replace an existing export of the same name and version.")
flags.DEFINE_boolean("verbose", False, "Show TensorFlow's and the converters' log lines.")
flags.DEFINE_boolean("quiet", False, "Show no progress (each artifact written and each parity check), "
                     "only the summary.")


def _int_flag(name):
    value = getattr(FLAGS, name)
    try:
        return int(value)
    except ValueError:
        _fail(f"--{name} must be an integer; got {value!r}.")


def main(argv):
    no_arguments(argv, "--generator=runs/dcgan_mnist")
    if not FLAGS.generator:
        _fail("--generator is required: a .keras file or a recipe workdir holding generator.keras.")
    if not FLAGS.out:
        _fail("--out is required: the directory to export into.")
    version, opset = _int_flag("version"), _int_flag("opset")
    try:
        fp16_tolerance = float(FLAGS.fp16_tolerance)
    except ValueError:
        _fail(f"--fp16_tolerance must be a number; got {FLAGS.fp16_tolerance!r}.")

    message = None
    # TensorFlow's start-up lines and the converters' logs are shown only if something unexpected fails,
    # so that an export prints its summary and bad input prints one error line.
    with contextlib.nullcontext() if FLAGS.verbose else HeldStderr(keep_on_success=False):
        from exports.api import check_formats, check_name, check_version, export_generator
        from exports.generator import resolve_generator_path
        from zoo.errors import ZooError

        try:
            # Cheap checks first, before the generator is loaded.
            check_formats(FLAGS.formats)
            check_name(FLAGS.name)
            check_version(version)
            resolve_generator_path(FLAGS.generator)
            manifest = export_generator(
                FLAGS.generator, FLAGS.out, formats=FLAGS.formats, name=FLAGS.name, version=version,
                opset=opset, overwrite=FLAGS.overwrite, fp16_tolerance=fp16_tolerance,
                serving_base_path=FLAGS.serving_base_path, verbose=0 if FLAGS.quiet else "auto",
            )
        except ZooError as e:
            message = str(e)
    if message:
        _fail(message)
    errors, tolerances = manifest["parity"]["max_abs_error"], manifest["parity"]["tolerance"]
    print(f"Exported {manifest['name']} version {manifest['version']} to {os.path.abspath(FLAGS.out)}:")
    for key, error in errors.items():
        path = manifest["artifacts"][key.replace("_uint8", "")]["path"]
        print(f"  {key:<18} {path:<28} max |error| {error:.3g} (tolerance {tolerances[key]:g})")
    print(f"Manifest: {os.path.join(FLAGS.out, 'manifest.json')}")


if __name__ == "__main__":
    app.run(main, flags_parser=flags_parser("exports"))
