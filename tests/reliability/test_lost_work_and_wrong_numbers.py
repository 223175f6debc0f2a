"""What an adversarial user broke: lost work, numbers that were wrong without an error, raw tracebacks.

One test per class of failure (the mechanism, not one case), each with the case that showed it.
Runs are tiny (28x28 DCGAN of width 4, batches of 8, a 32-image .npz).
"""

import csv
import os
import re
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

import exports
import zoo
from recipes.registry import make_config
from recipes.train import RunError, run
from exports.errors import ExportError
from zoo.errors import ConfigError, DataError, ZooError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class _Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs."""


@pytest.fixture
def digits(tmp_path):
    """A 32-image .npz (4 batches of 8 an epoch)."""
    path = tmp_path / "digits.npz"
    np.savez(path, x_train=np.random.default_rng(0).integers(0, 256, (32, 28, 28), dtype=np.uint8))
    return str(path)


def tiny(digits, **extra):
    return make_config("dcgan_mnist", {"dataset": digits, "epochs": 3, "batch_size": 8, "samples": 4,
                                       "latent_dim": 8, "width": 4, **extra})


def rows(workdir):
    with open(os.path.join(workdir, "losses.csv")) as f:
        return [int(r["epoch"]) for r in csv.DictReader(f)]


# ------------------------------------------------------------------ lost work


def test_overwrite_starts_from_nothing_even_after_a_killed_run(digits, tmp_path, monkeypatch):
    """--overwrite on a workdir whose run was killed used to resume the old backup with the new settings
    (and crash with another architecture)."""
    workdir = str(tmp_path / "run")
    original = zoo.AtomicBackupAndRestore._save_model

    def killed_after_epoch_1(self):
        original(self)
        if self._current_epoch == 2:
            raise _Killed()

    with monkeypatch.context() as patch:
        patch.setattr(zoo.AtomicBackupAndRestore, "_save_model", killed_after_epoch_1)
        with pytest.raises(_Killed):
            run(tiny(digits), workdir, verbose=0)
    assert os.path.isdir(os.path.join(workdir, "backup"))
    (tmp_path / "run" / "notes.txt").write_text("mine")
    summary = run(tiny(digits, width=8), workdir, verbose=0, overwrite=True)  # another architecture
    assert summary["steps_this_run"] == 3 * 4, "trained from scratch, all three epochs"
    assert rows(workdir) == [0, 1, 2]
    assert summary["recipe_config"]["model"]["width"] == 8
    assert (tmp_path / "run" / "notes.txt").read_text() == "mine", "only the run's own files are removed"


def test_a_kill_after_training_but_before_the_artifacts_only_finishes_the_saving(digits, tmp_path, monkeypatch):
    """The backup used to be deleted when fit returned: a kill before summary.json retrained every epoch
    and logged them twice."""
    workdir = str(tmp_path / "run")
    import zoo.io

    original = zoo.io.save_keras_atomic

    def killed_at_gan_keras(model, path):
        if str(path).endswith("gan.keras"):
            raise _Killed()
        return original(model, path)

    with monkeypatch.context() as patch:
        patch.setattr(zoo.io, "save_keras_atomic", killed_at_gan_keras)
        with pytest.raises(_Killed):
            run(tiny(digits), workdir, verbose=0)
    assert not os.path.exists(os.path.join(workdir, "summary.json"))
    summary = run(tiny(digits), workdir, verbose=0)
    assert summary["steps_this_run"] == 0, "nothing left to train: only the saving is finished"
    assert rows(workdir) == [0, 1, 2]
    assert set(summary["final_metrics"]) >= {"d_loss", "g_loss"}, "read back from losses.csv"
    for name in ("generator.keras", "gan.keras", "summary.json"):
        assert os.path.isfile(os.path.join(workdir, name))
    assert not os.path.exists(os.path.join(workdir, "backup")), "removed once everything is saved"


def test_a_kill_at_an_epoch_end_keeps_the_log_complete_and_without_duplicates(digits, tmp_path, monkeypatch):
    """The backup was written before the CSV logger: a kill between them lost the epoch's row for good."""
    workdir = str(tmp_path / "run")
    original = zoo.AtomicBackupAndRestore._save_model

    def killed_in_the_backup_of_epoch_1(self):
        if self._current_epoch == 2:
            raise _Killed()  # the log row of epoch 1 is written, its backup is not
        original(self)

    with monkeypatch.context() as patch:
        patch.setattr(zoo.AtomicBackupAndRestore, "_save_model", killed_in_the_backup_of_epoch_1)
        with pytest.raises(_Killed):
            run(tiny(digits), workdir, verbose=0)
    assert rows(workdir) == [0, 1]
    summary = run(tiny(digits), workdir, verbose=0)
    assert summary["steps_this_run"] == 2 * 4, "epoch 1 is redone"
    assert rows(workdir) == [0, 1, 2], "every epoch once"


