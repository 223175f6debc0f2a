"""Pretrained models and presets: ``zoo.load``, ``GAN.from_preset``, ``zoo.save_preset``.

A *preset* is a catalogue name (``zoo.list_pretrained()``) or a folder written by
``zoo.save_preset(model, folder)`` or ``zoo.write_preset(name, folder)``:

    preset.json          the entry: variant, data, image shape, the command and seed that made it,
                         metrics with their protocol, and the sha256 of each file
    generator.keras      the generator (the weight average of a GAN trained with ``ema_decay``)
    discriminator.keras  optional; with it ``from_preset`` returns a GAN that ``fit`` fine-tunes
    README.md            the model card (Markdown with a Hugging Face metadata header)
    samples.png          64 samples (seed 0)

    >>> import zoo
    >>> g = zoo.load("dcgan_mnist")            # a keras.Model: g(z), g.predict(z), g.generate(16, seed=0)
    >>> g.generate(4, seed=0).shape
    (4, 28, 28, 1)
    >>> zoo.load("cgan_mnist").generate(8, labels=7, seed=0)   # eight 7s (conditional entries)
    >>> gan = zoo.GAN.from_preset("study_ns_fashion_mnist")    # generator + discriminator
    >>> gan.compile(); gan.fit(images, epochs=1)                # fine-tune
    >>> zoo.save_preset(gan, "presets/mine", dataset="fashion_mnist")
    >>> zoo.load("presets/mine")

``load_generator(source)`` is the one loading path behind ``zoo.load``, ``python -m recipes.evaluate``
and ``exports.export_generator``: it takes any of a catalogue name, a preset folder, a recipe workdir,
a ``.keras`` file (a generator, a ``PretrainedGenerator`` or a whole saved GAN) or a GAN / Keras model
in memory, and returns the network to sample from with its latent distribution
(``saved_generator`` decides which network a GAN ships).

Every file is checked against its sha256 (the catalogue's, or the preset's
``preset.json``) before it is opened, and ``.keras`` files are loaded with Keras
safe mode (no Lambda layers or other deserialised Python code). Catalogue files
live in ``zoo/weights/`` (in the repository) or are fetched from an entry's
``url`` into ``$GANZOO_HOME/weights``; an offline fetch fails with a message
saying so. Catalogue weights are stored as float16 where ``zoo.io.save_compact_keras``
wrote them and always load as float32.
"""

import dataclasses
import json
import os
import shutil
import tempfile
import typing

import keras

from zoo.catalogue import CATALOGUE, PretrainedEntry
from zoo.errors import ConfigError, DatasetUnavailableError, ZooError, did_you_mean
from zoo.images import save_grid
from zoo.io import float32_copy, save_compact_keras, sha256_file as sha256_of, write_atomic
from zoo.model_card import model_card
from zoo.sampling import Sampler, check_latent_distribution
from zoo.version import __version__

__all__ = ["CATALOGUE", "PretrainedEntry", "PretrainedGenerator", "ChecksumError", "list_pretrained",
           "describe", "load", "load_generator", "LoadedGenerator", "save_preset", "write_preset", "load_gan",
           "resolve_preset", "locate_generator", "load_keras_file", "load_generator_file", "saved_generator", "is_gan"]

WEIGHTS_DIR = os.path.join(os.path.dirname(__file__), "weights")
# What a training run (python -m recipes.train) writes into its workdir: the generator to sample from.
GENERATOR_FILE = "generator.keras"


class ChecksumError(ZooError):
    """A weights file whose sha256 is not the catalogue's: corrupt or tampered with."""



