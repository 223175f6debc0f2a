"""Bad input at every public entry point: one table row per input, each asserting the error type AND a
message that names the argument and what is expected.

Entry points: model constructors and configs (``zoo.build_variant``, ``GAN.compile``,
``recipes.registry.make_config``), ``GAN.fit`` data, ``generate``, the data layer
(``recipes.resolve_source`` / ``load_dataset``), ``recipes.train.run`` (replicas, workdir),
``exports.export_generator``, ``zoo.load`` and the evaluation API. The CLIs are in
``test_cli_errors.py``. Rows marked xfail(strict=True) are known gaps in files owned by other
work in progress; each reason names the gap and the fix.
"""

import os
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import exports
import zoo
from exports.errors import ExportError
from recipes.data import load_dataset, resolve_source
from recipes.registry import make_config, parse_overrides
from recipes.train import RunError, run
from zoo import pretrained
from zoo.errors import ConfigError, DataError, DatasetUnavailableError, ZooError

SHAPE = (28, 28, 1)
TINY = dict(image_shape=SHAPE, latent_dim=8, width=4)


def dcgan(**options):
    return zoo.build_variant("dcgan", **{**TINY, **options})


class Ctx:
    """What a row may use: tiny compiled models (built once per module), tmp_path, monkeypatch."""

    def __init__(self, models, tmp_path, monkeypatch, mirrored):
        self.tmp, self.monkeypatch, self.mirrored = tmp_path, monkeypatch, mirrored
        self.__dict__.update(models)

    def images(self, n=8, shape=SHAPE, low=-1.0, high=1.0):
        return np.random.default_rng(0).uniform(low, high, (n, *shape)).astype("float32")

    def file(self, name, data=b"x"):
        path = self.tmp / name
        path.write_bytes(data)
        return str(path)


@pytest.fixture(scope="module")
def models():
    keras.utils.set_random_seed(0)
    gan = dcgan()
    gan.compile()
    cgan = zoo.build_variant("cgan", **TINY, num_classes=10)
    cgan.compile()
    return {"gan": gan, "cgan": cgan}


@pytest.fixture
def ctx(models, tmp_path, monkeypatch, mirrored):
    return Ctx(models, tmp_path, monkeypatch, mirrored)


U8 = np.zeros((5, 8, 8, 1), np.uint8)


def _floats(value=0.0, nan_at=None):
    x = np.full((5, 8, 8, 1), value, np.float32)
    if nan_at is not None:
        x[0, 0, 0, 0] = nan_at
    return x


def _fit(c, x, y=None, model="gan", **kw):
    return getattr(c, model).fit(x, y, epochs=1, verbose=0, **kw)


def _poke(x, index, value):
    x[index] = value
    return x


def _ds(x, batch=4):
    ds = tf.data.Dataset.from_tensor_slices(x)
    return ds.batch(batch) if batch else ds


def _fit_mirrored(c, batch, drop_remainder=True, arrays=False, n=10):
    with c.mirrored.scope():
        gan = dcgan()
        gan.compile()
    if arrays:
        return gan.fit(c.images(n), batch_size=batch, epochs=1, verbose=0)
    data = tf.data.Dataset.from_tensor_slices(c.images(10)).batch(batch, drop_remainder=drop_remainder)
    return gan.fit(data, epochs=1, verbose=0)


def _run(c, workdir=None, strategy="default", config=None, **overrides):
    config = config or make_config("dcgan_mnist", {"steps": 1, "batch_size": 8, "samples": 4, "latent_dim": 8,
                                                   "width": 4, **overrides})
    return run(config, workdir or str(c.tmp / "run"), strategy=strategy, verbose=0)


def _run_without_tf_config(c):
    c.monkeypatch.delenv("TF_CONFIG", raising=False)
    return _run(c, strategy="multi_worker")


