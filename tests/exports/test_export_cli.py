"""python -m exports: a full run from a recipe workdir, and one-line errors with exit status 2."""

import json
import os
import subprocess
import sys

import pytest

import exports_testlib as lib

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "exports", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A directory laid out like a finished recipe run (what the CLI reads is generator.keras)."""
    path = tmp_path_factory.mktemp("run")
    lib.dcgan_generator().save(path / "generator.keras")
    return path


def test_exports_a_workdir(workdir, tmp_path):
    out = tmp_path / "exported"
    proc = _cli(f"--generator={workdir}", f"--out={out}", "--formats=saved_model,onnx", "--name=mnist",
                "--version=3", "--opset=15")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr == ""  # TensorFlow's start-up lines are held back
    assert "Exported mnist version 3" in proc.stdout and "onnx" in proc.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["name"], manifest["version"], manifest["formats"]) == ("mnist", 3, ["saved_model", "onnx"])
    assert manifest["artifacts"]["onnx"]["opset"] == 15
    assert manifest["source"] == str(workdir / "generator.keras")
    assert (out / "mnist" / "3" / "saved_model.pb").is_file()
    assert (out / "mnist-v3.onnx").is_file()

    again = _cli(f"--generator={workdir}", f"--out={out}", "--formats=onnx", "--name=mnist", "--version=3")
    assert again.returncode == 2
    assert again.stderr.count("\n") == 1 and again.stderr.startswith("error: ")
    assert "already exists" in again.stderr and "--overwrite" in again.stderr


@pytest.mark.parametrize("args, message", [
    # Caught before TensorFlow is imported.
    ([], "--generator is required"),
    (["--generator=x.keras"], "--out is required"),
    (["--generator=x.keras", "--out=o", "--version=abc"], "--version must be an integer"),
    (["--generator=x.keras", "--out=o", "--bogus=1"], "Unknown command line flag 'bogus'"),
    (["--generator=x.keras", "--out=o", "stray"], "Unexpected arguments"),
])
def test_fast_errors(args, message):
    proc = _cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.mark.parametrize("args, message", [
    (["--formats=onnx,caffe"], "'caffe': valid formats are saved_model, onnx, litert"),
    (["--version=0"], "version must be a positive integer"),
    (["--generator=/no/such/run"], "does not exist"),
])
def test_errors_after_loading_tensorflow(workdir, tmp_path, args, message):
    base = {"--generator": str(workdir), "--out": str(tmp_path / "out")}
    for arg in args:
        key, value = arg.split("=", 1)
        base[key] = value
    proc = _cli(*[f"{k}={v}" for k, v in base.items()])
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert message in proc.stderr
    assert not (tmp_path / "out").exists()
