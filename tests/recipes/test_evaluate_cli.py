"""recipes.evaluate: the in-process API with a cheap extractor, and the CLI's error handling."""

import json
import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "metrics"))
from metrics_testlib import ProjectionExtractor  # noqa: E402
from recipes.evaluate import evaluate_generator, format_table  # noqa: E402
from zoo.errors import ConfigError  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_pretrained_generator_against_embedded_mnist(tmp_path):
    report = evaluate_generator("dcgan_mnist", "mnist_embedded", "test", "fid,pr", ProjectionExtractor(),
                                num_samples=200, num_real=300, cache_dir=str(tmp_path))
    res = report["results"]
    assert report["generator"] == "zoo:dcgan_mnist" and res["num_real"] == 300 and res["num_samples"] == 200
    assert res["fid"] > 0 and 0 < res["precision"] <= 1
    (cached,) = os.listdir(tmp_path / "metrics")  # keyed on the data's content, then the extractor and count
    assert re.fullmatch(r"mnist_embedded-test-28x28x1-[0-9a-f]{16}-test_projection-n300\.npz", cached), cached
    assert "fid" in format_table(report)


def test_a_keras_file_and_a_workdir_are_accepted(tmp_path):
    import zoo

    gen = zoo.load("dcgan_mnist").model
    gen.save(tmp_path / "generator.keras")
    by_dir = evaluate_generator(str(tmp_path), metrics="fid", extractor=ProjectionExtractor(), num_samples=50,
                                num_real=60, cache_dir=str(tmp_path))
    by_file = evaluate_generator(str(tmp_path / "generator.keras"), metrics="fid", extractor=ProjectionExtractor(),
                                 num_samples=50, num_real=60, cache_dir=str(tmp_path))
    assert by_dir["results"]["fid"] == pytest.approx(by_file["results"]["fid"])


def test_vector_generators_are_refused(tmp_path):
    import keras

    z = keras.Input((2,), name="z")
    keras.Model(z, keras.layers.Dense(2)(z)).save(tmp_path / "g.keras")
    with pytest.raises(ConfigError, match="not images"):
        evaluate_generator(str(tmp_path / "g.keras"), extractor=ProjectionExtractor(), num_samples=4)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "recipes.evaluate", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("args,match", [
    ([], "--generator is required"),
    (["--generator=no_such_gan"], "does not exist"),
    (["--generator=dcgan_mnist", "--metrics=fid,foo"], "Unknown metric 'foo'"),
    (["--generator=dcgan_mnist", "--dataset=nope"], "nope"),
])
def test_cli_errors_are_one_line(args, match):
    proc = run_cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert match in proc.stderr and "Traceback" not in proc.stderr


def test_default_output_paths(tmp_path):
    from recipes.evaluate import default_output_path

    assert default_output_path(str(tmp_path)) == str(tmp_path / "evaluation.json")  # a workdir
    assert default_output_path("runs/a/generators/epoch_0004.keras") == "runs/a/generators/epoch_0004.evaluation.json"
    assert default_output_path("dcgan_mnist") == os.path.join("runs", "evaluate", "dcgan_mnist", "evaluation.json")


def test_a_zoo_name_is_evaluated_into_runs_evaluate_with_progress(tmp_path):
    """It used to write evaluation.json into the current directory, and print nothing until the end."""
    proc = subprocess.run([sys.executable, "-m", "recipes.evaluate", "--generator=dcgan_mnist", "--extractor=mnist",
                           "--metrics=fid", "--num_samples=128", "--num_real=128", f"--cache_dir={tmp_path / 'cache'}"],
                          cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "runs" / "evaluate" / "dcgan_mnist" / "evaluation.json"
    assert out.is_file() and not (tmp_path / "evaluation.json").exists()
    assert json.loads(out.read_text())["generator"] == "zoo:dcgan_mnist"
    assert f"the results will go to {out}" in proc.stdout and f"Wrote {out}." in proc.stdout
    assert "\r" not in proc.stdout  # stdout is a pipe: plain lines, no live bar
    for job in ("Real images", "Generated images"):
        lines = [line for line in proc.stdout.splitlines() if line.startswith(job)]
        assert 2 <= len(lines) <= 12 and "128/128 (100%)" in lines[-1] and "images/s" in lines[-1], proc.stdout


def test_quiet_evaluation_prints_nothing(tmp_path, capsys):
    """What --quiet passes (verbose=0); with the default, the extractions show progress."""
    report = evaluate_generator("dcgan_mnist", metrics="fid", extractor=ProjectionExtractor(), num_samples=50,
                                num_real=60, cache_dir=str(tmp_path), verbose=0)
    assert report["results"]["fid"] > 0 and capsys.readouterr().out == ""
    evaluate_generator("dcgan_mnist", metrics="fid", extractor=ProjectionExtractor(), num_samples=50, num_real=60,
                       cache_dir=str(tmp_path))
    assert "Generated images: test_projection features: 50/50 (100%)" in capsys.readouterr().out
