"""Distribution strategies by name, and which process of a multi-worker run writes.

    auto          MirroredStrategy over all GPUs when there are several, one_device on a
                  single GPU, default without a GPU
    default       TensorFlow's default strategy (no tf.distribute wrapping)
    one_device    OneDeviceStrategy on the first GPU, or the CPU
    mirrored      MirroredStrategy over every local GPU (or the logical CPUs)
    multi_worker  MultiWorkerMirroredStrategy; the cluster and this process's task
                  come from the TF_CONFIG environment variable (every worker runs
                  the same command with its own TF_CONFIG)
    tpu           TPUStrategy through TPUClusterResolver (``tpu=`` a TPU name or
                  grpc:// address, else $TPU_NAME; "local" on a TPU VM)

The batch size of a recipe is always the global batch: Keras splits each batch
over the replicas (and shards the data between workers), and the GAN divides
every loss term by the replica count (see ``zoo.distribute``).
"""

import json
import os

from zoo.errors import ConfigError

STRATEGIES = ("auto", "default", "one_device", "mirrored", "multi_worker", "tpu")

_TF_CONFIG_EXAMPLE = (
    'TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
    '"task": {"type": "worker", "index": 0}}\''
)


def make_strategy(name="auto", tpu=None):
    """The ``tf.distribute`` strategy called ``name`` (see the module docstring)."""
    import tensorflow as tf

    if name not in STRATEGIES:
        raise ConfigError(f"Unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}.")
    if name == "multi_worker":
        read_tf_config()  # a clear error before TensorFlow's own
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        return _tpu_strategy(tpu)
    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto":
        # Not OneDeviceStrategy on the CPU: there each step's tensors land on freshly mapped memory
        # (TF 2.21: about 5,600 more page faults per step of the default job and 15% slower).
        name = "mirrored" if len(gpus) > 1 else "one_device" if gpus else "default"
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    return tf.distribute.MirroredStrategy()


def read_tf_config(environ=None):
    """The parsed, checked ``TF_CONFIG`` of a multi-worker run: ``{"cluster": ..., "task": ...}``."""
    environ = os.environ if environ is None else environ
    raw = environ.get("TF_CONFIG")
    if not raw:
        raise ConfigError(
            "--strategy=multi_worker needs the TF_CONFIG environment variable (the cluster and "
            f"this worker's task), e.g. {_TF_CONFIG_EXAMPLE}; run the same command on every worker "
            "with its own task index."
        )
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ConfigError(f"TF_CONFIG is not valid JSON ({e}); expected e.g. {_TF_CONFIG_EXAMPLE}.") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not cluster or not all(
            isinstance(v, list) and v and all(isinstance(a, str) for a in v) for v in cluster.values()):
        raise ConfigError(
            "TF_CONFIG needs a 'cluster' mapping each task type ('worker', 'chief') to a list of "
            f"host:port addresses; expected e.g. {_TF_CONFIG_EXAMPLE}."
        )
    if not isinstance(task, dict) or task.get("type") not in cluster or not isinstance(task.get("index"), int):
        raise ConfigError(
            f"TF_CONFIG's 'task' must name this process's type (one of {sorted(cluster)}) and its "
            f"integer 'index'; got {task!r}."
        )
    if not 0 <= task["index"] < len(cluster[task["type"]]):
        raise ConfigError(
            f"TF_CONFIG's task index {task['index']} is out of range: the cluster has "
            f"{len(cluster[task['type']])} {task['type']!r} task(s)."
        )
    return config


def worker_role(strategy_name, environ=None):
    """``(is_chief, task_name)`` of this process: ``(True, "chief")`` unless this is a
    non-chief worker of a multi-worker run (the chief is task "chief", or worker 0
    when the cluster has no "chief")."""
    if strategy_name != "multi_worker":
        return True, "chief"
    config = read_tf_config(environ)
    kind, index = config["task"]["type"], config["task"]["index"]
    chief = kind == "chief" or (kind == "worker" and index == 0 and "chief" not in config["cluster"])
    return chief, ("chief" if chief else f"{kind}_{index}")


def _tpu_strategy(tpu):
    import tensorflow as tf

    tpu = tpu or os.environ.get("TPU_NAME")
    if not tpu:
        raise ConfigError(
            "--strategy=tpu needs a TPU: pass --tpu=<TPU name or grpc://host:port> (or set "
            "TPU_NAME), or --tpu=local on a TPU VM."
        )
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as e:
        raise ConfigError(f"No TPU could be reached at {tpu!r}: {str(e).splitlines()[0]}") from None
    return tf.distribute.TPUStrategy(resolver)
