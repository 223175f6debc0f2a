"""Runs exported generators in a fresh process, the way a user of the artifact would.

    python run_artifacts.py JOB.json

This script is run by path (never as part of the ``exports`` package) so that
the process imports only the runtime an artifact needs: TensorFlow for a
SavedModel, ONNX Runtime + NumPy for ONNX, the LiteRT interpreter for
``.tflite``. It must not import the zoo's packages; it checks that at the end.

JOB.json holds:
    inputs:    an .npz with the feeds "b<i>/<input name>" (one group per batch)
    outputs:   the .npz to write, "<artifact key>/b<i>" -> output array
    report:    the .json to write (what each runtime saw; modules imported)
    artifacts: [{"key", "kind": saved_model|onnx|tflite, "path", "signature"}]
    litert_runtime: "ai_edge_litert" or "tensorflow" (which TFLite interpreter)
"""

import json
import sys

import numpy as np

FORBIDDEN = ("zoo", "exports", "recipes", "layers")


def _dim(d):
    """A dimension as JSON: an int, or None when the runtime leaves it dynamic."""
    if d is None or isinstance(d, str):
        return None
    d = int(d)
    return None if d < 0 else d


def _batches(feeds):
    groups = {}
    for key in feeds.files:
        group, name = key.split("/", 1)
        if group[:1] == "b" and group[1:].isdigit():  # other keys (stored Keras outputs) are not feeds
            groups.setdefault(group, {})[name] = feeds[key]
    return [groups[g] for g in sorted(groups, key=lambda g: int(g[1:]))]


def run_saved_model(artifact, batches):
    import tensorflow as tf

    loaded = tf.saved_model.load(artifact["path"])
    fn = loaded.signatures[artifact["signature"]]
    _, kwargs = fn.structured_input_signature
    inputs = [{"name": k, "shape": [_dim(d) for d in s.shape.as_list()], "dtype": s.dtype.name}
              for k, s in sorted(kwargs.items())]
    outputs = [{"name": k, "shape": [_dim(d) for d in s.shape.as_list()], "dtype": s.dtype.name}
               for k, s in sorted(fn.structured_outputs.items())]
    results = []
    for feed in batches:
        out = fn(**{k: tf.constant(v) for k, v in feed.items()})
        results.append(out["images"].numpy())
    info = {"inputs": inputs, "outputs": outputs, "signatures": sorted(loaded.signatures.keys()),
            "runtime": f"tensorflow {tf.__version__}"}
    return info, results


def run_onnx(artifact, batches):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(artifact["path"], options, providers=["CPUExecutionProvider"])
    dtypes = {"tensor(float)": "float32", "tensor(int32)": "int32", "tensor(int64)": "int64",
              "tensor(uint8)": "uint8"}

    def describe(values):
        return [{"name": v.name, "shape": [_dim(d) for d in v.shape], "dtype": dtypes.get(v.type, v.type)}
                for v in values]

    results = []
    for feed in batches:
        results.append(session.run(["images"], feed)[0])
    info = {"inputs": describe(session.get_inputs()), "outputs": describe(session.get_outputs()),
            "runtime": f"onnxruntime {ort.__version__}"}
    return info, results


def run_tflite(artifact, batches, runtime):
    if runtime == "ai_edge_litert":
        from ai_edge_litert.interpreter import Interpreter
        import ai_edge_litert
        version = f"ai_edge_litert {getattr(ai_edge_litert, '__version__', '?')}"
    else:
        import warnings

        import tensorflow as tf

        warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated.*")
        Interpreter = tf.lite.Interpreter
        version = f"tf.lite.Interpreter (tensorflow {tf.__version__})"
    interpreter = Interpreter(model_path=artifact["path"])
    runner = interpreter.get_signature_runner(artifact["signature"])

    def describe(details):
        return [{"name": k, "shape": [_dim(d) for d in v["shape_signature"]],
                 "dtype": np.dtype(v["dtype"]).name} for k, v in sorted(details.items())]

    results = []
    for feed in batches:
        results.append(np.array(runner(**feed)["images"]))
    info = {"inputs": describe(runner.get_input_details()),
            "outputs": describe(runner.get_output_details()),
            "signatures": sorted(interpreter.get_signature_list()), "runtime": version}
    return info, results


def main(job_path):
    with open(job_path) as f:
        job = json.load(f)
    feeds = np.load(job["inputs"])
    batches = _batches(feeds)
    outputs, report = {}, {"artifacts": {}}
    for artifact in job["artifacts"]:
        kind = artifact["kind"]
        if kind == "saved_model":
            info, results = run_saved_model(artifact, batches)
        elif kind == "onnx":
            info, results = run_onnx(artifact, batches)
        elif kind == "tflite":
            info, results = run_tflite(artifact, batches, job.get("litert_runtime", "tensorflow"))
        else:
            raise SystemExit(f"unknown artifact kind {kind!r}")
        report["artifacts"][artifact["key"]] = info
        for i, result in enumerate(results):
            outputs[f"{artifact['key']}/b{i}"] = result
    np.savez(job["outputs"], **outputs)
    top_level = {name.split(".")[0] for name in sys.modules}
    report["modules"] = {m: m in top_level for m in ("tensorflow", "onnxruntime", "ai_edge_litert", "keras")}
    report["forbidden_imported"] = sorted(m for m in FORBIDDEN if m in top_level)
    with open(job["report"], "w") as f:
        json.dump(report, f)
    if report["forbidden_imported"]:
        raise SystemExit(f"the runner imported {report['forbidden_imported']}")


if __name__ == "__main__":
    main(sys.argv[1])