@keras.saving.register_keras_serializable(package="zoo")
class PretrainedGenerator(Sampler, keras.Model):
    """A trained generator as a Keras model, with the zoo's sampling helpers.

    Call it like any Keras model (``g(z)``, ``g.predict(z)``, ``g.summary()``, ``g.save(...)``)
    or draw samples with ``generate(n | z, seed[, labels])`` and ``latents(n, seed)``.
    ``entry`` (a ``PretrainedEntry`` or ``None``) says what it is and how it was made.

    Args:
        generator: the generator, a built ``keras.Model`` (``z`` -> images in [-1, 1]).
        entry: its catalogue or preset entry; ``None`` for a file the catalogue does not describe.
        latent_distribution: what ``latents`` draws, ``"normal"`` (N(0, 1)) or ``"uniform"``
            (U(-1, 1)): the distribution the generator was trained on (default: the entry's, else normal).
        **kwargs: ``keras.Model`` arguments (``name``).

    The train CLI saves ``generator.keras`` (and ``GeneratorSnapshots`` its snapshots) as one
    (``saved_generator(gan)``), so a saved generator samples from the right latents.

    Class-conditional entries (``cgan_mnist``, ``acgan_mnist``) take ``labels=``: one class for
    every sample or one per sample (``num_classes`` says how many there are).

    Example:
        >>> g = zoo.load("dcgan_mnist")
        >>> images = g.generate(16, seed=0)       # (16, 28, 28, 1) in [-1, 1]
        >>> same = g(g.latents(16, seed=0))       # the same images, as a tensor
    """

    def __init__(self, generator, entry=None, latent_distribution=None, **kwargs):
        if entry is not None and not isinstance(entry, PretrainedEntry):
            raise ConfigError(f"entry must be a PretrainedEntry or None; got {type(entry).__name__}.")
        if isinstance(generator, PretrainedGenerator):  # one wrapper, whatever was loaded
            latent_distribution = latent_distribution or generator.latent_distribution
            entry = entry or generator.entry
            generator = generator.generator
        latent_distribution = check_latent_distribution(
            latent_distribution or (entry.latent_distribution if entry is not None else "normal"))
        kwargs.setdefault("name", entry.name if entry is not None else "pretrained_generator")
        super().__init__(**kwargs)
        self.generator = generator
        self.entry = entry
        self.latent_distribution = latent_distribution
        self.built = True

    @property
    def model(self):
        """The Keras generator itself (what exports take)."""
        return self.generator

    @property
    def image_shape(self):
        return self.sample_shape

    @property
    def inputs(self):
        return self.generator.inputs

    @property
    def outputs(self):
        return self.generator.outputs

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def get_config(self):
        config = super().get_config()
        config.update(generator=keras.saving.serialize_keras_object(self.generator),
                      entry=None if self.entry is None else self.entry.to_json(),
                      latent_distribution=self.latent_distribution)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        generator = keras.saving.deserialize_keras_object(config.pop("generator"))
        entry = config.pop("entry", None)
        return cls(generator, None if entry is None else PretrainedEntry.from_json(entry), **config)

    def __repr__(self):
        classes = f", num_classes={self.num_classes}" if self.conditional else ""
        name = self.entry.name if self.entry is not None else self.name
        return (f"PretrainedGenerator({name!r}, image_shape={self.image_shape}, "
                f"latent_dim={self.latent_dim}{classes})")



def is_gan(model):
    """Whether ``model`` is a zoo GAN (a ``keras.Model`` with a generator and a discriminator), by its
    attributes: ``zoo.pretrained`` cannot import ``zoo.gan`` (which imports it)."""
    return isinstance(model, keras.Model) and hasattr(model, "discriminator") and hasattr(model, "generator")


def saved_generator(gan):
    """What a zoo GAN ships as its generator (``generator.keras``, snapshots, presets, exports, evaluation):
    its sampling generator (``gan.sampling_generator``: the weight average when it keeps one) in float32,
    as a ``PretrainedGenerator`` that records the GAN's latent distribution; a translator (no latents) as
    its bare network. The one place that decides which network a GAN ships."""
    network = float32_copy(gan.sampling_generator)
    if not gan.latent_dim:
        return network
    return PretrainedGenerator(network, latent_distribution=gan.latent_distribution, name=gan.generator.name)


def _shipped_name(gan):
    """Which of ``gan``'s networks ``saved_generator`` ships: ``"generator"`` or ``"ema_generator"``."""
    return "generator" if gan.sampling_generator is gan.generator else "ema_generator"


def list_pretrained():
    """Names of the catalogue's entries (each loads with ``zoo.load(name)``)."""
    return sorted(CATALOGUE)


def describe(preset):
    """The ``PretrainedEntry`` of a catalogue name or preset folder: variant, data, files and their
    checksums, metrics with their protocol, the command and seed that made it.

    >>> zoo.describe("dcgan_mnist").metrics["fid_inception"]
    """
    return resolve_preset(preset)[0]


