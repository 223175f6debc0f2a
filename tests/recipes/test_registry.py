import pytest

from recipes.registry import DEFAULT_RECIPE, RECIPES, TrainConfig, make_config, parse_overrides
from zoo.errors import ConfigError
from zoo.registry import variant_options


def test_default_recipe_is_dcgan_on_the_embedded_mnist():
    config = make_config()
    assert DEFAULT_RECIPE == "dcgan_mnist"
    assert config.variant == "dcgan" and config.dataset == "mnist_embedded"
    assert config.model == {"latent_dim": 100, "width": 64}


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_recipe_resolves_to_a_valid_config(name):
    config = make_config(name)
    assert isinstance(config, TrainConfig)
    assert set(config.model) <= set(variant_options(config.variant))


def test_overrides_reach_training_keys_and_variant_options():
    config = make_config("dcgan_mnist", parse_overrides(["width=32", "g_lr=1e-4", "epochs=3",
                                                         "loss=minimax", "image_size=None"]))
    assert config.model["width"] == 32 and config.model["loss"] == "minimax"
    assert config.g_lr == 1e-4 and config.epochs == 3 and config.image_size is None
    assert make_config(overrides={"d_lr": 1}).d_lr == 1.0  # ints are fine for floats
    assert make_config(overrides={"beta_1": 0}).beta_1 == 0.0


def test_unknown_recipe_lists_the_recipes():
    with pytest.raises(ConfigError, match=r"Unknown recipe 'dcgan_mnsit'. Known: .*dcgan_mnist"):
        make_config("dcgan_mnsit")


def test_unknown_key_lists_training_keys_and_variant_options():
    with pytest.raises(ConfigError, match=r"Unknown config key 'widht'.*Training keys: variant, dataset.*"
                                          r"Options of variant 'dcgan': .*width"):
        make_config(overrides={"widht": 8})


@pytest.mark.parametrize("overrides, message", [
    ({"epochs": "ten"}, r"'epochs' must be int; got 'ten'"),
    ({"epochs": 2.5}, r"'epochs' must be int"),
    ({"epochs": True}, r"'epochs' must be int"),
    ({"batch_size": 0}, r"'batch_size' must be positive"),
    ({"g_lr": -1e-3}, r"'g_lr' must be positive"),
    ({"beta_1": 1.0}, r"'beta_1' must be in \[0, 1\)"),
    ({"jit_compile": "yes"}, r"'jit_compile' must be bool"),
    ({"optimizer": "sgd"}, r"'optimizer' must be one of \(.adam., .rmsprop.\)"),
    ({"image_size": "big"}, r"'image_size' must be None or int"),
    ({"variant": "stylegan9"}, r"Unknown GAN variant 'stylegan9'"),
    ({"model": {}}, "one by one"),
])
def test_bad_values_are_rejected(overrides, message):
    with pytest.raises(ConfigError, match=message):
        make_config(overrides=overrides)


def test_parse_overrides():
    assert parse_overrides(["a=1", "b=0.5", "c=hello", "d=True", "e=[1, 2]", "f=None"]) == {
        "a": 1, "b": 0.5, "c": "hello", "d": True, "e": [1, 2], "f": None}
    with pytest.raises(ConfigError, match="key=value; got 'width'"):
        parse_overrides(["width"])