def test_a_workdir_in_use_is_refused_naming_the_process(digits, tmp_path):
    """Two runs on one workdir both 'succeeded', the second overwriting the first."""
    workdir = tmp_path / "run"
    workdir.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; sys.path.insert(0, sys.argv[1]); from zoo.io import "
         "DirectoryLock; lock = DirectoryLock(sys.argv[2]).acquire(); print('held', flush=True); time.sleep(60)",
         ROOT, str(workdir)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunError, match=rf"is in use by process {holder.pid} .*stop it, or choose another "
                                           r"--workdir"):
            run(tiny(digits), str(workdir), verbose=0)
        assert not (workdir / "config.json").exists()
    finally:
        holder.kill()
        holder.wait()
    assert run(tiny(digits, epochs=1), str(workdir), verbose=0)["status"] == "finished", "the lock dies with it"


def test_a_failed_start_writes_nothing_so_the_next_command_works(digits, tmp_path):
    workdir = str(tmp_path / "run")
    with pytest.raises(DataError):
        run(tiny(str(tmp_path / "missing.npz")), workdir, verbose=0)
    assert not os.path.exists(workdir)
    assert run(tiny(digits, epochs=1), workdir, verbose=0)["status"] == "finished"


def test_an_empty_or_damaged_config_json_is_one_clear_error(digits, tmp_path):
    workdir = tmp_path / "run"
    workdir.mkdir()
    (workdir / "config.json").write_text("")
    with pytest.raises(RunError, match=r"config\.json' is damaged .*Pass --overwrite to start over"):
        run(tiny(digits), str(workdir), verbose=0)


def test_steps_runs_exactly_the_steps_asked_for(digits, tmp_path):
    """--steps=70 ran 124 steps (whole epochs of 62) while summary.json said 70."""
    summary = run(tiny(digits, steps=6), str(tmp_path / "run"), verbose=0)  # 4 batches an epoch
    assert summary["steps_this_run"] == 6 and summary["epochs"] * summary["steps_per_epoch"] == 6
    from recipes.train import schedule

    assert schedule(70, 62, 20) == (35, 2)
    assert schedule(None, 62, 20) == (62, 20)


def _export(generator, out, **kw):
    return exports.export_generator(generator, out, formats=("onnx",), **kw)


_KILLED_EXPORT = """
import os, sys
sys.path.insert(0, sys.argv[1])
import exports, zoo
import exports.api as api
new = zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=8, width=4, seed=1).generator
original, moved = os.rename, []

def rename(src, dst):
    moved.append(dst)
    if len(moved) == int(sys.argv[3]):
        os._exit(9)  # as SIGKILL: no finally, no cleanup
    return original(src, dst)

api.os.rename = rename
exports.export_generator(new, sys.argv[2], formats=("onnx",), overwrite=True)
"""