# ------------------------------------------------------------------ presets

PRESET_FORMAT = "keras-gan-zoo preset"
PRESET_VERSION = 1
PRESET_FILE = "preset.json"
# The file names inside a preset folder, by role.
PRESET_FILES = {"generator": "generator.keras", "discriminator": "discriminator.keras"}


def resolve_preset(preset):
    """``(entry, folder)`` for a catalogue name (folder ``None``) or a preset folder."""
    if isinstance(preset, (str, os.PathLike)):
        text = os.fspath(preset)
        if text in CATALOGUE:
            return CATALOGUE[text], None
        if os.path.isdir(text):
            return read_preset(text), text
    raise ConfigError(
        f"No pretrained generator or preset folder named {preset!r}."
        + did_you_mean(preset if isinstance(preset, str) else repr(preset), CATALOGUE)
        + " (A preset folder holds preset.json: write one with zoo.save_preset or zoo.write_preset.)"
    )


def read_preset(folder):
    """The ``PretrainedEntry`` in ``folder/preset.json`` (checked: format, version, file names)."""
    path = os.path.join(folder, PRESET_FILE)
    if not os.path.isfile(path):
        raise ConfigError(f"{folder} is not a preset folder: it has no {PRESET_FILE} (write one with "
                          "zoo.save_preset or zoo.write_preset).")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ZooError(f"{path} could not be read as JSON ({e}): the preset is damaged; write it again.") from None
    if not isinstance(data, dict) or data.get("format") != PRESET_FORMAT:
        raise ZooError(f"{path} is not a keras-gan-zoo preset (its \"format\" is not {PRESET_FORMAT!r}).")
    version = data.get("version")
    if not isinstance(version, int) or version > PRESET_VERSION:
        raise ZooError(f"{path} has format version {version!r}; this keras-gan-zoo reads version "
                       f"{PRESET_VERSION}: upgrade keras-gan-zoo to load it.")
    try:
        entry = PretrainedEntry.from_json(data["entry"])
    except (KeyError, TypeError, ValueError) as e:
        raise ZooError(f"{path} is not a valid preset ({type(e).__name__}: {e}); write it again.") from None
    for role, (file, _) in entry.files.items():
        if not isinstance(file, str) or os.path.basename(file) != file or file in ("", ".", ".."):
            raise ZooError(f"{path} names its {role} {file!r}: a preset's files must lie in its own folder.")
    return entry


def _file_path(entry, folder, role):
    file, _ = entry.files[role]
    if folder is not None:
        path = os.path.join(folder, file)
        if not os.path.isfile(path):
            raise ZooError(f"The preset {folder} lacks {file} (its {role}): copy the whole folder.")
        return path
    local = os.path.join(WEIGHTS_DIR, file)
    if os.path.exists(local):
        return local
    if not entry.url or role != "generator":
        raise DatasetUnavailableError(
            f"The weights of {entry.name!r} ({file}) are missing from {WEIGHTS_DIR}: "
            "reinstall the package or `git checkout zoo/weights`."
        )
    cache = os.path.join(os.path.expanduser(os.environ.get("GANZOO_HOME") or "~/.cache/ganzoo"), "weights")
    try:
        # Keras falls back to /tmp/.keras for a folder that does not exist yet; with the hash it fetches
        # again when a cached file is stale or damaged instead of handing it back
        os.makedirs(cache, exist_ok=True)
        return keras.utils.get_file(file, entry.url, cache_dir=cache, cache_subdir=".", file_hash=entry.sha256)
    except Exception as e:  # noqa: BLE001  (urllib raises many kinds)
        raise DatasetUnavailableError(
            f"Could not download the weights of {entry.name!r} from {entry.url} ({e}). This "
            f"machine may be offline: download the file elsewhere and put it in {cache}."
        ) from None


def load_generator_file(path, expected_sha256=None):
    """Loads a generator ``.keras`` file with safe mode, after an optional checksum check."""
    return load_keras_file(path, expected_sha256)


