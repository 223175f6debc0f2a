"""LinearDecay: its values at chosen steps against a hand computation, its bad arguments, its
serialisation, and the per-optimizer totals of linear_decay_optimizers (d_steps)."""

import keras
import numpy as np
import pytest

from zoo import LinearDecay, linear_decay_optimizers
from zoo.errors import ConfigError


@pytest.mark.parametrize("step, want", [
    (0, 1e-3), (4, 1e-3), (5, 1e-3),          # constant up to round(0.5 * 10) = 5
    (6, 8e-4), (8, 4e-4), (9, 2e-4),          # then 1e-3 / 5 less per step
    (10, 0.0), (25, 0.0),                     # 0 at total_steps and beyond
])
def test_constant_then_linear_to_zero(step, want):
    lr = LinearDecay(1e-3, total_steps=10)
    assert float(lr(step)) == pytest.approx(want, abs=1e-9)


def test_decay_start_sets_where_the_decay_begins():
    lr = LinearDecay(2.0, total_steps=8, decay_start=0.25)  # start = 2: 2, 2, 2, then 2 - 2/6 per step
    np.testing.assert_allclose([float(lr(t)) for t in range(9)], [2, 2, 2, 5 / 3, 4 / 3, 1, 2 / 3, 1 / 3, 0],
                               rtol=1e-6)
    from_zero = LinearDecay(1.0, total_steps=4, decay_start=0.0)
    np.testing.assert_allclose([float(from_zero(t)) for t in range(5)], [1, 0.75, 0.5, 0.25, 0], rtol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    (dict(initial_learning_rate=0.0), "initial_learning_rate must be a number > 0"),
    (dict(total_steps=0), "total_steps must be an integer >= 1"),
    (dict(total_steps=10.0), "total_steps must be an integer"),
    (dict(decay_start=1.5), r"decay_start must be a number >= 0 and <= 1"),
    (dict(decay_start=1.0), "decay_start must be < 1"),
    (dict(decay_start=-0.1), "decay_start must be a number >= 0"),
])
def test_bad_arguments_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        LinearDecay(**{**dict(initial_learning_rate=1e-3, total_steps=10), **kwargs})


def test_serialises_and_an_optimizer_follows_its_iterations():
    lr = LinearDecay(1e-3, total_steps=10, decay_start=0.5)
    again = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(lr))
    assert isinstance(again, LinearDecay) and again.get_config() == lr.get_config()
    opt = keras.optimizers.Adam(again)
    opt.iterations.assign(8)
    assert float(opt.learning_rate) == pytest.approx(4e-4)


def test_linear_decay_optimizers_count_each_players_updates():
    d_opt, g_opt = linear_decay_optimizers(lambda lr: keras.optimizers.SGD(lr), d_lr=4e-4, g_lr=1e-3,
                                           total_steps=10, d_steps=2)
    d_lr, g_lr = d_opt._learning_rate, g_opt._learning_rate
    assert isinstance(d_lr, LinearDecay) and isinstance(g_lr, LinearDecay)
    assert (d_lr.total_steps, g_lr.total_steps) == (20, 10)
    d_opt.iterations.assign(16)  # 8 train steps x 2 D updates
    g_opt.iterations.assign(8)
    assert float(d_opt.learning_rate) == pytest.approx(4e-4 * 0.4)
    assert float(g_opt.learning_rate) == pytest.approx(1e-3 * 0.4)
    with pytest.raises(ConfigError, match="d_steps must be an integer >= 1"):
        linear_decay_optimizers(keras.optimizers.SGD, 1e-3, 1e-3, total_steps=10, d_steps=0)
