"""Crash-safe writes (every artifact goes to a temporary file first, then is renamed), checksums,
and archive extraction without path traversal (``safe_extract``)."""

import hashlib
import os
import posixpath
import re
import shutil
import stat
import tempfile

from zoo.errors import DataError


def cache_dir(override=None):
    """The zoo's cache directory: ``override``, ``$GANZOO_HOME`` or ``~/.cache/ganzoo``."""
    return os.path.abspath(
        os.path.expanduser(override or os.environ.get("GANZOO_HOME") or "~/.cache/ganzoo")
    )


def ensure_writable_dir(directory):
    """Creates ``directory`` and proves a file can be written in it (raises ``OSError`` if not)."""
    os.makedirs(directory, exist_ok=True)
    probe = os.path.join(directory, ".write-test")
    with open(probe, "w") as f:
        f.write("ok")
    os.remove(probe)


class DirectoryInUse(DataError):
    """Another live process holds the directory's lock."""


class DirectoryLock:
    """An exclusive lock on a directory, held by this process until ``release()`` or its exit.

    The lock is ``flock`` on ``<directory>/.lock`` (which records the holder's PID): the kernel drops
    it when the holder dies, however it dies, so a killed run never leaves a stale lock behind.
    ``acquire()`` raises ``DirectoryInUse`` naming the process that holds it.

    Example:
        >>> lock = DirectoryLock("runs/dcgan_mnist").acquire()
        >>> ...  # train, write artifacts
        >>> lock.release()
    """

    def __init__(self, directory):
        self.path = os.path.join(os.fspath(directory), ".lock")
        self._file = None

    def acquire(self):
        import fcntl

        f = open(self.path, "a+")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            f.close()
            raise DirectoryInUse(
                f"{os.path.dirname(self.path)!r} is in use by {holder}: wait for it to finish or stop it, "
                "or choose another directory."
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"process {os.getpid()} ({' '.join(_command_line())})")
        f.flush()
        self._file = f
        return self

    def release(self):
        if self._file is not None:
            self._file.close()  # closing the descriptor drops the flock
            self._file = None


def _command_line():
    try:
        with open(f"/proc/{os.getpid()}/cmdline", "rb") as f:
            args = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
        return [os.path.basename(args[0])] + args[1:4] if args else []
    except OSError:
        return []