# Largest JSON member of a .keras archive read before anything in it is trusted (a zoo generator's config
# is a few hundred KB; a hostile archive could hold gigabytes that compress to nothing).
MAX_ARCHIVE_JSON_BYTES = 32 * 2**20


def check_keras_archive(path):
    """Refuses a ``.keras`` file that is not a zip archive or whose JSON members are implausibly large."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as e:
        raise ZooError(f"Could not load {path}: it is not a valid .keras file (not a zip archive: {e}). Save "
                       "models with model.save('....keras'), or restore the file if it was damaged.") from None
    for member in members:
        if member.filename.endswith(".json") and member.file_size > MAX_ARCHIVE_JSON_BYTES:
            raise ZooError(
                f"Refusing to load {path}: its {member.filename} unpacks to {member.file_size / 2**20:.0f} MiB "
                f"(the limit is {MAX_ARCHIVE_JSON_BYTES // 2**20} MiB; a model's config is far smaller), so the "
                "file is damaged or hostile."
            )


def load_keras_file(path, expected_sha256=None):
    """Any zoo ``.keras`` file: sha256 checked (when given) *before* opening, then safe mode."""
    path = os.fspath(path)
    if not path.endswith(".keras") or not os.path.isfile(path):
        raise ConfigError(f"{path!r} is not a .keras file.")
    if expected_sha256 is not None:
        got = sha256_of(path)
        if got != expected_sha256:
            raise ChecksumError(
                f"{path} has sha256 {got}, but the zoo expects {expected_sha256}: the file is "
                "corrupt or was modified. Restore it (git checkout / reinstall) before loading."
            )
    check_keras_archive(path)
    # The zoo's classes are registered: importing zoo.pretrained ran zoo/__init__.py, which imports every
    # variant (an `import zoo` here would be an import cycle). The layers package registers all its layers.
    import layers  # noqa: F401

    try:
        return keras.models.load_model(path, safe_mode=True, compile=False)
    except ValueError as e:
        if "safe_mode" in str(e) or "Lambda" in str(e):
            raise ZooError(
                f"Refusing to load {path}: it contains Python code (e.g. a Lambda layer), which "
                "safe mode blocks because loading it could run arbitrary code."
            ) from None
        error = e
    except Exception as e:  # noqa: BLE001  (a damaged zip or h5 raises many kinds)
        error = e
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
    raise ZooError(
        f"Could not load {path}: it is not a valid .keras file ({type(error).__name__}: {first_line}). "
        "Save models with model.save('....keras'), or restore the file if it was damaged."
    ) from None


def _load_network(entry, folder, role):
    return load_keras_file(_file_path(entry, folder, role), entry.files[role][1])


def load(preset):
    """The generator of a catalogue name or preset folder, checksum-verified, as a ``PretrainedGenerator``
    (a ``keras.Model``: call it on latents, or ``generate(n, seed=...)``).

    >>> g = zoo.load("dcgan_mnist")
    >>> images = g.generate(16, seed=0)   # (16, 28, 28, 1) in [-1, 1]
    >>> g = zoo.load("presets/mine")      # a folder written by zoo.save_preset / zoo.write_preset

    ``load_generator`` takes files, workdirs and models in memory too.
    """
    entry, folder = resolve_preset(preset)
    return PretrainedGenerator(_load_network(entry, folder, "generator"), entry)


class LoadedGenerator(typing.NamedTuple):
    """What ``load_generator`` returns; unpacks as ``generator, source``.

    ``generator``: the network to sample from, a ``PretrainedGenerator`` (it records its latent
    distribution) for everything the zoo wrote; a translator (no latents) and a bare ``keras.Model``
    (a file or model the zoo did not write) as they are. ``source``: what was loaded, for reports and
    manifests (``"zoo:<name>"``, a preset folder, a ``.keras`` path, ``"<DCGAN.ema_generator>"``, ...).
    """

    generator: object
    source: str

    @property
    def latent_distribution(self):
        """The distribution the generator samples its latents from; ``None`` where none is recorded
        (a bare Keras generator: the zoo's samplers then draw N(0, 1)) or there are no latents."""
        return getattr(self.generator, "latent_distribution", None)

    @property
    def network(self):
        """The Keras network itself (what exports take): a ``PretrainedGenerator``'s ``generator``."""
        return _network(self.generator)


def _network(model):
    return model.generator if isinstance(model, PretrainedGenerator) else model


def _looks_like_a_path(text):
    return text.endswith(".keras") or os.sep in text or (os.altsep is not None and os.altsep in text)


def locate_generator(source):
    """Where ``load_generator`` would load a name or path from, without loading anything:
    ``("catalogue", name)``, ``("preset", folder)`` or ``("file", path)`` (a ``.keras`` file, or a recipe
    workdir's generator.keras).

    Raises ``ConfigError`` saying what is expected for a folder without either, a file of another kind
    and a name or path that does not exist (the CLIs call it to fail fast, before the generator loads).
    """
    if not isinstance(source, (str, os.PathLike)):
        raise ConfigError(
            "generator must be a keras.Model, a path to a .keras file or a recipe workdir; got "
            f"{type(source).__name__}. (A preset folder or a catalogue name, as a string, works too.)"
        )
    path = os.fspath(source)
    if path in CATALOGUE:
        return "catalogue", path
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, PRESET_FILE)):
            return "preset", path
        candidate = os.path.join(path, GENERATOR_FILE)
        if os.path.isfile(candidate):
            return "file", candidate
        raise ConfigError(
            f"{path!r} is a directory without {GENERATOR_FILE}: pass a .keras file or the "
            "workdir of a finished training run (python -m recipes.train writes "
            f"<workdir>/{GENERATOR_FILE}), or a preset folder (holding {PRESET_FILE})."
        )
    if os.path.isfile(path):
        if not path.endswith(".keras"):
            raise ConfigError(
                f"{path!r} is not a .keras file: pass a generator saved with "
                f"model.save('....keras') or a recipe workdir containing {GENERATOR_FILE}."
            )
        return "file", path
    known = "" if _looks_like_a_path(path) else did_you_mean(path, CATALOGUE)  # a mistyped catalogue name
    raise ConfigError(
        f"{path!r} does not exist: pass a .keras file or a recipe workdir containing "
        f"{GENERATOR_FILE}, a preset folder or a catalogue name (zoo.list_pretrained())." + known
    )


