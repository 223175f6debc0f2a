"""The README's examples run as written."""

import os
import re
import subprocess
import sys


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _python_block(heading):
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    section = text.split(heading, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_model_fit_example_runs_as_written(tmp_path):
    code = _python_block("## Train with `model.fit`")
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "runs" / "example"
    assert sorted(os.listdir(out / "samples")) == ["epoch_0001.png", "epoch_0002.png"]
    for name in ("losses.csv", "ckpt.weights.h5", "generator.keras", "gan.keras"):
        assert (out / name).is_file(), name


def test_readme_commands_are_the_ones_ci_runs():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    with open(os.path.join(ROOT, ".ci", "run")) as f:
        ci = f.read()
    assert 'pip install -e ".[test]" && python -m recipes.train' in readme
    assert "python -m pytest -q" in readme and "python -m pytest -q" in ci
    assert 'pip install --quiet -e ".[test]"' in ci


def test_metrics_example_runs_as_written(tmp_path):
    code = _python_block("## Measure sample quality")
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2", GANZOO_HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "'fid':" in proc.stdout and "'coverage':" in proc.stdout and "'num_real': 2000" in proc.stdout
