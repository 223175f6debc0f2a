"""``export_generator``: one call from a trained generator to verified serving artifacts.

Layout of ``out_dir`` after ``export_generator(g, out_dir, name="generator", version=1)``:

    out_dir/
      manifest.json                       the manifest of the latest export into out_dir
      models.config                       TF Serving model_config_list (every model in out_dir)
      generator/1/                        SavedModel (TF Serving layout)
        saved_model.pb  variables/  fingerprint.pb  assets/
      generator-v1.onnx                   ONNX
      generator-v1.tflite                 LiteRT float32
      generator-v1.fp16.tflite            LiteRT with float16 weights
      generator-v1.parity.npz             the fixed inputs and Keras outputs used for parity
      generator-v1.manifest.json          this export's manifest (a copy of manifest.json)

Everything is built and verified in a temporary directory beside ``out_dir``
and only then renamed into place; the per-export manifest is written last, so
an export without its manifest is incomplete.
"""

import datetime
import errno
import importlib.metadata
import json
import os
import platform
import re
import shutil
import tempfile

import numpy as np

from exports import parity
from zoo.catalogue import CATALOGUE
from zoo.io import sha256_file
from exports.errors import ExportError, ParityError
from exports.generator import (GeneratorSpec, TensorInfo, describe_generator, load_generator,
                               sample_inputs)
from exports.graph import SERVING_DEFAULT, UINT8_SIGNATURE
from exports.onnx_export import DEFAULT_OPSET, check_opset
from exports.saved_model import MODELS_CONFIG, models_config_text, served_models

FORMATS = ("saved_model", "onnx", "litert")
MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_VERSIONED_PACKAGES = ("tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime", "numpy", "protobuf",
                       "ai-edge-litert")


# --------------------------------------------------------------------------- validation


def check_formats(formats):
    """A tuple of known format names from a list or a comma-separated string."""
    given = formats
    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(",") if f.strip()]
    try:
        formats = list(formats)
    except TypeError:
        formats = None
    if not formats or not all(isinstance(f, str) for f in formats):
        raise ExportError(
            f"formats must name at least one of {', '.join(FORMATS)} (a list or a comma-separated "
            f"string); got {given!r}."
        )
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ExportError(
            f"Unknown export format(s) {', '.join(map(repr, unknown))}: valid formats are "
            f"{', '.join(FORMATS)}."
        )
    return tuple(f for f in FORMATS if f in formats)


def check_name(name):
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ExportError(
            f"name must start with a letter and hold only letters, digits, '_' and '-' (it names "
            f"a directory and the TF Serving model); got {name!r}."
        )
    return name


def check_version(version):
    if isinstance(version, (bool, np.bool_)) or not isinstance(version, (int, np.integer)) or version < 1:
        raise ExportError(
            f"version must be a positive integer (TF Serving serves numbered versions); got "
            f"{version!r}."
        )
    return int(version)


def check_tolerance(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 2:
        raise ExportError(f"{what} must be a number between 0 and 2; got {value!r}.")
    return float(value)


def artifact_paths(name, version):
    """Relative path of each file or directory an export of ``(name, version)`` may write."""
    stem = f"{name}-v{version}"
    return {
        "saved_model": f"{name}/{version}",
        "onnx": f"{stem}.onnx",
        "litert": f"{stem}.tflite",
        "litert_fp16": f"{stem}.fp16.tflite",
        "parity_inputs": f"{stem}.parity.npz",
        "manifest": f"{stem}.manifest.json",
    }


def _prepare_out_dir(out_dir):
    """Absolute ``out_dir``; creates its parent; raises ``ExportError`` if it cannot be written."""
    if not isinstance(out_dir, (str, os.PathLike)) or not os.fspath(out_dir):
        raise ExportError(f"out_dir must be a directory path; got {out_dir!r}.")
    out = os.path.abspath(os.fspath(out_dir))
    hint = "Pass an output directory you can write to (--out=DIR)."
    if os.path.lexists(out) and not os.path.isdir(out):
        raise ExportError(f"The output path {out!r} exists and is not a directory. {hint}")
    parent = os.path.dirname(out)
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as e:
        raise ExportError(f"Cannot create {parent!r} ({e.strerror}). {hint}") from None
    for directory in (parent, out):
        if os.path.isdir(directory) and not os.access(directory, os.W_OK | os.X_OK):
            raise ExportError(f"The directory {directory!r} is not writable. {hint}")
    return out


# --------------------------------------------------------------------------- helpers


def _files_under(root, rel):
    """Relative paths (``/``-separated) of every file at or under ``root/rel``."""
    path = os.path.join(root, rel)
    if os.path.isfile(path):
        return [rel]
    found = []
    for dirpath, _, filenames in os.walk(path):
        for filename in filenames:
            full = os.path.join(dirpath, filename)
            found.append(os.path.relpath(full, root).replace(os.sep, "/"))
    return sorted(found)


def package_versions():
    versions = {"python": platform.python_version()}
    for package in _VERSIONED_PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=False)
        f.write("\n")