def load_generator(source):
    """The network to sample from, and its latent distribution, from anything that holds a generator.

    The one loading path of the zoo (``recipes.evaluate`` and ``exports.export_generator`` use it):

    * a catalogue name (``zoo.list_pretrained()``) or a preset folder (holding ``preset.json``): as
      ``zoo.load``, every file checked against its sha256 first; source ``"zoo:<name>"`` / the folder;
    * a ``.keras`` file, or a recipe workdir holding ``generator.keras``: loaded with Keras safe mode
      (``load_keras_file``); a saved generator, a ``PretrainedGenerator`` or a whole saved GAN
      (``gan.keras``); source: the file's path;
    * a zoo GAN in memory: source ``"<DCGAN.generator>"`` or ``"<DCGAN.ema_generator>"``;
    * any other ``keras.Model``: returned as it is.

    A GAN, in memory or saved, gives the network it ships (``saved_generator``: the weight average
    when it keeps one, in float32, as a ``PretrainedGenerator`` that records the GAN's latent
    distribution).

    Returns:
        A ``LoadedGenerator``: ``generator, source = load_generator(...)``; ``.latent_distribution``,
        ``.network`` (the bare Keras network).

    Raises:
        ConfigError: nothing that holds a generator, or a file of the wrong kind.
        ChecksumError: a catalogue or preset file that does not match its sha256.
        ZooError: a damaged ``.keras`` file, or one holding Python code (refused by safe mode).

    >>> g, source = zoo.pretrained.load_generator("runs/dcgan_mnist")   # a workdir
    >>> images = g.generate(16, seed=0)
    """
    if is_gan(source):
        return LoadedGenerator(saved_generator(source), f"<{type(source).__name__}.{_shipped_name(source)}>")
    if isinstance(source, keras.Model):
        return LoadedGenerator(source, f"<keras.Model {source.name!r}>")
    kind, where = locate_generator(source)
    if kind == "catalogue":
        return LoadedGenerator(load(where), f"zoo:{where}")
    if kind == "preset":
        return LoadedGenerator(load(where), where)
    model = load_keras_file(where)
    return LoadedGenerator(saved_generator(model) if is_gan(model) else model, where)