def _two_replicas(c):
    import recipes.strategy

    c.monkeypatch.setattr(recipes.strategy, "make_strategy", lambda name="auto", tpu=None: c.mirrored)
    return _run(c, strategy="mirrored", batch_size=5)


def _export(c, generator=None, **kw):
    return exports.export_generator(c.gan.generator if generator is None else generator, c.tmp / "out", **kw)


def _tampered_load(c, truncate=False):
    entry = zoo.describe("dcgan_mnist")
    data = bytearray(open(os.path.join(pretrained.WEIGHTS_DIR, entry.file), "rb").read())
    if truncate:
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0x01  # one bit
    c.file(entry.file, bytes(data))
    c.monkeypatch.setattr(pretrained, "WEIGHTS_DIR", str(c.tmp))
    return zoo.load("dcgan_mnist")


def _lambda_keras(c):
    z = keras.Input((4,), name="z")
    path = str(c.tmp / "evil.keras")
    keras.Model(z, keras.layers.Lambda(lambda t: t * 2.0)(z)).save(path)
    return pretrained.load_keras_file(path)


def _evaluate(c, **kw):
    from recipes.evaluate import evaluate_generator

    return evaluate_generator(c.gan.generator, **{"extractor": "mnist", "metrics": "fid", "num_samples": 4,
                                                  "num_real": 4, **kw})


def row(id, call, error, message, gap=None, raises=None):
    marks = () if gap is None else pytest.mark.xfail(strict=True, raises=raises, reason=gap)
    return pytest.param(call, error, message, id=id, marks=marks)


