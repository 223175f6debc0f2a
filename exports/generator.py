"""Finding, loading and describing the generator to export.

Finding and loading are the zoo's (``zoo.pretrained.load_generator``: catalogue names, preset
folders, ``.keras`` files, recipe workdirs, GANs and models in memory); this module turns its input
errors into ``ExportError``.

A generator (README, "Export a generator") is a functional
``keras.Model`` whose inputs are ``keras.Input`` layers with meaningful names
(``z``, ``labels``, ``codes``, ...) and whose one output is a batch of NHWC
float32 images in [-1, 1]. ``GeneratorSpec`` records what an exported artifact
must reproduce: the input names, shapes and dtypes, and the image shape.
"""

import dataclasses
import re

import numpy as np

from exports.errors import ExportError

OUTPUT_NAME = "images"
# Signature keys and ONNX tensor names stay portable with this alphabet.
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INPUT_DTYPES = ("float32", "int32", "int64")


@dataclasses.dataclass(frozen=True)
class TensorInfo:
    """One named tensor of the generator: ``shape`` has ``None`` for the batch dimension."""

    name: str
    shape: tuple
    dtype: str
    # For integer inputs: sample values are drawn from range(0, num_classes).
    num_classes: int = None

    def to_dict(self):
        d = {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}
        if self.num_classes is not None:
            d["num_classes"] = self.num_classes
        return d


@dataclasses.dataclass(frozen=True)
class GeneratorSpec:
    inputs: tuple  # of TensorInfo, in the order of model.inputs
    output: TensorInfo

    @property
    def input_names(self):
        return tuple(t.name for t in self.inputs)

    def to_dict(self):
        return {"inputs": [t.to_dict() for t in self.inputs], "outputs": [self.output.to_dict()]}


def _as_export_error(error):
    """The loader's input errors as ``ExportError`` (what exports raise); a checksum or download failure
    keeps its own class."""
    from zoo.errors import ConfigError, ZooError

    if type(error) in (ZooError, ConfigError):
        return ExportError(str(error))
    return error


def resolve_generator_path(path):
    """What ``path`` names, checked without loading it: a ``.keras`` file (a recipe workdir gives its
    generator.keras), a preset folder or a catalogue name (``zoo.pretrained.locate_generator``)."""
    from zoo.errors import ZooError
    from zoo.pretrained import locate_generator

    try:
        return locate_generator(path)[1]
    except ZooError as e:
        raise _as_export_error(e) from None


def load_generator(source):
    """Returns ``(model, description)`` for a ``keras.Model``, a ``zoo.GAN``, a path, a workdir, a preset
    folder or a catalogue name: ``zoo.pretrained.load_generator`` (the zoo's one loading path: checksums,
    archive checks, safe mode), its input errors raised as ``ExportError``.

    A GAN (or a ``gan.keras`` file) gives the generator it ships as a ``zoo.PretrainedGenerator``,
    which knows its latent distribution, as ``generator.keras`` files do; ``.generator`` is the
    Keras network itself (what exports take).
    """
    from zoo.errors import ZooError
    from zoo.pretrained import load_generator as load

    try:
        return load(source)
    except ZooError as e:
        raise _as_export_error(e) from None


def _class_count(model, input_name, max_depth=3):
    """The class count of an integer input, from the first Embedding/CategoryEncoding it feeds."""
    from zoo.sampling import class_count  # the same rule the zoo's sampler uses for generate(labels=)

    return class_count(model, input_name, max_depth)


def describe_generator(model):
    """Checks ``model`` against the generator contract; returns its ``GeneratorSpec``."""
    import keras

    if not isinstance(model, keras.Model):
        raise ExportError(f"The generator must be a keras.Model; got {type(model).__name__}.")
    try:
        inputs, outputs = list(model.inputs), list(model.outputs)
    except (AttributeError, ValueError):
        inputs = outputs = None
    if not inputs or not outputs:
        raise ExportError(
            f"Model {model.name!r} has no symbolic inputs/outputs: export needs a functional "
            "generator, keras.Model(inputs, outputs), built from named keras.Input layers "
            "(e.g. zoo.networks.dcgan.dcgan_generator)."
        )
    if len(outputs) != 1:
        raise ExportError(
            f"Model {model.name!r} has {len(outputs)} outputs; a generator has exactly one "
            "(images of shape (batch, height, width, channels))."
        )
    out_shape = tuple(outputs[0].shape)
    if len(out_shape) != 4:
        raise ExportError(
            f"Model {model.name!r} is not a generator: its output has shape {out_shape}, not "
            "(batch, height, width, channels). Pass the generator (generator.keras), not a "
            "discriminator or another model."
        )
    if any(d is None for d in out_shape[1:]):
        raise ExportError(
            f"The generator's image shape {out_shape[1:]} is not fully known; build it with "
            "a fixed height, width and channel count."
        )
    infos, seen = [], set()
    for t in inputs:
        name = t.name
        if not _NAME_RE.match(name or "") or name == OUTPUT_NAME or name in seen:
            raise ExportError(
                f"Generator input name {name!r} cannot name an exported input: use unique "
                "names made of letters, digits and '_' (e.g. keras.Input(..., name='z')), "
                f"other than {OUTPUT_NAME!r}."
            )
        seen.add(name)
        shape = (None,) + tuple(t.shape[1:])
        if any(d is None for d in shape[1:]):
            raise ExportError(
                f"Generator input {name!r} has shape {tuple(t.shape)}: only the batch dimension "
                "may be unknown."
            )
        dtype = str(t.dtype)
        if dtype not in _INPUT_DTYPES:
            raise ExportError(
                f"Generator input {name!r} has dtype {dtype}; exports support "
                f"{', '.join(_INPUT_DTYPES)}."
            )
        num_classes = None
        if dtype.startswith("int"):
            num_classes = _class_count(model, name) or 2
        infos.append(TensorInfo(name, shape, dtype, num_classes))
    output = TensorInfo(OUTPUT_NAME, (None,) + out_shape[1:], "float32")
    return GeneratorSpec(tuple(infos), output)


def sample_inputs(spec, batch_sizes=(5, 1), seed=0):
    """Fixed inputs for parity checks: ``{"b<i>/<name>": array}`` for each batch size."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for i, n in enumerate(batch_sizes):
        for t in spec.inputs:
            shape = (n,) + tuple(t.shape[1:])
            if t.dtype.startswith("int"):
                value = rng.integers(0, t.num_classes, size=shape).astype(t.dtype)
            else:
                value = rng.standard_normal(shape).astype(t.dtype)
            feeds[f"b{i}/{t.name}"] = value
    return feeds


def batch_feeds(feeds, index):
    """The ``{name: array}`` feed of batch ``index`` from ``sample_inputs``' dict."""
    prefix = f"b{index}/"
    return {k[len(prefix):]: v for k, v in feeds.items() if k.startswith(prefix)}


def batch_count(feeds):
    return len({k.split("/", 1)[0] for k in feeds})