@pytest.mark.parametrize("kill_at", [2, 4], ids=["old-files-moved-out", "new-files-half-in"])
def test_a_killed_overwrite_export_is_rolled_back_to_the_complete_old_export(tmp_path, kill_at):
    """A kill during `exports --overwrite` left a manifest listing files that were gone, and the old files in
    a hidden directory that was never restored."""
    import exports.api as api

    out = tmp_path / "exported"
    _export(zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=8, width=4, seed=0).generator, out)
    before = api.load_manifest(out)
    proc = subprocess.run([sys.executable, "-c", _KILLED_EXPORT, ROOT, str(out), str(kill_at)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 9, proc.stderr[-2000:]
    assert [p for p in os.listdir(tmp_path) if p.startswith(".exported.export-")], "left behind by the kill"
    assert api.recover_exports(out) == 1  # what the next export, load_manifest or verify_export does first
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".exported.export-")]
    assert api.load_manifest(out)["files"] == before["files"]
    assert set(exports.verify_export(out)["generator-v1"]) == {"onnx"}, "the old export is complete and reproduces"


def test_an_exception_while_replacing_an_export_puts_the_old_one_back_at_once(tmp_path, monkeypatch):
    import exports.api as api

    out = tmp_path / "exported"
    _export(zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=8, width=4, seed=0).generator, out)
    before = api.load_manifest(out)
    original, moved = os.rename, []

    def full_disk(src, dst):
        moved.append(dst)
        if len(moved) == 4:
            raise OSError(28, "No space left on device")
        return original(src, dst)

    monkeypatch.setattr(api.os, "rename", full_disk)
    with pytest.raises(OSError):
        _export(zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=8, width=4, seed=1).generator, out, overwrite=True)
    monkeypatch.undo()
    assert api.load_manifest(out)["files"] == before["files"]
    assert set(exports.verify_export(out)["generator-v1"]) == {"onnx"}
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".exported.export-")]


# ------------------------------------------------------------------ wrong numbers without an error


def test_the_real_feature_cache_is_keyed_on_the_data_not_its_file_name(tmp_path):
    from recipes.evaluate import evaluate_generator

    generator = zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=8, width=4, seed=0).generator
    results = []
    for i, folder in enumerate(("a", "b")):
        (tmp_path / folder).mkdir()
        pixels = np.random.default_rng(i).integers(0, 256 if i == 0 else 64, (40, 28, 28), dtype=np.uint8)
        np.savez(tmp_path / folder / "digits.npz", x_test=pixels)
        results.append(evaluate_generator(generator, dataset=str(tmp_path / folder / "digits.npz"), metrics="fid",
                                          extractor="mnist", num_samples=40, num_real=40,
                                          cache_dir=str(tmp_path / "cache"))["results"]["fid"])
    assert results[0] != results[1], "two different digits.npz files must give two FIDs"


@pytest.fixture(scope="module")
def gan():
    keras.utils.set_random_seed(0)
    model = zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=4, width=4, seed=0)
    model.compile()
    return model


def _images(low=-1.0, high=1.0, n=16):
    return np.random.default_rng(0).uniform(low, high, (n, 28, 28, 1)).astype("float32")


@pytest.mark.parametrize("make, message", [
    (lambda: _images(0, 255), r"first batch has pixel values in \[.*, 255\] but the GAN trains on \[-1, 1\]"),
    (lambda: _images(0, 1), r"first batch has pixel values in \[.*\]: these look like images scaled to \[0, 1\]"),
    (lambda: np.where(np.arange(16)[:, None, None, None] == 3, np.inf, _images()).astype("float32"),
     r"first batch contains 784 NaN/Inf values"),
], ids=["floats-0-255", "floats-0-1", "inf-pixel"])
def test_a_dataset_is_checked_as_strictly_as_an_array(gan, make, message):
    with pytest.raises(DataError, match=message):
        gan.fit(tf.data.Dataset.from_tensor_slices(make()).batch(8), epochs=1, verbose=0)