ROWS = [
    # ------------------------------------------------ constructors and configs
    row("variant-unknown", lambda c: zoo.build_variant("nope"), ConfigError,
        r"Unknown GAN variant 'nope'\. Known: .*dcgan"),
    row("variant-unknown-option", lambda c: dcgan(bogus=1), ConfigError,
        r"Variant 'dcgan' has no option\(s\) \['bogus'\]\. Its options: .*latent_dim"),
    row("image_shape-rank", lambda c: dcgan(image_shape=(28, 28)), ConfigError,
        r"image_shape must be \(height, width, channels\) of positive integers.*got \(28, 28\)"),
    row("image_shape-size", lambda c: dcgan(image_shape=(27, 27, 1)), ConfigError,
        r"DCGAN cannot build images of shape \(27, 27, 1\): height and width must be s \* 2\*\*n"),
    row("latent_dim-zero", lambda c: dcgan(latent_dim=0), ConfigError,
        r"latent_dim must be a positive integer; got 0"),
    row("width-string", lambda c: dcgan(width="8"), ConfigError, r"width must be a positive integer; got '8'"),
    row("loss-unknown", lambda c: dcgan(loss="nope"), ConfigError, r"Unknown loss 'nope'\. Known: .*non_saturating"),
    row("latent_distribution", lambda c: dcgan(latent_distribution="cauchy"), ConfigError,
        r"latent_distribution must be one of \('normal', 'uniform'\); got 'cauchy'"),
    row("d_steps-zero", lambda c: dcgan(d_steps=0), ConfigError, r"d_steps must be an integer >= 1; got 0"),
    row("penalty-unknown", lambda c: dcgan(penalty="nope"), ConfigError,
        r"Unknown penalty 'nope'\. Known: dragan, r1, wgan_gp"),
    row("label_smoothing-range", lambda c: dcgan(label_smoothing=1.5), ConfigError,
        r"label_smoothing must be a number in \[0\.0, 1\.0\) \(NaN and Inf are not\); got 1\.5"),
    row("ema_decay-range", lambda c: dcgan(ema_decay=1.5), ConfigError,
        r"ema_decay must be None \(no weight averaging\) or a number in \[0, 1\).*got 1\.5"),
    row("d_norm-unknown", lambda c: dcgan(d_norm="group"), ConfigError,
        r"norm must be one of \('batch', 'layer', None\); got 'group'"),
    row("num_classes-zero", lambda c: zoo.build_variant("cgan", **TINY, num_classes=0), ConfigError,
        r"num_classes must be a positive integer; got 0"),
    row("pack-zero", lambda c: dcgan(pack=0), ConfigError, r"pack must be an integer >= 1; got 0"),
    row("seed-string", lambda c: dcgan(seed="x"), ConfigError, r"seed must be None or an integer in \[0, 4294967295\]; got 'x'"),
    row("compile-optimizer", lambda c: dcgan().compile(d_optimizer="nope"), ConfigError,
        r"d_optimizer='nope' is not a Keras optimizer"),
    row("config-recipe-unknown", lambda c: make_config("nope"), ConfigError,
        r"Unknown recipe 'nope'\. Known: .*dcgan_mnist"),
    row("config-key-unknown", lambda c: make_config("dcgan_mnist", {"bogus": 1}), ConfigError,
        r"Unknown config key 'bogus' for recipe 'dcgan_mnist'\. Training keys: .*batch_size.*"
        r"Options of variant 'dcgan': .*width"),
    row("config-type", lambda c: make_config("dcgan_mnist", {"epochs": "ten"}), ConfigError,
        r"Config key 'epochs' must be int; got 'ten' \(str\)"),
    row("config-bool-for-int", lambda c: make_config("dcgan_mnist", {"image_size": True}), ConfigError,
        r"Config key 'image_size' must be None or int; got True \(bool\)"),
    row("config-batch_size-zero", lambda c: make_config("dcgan_mnist", {"batch_size": 0}), ConfigError,
        r"Config key 'batch_size' must be positive; got 0"),
    row("config-beta_1-range", lambda c: make_config("dcgan_mnist", {"beta_1": 1.0}), ConfigError,
        r"Config key 'beta_1' must be in \[0, 1\); got 1\.0"),
    row("config-optimizer", lambda c: make_config("dcgan_mnist", {"optimizer": "sgd"}), ConfigError,
        r"Config key 'optimizer' must be one of \('adam', 'rmsprop'\); got 'sgd'"),
    row("config-variant-unknown", lambda c: make_config("dcgan_mnist", {"variant": "nope"}), ConfigError,
        r"Unknown GAN variant 'nope'\. Known: "),
    row("config-model-dict", lambda c: make_config("dcgan_mnist", {"model": {"width": 4}}), ConfigError,
        r"Override the variant's options one by one \(e\.g\. width=32\), not model="),
    row("config-override-syntax", lambda c: parse_overrides(["width"]), ConfigError,
        r"A config override is key=value; got 'width'"),
    # ------------------------------------------------ fit data
    row("fit-before-compile", lambda c: dcgan().fit(c.images()), ConfigError, r"Call compile\(\) before fit\(\)"),
    row("fit-image-size", lambda c: _fit(c, c.images(shape=(32, 32, 1))), DataError,
        r"The images have shape \(32, 32, 1\)\. This model makes images of shape \(28, 28, 1\)"),
    row("fit-channels", lambda c: _fit(c, c.images(shape=(28, 28, 3))), DataError,
        r"The images have shape \(28, 28, 3\)\. This model makes images of shape \(28, 28, 1\)"),
    row("fit-rank", lambda c: _fit(c, c.images()[..., 0]), DataError,
        r"fit\(\) expects NHWC images \(rank 4\); got an array of shape \(8, 28, 28\)"),
    row("fit-uint8", lambda c: _fit(c, np.zeros((8, *SHAPE), np.uint8)), DataError,
        r"The images are uint8; the GAN trains on floats in \[-1, 1\]\. Scale them with x / 127\.5 - 1"),
    row("fit-range-0-255", lambda c: _fit(c, c.images(low=0, high=255)), DataError,
        r"x has pixel values in \[[0-9.]+, 255\] but the GAN trains on \[-1, 1\]"),
    row("fit-nan", lambda c: _fit(c, _poke(c.images(), (3, 0, slice(None), 0), np.nan)), DataError,
        r"x contains 28 NaN/Inf values; clean or drop those samples"),
    row("fit-inf", lambda c: _fit(c, _poke(c.images(), (7,), np.inf)), DataError, r"x contains 784 NaN/Inf values"),
    row("fit-dataset-unbatched", lambda c: _fit(c, _ds(c.images(), batch=None)), DataError,
        r"the dataset yields shape \(28, 28, 1\)\. Call dataset\.batch\(batch_size\) first"),
    row("fit-dataset-uint8", lambda c: _fit(c, _ds(np.zeros((8, *SHAPE), np.uint8))), DataError,
        r"The dataset yields uint8 images; the GAN trains on floats in \[-1, 1\]"),
    row("fit-dataset-dict", lambda c: _fit(c, _ds({"image": c.images()})), DataError,
        r"expects a dataset of images or \(images, labels\) tuples.*Map dict elements to tuples first"),
    row("fit-no-data", lambda c: c.gan.fit(None), DataError, r"fit\(\) needs training images"),
    row("fit-labels-missing", lambda c: _fit(c, c.images(), model="cgan"), DataError,
        r"CGAN needs the class labels: .*with_labels=True\) or call fit\(images, labels\)"),
    row("fit-labels-range", lambda c: _fit(c, c.images(), np.full(8, 12, np.int32), "cgan", batch_size=4),
        DataError, r"labels must lie in \[0, 9\] \(10 classes\); got values in \[12, 12\]"),
    row("fit-labels-shape", lambda c: _fit(c, c.images(), np.zeros((8, 3), np.int32), "cgan", batch_size=4),
        DataError, r"labels must hold one integer class per image \(8\); got shape \(8, 3\)"),
    row("fit-labels-float", lambda c: _fit(c, c.images(), np.full(8, 0.5, np.float32), "cgan", batch_size=4),
        DataError, r"labels must be integer class indices; got float32"),
    row("fit-batch-vs-replicas", lambda c: _fit_mirrored(c, batch=5), DataError,
        r"2 replicas got a batch of 5, which does not split evenly.*drop_remainder=True"),
    row("fit-array-last-batch-vs-replicas", lambda c: _fit_mirrored(c, batch=4, arrays=True, n=9), DataError,
        r"2 replicas got a batch of 1, which does not split evenly.*drop the last partial batch"),
    # ------------------------------------------------ generate
    row("generate-z-size", lambda c: c.gan.generate(z=np.zeros((2, 7))), DataError,
        r"z must have shape \(n, 8\); got \(2, 7\)"),
    row("generate-z-rank", lambda c: c.gan.generate(z=np.zeros(8)), DataError, r"z must have shape \(n, 8\); got \(8,\)"),
    row("generate-z-nan", lambda c: c.gan.generate(z=np.full((2, 8), np.nan)), DataError,
        r"z must be finite numbers \(no NaN or Inf\)"),
    row("generate-n-zero", lambda c: c.gan.generate(0), DataError,
        r"n must be a positive integer number of samples; got 0"),
    row("generate-n-float", lambda c: c.gan.generate(2.5), DataError,
        r"n must be a positive integer number of samples; got 2\.5"),
    row("generate-n-and-z", lambda c: c.gan.generate(2, z=np.zeros((2, 8))), DataError,
        r"generate\(\) takes exactly one of n \(a number of samples\) or z \(latents\)"),
    row("generate-labels-unconditional", lambda c: c.gan.generate(2, labels=[0, 1]), DataError,
        r"This generator is not conditional \(it has no 'labels' input\)"),
    row("generate-labels-range", lambda c: c.cgan.generate(2, labels=10), DataError,
        r"labels must lie in \[0, 9\] \(this generator has 10 classes\); got \[10, 10\]"),
    row("generate-labels-count", lambda c: c.cgan.generate(4, labels=[0, 1]), DataError,
        r"labels must be one integer or an array of 4 integers \(one per sample\); got shape \(2,\)"),
    row("generate-labels-float", lambda c: c.cgan.generate(2, labels=[0.5, 1]), DataError,
        r"labels must be integer class indices \(0 to 9\); got float64 values \[0\.5, 1\.0\]"),
    # ------------------------------------------------ the data layer
    row("data-channels", lambda c: resolve_source(np.zeros((5, 8, 8, 2), np.uint8)), DataError,
        r"images must be an array of shape \(n, height, width\[, channels\]\) with 1, 3 or 4 channels.*"
        r"got shape \(5, 8, 8, 2\)"),
    row("data-rank", lambda c: resolve_source(np.zeros((5, 8), np.uint8)), DataError,
        r"images must be an array of shape \(n, height, width\[, channels\]\).*got shape \(5, 8\)"),
    row("data-float-undeclared", lambda c: resolve_source(_floats()), DataError,
        r"images are floats: declare their range with value_range=\(0, 1\), \(0, 255\) or \(-1, 1\)"),
    row("data-range-not-minus1-1", lambda c: resolve_source(_floats(255.0), value_range=(-1, 1)), DataError,
        r"images were declared in value_range=\(-1, 1\) but hold values in \[255, 255\]"),
    row("data-range-not-0-255", lambda c: resolve_source(_floats(-1.0), value_range=(0, 255)), DataError,
        r"images were declared in value_range=\(0, 255\) but hold values in \[-1, -1\]"),
    row("data-int-out-of-255", lambda c: resolve_source(np.full((5, 8, 8, 1), 300, np.int16)), DataError,
        r"integer images must be pixels in \[0, 255\]; got values in \[300, 300\]"),
    row("data-int-with-range", lambda c: resolve_source(U8, value_range=(-1, 1)), DataError,
        r"images are integers, which are read as pixels in \[0, 255\]; value_range=\(-1, 1\) is not allowed"),
    row("data-dtype-bool", lambda c: resolve_source(np.zeros((5, 8, 8, 1), bool)), DataError,
        r"images must be uint8 or float; got dtype bool"),
    row("data-nan", lambda c: resolve_source(_floats(nan_at=np.nan), value_range=(-1, 1)), DataError,
        r"images contain 1 NaN/Inf pixel values"),
    row("data-inf", lambda c: resolve_source(_floats(nan_at=-np.inf), value_range=(0, 1)), DataError,
        r"images contain 1 NaN/Inf pixel values"),
    row("data-value_range-order", lambda c: resolve_source(_floats(), value_range=(1, 0)), DataError,
        r"value_range must have low < high; got \(1, 0\)"),
    row("data-labels-range", lambda c: resolve_source(U8, labels=[0, 1, 2, 3, 10], num_classes=10), DataError,
        r"labels must lie in \[0, 9\]; got values in \[0, 10\]"),
    row("data-labels-negative", lambda c: resolve_source(U8, labels=[0, 1, 2, 3, -1]), DataError,
        r"labels must lie in \[0, num_classes - 1\]; got values in \[-1, 3\]"),
    row("data-labels-count", lambda c: resolve_source(U8, labels=[0, 1, 2, 3]), DataError,
        r"labels must be a vector with one integer class per image \(5\); got shape \(4,\)"),
    row("data-labels-2d", lambda c: resolve_source(U8, labels=np.zeros((5, 2), int)), DataError,
        r"labels must be a vector with one integer class per image \(5\); got shape \(5, 2\)"),
    row("data-labels-float", lambda c: resolve_source(U8, labels=[0.5, 1, 2, 3, 4]), DataError,
        r"labels must be integer class indices; got float64 values"),
    row("data-labels-strings", lambda c: resolve_source(U8, labels=list("abcde")), DataError,
        r"labels must be integer class indices"),
    row("data-unknown-name", lambda c: resolve_source("nope_dataset"), DataError,
        r"Unknown dataset 'nope_dataset'\. Use one of mnist_embedded, mnist, fashion_mnist, a TFDS name"),
    row("data-missing-npz", lambda c: resolve_source(str(c.tmp / "missing.npz")), DataError,
        r"No such file: .*missing\.npz"),
    row("data-not-a-source", lambda c: resolve_source(123), DataError,
        r"A dataset source is a name, a path or an array; got int"),
    row("data-split", lambda c: resolve_source("mnist_embedded", "validation"), DataError,
        r"Dataset 'mnist_embedded' has splits \('train', 'test'\); got split='validation'"),
    row("data-not-fetched", lambda c: resolve_source("fashion_mnist", cache_dir=str(c.tmp)),
        DatasetUnavailableError,
        r"Dataset 'fashion_mnist' is not on this machine\. Fetch it once with `python -m recipes\.fetch "
        r"fashion_mnist`"),
    row("data-batch_size-zero", lambda c: load_dataset(U8, batch_size=0), DataError,
        r"batch_size must be a positive integer; got 0"),
    row("data-batch-larger-than-data", lambda c: load_dataset(U8, batch_size=6), DataError,
        r"batch_size=6 is larger than the 5 examples of 'arrays'/train: use a smaller batch or "
        r"drop_remainder=False"),
    row("data-channels-option", lambda c: load_dataset(U8, batch_size=2, channels=2), DataError,
        r"channels must be 1 \(grey\) or 3 \(RGB\); got 2"),
    row("data-image_size", lambda c: load_dataset(U8, batch_size=2, image_size=0), DataError,
        r"image_size must be positive; got 0"),
    row("data-with_labels-unlabelled", lambda c: load_dataset(U8, batch_size=2, with_labels=True), DataError,
        r"Dataset 'arrays' has no labels; use with_labels=False"),
    # ------------------------------------------------ recipes.train.run: replicas and workdir
    row("run-batch-vs-2-replicas", _two_replicas, RunError,
        r"batch_size=5 does not split across 2 replicas: use a multiple of the replica count"),
    row("run-workdir-unwritable", lambda c: _run(c, workdir=os.path.join(c.file("a_file"), "run")), RunError,
        r"The workdir '.*a_file/run' cannot be written \(Not a directory\)\. Pass --workdir= a directory"),
    row("run-strategy-unknown", lambda c: _run(c, strategy="horovod"), ConfigError,
        r"Unknown strategy 'horovod'; choose one of auto, default, one_device, mirrored, multi_worker, tpu"),
    row("run-multi-worker-without-tf-config", lambda c: _run_without_tf_config(c), ConfigError,
        r"--strategy=multi_worker needs the TF_CONFIG environment variable"),
    row("run-config-not-a-TrainConfig", lambda c: _run(c, config={"variant": "dcgan"}), ConfigError,
        r"config must be a TrainConfig"),
    # ------------------------------------------------ exports
    row("export-format-unknown", lambda c: _export(c, formats=("onnx", "caffe")), ExportError,
        r"Unknown export format\(s\) 'caffe': valid formats are saved_model, onnx, litert"),
    row("export-formats-empty", lambda c: _export(c, formats=()), ExportError,
        r"formats must name at least one of saved_model, onnx, litert .*got \(\)"),
    row("export-formats-not-a-list", lambda c: _export(c, formats=3), ExportError,
        r"formats must name at least one of saved_model, onnx, litert .*got 3\."),
    row("export-name-traversal", lambda c: _export(c, name="../evil"), ExportError,
        r"name must start with a letter and hold only letters, digits, '_' and '-'.*got '\.\./evil'"),
    row("export-version-zero", lambda c: _export(c, version=0), ExportError,
        r"version must be a positive integer \(TF Serving serves numbered versions\); got 0"),
    row("export-version-string", lambda c: _export(c, version="2"), ExportError,
        r"version must be a positive integer .*got '2'"),
    row("export-opset", lambda c: _export(c, formats="onnx", opset=5), ExportError,
        r"ONNX opset 5 is not supported here: use one from 13 to 18"),
    row("export-not-a-generator", lambda c: _export(c, generator=c.gan.discriminator), ExportError,
        r"Model 'discriminator' is not a generator: its output has shape \(None, 1\)"),
    row("export-generator-type", lambda c: _export(c, generator=42), ExportError,
        r"generator must be a keras\.Model, a path to a \.keras file or a recipe workdir; got int"),
    row("export-generator-missing", lambda c: _export(c, generator=str(c.tmp / "missing.keras")), ExportError,
        r"'.*missing\.keras' does not exist: pass a \.keras file or a recipe workdir"),
    row("export-out-is-a-file", lambda c: exports.export_generator(c.gan.generator, c.file("out")), ExportError,
        r"The output path '.*out' exists and is not a directory"),
    row("export-serving_base_path", lambda c: _export(c, serving_base_path="models"), ExportError,
        r"serving_base_path must be an absolute path; got 'models'"),
    # ------------------------------------------------ zoo.load and .keras files
    row("load-unknown-name", lambda c: zoo.load("dcgan_mnst"), ConfigError,
        r"No pretrained generator or preset folder named 'dcgan_mnst'\. Known: .*dcgan_mnist"),
    row("load-corrupted-bit", _tampered_load, pretrained.ChecksumError,
        r"dcgan_mnist\.generator\.keras has sha256 [0-9a-f]{64}, but the zoo expects "
        + pretrained.CATALOGUE["dcgan_mnist"].sha256 + ": the file is corrupt or was modified"),
    row("load-truncated", lambda c: _tampered_load(c, truncate=True), pretrained.ChecksumError,
        r"has sha256 [0-9a-f]{64}, but the zoo expects " + pretrained.CATALOGUE["dcgan_mnist"].sha256),
    row("keras-file-suffix", lambda c: pretrained.load_keras_file(c.file("model.h5")), ConfigError,
        r"'.*model\.h5' is not a \.keras file"),
    row("keras-file-garbage", lambda c: pretrained.load_keras_file(c.file("bad.keras", b"not a zip")), ZooError,
        r"Could not load .*bad\.keras: it is not a valid \.keras file"),
    row("keras-file-python-code", _lambda_keras, ZooError,
        r"Refusing to load .*evil\.keras: it contains Python code \(e\.g\. a Lambda layer\)"),
    # ------------------------------------------------ evaluation
    row("evaluate-metric-unknown", lambda c: _evaluate(c, metrics="fid,foo"), ConfigError,
        r"Unknown metric 'foo'\. Known: fid, is, kid, pr, stacked_modes"),
    row("evaluate-extractor-unknown", lambda c: _evaluate(c, extractor="nope"), ConfigError,
        r"Unknown feature extractor 'nope'"),
    row("evaluate-num_real-zero", lambda c: _evaluate(c, num_real=0), ConfigError,
        r"num_real must be a positive integer; got 0"),
    row("evaluate-num_samples-zero", lambda c: _evaluate(c, num_samples=0), ConfigError,
        r"num_samples must be a positive integer; got 0"),
]


@pytest.mark.parametrize("call, error, message", ROWS)
def test_bad_input_is_refused_with_a_message_that_says_what_is_expected(ctx, call, error, message):
    with pytest.raises(error, match=message) as info:
        call(ctx)
    text = str(info.value)
    assert "\n" not in text.strip(), "one line"
    assert not re.search(r"Traceback|File \"", text)


def test_the_table_is_large_enough():
    working = [r for r in ROWS if not r.marks]
    assert len(working) >= 40, len(working)
    assert len({r.id for r in ROWS}) == len(ROWS)
