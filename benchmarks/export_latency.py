"""Generation speed of the exported artifacts against the Keras generator they came from.

    python benchmarks/export_latency.py [--width=64] [--latent=100] [--batch=64] [--calls=20] [--repeats=3] [--out=...]

Exports a DCGAN generator (28x28x1, the default recipe's networks; random weights,
speed does not depend on them) with ``exports.export_generator``, then times each
artifact in its own fresh process, with its own runtime only, on the same batch of
latents: the SavedModel's ``serving_default`` (TensorFlow), the ONNX model (ONNX
Runtime), the float32 and float16 LiteRT models (TFLite interpreter). The
reference is the Keras generator called through a ``tf.function`` in this process;
``Model.predict(z, batch_size=batch, verbose=0)`` is timed in this process too (what
a user who just calls ``predict`` gets: it builds a data adapter per call).
Each side: warm-up, then ``--repeats`` rounds of ``--calls`` calls; the median
images/s is reported with its ratio to Keras. Writes
``benchmarks/results/export_latency_batch{batch}.json`` (or ``--out``) and prints a
markdown table.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import exports  # noqa: E402
from benchmarks._machine import machine_info  # noqa: E402
from zoo.networks import dcgan_generator  # noqa: E402
from _args import positive_int  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

_CHILD = textwrap.dedent("""
    import json, statistics, sys, time, warnings
    import numpy as np
    kind, path, z_path, calls, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    z = np.load(z_path)
    if kind == "saved_model":
        import tensorflow as tf
        fn = tf.saved_model.load(path).signatures["serving_default"]
        zt = tf.constant(z)
        run = lambda: fn(z=zt)["images"].numpy()
    elif kind == "onnx":
        import onnxruntime as ort
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        run = lambda: session.run(["images"], {"z": z})[0]
    else:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            warnings.simplefilter("ignore")
            import tensorflow as tf
            Interpreter = tf.lite.Interpreter
        runner = Interpreter(model_path=path).get_signature_runner("serving_default")
        run = lambda: runner(z=z)["images"]
    for _ in range(3):
        run()
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            run()
        rates.append(calls * len(z) / (time.perf_counter() - start))
    print(json.dumps({"images_per_s": statistics.median(rates), "rounds": rates}))
""")


def timed_rate(run, n_images, calls, repeats):
    """Median images/s of ``repeats`` rounds of ``calls`` calls of ``run`` after 3 warm-up calls."""
    for _ in range(3):
        run()
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            run()
        rates.append(calls * n_images / (time.perf_counter() - start))
    return statistics.median(rates), rates


def keras_rate(model, z, calls, repeats):
    fn = tf.function(lambda x: model(x, training=False))
    zt = tf.constant(z)
    return timed_rate(lambda: fn(zt).numpy(), len(z), calls, repeats)


def predict_rate(model, z, calls, repeats):
    return timed_rate(lambda: model.predict(z, batch_size=len(z), verbose=0), len(z), calls, repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=positive_int, default=64)
    parser.add_argument("--latent", type=positive_int, default=100)
    parser.add_argument("--batch", type=positive_int, default=64)
    parser.add_argument("--calls", type=positive_int, default=20)
    parser.add_argument("--repeats", type=positive_int, default=3)
    parser.add_argument("--out", default=None,
                        help="JSON path (default: benchmarks/results/export_latency_batch{batch}.json)")
    args = parser.parse_args()

    model = dcgan_generator(args.latent, (28, 28, 1), args.width)
    z = np.random.default_rng(0).standard_normal((args.batch, args.latent)).astype("float32")
    with tempfile.TemporaryDirectory() as tmp:
        manifest = exports.export_generator(model, os.path.join(tmp, "exported"))
        z_path = os.path.join(tmp, "z.npy")
        np.save(z_path, z)
        reference, reference_rounds = keras_rate(model, z, args.calls, args.repeats)
        rows = {"keras (tf.function, in process)": {"images_per_s": reference, "rounds": reference_rounds}}
        predict, predict_rounds = predict_rate(model, z, args.calls, args.repeats)
        rows["keras predict (in process)"] = {"images_per_s": predict, "rounds": predict_rounds}
        for key, kind in (("saved_model", "saved_model"), ("onnx", "onnx"), ("litert", "tflite"),
                          ("litert_fp16", "tflite")):
            path = os.path.join(tmp, "exported", manifest["artifacts"][key]["path"])
            proc = subprocess.run([sys.executable, "-c", _CHILD, kind, path, z_path, str(args.calls),
                                   str(args.repeats)], capture_output=True, text=True, check=True)
            rows[key] = json.loads(proc.stdout.strip().splitlines()[-1])
            rows[key]["size_bytes"] = sum(
                os.path.getsize(os.path.join(tmp, "exported", f)) for f in manifest["files"]
                if f == manifest["artifacts"][key]["path"] or f.startswith(manifest["artifacts"][key]["path"] + "/"))
            rows[key]["max_abs_error"] = manifest["parity"]["max_abs_error"][key]
    for row in rows.values():
        row["ratio_to_keras"] = row["images_per_s"] / reference
    result = {
        "benchmark": "export_latency",
        "config": vars(args),
        "rows": rows,
        "versions": manifest["versions"],
        "machine": machine_info(),
    }
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                   f"export_latency_batch{args.batch}.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"| DCGAN 28x28x1, width {args.width}, batch {args.batch} | images/s (median) | ms per call | "
          "vs Keras | max abs error | size |")
    print("|---|---|---|---|---|---|")
    for key, row in rows.items():
        error = row.get("max_abs_error")
        size = row.get("size_bytes")
        print(f"| {key} | {row['images_per_s']:.0f} | {1e3 * args.batch / row['images_per_s']:.2f} | "
              f"{row['ratio_to_keras']:.2f} | "
              f"{'' if error is None else f'{error:.2g}'} | "
              f"{'' if size is None else f'{size / 1e6:.1f} MB'} |")


if __name__ == "__main__":
    main()