def test_images_in_0_1_are_refused_as_arrays_too_and_an_empty_dataset_does_not_train(gan):
    with pytest.raises(DataError, match=r"x has pixel values .* scaled to \[0, 1\].*2 \* x - 1"):
        gan.fit(_images(0, 1), batch_size=8, epochs=1, verbose=0)
    with pytest.raises(DataError, match="The dataset is empty"):
        gan.fit(tf.data.Dataset.from_tensor_slices(_images()[:0]).batch(8), epochs=1, verbose=0)
    with pytest.raises(DataError, match="empty array"):
        gan.fit(_images()[:0], epochs=1, verbose=0)


@pytest.mark.parametrize("options, message", [
    (dict(clip_value=float("nan")), r"clip_value must be a number >= 0\.0 \(NaN and Inf are not\); got nan"),
    (dict(penalty_weight=float("inf")), r"penalty_weight must be a number >= 0\.0 \(NaN and Inf are not\)"),
    (dict(feature_matching=1e39), r"feature_matching must be a number >= 0\.0 \(NaN"),  # Inf as float32
    (dict(label_smoothing=float("nan")), r"label_smoothing must be a number in \[0\.0, 1\.0\) \(NaN"),
    (dict(ema_decay=float("nan")), r"ema_decay must be None"),
])
def test_non_finite_options_are_refused(options, message):
    with pytest.raises(ConfigError, match=message):
        zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=4, width=4, **options)


def test_non_finite_config_values_and_latents_are_refused(gan):
    with pytest.raises(ConfigError, match=r"Config key 'g_lr' must be a finite number; got nan"):
        make_config("dcgan_mnist", {"g_lr": float("nan")})
    with pytest.raises(ConfigError, match=r"Config key 'd_lr' must be a finite number; got inf"):
        make_config("dcgan_mnist", {"d_lr": float("inf")})
    with pytest.raises(DataError, match=r"z must be finite numbers .*within float32's range"):
        gan.generate(z=np.full((2, 4), 1e39))  # finite in float64, Inf in float32
    with pytest.raises(DataError, match="z must be real numbers; got complex values"):
        gan.generate(z=np.ones((2, 4)) * (1 + 1j))
    with pytest.raises(DataError, match="The images are complex numbers"):
        gan.fit(_images() * (1 + 0j), batch_size=8, epochs=1, verbose=0)


def _model(inputs, outputs):
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("g_activation, d_activation, loss, message", [
    ("tanh", "sigmoid", "non_saturating", r"discriminator ends in a sigmoid, but loss 'non_saturating' is "
                                          r"defined on raw scores"),
    ("tanh", "sigmoid", "wasserstein", r"discriminator ends in a sigmoid"),
    ("sigmoid", None, "non_saturating", r"generator ends in a sigmoid, so its images lie in \[0, 1\]"),
    (None, None, "non_saturating", r"generator's output layer has a 'linear' activation, so its images are "
                                   r"unbounded"),
])
def test_networks_that_break_the_contract_are_refused_when_the_gan_is_built(g_activation, d_activation, loss,
                                                                            message):
    z = keras.Input((4,), name="z")
    g = _model(z, keras.layers.Reshape((28, 28, 1))(keras.layers.Dense(784, activation=g_activation)(z)))
    x = keras.Input((28, 28, 1))
    d = _model(x, keras.layers.Dense(1, activation=d_activation)(keras.layers.Flatten()(x)))
    with pytest.raises(ConfigError, match=message):
        zoo.GAN(g, d, loss=loss)


def test_density_and_coverage_match_naeem_et_al_and_precision_recall_kynkaanniemi_et_al():
    """Boundary points were counted inside: identical sets gave density 1.333 instead of prdc's 1.0."""
    from zoo.metrics.prdc import prdc

    rng = np.random.default_rng(0)
    real = rng.standard_normal((60, 3))
    fake = np.concatenate([real[:20], rng.standard_normal((40, 3))])  # memorised samples on ball centres
    d_rr = np.linalg.norm(real[:, None] - real[None], axis=-1)
    d_ff = np.linalg.norm(fake[:, None] - fake[None], axis=-1)
    d_rf = np.linalg.norm(real[:, None] - fake[None], axis=-1)
    r_real, r_fake = np.sort(d_rr, axis=1)[:, 3], np.sort(d_ff, axis=1)[:, 3]
    reference = {  # Naeem et al.'s prdc (strict) and Kynkaanniemi et al.'s code (boundary included)
        "density": (d_rf < r_real[:, None]).sum(axis=0).mean() / 3,
        "coverage": (d_rf.min(axis=1) < r_real).mean(),
        "precision": (d_rf <= r_real[:, None]).any(axis=0).mean(),
        "recall": (d_rf <= r_fake[None]).any(axis=1).mean(),
    }
    out = prdc(real, fake, k=3)
    for key, value in reference.items():
        assert out[key] == pytest.approx(value), key
    assert prdc(real, real, k=3)["density"] == pytest.approx(1.0)


