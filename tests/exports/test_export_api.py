"""export_generator: the manifest, file hashes, atomic placement, overwrite rules, validation,
and failure when an artifact does not reproduce Keras."""

import hashlib
import json
import os
import shutil

import keras
import numpy as np
import onnx
import pytest

import exports
import exports_testlib as lib
import zoo
from exports import onnx_export


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _all_files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- manifest


def test_manifest_content(tmp_path_factory):
    out, manifest = lib.cond_export(tmp_path_factory)
    assert manifest["name"] == "cond" and manifest["version"] == 3
    assert manifest["formats"] == ["saved_model", "onnx", "litert"]
    assert manifest["inputs"] == [
        {"name": "z", "shape": [None, 8], "dtype": "float32"},
        {"name": "labels", "shape": [None], "dtype": "int32", "num_classes": 10},
    ]
    assert manifest["outputs"] == [{"name": "images", "shape": [None, 14, 14, 3], "dtype": "float32"}]
    assert manifest["artifacts"]["onnx"]["opset"] == 17
    assert set(manifest["parity"]["max_abs_error"]) == {
        "saved_model", "saved_model_uint8", "onnx", "litert", "litert_fp16"}
    for key, error in manifest["parity"]["max_abs_error"].items():
        assert error <= manifest["parity"]["tolerance"][key]
    assert manifest["parity"]["batch_sizes"] == [5, 1]
    for package in ("tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime"):
        assert manifest["versions"][package], package
    assert manifest["versions"]["tensorflow"] == __import__("tensorflow").__version__
    # The written manifests are the returned one.
    assert json.loads((out / "manifest.json").read_text()) == manifest
    assert json.loads((out / "cond-v3.manifest.json").read_text()) == manifest


def test_manifest_hashes_every_file_written(tmp_path_factory):
    out, manifest = lib.dcgan_export(tmp_path_factory)
    shared = {"manifest.json", "generator-v1.manifest.json", "models.config"}
    assert sorted(manifest["files"]) == [f for f in _all_files(out) if f not in shared]
    for rel, digest in manifest["files"].items():
        assert _sha256(out / rel) == digest, rel
    assert manifest["shared_files"] == {"models.config": _sha256(out / "models.config")}
    assert "generator/1/saved_model.pb" in manifest["files"]


def test_parity_inputs_are_stored_with_the_keras_outputs(tmp_path_factory):
    out, manifest = lib.dcgan_export(tmp_path_factory)
    data = np.load(out / manifest["parity"]["inputs"])
    assert data["b0/z"].shape == (5, 8) and data["b1/z"].shape == (1, 8)
    np.testing.assert_allclose(data["keras/b0"], lib.keras_outputs(lib.dcgan_generator(), {"z": data["b0/z"]}),
                               atol=1e-6)


def test_no_temporary_directory_is_left(tmp_path_factory):
    out, _ = lib.dcgan_export(tmp_path_factory)
    assert [p.name for p in out.parent.iterdir()] == ["exported"]


# --------------------------------------------------------------------------- placement


@pytest.fixture
def onnx_export_dir(tmp_path):
    """A cheap export (ONNX only): only one ONNX Runtime process is started."""
    out = tmp_path / "exported"
    manifest = exports.export_generator(lib.dcgan_generator(), out, formats="onnx")
    return out, manifest


def test_refuses_to_overwrite_an_existing_version(onnx_export_dir):
    out, _ = onnx_export_dir
    before = {f: _sha256(out / f) for f in _all_files(out)}
    with pytest.raises(exports.ExportError, match=r"already exists.*--overwrite"):
        exports.export_generator(lib.dcgan_generator(), out, formats="onnx")
    assert {f: _sha256(out / f) for f in _all_files(out)} == before
    assert [p.name for p in out.parent.iterdir()] == ["exported"]


def test_overwrite_replaces_every_file_of_that_version(tmp_path_factory, tmp_path):
    full, _ = lib.dcgan_export(tmp_path_factory)
    out = tmp_path / "exported"
    shutil.copytree(full, out)
    manifest = exports.export_generator(lib.dcgan_generator(), out, formats=["onnx"], overwrite=True)
    assert manifest["formats"] == ["onnx"]
    # The old SavedModel and LiteRT files of version 1 are gone with their models.config entry.
    assert _all_files(out) == sorted(["generator-v1.manifest.json", "generator-v1.onnx",
                                      "generator-v1.parity.npz", "manifest.json"])
    assert not (out / "generator").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["exported"]


