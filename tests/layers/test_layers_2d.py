"""Maxout, minibatch discrimination and virtual batch norm: NumPy references. (Their round trips are the
shared harness's: tests/layers/test_layer_harness.py.)"""

import numpy as np
import pytest

from layers import Maxout, MinibatchDiscrimination, VirtualBatchNormalization

RNG = np.random.default_rng(0)


def test_maxout_matches_numpy():
    x = RNG.normal(size=(4, 12)).astype("float32")
    got = Maxout(pieces=3)(x).numpy()
    np.testing.assert_allclose(got, x.reshape(4, 4, 3).max(-1), rtol=1e-6)
    with pytest.raises(ValueError, match="divisible by 5"):
        Maxout(pieces=5)(x)


def test_minibatch_discrimination_matches_numpy():
    layer = MinibatchDiscrimination(num_kernels=3, kernel_dim=2)
    x = RNG.normal(size=(5, 4)).astype("float32")
    got = layer(x).numpy()
    m = (x @ layer.kernel.numpy()).reshape(5, 3, 2)
    expected = np.zeros((5, 3))
    for i in range(5):
        for j in range(5):
            if i != j:
                expected[i] += np.exp(-np.abs(m[i] - m[j]).sum(-1))
    np.testing.assert_allclose(got[:, :4], x)
    np.testing.assert_allclose(got[:, 4:], expected, rtol=1e-5)
    # Identical samples are maximally close: each sees n - 1.
    same = layer(np.repeat(x[:1], 5, axis=0)).numpy()
    np.testing.assert_allclose(same[:, 4:], np.full((5, 3), 4.0), rtol=1e-6)


def test_virtual_batch_norm_matches_numpy_and_ignores_the_rest_of_the_batch():
    r = 6
    layer = VirtualBatchNormalization(reference_size=r)
    x = RNG.normal(2.0, 3.0, size=(r + 4, 3)).astype("float32")
    got = layer(x).numpy()
    ref = x[:r]
    for i in range(len(x)):
        mean = (r * ref.mean(0) + x[i]) / (r + 1)
        meansq = (r * (ref**2).mean(0) + x[i] ** 2) / (r + 1)
        np.testing.assert_allclose(got[i], (x[i] - mean) / np.sqrt(meansq - mean**2 + 1e-5), rtol=1e-4, atol=1e-5)
    # Row r+1's output is the same whether or not other non-reference rows are present.
    alone = layer(np.concatenate([ref, x[r + 1 : r + 2]])).numpy()
    np.testing.assert_allclose(alone[-1], got[r + 1], rtol=1e-5)