# --------------------------------------------------------------------------- parity plan


def _parity_plan(formats, paths, litert_runtime, fp16_tolerance):
    """``[(runtime group, [artifact job])]`` and ``{key: (tolerance, output dtype)}``."""
    groups, tolerances = {}, {}

    def add(group, key, kind, path, signature, tolerance, dtype="float32"):
        groups.setdefault(group, []).append(
            {"key": key, "kind": kind, "path": path, "signature": signature})
        tolerances[key] = (tolerance, dtype)

    if "saved_model" in formats:
        add("tensorflow", "saved_model", "saved_model", paths["saved_model"], SERVING_DEFAULT,
            parity.FLOAT32_TOLERANCE)
        add("tensorflow", "saved_model_uint8", "saved_model", paths["saved_model"], UINT8_SIGNATURE,
            parity.UINT8_TOLERANCE, "uint8")
    if "onnx" in formats:
        add("onnxruntime", "onnx", "onnx", paths["onnx"], None, parity.FLOAT32_TOLERANCE)
    if "litert" in formats:
        group = "litert" if litert_runtime == "ai_edge_litert" else "tensorflow"
        add(group, "litert", "tflite", paths["litert"], SERVING_DEFAULT, parity.FLOAT32_TOLERANCE)
        add(group, "litert_fp16", "tflite", paths["litert_fp16"], SERVING_DEFAULT, fp16_tolerance)
    return groups, tolerances


def _verify(root, groups, tolerances, spec, npz_path, reference, scratch, litert_runtime,
            exporting=True, progress=None, what=""):
    """Runs every artifact group in its own process; returns ``(errors, runtime info)``.

    Raises ``ParityError`` naming every artifact that is off (all of them are checked first).
    ``progress`` (a ``zoo.progress.Progress``): each group's start counts the step before it (the
    caller counts the last group's), so a plain log gets one line per step; ``what`` starts its notes.
    """
    errors, infos, failures = {}, {}, []
    for group, jobs in groups.items():
        if progress is not None:
            progress.advance(1, note=f"{what}parity of {', '.join(job['key'] for job in jobs)} ({group} process)")
        absolute = [dict(job, path=os.path.join(root, job["path"])) for job in jobs]
        outputs, report = parity.run_in_subprocess(absolute, npz_path, scratch, litert_runtime)
        if group in ("onnxruntime", "litert") and report["modules"].get("tensorflow"):
            raise ParityError(f"The {group} parity process imported tensorflow; it must not need it.")
        for job in jobs:
            key = job["key"]
            tolerance, dtype = tolerances[key]
            info = report["artifacts"][key]
            parity.check_io(key, info, spec, output_dtype=dtype)
            expected = reference if dtype == "float32" else {
                b: parity.uint8_reference(v) for b, v in reference.items()}
            error = parity.max_abs_error(outputs, key, expected)
            errors[key] = int(error) if dtype == "uint8" else error
            infos[key] = dict(info, process=group)
            if not error <= tolerance:
                failures.append(f"{key}: max |artifact - keras| = {error:.3g} > tolerance {tolerance:g}")
    errors = {k: errors[k] for k in tolerances if k in errors}  # the order of FORMATS
    if failures:
        advice = (". Nothing was written. If a layer is not supported faithfully by a format, "
                  "leave that format out (formats=...)." if exporting else
                  ". Export again (with --overwrite).")
        raise ParityError("Exported artifacts do not reproduce the Keras generator: "
                          + "; ".join(failures) + advice)
    return errors, infos


# --------------------------------------------------------------------------- export


