"""Run an exported generator with only NumPy and ONNX Runtime, and save a PNG grid.

    pip install numpy onnxruntime
    python exports/edge_example.py --model exported/generator-v1.onnx --out grid.png
    python exports/edge_example.py --model exported --n 16 --seed 3 --out grid.png   # an export dir
    python exports/edge_example.py --model exported --labels 7 --out sevens.png      # conditional

No TensorFlow, Keras or zoo code is needed: copy this one file next to the
``.onnx`` file. ``--model`` is an ``.onnx`` file or an export directory (its
``manifest.json`` names the ``.onnx`` file and the class count of integer inputs).
Float inputs (``z``, ``codes``) are drawn from N(0, 1) with ``--seed``; integer
inputs (``labels``) are ``--labels`` or 0, 1, 2, ... cycling over the classes.
``--check`` prints which heavy modules were imported and fails if TensorFlow was.
"""

import argparse
import json
import os
import struct
import sys
import zlib

# Run as a script, this file's folder (exports/) comes first on sys.path; drop it so
# that nothing in the zoo's package can shadow or be mistaken for an installed module.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

_NUMPY_TYPES = {"tensor(float)": np.float32, "tensor(int32)": np.int32, "tensor(int64)": np.int64}


def find_model(path):
    """``(onnx path, {input name: class count})`` for an ``.onnx`` file or an export directory."""
    if os.path.isdir(path):
        manifest_path = os.path.join(path, "manifest.json")
        if not os.path.isfile(manifest_path):
            raise SystemExit(f"error: {path!r} has no manifest.json; pass the .onnx file itself.")
        with open(manifest_path) as f:
            manifest = json.load(f)
        if "onnx" not in manifest.get("artifacts", {}):
            raise SystemExit(f"error: the export in {path!r} has no ONNX model (formats: "
                             f"{manifest.get('formats')}); export it with --formats=onnx.")
        classes = {t["name"]: t["num_classes"] for t in manifest["inputs"] if "num_classes" in t}
        return os.path.join(path, manifest["artifacts"]["onnx"]["path"]), classes
    if not os.path.isfile(path):
        raise SystemExit(f"error: {path!r} does not exist; pass an .onnx file or an export directory.")
    return path, {}


def make_feeds(session, n, seed, labels=None, classes=None):
    """Inputs for ``n`` images: N(0, 1) floats, class indices for integer inputs."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for value in session.get_inputs():
        dtype = _NUMPY_TYPES.get(value.type)
        if dtype is None:
            raise SystemExit(f"error: input {value.name!r} has type {value.type}, which this example "
                             "does not know how to fill.")
        shape = [n] + [int(d) for d in value.shape[1:]]
        if np.issubdtype(dtype, np.integer):
            if labels is not None:
                ids = np.full(n, labels)
            else:
                ids = np.arange(n) % int((classes or {}).get(value.name, 10))
            feeds[value.name] = np.broadcast_to(ids.reshape([n] + [1] * (len(shape) - 1)),
                                                shape).astype(dtype)
        else:
            feeds[value.name] = rng.standard_normal(shape).astype(dtype)
    return feeds


def to_grid(images, columns=None, pad=2):
    """NHWC images in [-1, 1] -> one uint8 (H, W, C) grid with ``pad`` pixels between tiles."""
    n, h, w, c = images.shape
    columns = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    pixels = np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8)
    grid = np.zeros((rows * (h + pad) + pad, columns * (w + pad) + pad, c), np.uint8)
    for i in range(n):
        r, col = divmod(i, columns)
        top, left = pad + r * (h + pad), pad + col * (w + pad)
        grid[top:top + h, left:left + w] = pixels[i]
    return grid


def png_bytes(image):
    """A PNG file (8-bit greyscale, RGB or RGBA) for a uint8 (H, W) or (H, W, C) array."""
    image = np.asarray(image, np.uint8)
    if image.ndim == 2:
        image = image[:, :, None]
    height, width, channels = image.shape
    if channels not in (1, 3, 4):
        image = image[:, :, :1] if channels == 2 else image[:, :, :3]
        channels = image.shape[2]
    color_type = {1: 0, 3: 2, 4: 6}[channels]

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    # Each scanline is prefixed by its filter type (0: none).
    raw = b"".join(b"\x00" + image[y].tobytes() for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="an .onnx file or an export directory")
    parser.add_argument("--out", default="samples.png", help="the PNG grid to write")
    parser.add_argument("--n", type=int, default=16, help="how many images")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latent vectors")
    parser.add_argument("--labels", type=int, default=None, help="one class index for every image")
    parser.add_argument("--check", action="store_true",
                        help="print the heavy modules imported; fail if TensorFlow was")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")

    path, classes = find_model(args.model)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = make_feeds(session, args.n, args.seed, args.labels, classes)
    images = session.run(["images"], feeds)[0]
    with open(args.out, "wb") as f:
        f.write(png_bytes(to_grid(images)))
    print(f"Wrote {args.n} images of shape {images.shape[1:]} to {args.out}")
    if args.check:
        loaded = {name.split(".")[0] for name in sys.modules}
        report = {m: m in loaded for m in ("tensorflow", "keras", "zoo", "exports", "onnxruntime")}
        print("modules: " + json.dumps(report))
        if report["tensorflow"] or report["keras"] or report["zoo"] or report["exports"]:
            raise SystemExit("error: the edge example imported TensorFlow/Keras/zoo code.")


if __name__ == "__main__":
    main()
