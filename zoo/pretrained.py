"""The pretrained zoo: a catalogue of trained generators, loaded in one line.

    >>> import zoo
    >>> zoo.list_pretrained()
    ['dcgan_mnist', ...]
    >>> g = zoo.load("dcgan_mnist")
    >>> g.generate(4, seed=0).shape
    (4, 28, 28, 1)
    >>> zoo.load("cgan_mnist").generate(8, labels=7, seed=0)   # eight 7s (conditional entries)

Every file is checked against the sha256 in ``CATALOGUE`` before it is opened,
and ``.keras`` files are loaded with Keras safe mode (no Lambda layers or other
deserialised Python code). Files live in ``zoo/weights/`` (small models, in the
repo) or are fetched from an entry's ``url`` into ``$GANZOO_HOME/weights`` with
``keras.utils.get_file``; an offline fetch fails with a message saying so.
"""

import dataclasses
import os

import keras

from zoo.errors import ConfigError, DatasetUnavailableError, ZooError, did_you_mean
from zoo.io import sha256_file as sha256_of
from zoo.sampling import Sampler

WEIGHTS_DIR = os.path.join(os.path.dirname(__file__), "weights")


class ChecksumError(ZooError):
    """A weights file whose sha256 is not the catalogue's: corrupt or tampered with."""


@dataclasses.dataclass(frozen=True)
class PretrainedEntry:
    name: str
    variant: str
    dataset: str
    image_shape: tuple
    file: str
    sha256: str
    command: str
    metrics: dict
    latent_distribution: str = "normal"
    url: str = None
    notes: str = ""