def export_generator(generator, out_dir, formats=FORMATS, name=None, version=1,
                     opset=DEFAULT_OPSET, overwrite=False, fp16_tolerance=parity.FLOAT16_TOLERANCE,
                     serving_base_path="/models", seed=0, verbose="auto"):
    """Exports a generator to SavedModel / ONNX / LiteRT, verifies each artifact, returns the manifest.

    Args:
        generator: a functional ``keras.Model`` (or a ``zoo.GAN``, whose generator is taken: the
            weight average when it keeps one), a path to a ``.keras`` file, a recipe workdir containing
            ``generator.keras``, a preset folder or a catalogue name (``zoo.pretrained.load_generator``).
        out_dir: where the export goes (layout in this module's docstring).
        formats: any of ``"saved_model"``, ``"onnx"``, ``"litert"`` (list or comma-separated).
        name: the model name (TF Serving model name, directory and file stem); default: the entry's
            name for a catalogue name (``"dcgan_mnist"``), else ``"generator"``.
        version: a positive integer, the TF Serving version directory.
        opset: the ONNX opset (13 to 18).
        overwrite: replace an existing export of the same ``name`` and ``version``.
        fp16_tolerance: the largest absolute error allowed for the float16 LiteRT model.
        serving_base_path: where ``out_dir`` is mounted in the TF Serving container
            (``models.config`` names ``<serving_base_path>/<name>``).
        seed: seed of the fixed parity inputs.
        verbose: progress, one step per artifact written and per parity check (each runtime's
            process), with what runs now. "auto" (the default, as for ``keras.Model.export``,
            which also reports by default) or 1: a live bar on a terminal, plain lines when
            stdout is not one; 2: plain lines; 0: nothing (see ``zoo.progress``).

    Returns:
        The manifest (also written to ``out_dir/manifest.json``).

    Raises:
        ExportError (a ``zoo.errors.ConfigError``): bad arguments, a model that is not a
        generator, an existing export without ``overwrite``, an unwritable ``out_dir``.
        UnsafeGraphError: the graph calls into Python or draws random numbers.
        ParityError: an artifact does not reproduce the Keras outputs within tolerance.

    Example:
        >>> manifest = export_generator("runs/dcgan_mnist", "exported", version=1)
        >>> manifest["parity"]["max_abs_error"]["onnx"]
    """
    formats = check_formats(formats)
    if name is None:
        name = generator if isinstance(generator, str) and generator in CATALOGUE else "generator"
    name = check_name(name)
    version = check_version(version)
    if "onnx" in formats:
        opset = check_opset(opset)
    fp16_tolerance = check_tolerance(fp16_tolerance, "fp16_tolerance")
    if not isinstance(serving_base_path, str) or not serving_base_path.startswith("/"):
        raise ExportError(f"serving_base_path must be an absolute path; got {serving_base_path!r}.")
    from exports.litert_export import litert_runtime
    from zoo.progress import Progress, resolve_verbose

    resolve_verbose(verbose)  # a bad value fails before the work
    out = _prepare_out_dir(out_dir)
    recover_exports(out)
    paths = artifact_paths(name, version)
    _check_conflicts(out, paths, overwrite)

    loaded = load_generator(generator)
    model, source = loaded.network, loaded.source  # the Keras network (a PretrainedGenerator's generator)
    spec = describe_generator(model)
    groups, _ = _parity_plan(formats, paths, litert_runtime(), fp16_tolerance)
    # Keras outputs, SavedModel, ONNX, two LiteRT models, one parity process per runtime, placing.
    steps = 2 + ("onnx" in formats) + 2 * ("litert" in formats) + len(groups) + 1

    try:
        tmp = tempfile.mkdtemp(dir=os.path.dirname(out), prefix=f".{os.path.basename(out)}.export-")
    except OSError as e:
        raise ExportError(
            f"Cannot create a temporary directory beside {out!r} ({e.strerror}). Pass an output "
            "directory whose parent you can write to."
        ) from None
    from zoo.io import DirectoryLock

    lock = DirectoryLock(tmp).acquire()  # marks this temporary directory as live (see recover_exports)
    progress = Progress(steps, f"Exporting {name} version {version} to {out}", verbose=verbose, interval=0)
    try:
        stage, scratch = os.path.join(tmp, "stage"), os.path.join(tmp, "scratch")
        os.makedirs(stage)
        os.makedirs(scratch)
        manifest = _build(model, spec, source, stage, scratch, formats, name, version, opset,
                          paths, fp16_tolerance, seed, progress)
        progress.advance(1, note=f"placing the files into {out}")
        _place(tmp, stage, out, manifest, paths, overwrite, serving_base_path)
        progress.advance(1)
        return manifest
    finally:
        progress.close()
        _roll_back(tmp, out)  # an exception while replacing: put the previous export back first
        shutil.rmtree(tmp, ignore_errors=True)
        lock.release()


