"""Under load: one loaded SavedModel and one ONNX Runtime session serve many threads at once.

Identical inputs give identical outputs in every thread (and the same as a serial run), and the
process's memory stays flat over repeated rounds of concurrent inference by a fixed pool of worker
threads (as a server runs them; brand-new threads each round also settle, at ~2.5 MB, as glibc
hands out per-thread malloc arenas, which is not a leak). The margin was checked against a planted
leak of one output per call: 14-16 MB of growth for either runtime, against 0-0.2 MB without it.
"""

import concurrent.futures
import threading

import numpy as np
import pytest
import tensorflow as tf

import exports
import zoo

THREADS, CALLS, ROUNDS, WARMUP = 8, 20, 8, 4
# Resident memory may grow this much over the measured rounds (allocator pools settling: 0-0.6 MB seen);
# keeping one output (4 x 28 x 28 floats = 12.5 KB) per call would add 2 MB a round, 16 MB in all.
RSS_MARGIN_MB = 4.0


def rss_mb():
    """The process's resident set size in MB (Linux /proc)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    pytest.skip("no VmRSS in /proc/self/status")


def spread(model, seed=0):
    """Weights large enough that the images use most of [-1, 1] (a fresh DCGAN's outputs are ~1e-3)."""
    rng = np.random.default_rng(seed)
    for v in model.weights:
        if v.path.endswith("kernel"):
            shape = tuple(v.shape)
            fan_in = int(np.prod(shape[:2]) * shape[3]) if len(shape) == 4 else int(np.prod(shape[:-1]))
            v.assign(rng.standard_normal(shape).astype("float32") * 1.5 / np.sqrt(fan_in))
    return model


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The exported tiny DCGAN, loaded once: (SavedModel signature, ONNX session, Keras generator)."""
    import onnxruntime as ort

    generator = spread(zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=8, width=4).generator)
    out = tmp_path_factory.mktemp("served") / "exported"
    manifest = exports.export_generator(generator, out, formats=("saved_model", "onnx"))
    assert set(manifest["formats"]) == {"saved_model", "onnx"}
    signature = tf.saved_model.load(str(out / manifest["artifacts"]["saved_model"]["path"])).signatures[
        "serving_default"]
    session = ort.InferenceSession(str(out / manifest["artifacts"]["onnx"]["path"]),
                                   providers=["CPUExecutionProvider"])
    return signature, session, generator


def engines(served):
    signature, session, _ = served
    onnx_output = session.get_outputs()[0].name
    return {
        "saved_model": lambda z: signature(z=tf.constant(z))["images"].numpy(),
        "onnx": lambda z: session.run([onnx_output], {"z": z})[0],
    }


def concurrent_round(pool, infer, z):
    """THREADS pool workers released together, CALLS inferences each on the same ``z``; every output."""
    barrier = threading.Barrier(THREADS)

    def work(_):
        barrier.wait(timeout=60)
        return [infer(z) for _ in range(CALLS)]

    return [out for outs in pool.map(work, range(THREADS), timeout=300) for out in outs]


@pytest.mark.parametrize("engine", ["saved_model", "onnx"])
def test_threads_get_identical_outputs_and_memory_stays_flat(served, engine):
    infer = engines(served)[engine]
    z = np.random.default_rng(0).standard_normal((4, 8)).astype("float32")
    serial = infer(z)
    assert serial.shape == (4, 28, 28, 1) and 0.1 < np.abs(serial).max() <= 1.0
    np.testing.assert_allclose(serial, served[2](z, training=False).numpy(), atol=1e-5)  # and Keras agrees

    rss = []
    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:  # a server's fixed pool of workers
        for _ in range(WARMUP + ROUNDS):
            outputs = concurrent_round(pool, infer, z)
            assert len(outputs) == THREADS * CALLS
            for out in outputs:
                np.testing.assert_array_equal(out, serial)
            del outputs
            rss.append(rss_mb())
    measured = rss[WARMUP - 1:]  # the last warm-up round is the baseline
    growth = max(measured) - measured[0]
    assert growth < RSS_MARGIN_MB, f"RSS grew {growth:.1f} MB over {ROUNDS} rounds: {[round(r, 1) for r in rss]}"


def test_both_engines_at_once_agree(served):
    """The two runtimes side by side, 4 threads each, on other latents: each matches its own serial
    output exactly, and the two agree within float tolerance."""
    infer = engines(served)
    z = np.random.default_rng(1).standard_normal((3, 8)).astype("float32")
    serial = {name: fn(z) for name, fn in infer.items()}
    np.testing.assert_allclose(serial["saved_model"], serial["onnx"], atol=1e-5)
    results, errors = {name: [] for name in infer}, []
    barrier = threading.Barrier(8)

    def work(name):
        try:
            barrier.wait()
            for _ in range(CALLS):
                results[name].append(infer[name](z))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(name,)) for name in infer for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    for name, outs in results.items():
        assert len(outs) == 4 * CALLS
        for out in outs:
            np.testing.assert_array_equal(out, serial[name])