CATALOGUE = {
    "dcgan_mnist": PretrainedEntry(
        name="dcgan_mnist", variant="dcgan", dataset="mnist_embedded (10,000 real MNIST digits)",
        image_shape=(28, 28, 1), file="dcgan_mnist.generator.keras",
        sha256="0d2cd4401e7cf7c5f074e5b8e3c43915ee17e51bd15d73a34b748e9b79381e65",
        command="python -m recipes.train --recipe=dcgan_mnist --seed=0",
        metrics={"fid_inception": 33.38, "kid_inception": 0.01858, "precision": 0.375, "recall": 0.638,
                 "fcd_mnist_classifier": 34.76, "mnist_score": 6.09,
                 "metrics_note": "2,000 samples (seed 0) vs the first 2,000 MNIST test digits; "
                 "python benchmarks/quality.py --num=2000 (real MNIST train vs test at the same size: "
                 "FID 9.54, MNIST score of real digits 9.53)",
                 "confident_digit_fraction": 0.533},
        notes="20 epochs, latent 100, width 64; 3 min 20 s on 2 CPU cores.",
    ),
    "dcgan_fashion_mnist": PretrainedEntry(
        name="dcgan_fashion_mnist", variant="dcgan", dataset="fashion_mnist (60,000 train images)",
        image_shape=(28, 28, 1), file="dcgan_fashion_mnist.generator.keras",
        sha256="9eeffe657adc0b0e99e12e1646cacf431a6101aea7666e5bee2abd8fd61b59da",
        command="python -m recipes.fetch fashion_mnist && python -m recipes.train "
                "--recipe=dcgan_fashion_mnist --epochs=5 --seed=0",
        metrics={"confident_class_fraction": 0.321, "class_histogram_kl_to_uniform": 0.0114,
                 "confident_class_fraction_note": "share of 10,000 samples an 87.9%-accurate "
                 "Fashion-MNIST CNN classifies with p > 0.9 (real test images: 0.651); all 10 classes "
                 "produced",
                 "fid_inception": 45.60, "kid_inception": 0.02512, "precision": 0.449, "recall": 0.393,
                 "metrics_note": "2,000 samples (seed 0) vs the first 2,000 Fashion-MNIST test images; "
                 "python benchmarks/quality.py --num=2000"},
        notes="5 epochs (4,685 steps), latent 100, width 64; 5 min 11 s on 2 CPU cores.",
    ),
    # WGAN-GP as in Gulrajani et al. (5 critic steps, lambda 10, Adam(1e-4, 0.5, 0.9), layer-norm critic).
    "wgan_gp_fashion_mnist": PretrainedEntry(
        name="wgan_gp_fashion_mnist", variant="dcgan", dataset="fashion_mnist (60,000 train images)",
        image_shape=(28, 28, 1), file="wgan_gp_fashion_mnist.generator.keras",
        sha256="83eb8da2dc7c7711019b2a436f525c88478226f6b6a30c2be240aedcbe0bbec1",
        command="python -m recipes.fetch fashion_mnist && python -m recipes.train "
                "--recipe=wgan_gp_fashion_mnist --steps=5622 --seed=0",
        metrics={"fid_inception": 127.84, "kid_inception": 0.1068, "precision": 0.368, "recall": 0.014,
                 "density": 0.221, "coverage": 0.0725,
                 "metrics_note": "2,000 samples (seed 0) vs the first 2,000 Fashion-MNIST test images; "
                 "python -m recipes.evaluate --generator=wgan_gp_fashion_mnist --dataset=fashion_mnist "
                 "--metrics=fid,kid,pr --num_samples=2000 --num_real=2000 (dcgan_fashion_mnist: FID 45.6). "
                 "The same run stopped after 1 / 3 epochs gave FID 164.7 / 138.8: WGAN-GP improves slowly "
                 "per generator step, and this run is short"},
        notes="DCGAN networks (width 64, latent 100) with a layer-norm critic; 6 epochs = 5,622 generator and "
              "28,110 critic steps of 64 (the paper trains 200k generator steps); 37 min on 2 CPU cores, "
              "partly shared (about 5 min per epoch alone).",
    ),
    # Class-conditional: generate(n, labels=k). Accuracy = share of 1,000 samples per label (the same
    # latents, seed 0, for every label) that the zoo's MNIST classifier (99.5% on real test digits)
    # labels as requested: python benchmarks/conditional_accuracy.py runs/<name>.
    "cgan_mnist": PretrainedEntry(
        name="cgan_mnist", variant="cgan", dataset="mnist (60,000 train digits, with labels)",
        image_shape=(28, 28, 1), file="cgan_mnist.generator.keras",
        sha256="9affacdb300564db06177253bfa071e26832b0964d00a2495a303aa1bcbcb69f",
        command="python -m recipes.train --recipe=cgan_mnist --workdir=runs/cgan_mnist",
        metrics={"per_class_accuracy": {0: 1.0, 1: 1.0, 2: 0.97, 3: 0.992, 4: 0.997, 5: 0.994, 6: 0.999,
                                        7: 1.0, 8: 0.988, 9: 0.994},
                 "min_accuracy": 0.97, "mean_accuracy": 0.9934,
                 "samples_per_label": 1000, "seed": 0, "classifier": "mnist_cnn_v1-5dedcc18691d"},
        notes="CGAN: projection discriminator, label embedding (10-d) in G; 5 epochs (4,685 steps of 64), "
              "latent 100, width 64; 4 min 27 s on 2 shared CPU cores.",
    ),
    "acgan_mnist": PretrainedEntry(
        name="acgan_mnist", variant="acgan", dataset="mnist (60,000 train digits, with labels)",
        image_shape=(28, 28, 1), file="acgan_mnist.generator.keras",
        sha256="d9c8bd674a4b46f48568242193ff5fd5723ea96ed0d7c0e1ae99244f49d1ef6f",
        command="python -m recipes.train --recipe=acgan_mnist --workdir=runs/acgan_mnist",
        metrics={"per_class_accuracy": {0: 1.0, 1: 0.997, 2: 0.966, 3: 0.978, 4: 0.929, 5: 0.995, 6: 0.998,
                                        7: 1.0, 8: 0.913, 9: 0.952},
                 "min_accuracy": 0.913, "mean_accuracy": 0.9728,
                 "samples_per_label": 1000, "seed": 0, "classifier": "mnist_cnn_v1-5dedcc18691d"},
        notes="ACGAN: auxiliary class head, aux weight 1, D's aux term on real digits only "
              "(d_aux_fake=False); 5 epochs (4,685 steps of 64), latent 100, width 64; 4 min 3 s on 2 "
              "shared CPU cores.",
    ),
    # InfoGAN: generate(n, categorical=k, continuous=[c1, c2]); categorical value k draws mostly the digit
    # metrics["code_to_digit"][k] (an unsupervised model: the order of its codes is arbitrary).
    "infogan_mnist": PretrainedEntry(
        name="infogan_mnist", variant="infogan", dataset="mnist (60,000 train digits, labels unused)",
        image_shape=(28, 28, 1), file="infogan_mnist.generator.keras",
        sha256="cb750d1d21f6ee50f75c3e2ee5cc3efdfa87f1d93af527f35752a73dcf795fe9",
        command="python -m recipes.fetch mnist && python -m recipes.train --recipe=infogan_mnist --seed=2 "
                "--workdir=runs/infogan_mnist_seed2",
        metrics={"fid_inception": 19.53, "kid_inception": 0.00860, "precision": 0.670, "recall": 0.448,
                 "density": 0.608, "coverage": 0.554,
                 "metrics_note": "2,000 samples (seed 0, codes drawn uniformly) vs the first 2,000 MNIST test "
                 "digits; python -m recipes.evaluate --generator=runs/infogan_mnist_seed2 --dataset=mnist "
                 "--metrics=fid,kid,pr --num_samples=2000 --num_real=2000",
                 "code_agreement": 0.8962, "code_to_digit": [7, 3, 4, 0, 5, 6, 2, 1, 9, 8],
                 "code_purity": [0.998, 0.999, 0.561, 0.994, 0.982, 0.998, 0.983, 1.0, 0.546, 0.994],
                 "code_note": "python benchmarks/infogan_codes.py runs/infogan_mnist_seed2 (1,000 samples per "
                 "categorical value, MNIST classifier, best one-to-one matching); codes 2 and 8 mix 4 and 9; "
                 "seeds 0/1/3 of the same recipe reach 79.1/81.3/83.2%"},
        notes="InfoGAN with the paper's MNIST networks (fc_units=1024), latent 62, 10-valued categorical + 2 "
              "continuous codes; 5 epochs (4,685 steps of 64); 26-40 min on 2 CPU cores shared with other "
              "jobs. The best of 4 seeds. 26.6 MB (float32; the FC layers hold 6.5M weights).",
    ),
    # One of the image architectures: SAGAN (SN in G and D, self-attention at 14x14, hinge, TTUR).
    "sagan_fashion_mnist": PretrainedEntry(
        name="sagan_fashion_mnist", variant="sagan", dataset="fashion_mnist (60,000 train images)",
        image_shape=(28, 28, 1), file="sagan_fashion_mnist.generator.keras",
        sha256="ee7101a174df1a67ee1c787648723c7ed1d14316e34bbf130c66a9f8e9c72f47",
        command="python -m recipes.fetch fashion_mnist && python -m recipes.train "
                "--recipe=sagan_fashion_mnist --steps=1500 --seed=0",
        metrics={"fid_inception": 71.12, "kid_inception": 0.05221, "precision": 0.326, "recall": 0.184,
                 "density": 0.192, "coverage": 0.150,
                 "metrics_note": "2,000 samples (seed 0) vs the first 2,000 Fashion-MNIST test images; "
                 "python -m recipes.evaluate --generator=sagan_fashion_mnist --dataset=fashion_mnist "
                 "--metrics=fid,kid,pr --num_samples=2000 --num_real=2000 (the same protocol gives "
                 "dcgan_fashion_mnist FID 45.6: this short SAGAN run is worse)"},
        notes="SAGAN width 16 (the paper's 64), latent 128; 2 epochs (1,874 steps of 64); 25 min on 2 CPU "
              "cores shared with other jobs.",
    ),
}