def _check_conflicts(out, paths, overwrite):
    existing = [rel for rel in paths.values() if os.path.lexists(os.path.join(out, rel))]
    if existing and not overwrite:
        raise ExportError(
            f"{os.path.join(out, existing[0])!r} already exists (an earlier export of this name and "
            "version). Pass overwrite=True (--overwrite) to replace it, or choose another "
            "version (--version=N)."
        )
    return existing


def _build(model, spec, source, stage, scratch, formats, name, version, opset, paths,
           fp16_tolerance, seed, progress):
    from exports.litert_export import QUANTIZATIONS, litert_runtime, write_tflite
    from exports.onnx_export import write_onnx
    from exports.saved_model import write_saved_model

    progress.advance(0, note="Keras outputs on the parity inputs")
    feeds = sample_inputs(spec, batch_sizes=(5, 1), seed=seed)
    reference = parity.keras_reference(model, feeds)
    for images in reference.values():
        if not np.all(np.isfinite(images)) or np.abs(images).max() > 1 + 1e-6:
            raise ExportError(
                "The generator's outputs are not images in [-1, 1] (found values outside that "
                "range or NaN); the generator contract needs a tanh-like output layer."
            )
    npz_path = os.path.join(stage, paths["parity_inputs"])
    np.savez(npz_path, **feeds, **{f"keras/{b}": v for b, v in reference.items()})
    progress.advance(1, note="writing the SavedModel")

    artifacts = {}
    saved_model_dir = os.path.join(stage if "saved_model" in formats else scratch, paths["saved_model"])
    os.makedirs(os.path.dirname(saved_model_dir), exist_ok=True)
    signatures = write_saved_model(model, spec, saved_model_dir)
    if "saved_model" in formats:
        artifacts["saved_model"] = {"path": paths["saved_model"], "signatures": {s: {} for s in signatures},
                                    "tf_serving": {"model_name": name, "version": version,
                                                   "config": MODELS_CONFIG}}
    if "onnx" in formats:
        progress.advance(1, note="converting to ONNX")
        write_onnx(model, spec, os.path.join(stage, paths["onnx"]), opset)
        artifacts["onnx"] = {"path": paths["onnx"], "opset": opset}
    runtime = litert_runtime()
    if "litert" in formats:
        progress.advance(1, note="converting to LiteRT")
        write_tflite(saved_model_dir, os.path.join(stage, paths["litert"]))
        progress.advance(1, note="converting to LiteRT (float16 weights)")
        write_tflite(saved_model_dir, os.path.join(stage, paths["litert_fp16"]), float16=True)
        artifacts["litert"] = {"path": paths["litert"], "quantization": QUANTIZATIONS["float32"]}
        artifacts["litert_fp16"] = {"path": paths["litert_fp16"],
                                    "quantization": QUANTIZATIONS["float16"]}

    groups, tolerances = _parity_plan(formats, paths, runtime, fp16_tolerance)
    errors, infos = _verify(stage, groups, tolerances, spec, npz_path, reference, scratch, runtime,
                            progress=progress)
    for key, info in infos.items():
        entry = {"inputs": info["inputs"], "outputs": info["outputs"], "runtime": info["runtime"],
                 "parity_process": info["process"]}
        if key == "saved_model":
            artifacts["saved_model"]["signatures"][SERVING_DEFAULT] = entry
        elif key == "saved_model_uint8":
            artifacts["saved_model"]["signatures"][UINT8_SIGNATURE] = entry
        else:
            artifacts[key].update(entry)

    files = {}
    for rel in [paths[k] for k in artifacts] + [paths["parity_inputs"]]:
        for f in _files_under(stage, rel):
            files[f] = sha256_file(os.path.join(stage, f))
    return {
        "manifest_version": MANIFEST_VERSION,
        "name": name,
        "version": version,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "source": source,
        "formats": list(formats),
        "inputs": spec.to_dict()["inputs"],
        "outputs": spec.to_dict()["outputs"],
        "artifacts": artifacts,
        "parity": {
            "inputs": paths["parity_inputs"],
            "batch_sizes": [5, 1],
            "seed": seed,
            "max_abs_error": errors,
            "tolerance": {k: v[0] for k, v in tolerances.items()},
            "note": "each artifact ran in a separate process (parity_process) on the inputs in "
                    "the .npz; errors are max |artifact - keras| over both batches (uint8: in "
                    "pixel levels)",
        },
        "versions": package_versions(),
        "files": dict(sorted(files.items())),
    }