# ------------------------------------------------------------------ one clear line instead of a traceback


def _keras_bomb(path, size):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr("config.json", b" " * size)


def test_an_archive_with_a_huge_config_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from zoo import pretrained

    monkeypatch.setattr(pretrained, "MAX_ARCHIVE_JSON_BYTES", 1 << 20)
    path = str(tmp_path / "bomb.keras")
    _keras_bomb(path, 4 << 20)  # 4 MiB of spaces compress to a few KB
    assert os.path.getsize(path) < 100_000
    with pytest.raises(ZooError, match=r"config\.json unpacks to 4 MiB \(the limit is 1 MiB"):
        pretrained.load_keras_file(path)
    with pytest.raises(ExportError, match="unpacks to 4 MiB"):
        exports.export_generator(path, tmp_path / "out")
    (tmp_path / "notzip.keras").write_bytes(b"not a zip")
    with pytest.raises(ZooError, match="not a zip archive"):
        pretrained.load_keras_file(str(tmp_path / "notzip.keras"))


@pytest.mark.parametrize("content, message", [
    (lambda p: np.savez(p, x_train=np.array([object(), 1], dtype=object)), r"holds Python objects"),
    (lambda p: open(p, "wb").write(b"PK\x03\x04 truncated"), r"is not a readable \.npz file"),
], ids=["object-array", "damaged-zip"])
def test_bad_npz_files_are_one_clear_error(tmp_path, content, message):
    from recipes.data import resolve_source

    path = str(tmp_path / "bad.npz")
    content(path)
    with pytest.raises(DataError, match=message):
        resolve_source(path)


def test_a_folder_whose_first_image_is_corrupt_is_one_clear_error(tmp_path):
    from recipes.data import resolve_source

    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(DataError, match=r"a\.png is not a readable image"):
        resolve_source(str(tmp_path))


@pytest.mark.parametrize("call, message", [
    (lambda g: zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=4, width=4, seed=-1), r"seed must be None or an "
                                                                                     r"integer in \[0, 4294967295\]"),
    (lambda g: zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=4, width=4, seed=2**70), r"seed must be"),
    (lambda g: g.generate(2, seed=-1), r"seed must be None or an integer"),
    (lambda g: g.generate(2, seed=1.5), r"seed must be None or an integer"),
    (lambda g: g.generate(2, batch_size=0), r"batch_size must be a positive integer"),
    (lambda g: g.generate(2, batch_size=2.5), r"batch_size must be a positive integer"),
    (lambda g: g.generate(10**12), r"samples need .* GiB .*generate them in chunks"),
    (lambda g: g.generate(z=np.zeros((0, 4))), r"z holds no latents"),
    (lambda g: g.generate(z=[["a"] * 4]), r"z must be a numeric array"),
    (lambda g: make_config("dcgan_mnist", {"seed": -3}), r"seed must be None or an integer in"),
    (lambda g: g.fit(_images(), batch_size=0, verbose=0), r"fit\(\) batch_size must be None or an integer >= 1"),
    (lambda g: g.fit(_images(), batch_size=2.5, verbose=0), r"fit\(\) batch_size must be None or an integer"),
    (lambda g: g.fit(_images(), epochs=-1, verbose=0), r"fit\(\) epochs must be None or an integer >= 1"),
    (lambda g: g.fit(_images(), steps_per_epoch="2", verbose=0), r"fit\(\) steps_per_epoch must be"),
])
def test_python_api_misuse_raises_the_zoos_errors(gan, call, message):
    with pytest.raises(ZooError, match=message):
        call(gan)