def test_a_second_version_goes_beside_the_first(tmp_path_factory, tmp_path):
    full, first = lib.dcgan_export(tmp_path_factory)
    out = tmp_path / "exported"
    shutil.copytree(full, out)
    second = exports.export_generator(lib.dcgan_generator(), out, formats=["onnx"], version=2)
    assert (out / "generator" / "1" / "saved_model.pb").is_file()  # version 1 untouched
    assert (out / "generator-v2.onnx").is_file() and (out / "generator-v1.onnx").is_file()
    assert json.loads((out / "manifest.json").read_text())["version"] == 2
    assert json.loads((out / "generator-v1.manifest.json").read_text()) == first
    assert json.loads((out / "generator-v2.manifest.json").read_text()) == second
    assert 'name: "generator"' in (out / "models.config").read_text()


def test_tampered_artifact_fails_the_export_and_writes_nothing(tmp_path, monkeypatch):
    original = onnx_export.write_onnx

    def write_tampered_onnx(model, spec, path, opset):
        original(model, spec, path, opset)
        proto = onnx.load(path)
        for init in proto.graph.initializer:  # nudge the weights of one layer
            if init.data_type == onnx.TensorProto.FLOAT and np.prod(init.dims) > 16:
                values = onnx.numpy_helper.to_array(init) * 1.05
                init.CopyFrom(onnx.numpy_helper.from_array(values.astype(np.float32), init.name))
                break
        onnx.save(proto, path)

    monkeypatch.setattr(onnx_export, "write_onnx", write_tampered_onnx)
    with pytest.raises(exports.ParityError, match=r"onnx: max \|artifact - keras\| = .* > tolerance 0.0001"):
        exports.export_generator(lib.dcgan_generator(), tmp_path / "out", formats=["onnx"])
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_placing_leaves_no_finished_looking_export(onnx_export_dir, monkeypatch):
    from exports import api

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(api, "_finish_manifest", crash)
    # A new directory: the stage is never renamed into place.
    with pytest.raises(OSError, match="disk full"):
        exports.export_generator(lib.dcgan_generator(), onnx_export_dir[0].parent / "new", formats="onnx")
    assert not (onnx_export_dir[0].parent / "new").exists()
    # An existing directory: version 2's files may have arrived, but not its manifest.
    out, first = onnx_export_dir
    with pytest.raises(OSError, match="disk full"):
        exports.export_generator(lib.dcgan_generator(), out, formats="onnx", version=2)
    assert not (out / "generator-v2.manifest.json").exists()
    assert json.loads((out / "manifest.json").read_text()) == first
    with pytest.raises(exports.ExportError, match="holds no such export"):
        exports.load_manifest(out, "generator", 2)
    assert sorted(p.name for p in out.parent.iterdir()) == ["exported"]


def test_verify_export_rechecks_hashes_and_parity(onnx_export_dir):
    out, manifest = onnx_export_dir
    errors = exports.verify_export(out, "generator", 1, verbose=0)  # one export: its errors
    assert errors["onnx"] == pytest.approx(manifest["parity"]["max_abs_error"]["onnx"], abs=1e-7)
    assert exports.verify_export(out, verbose=0) == {"generator-v1": errors}  # every export, by name
    path = out / "generator-v1.onnx"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(exports.ParityError, match="generator-v1.onnx"):
        exports.verify_export(out)
    with pytest.raises(exports.ParityError, match="generator-v1.onnx"):
        exports.verify_export(out, "generator", 1)