def sha256_file(path):
    """The hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def _save_via_temp(save, path, suffix, what):
    """Calls ``save(tmp)`` on a temporary file beside ``path``, then renames it into place."""
    if not str(path).endswith(suffix):
        raise ValueError(f"A Keras {what} file must end in {suffix}; got {path!r}.")
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    try:
        save(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_weights_atomic(model, path):
    """``model.save_weights(path)`` for a ``.weights.h5`` path, via a temporary file and a rename."""
    _save_via_temp(lambda tmp: model.save_weights(tmp, overwrite=True), path, ".weights.h5", "weights")


def save_keras_atomic(model, path):
    """``model.save(path)`` for a ``.keras`` path, never leaving a half-written file."""
    _save_via_temp(lambda tmp: model.save(tmp, overwrite=True), path, ".keras", "model")


def save_compact_keras(model, path):
    """Saves ``model`` as a ``.keras`` file whose float32 weights are stored as float16 (half the size).

    Keras loads it as usual (``keras.models.load_model``, safe mode): the variables keep their float32
    dtype and take the float16 values, so only the weights' precision changes (a DCGAN generator's
    images move by about 2e-3). The catalogue ships its weights this way; measure metrics on the
    compact file, since that is what users load.
    """
    import io
    import zipfile

    import h5py
    import numpy as np

    def halve(name, obj, target):
        if isinstance(obj, h5py.Dataset):
            data = obj[()]
            target.create_dataset(name, data=data.astype(np.float16) if data.dtype == np.float32 else data)
        else:
            target.require_group(name)
        for key, value in obj.attrs.items():
            target[name].attrs[key] = value

    def save(tmp):
        model.save(tmp, overwrite=True)
        with zipfile.ZipFile(tmp) as original:
            members = [(item, original.read(item.filename)) for item in original.infolist()]
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as out:
            for item, data in members:
                if item.filename.endswith(".h5"):
                    buffer = io.BytesIO()
                    with h5py.File(io.BytesIO(data), "r") as source, h5py.File(buffer, "w") as target:
                        for key, value in source.attrs.items():
                            target.attrs[key] = value
                        source.visititems(lambda name, obj: halve(name, obj, target))
                    data = buffer.getvalue()
                out.writestr(item, data)

    _save_via_temp(save, path, ".keras", "model")


def float32_copy(model):
    """``model`` itself when every layer computes in float32, else a float32 copy (same
    architecture and weights, every mixed ``dtype`` policy replaced by ``float32``).

    Generators trained under ``mixed_float16``/``mixed_bfloat16`` are saved this way, so
    what users load and export computes in float32 (their weights are float32 already).
    """
    import keras

    def to_float32(obj):
        if isinstance(obj, dict):
            if obj.get("class_name") == "DTypePolicy" and isinstance(obj.get("config"), dict):
                return {**obj, "config": {**obj["config"], "name": "float32"}}
            return {k: to_float32(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [to_float32(v) for v in obj]
        return obj

    config = keras.saving.serialize_keras_object(model)
    converted = to_float32(config)
    if converted == config:  # every layer computes in float32 already
        return model
    copy = keras.saving.deserialize_keras_object(converted)
    copy.set_weights(model.get_weights())
    return copy


# ------------------------------------------------------------------ archives


class UnsafeArchiveError(DataError):
    """An archive member that would be written (or point) outside the extraction directory."""


def _member_problem(name, link=None, hard=False):
    """Why an archive member named ``name`` (a link to ``link`` if given) is unsafe, or ``None``."""
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return "has an absolute path"
    if ".." in norm.split("/"):
        return "has a '..' component (it would be written outside the target directory)"
    if link is None:
        return None
    target = link.replace("\\", "/")
    if target.startswith("/") or re.match(r"^[A-Za-z]:", target):
        return f"is a link to the absolute path {link!r}"
    # Symlink targets are relative to the link's directory, hard-link targets to the archive root.
    base = "" if hard else posixpath.dirname(norm)
    resolved = posixpath.normpath(posixpath.join(base, target))
    if resolved == ".." or resolved.startswith("../"):
        return f"is a link to {link!r}, outside the target directory"
    return None


def _unsafe(archive, name, why, done="nothing was extracted"):
    return UnsafeArchiveError(
        f"Refusing to extract {archive}: member {name!r} {why}. The archive is corrupt or malicious; "
        f"{done}. Get the file again from its official source."
    )


def safe_extract(archive, dest):
    """Extracts a ``.tar[.gz|.bz2|.xz]`` or ``.zip`` file into ``dest`` without path traversal.

    Every member is checked before anything is written: absolute paths, ``..``
    components, links (symbolic or hard) that point outside ``dest``, and device
    files or FIFOs are refused with ``UnsafeArchiveError`` naming the member. Tar
    members are then extracted with Python's ``"data"`` filter, which re-checks
    links against the real paths on disk (so chains of links cannot escape
    either); if it refuses a member, what was extracted is removed. Returns
    ``dest``.
    """
    import tarfile
    import zipfile

    archive = os.fspath(archive)
    dest = os.path.abspath(os.fspath(dest))
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                why = _member_problem(info.filename)
                if why is None and stat.S_ISLNK(info.external_attr >> 16):
                    why = "is a symbolic link (zip archives may hold only files and folders here)"
                if why:
                    raise _unsafe(archive, info.filename, why)
            os.makedirs(dest, exist_ok=True)
            zf.extractall(dest)
        return dest
    try:
        tar = tarfile.open(archive)
    except (tarfile.TarError, OSError) as e:
        raise DataError(f"{archive} is neither a zip nor a tar archive that can be read ({e}).") from None
    with tar:
        members = tar.getmembers()
        for m in members:
            if not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
                raise _unsafe(archive, m.name, "is a device file or FIFO")
            why = _member_problem(m.name, m.linkname if (m.issym() or m.islnk()) else None, m.islnk())
            if why:
                raise _unsafe(archive, m.name, why)
        existed = os.path.exists(dest)
        os.makedirs(dest, exist_ok=True)
        try:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(dest, members=members, filter="data")
            else:  # Python without extraction filters: extract files and folders only
                tar.extractall(dest, members=[m for m in members if m.isfile() or m.isdir()])
        except tarfile.FilterError as e:
            if not existed:
                shutil.rmtree(dest, ignore_errors=True)
            name = getattr(getattr(e, "tarinfo", None), "name", "?")
            done = "what it had extracted was removed" if not existed else f"some members may be in {dest}"
            raise _unsafe(archive, name, f"was refused on extraction ({e})", done) from None
    return dest
