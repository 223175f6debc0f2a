"""Strategies by name, TF_CONFIG checking, mixed precision flags, and a real 2-worker run on loopback."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import types

import keras
import numpy as np
import pytest
import tensorflow as tf

from recipes.registry import make_config
from recipes.strategy import make_strategy, read_tf_config, worker_role
from recipes.train import run
from zoo.errors import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = {"steps": 2, "batch_size": 8, "samples": 4, "latent_dim": 8, "width": 4}


def _tf_config(index, ports=(1111, 2222), kind="worker", chief=False):
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    if chief:
        cluster["chief"] = ["127.0.0.1:3333"]
    return json.dumps({"cluster": cluster, "task": {"type": kind, "index": index}})


@pytest.mark.parametrize("raw, message", [
    (None, "needs the TF_CONFIG environment variable"),
    ("{not json", "TF_CONFIG is not valid JSON"),
    ('{"task": {"type": "worker", "index": 0}}', "TF_CONFIG needs a 'cluster'"),
    ('{"cluster": {"worker": "127.0.0.1:1"}, "task": {"type": "worker", "index": 0}}', "TF_CONFIG needs a 'cluster'"),
    ('{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "ps", "index": 0}}', "must name this process's type"),
    ('{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "worker", "index": 1}}', "index 1 is out of range"),
])
def test_bad_tf_config_is_refused_with_the_expected_format(raw, message, monkeypatch):
    environ = {} if raw is None else {"TF_CONFIG": raw}
    with pytest.raises(ConfigError, match=message):
        read_tf_config(environ)
    if raw is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", raw)
    with pytest.raises(ConfigError, match=message):  # before TensorFlow starts any collective
        make_strategy("multi_worker")


def test_the_chief_is_task_chief_or_worker_zero():
    assert worker_role("mirrored", {}) == (True, "chief")
    assert worker_role("multi_worker", {"TF_CONFIG": _tf_config(0)}) == (True, "chief")
    assert worker_role("multi_worker", {"TF_CONFIG": _tf_config(1)}) == (False, "worker_1")
    # With an explicit chief task, worker 0 is not the chief.
    assert worker_role("multi_worker", {"TF_CONFIG": _tf_config(0, chief=True)}) == (False, "worker_0")
    assert worker_role("multi_worker", {"TF_CONFIG": _tf_config(0, kind="chief", chief=True)}) == (True, "chief")


def test_tpu_without_an_address_says_how_to_name_one(monkeypatch):
    monkeypatch.delenv("TPU_NAME", raising=False)
    with pytest.raises(ConfigError, match="--strategy=tpu needs a TPU: pass --tpu="):
        make_strategy("tpu")


def test_unknown_strategy_lists_the_known_ones():
    with pytest.raises(ConfigError, match="multi_worker, tpu"):
        make_strategy("parameter_server")


@pytest.mark.parametrize("gpus, expected", [
    ([], "_DefaultDistributionStrategy"), (["/GPU:0"], "OneDeviceStrategy"), (["/GPU:0", "/GPU:1"], "MirroredStrategy")])
def test_auto_picks_by_gpu_count(gpus, expected, monkeypatch):
    """No tf.distribute wrapping without a GPU (OneDeviceStrategy is slower on the CPU), one device on one GPU."""
    chosen = []
    monkeypatch.setattr(tf.config, "list_logical_devices",
                        lambda kind=None: [types.SimpleNamespace(name=n) for n in gpus] if kind == "GPU" else [])
    monkeypatch.setattr(tf.distribute, "OneDeviceStrategy", lambda device: chosen.append(device) or "one")
    monkeypatch.setattr(tf.distribute, "MirroredStrategy", lambda: "mirrored")
    strategy = make_strategy("auto")
    if expected == "OneDeviceStrategy":
        assert strategy == "one" and chosen == ["/GPU:0"]
    elif expected == "MirroredStrategy":
        assert strategy == "mirrored"
    else:
        assert type(strategy).__name__ == expected and strategy.num_replicas_in_sync == 1


@pytest.mark.parametrize("precision, policy", [("bfloat16", "mixed_bfloat16"), ("float16", "mixed_float16")])
def test_mixed_precision_runs_and_saves_a_float32_generator(precision, policy, tmp_path):
    summary = run(make_config("dcgan_mnist", {**TINY, "mixed_precision": precision}), str(tmp_path / "r"),
                  verbose=0)
    assert summary["compute_dtype"] == policy
    assert keras.mixed_precision.global_policy().name == "float32", "the run must restore the global policy"
    assert all(np.isfinite(v) for v in summary["final_metrics"].values())
    generator = keras.models.load_model(str(tmp_path / "r" / "generator.keras"))
    assert {layer.dtype_policy.name for layer in generator._flatten_layers()} == {"float32"}
    images = generator.predict(np.zeros((2, 8), "float32"), verbose=0)
    assert images.dtype == np.float32 and np.all(np.abs(images) <= 1.0)


def test_bad_precision_is_refused():
    with pytest.raises(ConfigError, match="'mixed_precision' must be one of"):
        make_config("dcgan_mnist", {"mixed_precision": "fp8"})


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_on_loopback_train_together_and_only_the_chief_writes(tmp_path):
    workdir = tmp_path / "mw"
    ports = _free_ports(2)
    args = [sys.executable, "-m", "recipes.train", "--strategy=multi_worker", f"--workdir={workdir}",
            "--steps=3", "--batch_size=8", "--config", "width=4", "--config", "latent_dim=8",
            "--config", "samples=4"]
    procs = []
    for index in range(2):
        env = {**os.environ, "TF_CONFIG": _tf_config(index, ports), "TF_CPP_MIN_LOG_LEVEL": "2",
               "CUDA_VISIBLE_DEVICES": "", "GANZOO_HOME": str(tmp_path / "home")}
        procs.append(subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, start_new_session=True))
    deadline = time.time() + 240
    outputs = []
    try:
        for proc in procs:
            outputs.append(proc.communicate(timeout=max(1, deadline - time.time())))
    finally:
        for proc in procs:  # never leave a worker behind (each waits for its peer forever)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err[-3000:]
    assert "the chief wrote the results" in outputs[1][0]
    summary = json.loads((workdir / "summary.json").read_text())
    assert summary["strategy"] == "multi_worker"
    assert summary["strategy_class"] in ("MultiWorkerMirroredStrategy", "CollectiveAllReduceStrategy")
    assert summary["replicas"] == 2
    assert summary["steps_this_run"] == 3
    for name in ("generator.keras", "gan.keras", "samples/final.png", "checkpoints/last.weights.h5", "losses.csv"):
        assert (workdir / name).is_file(), name
    # The other worker wrote nothing but its own (now emptied) backup directory.
    chief_files = {"config.json", "summary.json", "losses.csv", "generator.keras", "gan.keras", "samples",
                   "checkpoints", "tensorboard", "backup", ".lock"}
    extra = set(os.listdir(workdir)) - chief_files
    assert extra <= {"backup_worker_1"}, extra
    leftovers = [f for root, _, files in os.walk(workdir / "backup_worker_1") for f in files]
    assert not leftovers, leftovers
