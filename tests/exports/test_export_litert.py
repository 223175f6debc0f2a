"""LiteRT export: float32 and float16 .tflite files, their parity, signatures and dynamic batch."""

import json

import numpy as np
import pytest

import exports
import exports_testlib as lib

# Runs the .tflite files with the TFLite interpreter in a fresh process.
_TFLITE_SCRIPT = """
import json, sys, warnings
import numpy as np
try:
    from ai_edge_litert.interpreter import Interpreter
except ImportError:
    warnings.simplefilter("ignore")
    import tensorflow as tf
    Interpreter = tf.lite.Interpreter

jobs = json.loads(sys.argv[1])
report = {}
for job in jobs:
    interpreter = Interpreter(model_path=job["path"])
    runner = interpreter.get_signature_runner("serving_default")
    feeds = np.load(job["feeds"])
    outputs = {}
    for b in sorted({k.split("/")[0] for k in feeds.files}):
        feed = {k.split("/")[1]: feeds[k] for k in feeds.files if k.startswith(b + "/")}
        outputs[b] = runner(**feed)["images"]
    np.savez(job["out"], **outputs)
    report[job["path"]] = {
        "signatures": interpreter.get_signature_list(),
        "inputs": {k: [v["shape_signature"].tolist(), np.dtype(v["dtype"]).name]
                   for k, v in runner.get_input_details().items()},
    }
top = {m.split(".")[0] for m in sys.modules}
report["ours_imported"] = sorted(top & {"zoo", "exports", "recipes", "layers"})
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def tflite_run(tmp_path_factory):
    feeds = lib.parity_feeds()
    scratch = tmp_path_factory.mktemp("tflite")
    jobs, cases = [], []
    for key, (out, manifest), model in (
        ("dcgan", lib.dcgan_export(tmp_path_factory), lib.dcgan_generator()),
        ("cond", lib.cond_export(tmp_path_factory), lib.cond_generator()),
    ):
        feed_path = scratch / f"{key}.npz"
        np.savez(feed_path, **{f"b{i}/{k}": v for i, f in enumerate(feeds[key]) for k, v in f.items()})
        for artifact in ("litert", "litert_fp16"):
            job = {"path": str(out / manifest["artifacts"][artifact]["path"]), "feeds": str(feed_path),
                   "out": str(scratch / f"{key}-{artifact}.npz")}
            jobs.append(job)
            cases.append((artifact, job, model, feeds[key]))
    return lib.last_json_line(lib.run_python(_TFLITE_SCRIPT, json.dumps(jobs))), cases


def test_float32_and_float16_files(tmp_path_factory):
    out, manifest = lib.dcgan_export(tmp_path_factory)
    fp32 = out / "generator-v1.tflite"
    fp16 = out / "generator-v1.fp16.tflite"
    assert manifest["artifacts"]["litert"]["path"] == fp32.name
    assert manifest["artifacts"]["litert_fp16"]["path"] == fp16.name
    assert fp32.read_bytes()[4:8] == fp16.read_bytes()[4:8] == b"TFL3"  # flatbuffer identifier
    assert fp16.stat().st_size < fp32.stat().st_size  # weights stored as float16
    assert manifest["artifacts"]["litert_fp16"]["quantization"].startswith("float16")


def test_signature_names_and_dynamic_batch(tflite_run):
    report, cases = tflite_run
    assert report["ours_imported"] == []
    for _, job, model, _ in cases:
        seen = report[job["path"]]
        assert seen["signatures"]["serving_default"]["outputs"] == ["images"]
        assert sorted(seen["signatures"]["serving_default"]["inputs"]) == sorted(t.name for t in model.inputs)
        for t in model.inputs:
            assert seen["inputs"][t.name] == [[-1] + list(t.shape[1:]), str(t.dtype)]


def test_parity_with_keras_in_a_separate_process(tflite_run):
    _, cases = tflite_run
    worst = {}
    for artifact, job, model, batches in cases:
        got = np.load(job["out"])
        for i, feed in enumerate(batches):
            expected = lib.keras_outputs(model, feed)
            assert got[f"b{i}"].shape == expected.shape
            error = float(np.abs(got[f"b{i}"] - expected).max())
            worst[artifact] = max(worst.get(artifact, 0.0), error)
    assert worst["litert"] <= 1e-5
    assert worst["litert_fp16"] <= 1e-2
    assert worst["litert_fp16"] > worst["litert"]  # float16 weights really are rounded


def test_manifest_reports_both_errors(tmp_path_factory):
    for _, manifest in (lib.dcgan_export(tmp_path_factory), lib.cond_export(tmp_path_factory)):
        errors, tolerance = manifest["parity"]["max_abs_error"], manifest["parity"]["tolerance"]
        assert tolerance["litert"] == 1e-4 and tolerance["litert_fp16"] == 1e-2
        assert 0 <= errors["litert"] <= 1e-4
        assert 0 < errors["litert_fp16"] <= 1e-2


def test_float16_error_over_its_tolerance_fails_the_export(tmp_path):
    with pytest.raises(exports.ParityError, match=r"litert_fp16: max \|artifact - keras\| = .* > tolerance 1e-09"):
        exports.export_generator(lib.dcgan_generator(), tmp_path / "out", formats=["litert"],
                                 fp16_tolerance=1e-9)
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary directory left
