"""Parity: every artifact runs in a separate process on fixed inputs and is compared with Keras.

Artifacts of one runtime share a process (``runners/run_artifacts.py``, run by
path so that it imports only that runtime): TensorFlow runs the SavedModel
signatures (and the ``.tflite`` files when the standalone LiteRT interpreter is
not installed), ONNX Runtime + NumPy runs the ``.onnx`` file.

Tolerances (maximum absolute difference from the Keras outputs, images in [-1, 1]):

* float32 artifacts (SavedModel, ONNX, LiteRT float32): ``FLOAT32_TOLERANCE`` = 1e-4;
* LiteRT float16 (weights rounded to float16): ``FLOAT16_TOLERANCE`` = 1e-2 by default;
* the uint8 signature: 1 (a value on a rounding boundary may land on either side).
"""

import json
import os
import subprocess
import sys

import numpy as np

from exports.errors import ParityError
from exports.generator import batch_count, batch_feeds
from exports.graph import model_inputs

FLOAT32_TOLERANCE = 1e-4
FLOAT16_TOLERANCE = 1e-2
UINT8_TOLERANCE = 1
RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runners", "run_artifacts.py")
RUNNER_TIMEOUT_S = 600
# The zoo's own packages: a runner process must never import them.
FORBIDDEN_MODULES = ("zoo", "exports", "recipes", "layers")


def keras_reference(model, feeds):
    """Keras outputs for each batch of ``feeds``: ``{"b<i>": float32 images}``."""
    names = [t.name for t in model.inputs]
    outputs = {}
    for i in range(batch_count(feeds)):
        feed = batch_feeds(feeds, i)
        out = model(model_inputs(model, [feed[n] for n in names]), training=False)
        outputs[f"b{i}"] = np.asarray(out, dtype=np.float32)
    return outputs


def uint8_reference(images):
    return np.clip(np.round((images.astype(np.float64) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def run_in_subprocess(artifacts, inputs_npz, scratch_dir, litert_runtime="tensorflow"):
    """Runs ``artifacts`` ([{key, kind, path, signature}]) in one fresh Python process.

    Returns ``(outputs, report)``: ``outputs["<key>/b<i>"]`` arrays and the runner's report.
    """
    os.makedirs(scratch_dir, exist_ok=True)
    tag = "-".join(a["key"] for a in artifacts)
    job = {
        "inputs": inputs_npz,
        "outputs": os.path.join(scratch_dir, f"outputs-{tag}.npz"),
        "report": os.path.join(scratch_dir, f"report-{tag}.json"),
        "artifacts": artifacts,
        "litert_runtime": litert_runtime,
    }
    job_path = os.path.join(scratch_dir, f"job-{tag}.json")
    with open(job_path, "w") as f:
        json.dump(job, f)
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # PYTHONPATH is kept (it may be how the runtimes are installed); the runner checks that
    # it imported none of the zoo's packages.
    try:
        proc = subprocess.run(
            [sys.executable, RUNNER, job_path], capture_output=True, text=True,
            timeout=RUNNER_TIMEOUT_S, cwd=scratch_dir, env=env,
        )
    except subprocess.TimeoutExpired:
        raise ParityError(
            f"Running {tag} in a separate process took over {RUNNER_TIMEOUT_S} s; the artifacts "
            "could not be verified."
        ) from None
    if proc.returncode != 0:
        tail = " | ".join(line for line in proc.stderr.strip().splitlines()[-3:])
        raise ParityError(
            f"The exported {tag} could not be run in a separate process (exit {proc.returncode}): "
            f"{tail}"
        )
    with open(job["report"]) as f:
        report = json.load(f)
    with np.load(job["outputs"]) as data:
        outputs = {k: data[k] for k in data.files}
    return outputs, report


def max_abs_error(outputs, key, reference):
    """Largest |artifact - Keras| over every batch; ``ParityError`` on a shape or dtype mismatch."""
    worst = 0.0
    for batch, expected in reference.items():
        got = outputs.get(f"{key}/{batch}")
        if got is None or got.shape != expected.shape:
            raise ParityError(
                f"{key} returned shape {None if got is None else got.shape} for batch {batch}, "
                f"Keras {expected.shape}: the exported batch dimension or image shape is wrong."
            )
        if got.dtype != expected.dtype:
            raise ParityError(f"{key} returned dtype {got.dtype}, expected {expected.dtype}.")
        diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
        if not np.all(np.isfinite(diff)):
            raise ParityError(f"{key} returned NaN/Inf where Keras did not.")
        worst = max(worst, float(diff.max()) if diff.size else 0.0)
    return worst


def check_io(key, info, spec, output_dtype="float32"):
    """Raises ``ParityError`` unless the runtime sees the Keras names, shapes and dtypes."""
    expected_inputs = {t.name: (list(t.shape), t.dtype) for t in spec.inputs}
    got_inputs = {t["name"]: (t["shape"], t["dtype"]) for t in info["inputs"]}
    if got_inputs != expected_inputs:
        raise ParityError(
            f"{key} has inputs {got_inputs} (name: (shape, dtype), None = dynamic); expected "
            f"{expected_inputs}."
        )
    expected_outputs = {"images": (list(spec.output.shape), output_dtype)}
    got_outputs = {t["name"]: (t["shape"], t["dtype"]) for t in info["outputs"]}
    if got_outputs != expected_outputs:
        raise ParityError(f"{key} has outputs {got_outputs}; expected {expected_outputs}.")
