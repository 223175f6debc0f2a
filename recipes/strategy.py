"""Distribution strategies by name (the distributed recipes extend this)."""

import tensorflow as tf

from zoo.errors import ConfigError

STRATEGIES = ("auto", "default", "one_device", "mirrored")


def make_strategy(name="auto"):
    """``auto``: ``MirroredStrategy`` over all GPUs when there are several, else the default."""
    if name not in STRATEGIES:
        raise ConfigError(f"Unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}.")
    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto":
        name = "mirrored" if len(gpus) > 1 else "default"
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    return tf.distribute.MirroredStrategy()