class PretrainedGenerator(Sampler):
    """A loaded generator: ``generate(n | z, seed[, labels])``, ``latents(n, seed)``, the Keras ``model``.

    Class-conditional entries (``cgan_mnist``, ``acgan_mnist``) take ``labels=``: one class for
    every sample or one per sample (``num_classes`` says how many there are).
    """

    def __init__(self, model, entry):
        self.generator = self.model = model
        self.entry = entry
        self.latent_distribution = entry.latent_distribution

    @property
    def image_shape(self):
        return tuple(int(d) for d in self.model.outputs[0].shape[1:])

    def __repr__(self):
        classes = f", num_classes={self.num_classes}" if self.conditional else ""
        return (f"PretrainedGenerator({self.entry.name!r}, image_shape={self.image_shape}, "
                f"latent_dim={self.latent_dim}{classes})")


def list_pretrained():
    """Names of the catalogue's generators."""
    return sorted(CATALOGUE)


def describe(name):
    """The catalogue entry (variant, dataset, files, checksum, metrics, command)."""
    if name not in CATALOGUE:
        raise ConfigError(f"No pretrained generator named {name!r}." + did_you_mean(name, CATALOGUE))
    return CATALOGUE[name]


def _path_of(entry):
    local = os.path.join(WEIGHTS_DIR, entry.file)
    if os.path.exists(local):
        return local
    if not entry.url:
        raise DatasetUnavailableError(
            f"The weights of {entry.name!r} ({entry.file}) are missing from {WEIGHTS_DIR}: "
            "reinstall the package or `git checkout zoo/weights`."
        )
    cache = os.path.join(os.path.expanduser(os.environ.get("GANZOO_HOME") or "~/.cache/ganzoo"), "weights")
    try:
        return keras.utils.get_file(entry.file, entry.url, cache_dir=cache, cache_subdir=".")
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
    import zoo  # noqa: F401  (registers the zoo's classes and layers)
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


def load(name):
    """The pretrained generator ``name`` (see ``list_pretrained()``), checksum-verified."""
    entry = describe(name)
    model = load_generator_file(_path_of(entry), entry.sha256)
    return PretrainedGenerator(model, entry)


def export(name, out_dir, **kwargs):
    """``exports.export_generator`` for a pretrained generator (SavedModel / ONNX / LiteRT)."""
    import exports  # exports depends on zoo, so import it only when asked

    return exports.export_generator(load(name).model, out_dir, **{"name": name, **kwargs})