def test_learning_rate_callbacks_act_on_both_optimizers(gan):
    gan.compile(d_optimizer=keras.optimizers.Adam(4e-4), g_optimizer=keras.optimizers.Adam(1e-4))
    schedule = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    gan.fit(_images(), batch_size=8, epochs=2, verbose=0, callbacks=[schedule])
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(1e-4)  # 4e-4 halved twice
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(2.5e-5), "the 4:1 ratio is kept"
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="g_loss", mode="min", patience=0, factor=0.1,
                                                min_delta=1e9)  # no epoch counts as an improvement
    gan.fit(_images(), batch_size=8, epochs=2, verbose=0, callbacks=[plateau])
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(2.5e-6, rel=1e-3)
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(1e-5, rel=1e-3)


def test_a_callback_that_cannot_tell_which_way_a_gan_loss_is_good_is_refused_at_fit_start(gan):
    with pytest.raises(ConfigError, match=r"EarlyStopping\(monitor='g_loss'\) watches a GAN loss term.*mode="):
        gan.fit(_images(), batch_size=8, epochs=1, verbose=0,
                callbacks=[keras.callbacks.EarlyStopping(monitor="g_loss")])
    gan.fit(_images(), batch_size=8, epochs=1, verbose=0,
            callbacks=[keras.callbacks.EarlyStopping(monitor="g_loss", mode="min")])  # explicit: allowed


def test_a_learning_rate_callback_with_a_schedule_is_refused_at_fit_start():
    gan = zoo.DCGAN(image_shape=(28, 28, 1), latent_dim=4, width=4, seed=0)
    d_opt, g_opt = zoo.linear_decay_optimizers(keras.optimizers.Adam, 1e-3, 1e-3, 10)
    gan.compile(d_optimizer=d_opt, g_optimizer=g_opt)
    with pytest.raises(ConfigError, match="follow a LearningRateSchedule"):
        gan.fit(_images(), batch_size=8, epochs=1, verbose=0,
                callbacks=[keras.callbacks.LearningRateScheduler(lambda e, lr: lr)])


def _cli(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=cwd or ROOT, env=env,
                          timeout=300)


@pytest.mark.parametrize("args, message", [
    (("recipes.train", "--epochs=abc"), r"^error: flag --epochs=abc: .*Run python -m recipes\.train --help"),
    (("recipes.evaluate", "--num_samples=x"), r"^error: flag --num_samples=x: .*recipes\.evaluate --help"),
    (("recipes.evaluate", "--generator=dcgan_mnist", "--out=/nonexistent/dir/e.json"),
     r"^error: --out=/nonexistent/dir/e\.json: the folder /nonexistent/dir does not exist"),
    (("recipes.fetch", "mnist", "--cache_dir={tmp}/a_file/cache"), r"--cache_dir=.*a_file/cache cannot be created: "
                                                                     r".*a_file is a file"),
], ids=["train-flag", "evaluate-flag", "evaluate-out-first", "fetch-cache-first"])
def test_cli_input_errors_are_one_line_and_come_before_the_work(args, message, tmp_path):
    (tmp_path / "a_file").write_text("x")
    proc = _cli(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert proc.returncode != 0
    lines = [l for l in proc.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and re.search(message, lines[0]), proc.stderr[-2000:]


def test_a_disk_too_full_for_the_artifacts_is_refused_before_training(digits, tmp_path, monkeypatch):
    import collections

    import recipes.train

    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(recipes.train.shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 2**20, 2**20))
    with pytest.raises(RunError, match=r"needs about \d+ MB free .* has 1 MB: free some space"):
        run(tiny(digits), str(tmp_path / "run"), verbose=0)
    assert not os.path.exists(tmp_path / "run")