def test_verify_export_checks_every_export_and_reports_a_broken_older_one(onnx_export_dir, capsys):
    """It used to check only the latest export (manifest.json) of a directory."""
    out, _ = onnx_export_dir
    exports.export_generator(lib.dcgan_generator(), out, formats="onnx", version=2)
    assert exports.list_exports(out) == [("generator", 1), ("generator", 2)]
    capsys.readouterr()
    assert set(exports.verify_export(out)) == {"generator-v1", "generator-v2"}
    lines = capsys.readouterr().out.splitlines()
    assert "\r" not in "".join(lines) and len(lines) <= 12
    assert [line.split(" (")[0] for line in lines if ": ok" in line] == ["generator version 1: ok",
                                                                         "generator version 2: ok"]
    (out / "generator-v1.parity.npz").write_bytes(b"not the parity inputs")  # the older one breaks
    with pytest.raises(exports.ParityError, match=r"1 of 2 exports .*\[generator-v1\] Files of the export "
                                                  r"changed or vanished .*generator-v1.parity.npz") as failed:
        exports.verify_export(out)
    assert isinstance(failed.value.results["generator-v2"], dict)
    assert "generator-v1.parity.npz" in failed.value.results["generator-v1"]
    out_text = capsys.readouterr().out
    assert "generator version 1: FAILED" in out_text and "generator version 2: ok" in out_text
    assert set(exports.verify_export(out, "generator", 2, verbose=0)) == {"onnx"}  # restricted, as before
    assert set(exports.verify_export(out, version=2, verbose=0)) == {"generator-v2"}
    with pytest.raises(exports.ExportError, match=r"holds no export named 'other' to verify \(exports there: "
                                                  r"generator version 1, generator version 2\)"):
        exports.verify_export(out, name="other")
    assert capsys.readouterr().out == ""


def test_export_progress_shows_each_step_and_is_silent_when_quiet(tmp_path, capsys):
    exports.export_generator(lib.dcgan_generator(), tmp_path / "a", formats="onnx", verbose=0)
    assert capsys.readouterr().out == ""
    exports.export_generator(lib.dcgan_generator(), tmp_path / "b", formats="onnx")
    out = capsys.readouterr().out
    assert "\r" not in out
    lines = out.splitlines()
    assert lines[0] == f"Exporting generator version 1 to {tmp_path / 'b'}: 5 steps"
    notes = [line.split(" - ")[-1] for line in lines[1:-1]]
    assert notes == ["Keras outputs on the parity inputs", "writing the SavedModel", "converting to ONNX",
                     "parity of onnx (onnxruntime process)", f"placing the files into {tmp_path / 'b'}"]
    assert lines[-1].startswith("Exporting generator version 1 to") and "5/5 (100%)" in lines[-1]


def test_exports_from_a_recipe_workdir_and_a_gan(tmp_path):
    gan = zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=8, width=4)
    lib.spread_weights(gan.generator, seed=3)
    workdir = tmp_path / "run"
    workdir.mkdir()
    gan.generator.save(workdir / "generator.keras")
    from_dir = exports.export_generator(workdir, tmp_path / "a", formats="onnx")
    from_gan = exports.export_generator(gan, tmp_path / "b", formats="onnx")
    assert from_dir["source"] == str(workdir / "generator.keras")
    assert from_gan["source"] == "<DCGAN.generator>"
    a, b = np.load(tmp_path / "a" / "generator-v1.parity.npz"), np.load(tmp_path / "b" / "generator-v1.parity.npz")
    np.testing.assert_allclose(a["keras/b0"], b["keras/b0"], atol=1e-6)  # the same weights


def test_a_generator_built_from_a_dict_of_inputs_with_labels_of_shape_1(tmp_path):
    g = lib.two_input_generator(as_dict=True, label_shape=(1,))
    manifest = exports.export_generator(g, tmp_path / "out", formats="onnx")
    assert [t["name"] for t in manifest["inputs"]] == [t.name for t in g.inputs]
    assert sorted((t["name"], tuple(t["shape"])) for t in manifest["artifacts"]["onnx"]["inputs"]) == [
        ("labels", (None, 1)), ("z", (None, 8))]
    assert manifest["parity"]["max_abs_error"]["onnx"] <= 1e-4
    data = np.load(tmp_path / "out" / "generator-v1.parity.npz")
    feed = {"z": data["b0/z"], "labels": data["b0/labels"]}
    np.testing.assert_allclose(data["keras/b0"], lib.keras_outputs(g, feed), atol=1e-6)
    assert np.abs(data["keras/b0"]).max() > 0.3
    # The edge example fills labels of shape (batch, 1) too.
    import onnxruntime as ort

    from exports import edge_example

    session = ort.InferenceSession(str(tmp_path / "out" / "generator-v1.onnx"),
                                   providers=["CPUExecutionProvider"])
    feeds = edge_example.make_feeds(session, 3, seed=0, labels=7)
    assert feeds["labels"].tolist() == [[7], [7], [7]]
    np.testing.assert_allclose(session.run(["images"], feeds)[0], lib.keras_outputs(g, feeds), atol=1e-5)


