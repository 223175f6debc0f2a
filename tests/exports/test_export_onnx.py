"""ONNX export: checker, opset, names, dynamic batch, parity in an ONNX-Runtime-only process,
and the edge example (NumPy + ONNX Runtime, no TensorFlow) that writes a PNG grid."""

import json
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import onnx
import pytest

import exports
import exports_testlib as lib
from exports import edge_example

EDGE_EXAMPLE = os.path.join(os.path.dirname(exports.__file__), "edge_example.py")

_ORT_ONLY_SCRIPT = """
import json, sys
import numpy as np
import onnxruntime as ort

jobs = json.loads(sys.argv[1])
report = {}
for job in jobs:
    session = ort.InferenceSession(job["path"], providers=["CPUExecutionProvider"])
    feeds = np.load(job["feeds"])
    batches = sorted({k.split("/")[0] for k in feeds.files})
    outputs = {}
    for b in batches:
        feed = {k.split("/")[1]: feeds[k] for k in feeds.files if k.startswith(b + "/")}
        outputs[b] = session.run(["images"], feed)[0]
    np.savez(job["out"], **outputs)
    report[job["path"]] = {
        "inputs": [[i.name, i.shape, i.type] for i in session.get_inputs()],
        "outputs": [[o.name, o.shape, o.type] for o in session.get_outputs()],
    }
report["tensorflow_imported"] = "tensorflow" in {m.split(".")[0] for m in sys.modules}
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def ort_only_run(tmp_path_factory):
    feeds = lib.parity_feeds()
    scratch = tmp_path_factory.mktemp("ort_only")
    jobs, models = [], {}
    for key, (out, manifest), model in (
        ("dcgan", lib.dcgan_export(tmp_path_factory), lib.dcgan_generator()),
        ("cond", lib.cond_export(tmp_path_factory), lib.cond_generator()),
    ):
        feed_path = scratch / f"{key}.npz"
        np.savez(feed_path, **{f"b{i}/{k}": v for i, f in enumerate(feeds[key]) for k, v in f.items()})
        job = {"path": str(out / manifest["artifacts"]["onnx"]["path"]), "feeds": str(feed_path),
               "out": str(scratch / f"{key}-out.npz")}
        jobs.append(job)
        models[key] = (job, model, feeds[key])
    return lib.last_json_line(lib.run_python(_ORT_ONLY_SCRIPT, json.dumps(jobs))), models


def test_onnx_model_passes_the_checker_with_named_io_and_opset(tmp_path_factory):
    for out, manifest in (lib.dcgan_export(tmp_path_factory), lib.cond_export(tmp_path_factory)):
        path = out / manifest["artifacts"]["onnx"]["path"]
        model = onnx.load(str(path))
        onnx.checker.check_model(model, full_check=True)
        opsets = {o.domain: o.version for o in model.opset_import}
        assert opsets[""] == 17 == manifest["artifacts"]["onnx"]["opset"]
        names = [i.name for i in model.graph.input]
        assert names == [t["name"] for t in manifest["inputs"]]
        assert [o.name for o in model.graph.output] == ["images"]
        for value in list(model.graph.input) + list(model.graph.output):
            assert value.type.tensor_type.shape.dim[0].dim_param == "batch"
    assert manifest["artifacts"]["onnx"]["inputs"] == [
        {"name": "z", "shape": [None, 8], "dtype": "float32"},
        {"name": "labels", "shape": [None], "dtype": "int32"},
    ]


def test_onnx_runtime_process_matches_keras_at_batch_5_and_1(ort_only_run):
    report, models = ort_only_run
    assert report["tensorflow_imported"] is False
    for key, (job, model, batches) in models.items():
        seen = report[job["path"]]
        assert [i[0] for i in seen["inputs"]] == [t.name for t in model.inputs]
        assert seen["outputs"][0][0] == "images" and seen["outputs"][0][2] == "tensor(float)"
        got = np.load(job["out"])
        for i, feed in enumerate(batches):
            expected = lib.keras_outputs(model, feed)
            assert got[f"b{i}"].shape == expected.shape
            np.testing.assert_allclose(got[f"b{i}"], expected, atol=1e-5, rtol=0)


def test_manifest_records_onnx_parity(tmp_path_factory):
    for _, manifest in (lib.dcgan_export(tmp_path_factory), lib.cond_export(tmp_path_factory)):
        assert 0 <= manifest["parity"]["max_abs_error"]["onnx"] <= 1e-4
        assert manifest["artifacts"]["onnx"]["parity_process"] == "onnxruntime"
        assert manifest["artifacts"]["onnx"]["runtime"].startswith("onnxruntime ")


def test_another_opset_from_a_keras_file(tmp_path, dcgan_keras_file):
    manifest = exports.export_generator(dcgan_keras_file, tmp_path / "out", formats=["onnx"], opset=13)
    model = onnx.load(str(tmp_path / "out" / "generator-v1.onnx"))
    assert {o.domain: o.version for o in model.opset_import}[""] == 13
    assert manifest["artifacts"]["onnx"]["opset"] == 13
    assert manifest["source"] == str(dcgan_keras_file)
    assert manifest["parity"]["max_abs_error"]["onnx"] <= 1e-4
    assert not (tmp_path / "out" / "generator").exists()  # no SavedModel asked for
    assert not (tmp_path / "out" / "models.config").exists()


@pytest.fixture
def dcgan_keras_file(tmp_path):
    path = tmp_path / "run" / "generator.keras"
    path.parent.mkdir()
    lib.dcgan_generator().save(path)
    return path


@pytest.mark.parametrize("opset", [12, 99, "17"])
def test_unsupported_opsets_are_refused(tmp_path, opset):
    with pytest.raises(exports.ExportError, match="opset"):
        exports.export_generator(lib.dcgan_generator(), tmp_path / "out", formats="onnx", opset=opset)
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- edge example


def _read_png(data):
    """(width, height, color type, pixel rows) of a PNG written with filter 0; checks every CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks.append((kind, body))
        pos += 12 + length
    assert [k for k, _ in chunks][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, color, *_ = struct.unpack(">IIBBBBB", chunks[0][1])
    assert depth == 8
    raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
    channels = {0: 1, 2: 3, 6: 4}[color]
    stride = 1 + width * channels
    assert len(raw) == height * stride
    rows = [raw[y * stride:(y + 1) * stride] for y in range(height)]
    assert all(r[0] == 0 for r in rows)
    pixels = np.frombuffer(b"".join(r[1:] for r in rows), np.uint8).reshape(height, width, channels)
    return width, height, color, pixels


def test_png_writer_round_trips_pixels():
    rng = np.random.default_rng(0)
    for channels, color in ((1, 0), (3, 2)):
        image = rng.integers(0, 256, size=(5, 7, channels)).astype(np.uint8)
        width, height, got_color, pixels = _read_png(edge_example.png_bytes(image))
        assert (width, height, got_color) == (7, 5, color)
        np.testing.assert_array_equal(pixels, image)


def test_grid_places_tiles_with_padding():
    images = np.stack([np.full((2, 3, 1), v, np.float32) for v in (-1.0, 1.0, 0.0)])
    grid = edge_example.to_grid(images, columns=2, pad=1)
    assert grid.shape == (1 + 2 * 3, 1 + 2 * 4, 1)
    assert grid[1, 1, 0] == 0 and grid[1, 5, 0] == 255 and grid[4, 1, 0] == 128
    assert grid[0].max() == 0  # padding


def test_edge_example_runs_without_tensorflow_and_writes_a_png(tmp_path_factory, tmp_path):
    out, manifest = lib.cond_export(tmp_path_factory)
    runs = [
        ([str(out), "--n", "6", "--labels", "3"], (6, 14, 14, 3)),  # an export directory
        ([str(out / manifest["artifacts"]["onnx"]["path"]), "--n", "1"], (1, 14, 14, 3)),  # a file
    ]
    for i, (args, shape) in enumerate(runs):
        png = tmp_path / f"grid{i}.png"
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        proc = subprocess.run([sys.executable, EDGE_EXAMPLE, "--model", *args, "--out", str(png), "--check"],
                              capture_output=True, text=True, timeout=120, cwd=str(tmp_path), env=env)
        assert proc.returncode == 0, proc.stderr[-2000:]
        modules = json.loads(proc.stdout.split("modules: ", 1)[1].splitlines()[0])
        assert modules["tensorflow"] is False and modules["keras"] is False
        assert modules["zoo"] is False and modules["exports"] is False and modules["onnxruntime"] is True
        n, h, w, c = shape
        columns = int(np.ceil(np.sqrt(n)))
        rows = int(np.ceil(n / columns))
        width, height, color, pixels = _read_png(png.read_bytes())
        assert (width, height, color) == (columns * (w + 2) + 2, rows * (h + 2) + 2, 2)
        assert pixels.std() > 10  # real images, not a blank grid


def test_edge_example_images_match_keras(tmp_path_factory):
    out, manifest = lib.cond_export(tmp_path_factory)
    import onnxruntime as ort

    session = ort.InferenceSession(str(out / manifest["artifacts"]["onnx"]["path"]),
                                   providers=["CPUExecutionProvider"])
    classes = {t["name"]: t["num_classes"] for t in manifest["inputs"] if "num_classes" in t}
    assert classes == {"labels": 10}
    feeds = edge_example.make_feeds(session, 12, seed=1, classes=classes)
    assert feeds["labels"].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    images = session.run(["images"], feeds)[0]
    np.testing.assert_allclose(images, lib.keras_outputs(lib.cond_generator(), feeds), atol=1e-5)