def _preset_class(entry):
    cls = keras.saving.get_registered_object(entry.class_name) if entry.class_name else None
    if cls is None and entry.class_name:
        raise ZooError(f"The preset {entry.name!r} is a {entry.class_name}, a class this installation does not "
                       "know: import the module that defines it first (or upgrade keras-gan-zoo).")
    return cls


def load_gan(cls, preset, **overrides):
    """``cls.from_preset``: the GAN of ``preset`` with its discriminator, or its generator alone.

    A preset that ships a discriminator gives an (uncompiled) instance of its own class, which must
    be ``cls`` or a subclass; ``overrides`` replace options of its config (``ema_decay=0.999``,
    ``augment="translation"``, ...) but not the architecture. A preset without one gives its
    ``PretrainedGenerator``: sample from it; fine-tuning needs the discriminator.
    """
    entry, folder = resolve_preset(preset)
    klass = _preset_class(entry)
    if klass is not None and not issubclass(klass, cls):
        raise ConfigError(f"The preset {entry.name!r} holds a {klass.__name__}, not a {cls.__name__}: use "
                          f"zoo.{klass.__name__}.from_preset (zoo.GAN.from_preset takes any).")
    if entry.discriminator_file is None or entry.config is None or klass is None:
        if overrides:
            raise ConfigError(f"The preset {entry.name!r} ships no discriminator, so it loads as a generator "
                              f"only and takes no options (got {', '.join(sorted(overrides))}).")
        return load(preset)
    fixed = {"generator", "discriminator", "image_shape", "latent_dim", "width", "d_norm", "d_batch_norm", "pack"}
    refused = sorted(fixed & set(overrides))
    if refused:
        raise ConfigError(f"from_preset cannot change the architecture ({', '.join(refused)}): the weights of "
                          f"{entry.name!r} fit its own; build a new model to train another.")
    gan = klass.from_config({**entry.config, **overrides})
    generator = _load_network(entry, folder, "generator")
    discriminator = _load_network(entry, folder, "discriminator")
    targets = [(generator, gan.generator, "generator"), (discriminator, gan.discriminator, "discriminator")]
    if getattr(gan, "ema_generator", None) is not None:
        targets.append((generator, gan.ema_generator, "generator"))
    for source, target, role in targets:
        try:
            target.set_weights(source.get_weights())
        except ValueError as e:
            raise ZooError(f"The {role} weights of {entry.name!r} do not fit its config ({e}): the preset is "
                           "damaged; write it again.") from None
    return gan