# --------------------------------------------------------------------------- validation


def _discriminator():
    return zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=8, width=4).discriminator


@pytest.mark.parametrize("kwargs, message", [
    ({"formats": ["onnx", "torchscript"]}, r"'torchscript'.*valid formats are saved_model, onnx, litert"),
    ({"formats": []}, "at least one of saved_model, onnx, litert"),
    ({"version": 0}, "version must be a positive integer"),
    ({"version": "1"}, "version must be a positive integer"),
    ({"version": True}, "version must be a positive integer"),
    ({"version": 1.0}, "version must be a positive integer"),
    ({"name": "../up"}, "name must start with a letter"),
    ({"name": "1abc"}, "name must start with a letter"),
    ({"fp16_tolerance": 0}, "fp16_tolerance"),
])
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(zoo.errors.ConfigError, match=message):
        exports.export_generator(lib.dcgan_generator(), tmp_path / "out", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_bad_generator_paths(tmp_path):
    (tmp_path / "empty_run").mkdir()
    (tmp_path / "model.h5").write_bytes(b"x")
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    cases = [
        (tmp_path / "missing.keras", "does not exist"),
        (tmp_path / "empty_run", "directory without generator.keras"),
        (tmp_path / "model.h5", "is not a .keras file"),
        (tmp_path / "broken.keras", "Could not load"),
        (42, "must be a keras.Model, a path"),
    ]
    for source, message in cases:
        with pytest.raises(exports.ExportError, match=message):
            exports.export_generator(source, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_model_that_is_not_a_generator(tmp_path):
    with pytest.raises(exports.ExportError, match=r"not a generator: its output has shape \(None, 1\)"):
        exports.export_generator(_discriminator(), tmp_path / "out")
    z = keras.Input((4,), name="z")
    linear = keras.Model(z, keras.layers.Reshape((2, 2, 1), name="images")(keras.layers.Dense(4)(z * 100)))
    with pytest.raises(exports.ExportError, match=r"not images in \[-1, 1\]"):
        exports.export_generator(linear, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_bad_input_names_are_refused(tmp_path):
    z = keras.Input((4,), name="z-1")
    g = keras.Model(z, keras.layers.Activation("tanh")(keras.layers.Reshape((2, 2, 1))(z)))
    with pytest.raises(exports.ExportError, match="'z-1' cannot name an exported input"):
        exports.export_generator(g, tmp_path / "out")


def test_unwritable_output_directory(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(exports.ExportError, match="Cannot create .*a_file.*--out=DIR"):
        exports.export_generator(lib.dcgan_generator(), blocker / "out")
    with pytest.raises(exports.ExportError, match="exists and is not a directory"):
        exports.export_generator(lib.dcgan_generator(), blocker)
    assert blocker.read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only directories")
def test_read_only_output_directory(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(exports.ExportError, match="not writable"):
            exports.export_generator(lib.dcgan_generator(), ro / "out")
    finally:
        ro.chmod(0o755)


def test_describe_labels_of_shape_one_and_class_count():
    from exports.generator import describe_generator, sample_inputs

    g = lib.two_input_generator(label_shape=(1,), num_classes=4)
    spec = describe_generator(g)
    assert spec.input_names == ("z", "labels")
    assert spec.inputs[1].shape == (None, 1) and spec.inputs[1].num_classes == 4
    feeds = sample_inputs(spec, batch_sizes=(5, 1))
    assert feeds["b0/labels"].shape == (5, 1) and feeds["b1/labels"].shape == (1, 1)
    assert feeds["b0/labels"].dtype == np.int32 and feeds["b0/labels"].max() < 4
