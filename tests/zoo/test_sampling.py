"""zoo.sampling: the Sampler mixin on a bare generator (latents, generate, seeds, batching, the errors for
bad n / seed / batch_size / z) and check_latent_distribution. Labels, codes and noise inputs are tested
with the variants that have them (test_cgan.py, test_infogan.py, test_stylegan.py)."""

import keras
import numpy as np
import pytest

from zoo.errors import ConfigError, DataError
from zoo.sampling import MAX_SEED, Sampler, check_latent_distribution

LATENT_DIM = 3


def generator(input_name="z"):
    keras.utils.set_random_seed(0)
    z = keras.Input((LATENT_DIM,), name=input_name)
    x = keras.layers.Reshape((2, 2, 1))(keras.layers.Dense(4, kernel_initializer="random_normal")(z))
    return keras.Model(z, keras.layers.Activation("tanh", name="images")(x))


class Bare(Sampler):
    """A generator behind the Sampler, as zoo.load gives one."""

    def __init__(self, model, latent_distribution="normal"):
        self.generator = model
        self.latent_distribution = latent_distribution


@pytest.fixture(scope="module")
def sampler():
    return Bare(generator())


def test_what_the_sampler_reads_from_the_generator(sampler):
    assert sampler.latent_dim == LATENT_DIM and sampler.sample_shape == (2, 2, 1)
    assert not sampler.conditional and sampler.num_classes is None
    assert not sampler.has_codes and sampler.code_split is None and sampler.noise_inputs == []
    assert sampler.sampling_generator is sampler.generator
    assert Bare(generator(input_name="latents")).latent_dim == LATENT_DIM, "without a 'z' input: the first input"


def test_latents_are_reproducible_for_a_seed_and_follow_the_distribution(sampler):
    z = sampler.latents(4000, seed=5)
    assert z.shape == (4000, LATENT_DIM) and z.dtype == np.float32
    np.testing.assert_array_equal(sampler.latents(4000, seed=5), z)
    assert not np.allclose(sampler.latents(4000, seed=6), z)
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1.0) < 0.05  # N(0, 1): sd of the mean ~0.01
    assert not np.array_equal(sampler.latents(3), sampler.latents(3)), "seed=None: fresh latents"
    uniform = Bare(sampler.generator, "uniform").latents(4000, seed=5)
    assert uniform.min() >= -1 and uniform.max() <= 1 and abs(uniform.std() - np.sqrt(1 / 3)) < 0.02
    assert sampler.latents(np.int64(2), seed=np.uint32(MAX_SEED)).shape == (2, LATENT_DIM), "NumPy integers"


def test_generate_runs_the_generator_on_the_seeds_latents_in_batches(sampler):
    images = sampler.generate(7, seed=2)
    assert images.shape == (7, 2, 2, 1) and images.dtype == np.float32 and np.abs(images).max() <= 1
    np.testing.assert_array_equal(sampler.generate(7, seed=2), images)
    z = sampler.latents(7, seed=2)
    np.testing.assert_allclose(images, sampler.generator(z, training=False).numpy(), atol=1e-6)
    np.testing.assert_allclose(sampler.generate(z=z), images, atol=1e-6)
    np.testing.assert_allclose(sampler.generate(7, seed=2, batch_size=3), images, atol=1e-6)
    np.testing.assert_allclose(sampler.generate(z=z.astype("float64").tolist()), images, atol=1e-6)  # array-likes
    assert not np.allclose(sampler.generate(7, seed=3), images)


@pytest.mark.parametrize("kwargs, message", [
    (dict(), "exactly one of n"),
    (dict(n=2, z=np.zeros((2, LATENT_DIM))), "exactly one of n"),
    (dict(n=0), "n must be a positive integer"),
    (dict(n=-3), "n must be a positive integer"),
    (dict(n=2.0), "n must be a positive integer"),
    (dict(n=True), "n must be a positive integer"),
    (dict(n="4"), "n must be a positive integer"),
    (dict(n=2, batch_size=0), "batch_size must be a positive integer"),
    (dict(n=2, batch_size=1.5), "batch_size must be a positive integer"),
    (dict(z=np.zeros((2, LATENT_DIM)), batch_size=None), "batch_size must be a positive integer"),
    (dict(n=10**12), "more than half of this machine's"),
    (dict(n=2, seed=-1), r"seed must be None or an integer in \[0, 4294967295\]"),
    (dict(n=2, seed=MAX_SEED + 1), r"seed must be None or an integer in \[0, 4294967295\]"),
    (dict(n=2, seed=1.0), "seed must be None or an integer"),
    (dict(n=2, seed=True), "seed must be None or an integer"),
    (dict(n=2, seed="0"), "seed must be None or an integer"),
    (dict(z=np.zeros((2, LATENT_DIM + 1))), rf"z must have shape \(n, {LATENT_DIM}\)"),
    (dict(z=np.zeros(LATENT_DIM)), rf"z must have shape \(n, {LATENT_DIM}\)"),
    (dict(z=np.zeros((0, LATENT_DIM))), "z holds no latents"),
    (dict(z=np.full((2, LATENT_DIM), np.nan)), "finite"),
    (dict(z=np.full((2, LATENT_DIM), 1e39)), "finite"),
    (dict(z=np.ones((2, LATENT_DIM), complex)), "real numbers"),
    (dict(z=[["a"] * LATENT_DIM] * 2), "numeric array"),
    (dict(z=np.ones((2, LATENT_DIM), bool)), "numeric array"),
    (dict(n=2, labels=1), "not conditional"),
    (dict(n=2, codes=np.zeros((2, 2))), "no 'codes' input"),
    (dict(n=2, noise="zero"), "no noise inputs"),
])
def test_bad_requests_are_data_errors(sampler, kwargs, message):
    with pytest.raises(DataError, match=message):
        sampler.generate(**kwargs)


@pytest.mark.parametrize("n, seed", [(0, 0), (1.5, 0), (2, -1), (2, 2**40), (2, 0.5)])
def test_latents_refuse_bad_n_and_seed(sampler, n, seed):
    with pytest.raises(DataError, match="must be"):
        sampler.latents(n, seed=seed)


def test_check_latent_distribution():
    assert check_latent_distribution("normal") == "normal" and check_latent_distribution("uniform") == "uniform"
    for bad in ("cauchy", "Normal", None, 1):
        with pytest.raises(ConfigError, match=r"latent_distribution must be one of \('normal', 'uniform'\)"):
            check_latent_distribution(bad)