def _place(tmp, stage, out, manifest, paths, overwrite, serving_base_path):
    """Moves the verified export from ``stage`` into ``out``; the manifests go last."""
    own = [paths[k] for k in manifest["artifacts"]] + [paths["parity_inputs"]]
    if not os.path.exists(out):
        names = served_models(stage)
        if names:
            with open(os.path.join(stage, MODELS_CONFIG), "w") as f:
                f.write(models_config_text(names, serving_base_path))
        _finish_manifest(manifest, stage, paths)
        os.chmod(stage, 0o755)
        try:
            os.rename(stage, out)  # the whole export appears at once
            return
        except OSError as e:
            if e.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            # out_dir appeared meanwhile: fall through and merge into it.
            for shared in (MODELS_CONFIG, MANIFEST, paths["manifest"]):
                if os.path.exists(os.path.join(stage, shared)):
                    os.remove(os.path.join(stage, shared))
    from zoo.io import write_atomic

    existing = _check_conflicts(out, paths, overwrite)
    replaced = os.path.join(tmp, "replaced")
    os.makedirs(replaced)
    # What a kill in the middle must undo: the journal lists the moves and keeps copies of the shared
    # files; recover_exports() rolls it back until the journal says "done".
    for shared in (MODELS_CONFIG, MANIFEST):
        if os.path.exists(os.path.join(out, shared)):
            shutil.copy2(os.path.join(out, shared), os.path.join(replaced, shared))
    journal = {"out": out, "replaced": [[rel, str(i)] for i, rel in enumerate(existing)],
               "placed": own + [paths["manifest"]],
               "state": "replacing"}
    write_atomic(os.path.join(tmp, JOURNAL), json.dumps(journal))
    for i, rel in enumerate(existing):  # only with overwrite=True
        os.rename(os.path.join(out, rel), os.path.join(replaced, str(i)))
    base = os.path.join(out, manifest["name"])
    if existing and os.path.isdir(base) and not os.listdir(base):
        os.rmdir(base)  # its only version was replaced by an export without a SavedModel
    for rel in own:
        target = os.path.join(out, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.rename(os.path.join(stage, rel), target)
    names = served_models(out)
    config = os.path.join(out, MODELS_CONFIG)
    if names:
        write_atomic(config, models_config_text(names, serving_base_path))
    elif os.path.exists(config):  # the last SavedModel was replaced: nothing left to serve
        os.remove(config)
    _finish_manifest(manifest, out, paths)
    write_atomic(os.path.join(tmp, JOURNAL), json.dumps({**journal, "state": "done"}))


JOURNAL = "journal.json"


def recover_exports(out_dir):
    """Rolls back or clears what killed exports into ``out_dir`` left behind; returns how many.

    An export builds in ``.<out>.export-*`` beside ``out_dir`` (locked while its process lives). One
    killed while replacing an older export (``overwrite=True``) is rolled back: its new files are
    removed, the old ones and the old manifest are put back, so ``out_dir`` again holds the complete
    previous export. Leftovers of killed builds are deleted. ``export_generator``, ``load_manifest``
    and ``verify_export`` call it first.
    """
    from zoo.io import DirectoryInUse, DirectoryLock

    out = os.path.abspath(os.fspath(out_dir))
    parent, prefix = os.path.dirname(out), f".{os.path.basename(out)}.export-"
    if not os.path.isdir(parent):
        return 0
    count = 0
    for entry in sorted(os.listdir(parent)):
        tmp = os.path.join(parent, entry)
        if not entry.startswith(prefix) or not os.path.isdir(tmp):
            continue
        try:
            lock = DirectoryLock(tmp).acquire()
        except (DirectoryInUse, OSError):
            continue  # a live export, or not ours to touch
        try:
            _roll_back(tmp, out)
            shutil.rmtree(tmp, ignore_errors=True)
            count += 1
        finally:
            lock.release()
    return count


def _roll_back(tmp, out):
    try:
        with open(os.path.join(tmp, JOURNAL)) as f:
            journal = json.load(f)
    except (OSError, ValueError):
        return  # killed before it touched out_dir
    if journal.get("state") != "replacing":
        return
    replaced = os.path.join(tmp, "replaced")
    kept_as = dict(journal["replaced"])
    for rel in journal["placed"]:
        if rel in kept_as and not os.path.lexists(os.path.join(replaced, kept_as[rel])):
            continue  # the old file was never moved out: what is there is still the old one
        path = os.path.join(out, rel)  # otherwise it is the new export's (or nothing)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.remove(path)
    for rel, kept in journal["replaced"]:
        if os.path.lexists(os.path.join(replaced, kept)):
            os.makedirs(os.path.dirname(os.path.join(out, rel)), exist_ok=True)
            os.replace(os.path.join(replaced, kept), os.path.join(out, rel))
    for shared in (MODELS_CONFIG, MANIFEST):
        if os.path.exists(os.path.join(replaced, shared)):
            os.replace(os.path.join(replaced, shared), os.path.join(out, shared))


def _finish_manifest(manifest, root, paths):
    """Records the shared files' hashes, then writes the per-export manifest and manifest.json."""
    from zoo.io import write_atomic

    config = os.path.join(root, MODELS_CONFIG)
    manifest["shared_files"] = {MODELS_CONFIG: sha256_file(config)} if os.path.exists(config) else {}
    text = json.dumps(manifest, indent=2) + "\n"
    write_atomic(os.path.join(root, paths["manifest"]), text)
    write_atomic(os.path.join(root, MANIFEST), text)


# --------------------------------------------------------------------------- verify


def load_manifest(out_dir, name=None, version=None):
    """The manifest of ``(name, version)`` in ``out_dir`` (default: the latest export)."""
    out = os.fspath(out_dir)
    recover_exports(out)
    path = os.path.join(out, MANIFEST if name is None else artifact_paths(name, version)["manifest"])
    if not os.path.isfile(path):
        raise ExportError(f"{path!r} does not exist: {out!r} holds no such export.")
    with open(path) as f:
        return json.load(f)


_EXPORT_MANIFEST_RE = re.compile(r"^(.+)-v([1-9][0-9]*)\.manifest\.json$")


def list_exports(out_dir):
    """``[(name, version)]`` of every complete export in ``out_dir`` (each has its own manifest), sorted."""
    out = os.fspath(out_dir)
    recover_exports(out)
    found = []
    if os.path.isdir(out):
        for entry in os.listdir(out):
            match = _EXPORT_MANIFEST_RE.match(entry)
            if match and _NAME_RE.match(match.group(1)):
                found.append((match.group(1), int(match.group(2))))
    return sorted(found)


def verify_export(out_dir, name=None, version=None, verbose="auto"):
    """Re-checks exports: every file's sha256, then parity against the stored Keras outputs.

    By default every export in ``out_dir`` is checked (all names, all versions), each one
    completely, and each is reported; ``name`` and/or ``version`` restrict the check to the
    exports that match.

    Returns:
        With both ``name`` and ``version``: that export's ``{artifact key: max abs error}``.
        Otherwise ``{"<name>-v<version>": {artifact key: max abs error}}`` for every export
        checked, in name and version order.

    Raises:
        ExportError: ``out_dir`` holds no (matching) export.
        ParityError: a file changed or vanished, or an artifact no longer reproduces the stored
            outputs within the manifest's tolerance. Raised after every export was checked; its
            message names each export that fails and why, and its ``results`` attribute maps
            each export to its errors (a dict) or to what failed (a string).

    ``verbose``: progress, one step for each export's file hashes and one per parity process,
    and a line with each export's outcome; as in ``export_generator``.
    """
    from exports.litert_export import litert_runtime
    from zoo.progress import Progress, resolve_verbose

    resolve_verbose(verbose)  # a bad value fails before the work
    out = os.path.abspath(os.fspath(out_dir))
    single = name is not None and version is not None
    if single:
        selected = [(check_name(name), check_version(version))]
    else:
        everything = list_exports(out)
        selected = [(n, v) for n, v in everything
                    if (name is None or n == name) and (version is None or v == version)]
        if not selected:
            wanted = " ".join(w for w in (f"named {name!r}" if name is not None else "",
                                          f"of version {version!r}" if version is not None else "") if w)
            held = ", ".join(f"{n} version {v}" for n, v in everything) or "none"
            raise ExportError(f"{out!r} holds no export{' ' + wanted if wanted else ''} to verify "
                              f"(exports there: {held}).")
    runtime = litert_runtime()
    plans = {}  # (name, version) -> (manifest, plan, why it cannot be checked)
    for n, v in selected:
        try:
            manifest = load_manifest(out, n, v)
            plans[(n, v)] = (manifest, _verification_plan(manifest, runtime), None)
        except (ExportError, OSError, ValueError, KeyError, TypeError) as e:
            if single and isinstance(e, ExportError):
                raise
            problem = f"The manifest of {n} version {v} cannot be read ({type(e).__name__}: {e}). Export again."
            if single:
                raise ExportError(problem) from None
            plans[(n, v)] = (None, None, problem)
    steps = sum(1 + (len(plan[2]) if plan else 0) for _, plan, _ in plans.values())
    what = f"{len(selected)} exports" if len(selected) > 1 else f"{selected[0][0]} version {selected[0][1]}"
    results, failures = {}, {}
    with Progress(steps, f"Verifying {what} in {out}", verbose=verbose, interval=0) as progress:
        pending = 0  # steps of the previous export not yet counted (counted with the next note)
        for (n, v), (manifest, plan, problem) in plans.items():
            key, label = f"{n}-v{v}", f"{n} version {v}"
            target = progress.done + pending + 1 + (len(plan[2]) if plan else 0)
            progress.advance(pending, note=f"{label}: file hashes")
            try:
                if problem:
                    raise ParityError(problem)
                results[key] = _verify_one(out, manifest, plan, runtime, progress, label)
                shown = ", ".join(f"{k} {e:.3g}" for k, e in results[key].items())
                progress.print(f"{label}: ok (max |error|: {shown})")
            except ParityError as e:
                if single:
                    raise
                failures[key] = results[key] = str(e)
                progress.print(f"{label}: FAILED: {e}")
            pending = target - progress.done
        progress.advance(pending)
    if failures:
        error = ParityError(
            f"{len(failures)} of {len(selected)} exports in {out!r} fail verification: "
            + " ".join(f"[{k}] {message}" for k, message in failures.items()))
        error.results = results
        raise error
    return results[f"{selected[0][0]}-v{selected[0][1]}"] if single else results


def _verification_plan(manifest, runtime):
    """``(spec, paths, groups, tolerances)`` of an export's parity check, from its manifest."""
    spec = GeneratorSpec(
        tuple(TensorInfo(t["name"], tuple(t["shape"]), t["dtype"], t.get("num_classes"))
              for t in manifest["inputs"]),
        TensorInfo(manifest["outputs"][0]["name"], tuple(manifest["outputs"][0]["shape"]),
                   manifest["outputs"][0]["dtype"]),
    )
    paths = artifact_paths(manifest["name"], manifest["version"])
    groups, tolerances = _parity_plan(manifest["formats"], paths, runtime,
                                      manifest["parity"]["tolerance"].get("litert_fp16",
                                                                          parity.FLOAT16_TOLERANCE))
    return spec, paths, groups, tolerances


def _verify_one(out, manifest, plan, runtime, progress, label):
    """One export's check (hashes, then parity); returns ``{artifact key: max abs error}``."""
    spec, paths, groups, tolerances = plan
    changed = [rel for rel, digest in manifest["files"].items()
               if not os.path.isfile(os.path.join(out, rel)) or sha256_file(os.path.join(out, rel)) != digest]
    if changed:
        raise ParityError(
            f"Files of the export changed or vanished since it was written: {', '.join(changed[:5])}. "
            "Export again (with --overwrite)."
        )
    npz_path = os.path.join(out, manifest["parity"]["inputs"])
    with np.load(npz_path) as data:
        reference = {k.split("/", 1)[1]: data[k] for k in data.files if k.startswith("keras/")}
    with tempfile.TemporaryDirectory(prefix="ganzoo-verify-") as scratch:
        errors, _ = _verify(out, groups, tolerances, spec, npz_path, reference, scratch, runtime,
                            exporting=False, progress=progress, what=f"{label}: ")
    return errors
