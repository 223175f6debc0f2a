"""Crash-safe writes: every artifact goes to a temporary file first, then is renamed."""

import os
import tempfile


def write_atomic(path, data):
    """Writes ``data`` (bytes or str) to ``path`` via a temporary file and a rename."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix="-" + os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_keras_atomic(model, path):
    """``model.save(path)`` for a ``.keras`` path, never leaving a half-written file."""
    if not str(path).endswith(".keras"):
        raise ValueError(f"A Keras model file must end in .keras; got {path!r}.")
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".keras")
    os.close(fd)
    try:
        model.save(tmp, overwrite=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