def save_preset(model, folder, *, name=None, dataset="", command="", seed=None, metrics=None, notes="",
                variant=None, overwrite=False, samples=64):
    """Writes ``model`` as a preset folder that ``zoo.load`` and ``from_preset`` read back.

    Args:
        model: a zoo GAN (writes its sampling generator, its discriminator and its config, so
            ``from_preset`` returns a GAN that ``fit`` fine-tunes), a ``PretrainedGenerator`` or a
            Keras generator (sampling only).
        folder: the preset folder; refused if it exists, unless ``overwrite`` and it is a preset.
        name: the preset's name (default: the folder's name).
        dataset: what it was trained on; the first word is a data set name (``"fashion_mnist (60,000
            train images)"``), which the model card uses to state the data's licence.
        command, seed, notes: how it was made, for the model card.
        metrics: ``{name: value}``; keys ending in ``_note`` describe the protocol.
        variant: a short name (default: the model's class name).
        samples: how many samples the folder's ``samples.png`` shows (0: none).

    Weights are stored as float16 (``zoo.io.save_compact_keras``, half the size) and load as float32.
    The folder appears complete or not at all.
    """
    folder = os.fspath(folder)
    if os.path.exists(folder):
        if not overwrite:
            raise ConfigError(f"{folder} exists: choose another folder or pass overwrite=True.")
        if not os.path.isfile(os.path.join(folder, PRESET_FILE)):
            raise ConfigError(f"{folder} exists and is not a preset folder: refusing to overwrite it.")
    if is_gan(model):  # the network it ships (saved_generator), its discriminator and its config
        generator, discriminator = _network(saved_generator(model)), model.discriminator
        config, class_name = model.get_config(), keras.saving.get_registered_name(type(model))
        try:
            json.dumps(config)
        except TypeError as e:
            raise ConfigError(f"{type(model).__name__}'s config is not JSON data ({e}); it cannot be a preset.")
    elif isinstance(model, keras.Model):
        generator = _network(model)
        discriminator, config, class_name = None, None, None
        if isinstance(model, PretrainedGenerator) and model.entry is not None:
            class_name = model.entry.class_name
    else:
        raise ConfigError(f"save_preset takes a zoo GAN or a Keras generator; got {type(model).__name__}.")
    sampler = PretrainedGenerator(float32_copy(generator))
    parent = os.path.dirname(os.path.abspath(folder))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(folder)}.", dir=parent)
    try:
        files = {}
        for role, network in (("generator", sampler.generator), ("discriminator", discriminator)):
            if network is not None:
                path = os.path.join(staging, PRESET_FILES[role])
                save_compact_keras(float32_copy(network), path)
                files[role] = (PRESET_FILES[role], sha256_of(path))
        entry = PretrainedEntry(
            name=name or os.path.basename(os.path.abspath(folder)), variant=variant or type(model).__name__,
            dataset=dataset, image_shape=sampler.sample_shape, file=files["generator"][0],
            sha256=files["generator"][1], command=command, metrics=dict(metrics or {}),
            latent_distribution=getattr(model, "latent_distribution", "normal"), notes=notes, seed=seed,
            discriminator_file=files.get("discriminator", (None, None))[0],
            discriminator_sha256=files.get("discriminator", (None, None))[1], config=config,
            class_name=class_name,
        )
        _write_folder_docs(entry, PretrainedGenerator(sampler.generator, entry), staging, samples, folder)
        _replace_folder(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def write_preset(name, folder, *, overwrite=False, samples=64):
    """Writes the catalogue entry ``name`` as a preset folder (its files byte for byte, checksums
    verified, its ``preset.json``, model card and samples); ``zoo.load(folder)`` reads it back."""
    entry = describe(name) if name in CATALOGUE else None
    if entry is None:
        raise ConfigError(f"No catalogue entry named {name!r}." + did_you_mean(name, CATALOGUE))
    folder = os.fspath(folder)
    if os.path.exists(folder) and not (overwrite and os.path.isfile(os.path.join(folder, PRESET_FILE))):
        raise ConfigError(f"{folder} exists: choose another folder"
                          + (" (it is not a preset folder)." if overwrite else " or pass overwrite=True."))
    parent = os.path.dirname(os.path.abspath(folder))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(folder)}.", dir=parent)
    try:
        renamed = {}
        for role, (file, sha256) in entry.files.items():
            source = _file_path(entry, None, role)
            if sha256_of(source) != sha256:
                raise ChecksumError(f"{source} does not match the catalogue's sha256: restore it first.")
            shutil.copyfile(source, os.path.join(staging, PRESET_FILES[role]))
            renamed["file" if role == "generator" else "discriminator_file"] = PRESET_FILES[role]
        entry = dataclasses.replace(entry, url=None, **renamed)
        _write_folder_docs(entry, load(name), staging, samples, name)
        _replace_folder(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _write_folder_docs(entry, sampler, folder, samples, use):
    data = {"format": PRESET_FORMAT, "version": PRESET_VERSION, "written_by": f"keras-gan-zoo {__version__}",
            "entry": entry.to_json()}
    write_atomic(os.path.join(folder, PRESET_FILE), (json.dumps(data, indent=1) + "\n").encode())
    image = None
    if samples:
        feed, cols = sampler.grid_feed(samples, seed=0)
        save_grid(sampler.generate(**feed), os.path.join(folder, "samples.png"), cols=cols, scale=2)
        image = "samples.png"
    card = model_card(entry, samples=image, latent_dim=sampler.latent_dim, use=use)
    write_atomic(os.path.join(folder, "README.md"), card.encode())


def _replace_folder(staging, folder):
    """Moves the finished ``staging`` folder to ``folder``, replacing an old preset there."""
    if os.path.exists(folder):
        old = staging + ".old"
        os.rename(folder, old)
        os.rename(staging, folder)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(staging, folder)
