"""Named training recipes: a (variant, dataset, hyper-parameters) config each.

A recipe states only what differs from ``TrainConfig``'s defaults (and the
variant's own defaults, under ``model``). Overrides come as ``key=value``
strings (``--config width=32``); a key is either a ``TrainConfig`` field or an
option of the recipe's variant. Unknown recipes and keys are errors that list
what exists.
"""

import ast
import dataclasses
import typing

from zoo.errors import ConfigError, did_you_mean
from zoo.checks import is_finite_float32
from zoo.registry import get_variant, variant_options
from zoo.sampling import check_seed


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs; ``model`` holds the variant's options."""

    variant: str = "dcgan"
    dataset: str = "mnist_embedded"
    split: str = "train"
    image_size: typing.Optional[int] = None  # resize the data to image_size x image_size
    channels: typing.Optional[int] = None  # 1 or 3: convert the data's channels
    batch_size: int = 64
    epochs: int = 20
    steps: typing.Optional[int] = None  # total train steps; overrides epochs
    steps_per_epoch: typing.Optional[int] = None  # train steps per epoch (default: one pass over the data)
    keep_generators: bool = False  # save generators/epoch_NNNN.keras after every epoch (checkpoint selection)
    optimizer: str = "adam"  # "adam" or "rmsprop" (WGAN with clipping)
    g_lr: float = 2e-4
    d_lr: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    seed: int = 0
    samples: int = 64  # images in each sample grid
    jit_compile: bool = False
    mixed_precision: str = "float32"  # or "float16" (mixed_float16 + loss scaling), "bfloat16" (mixed_bfloat16)
    # CycleGAN's schedule: both learning rates constant for this fraction of the run, then linearly to 0
    # (zoo.LinearDecay on each optimizer's update count); None keeps them constant.
    lr_decay: typing.Optional[float] = None
    model: dict = dataclasses.field(default_factory=dict)

    def to_dict(self):
        return dataclasses.asdict(self)


RECIPES = {
    # The default main job: DCGAN on the MNIST subset that ships with the zoo.
    # About 3 minutes on 2 CPU cores (20 epochs x 156 steps of 64 images).
    "dcgan_mnist": dict(
        variant="dcgan", dataset="mnist_embedded", epochs=20,
        model=dict(latent_dim=100, width=64),
    ),
    "dcgan_mnist_full": dict(
        variant="dcgan", dataset="mnist", epochs=5, model=dict(latent_dim=100, width=64),
    ),
    "dcgan_fashion_mnist": dict(
        variant="dcgan", dataset="fashion_mnist", epochs=10, model=dict(latent_dim=100, width=64),
    ),
    # Real users with TFDS: the paper's 32x32 and 64x64 settings.
    "dcgan_cifar10": dict(
        variant="dcgan", dataset="cifar10", epochs=30, batch_size=128,
        model=dict(latent_dim=100, width=64),
    ),
    # WGAN-GP (Gulrajani et al.): 5 critic steps, lambda 10, Adam(1e-4, 0.5, 0.9), no batch norm in D.
    "wgan_gp_fashion_mnist": dict(
        variant="dcgan", dataset="fashion_mnist", epochs=10, g_lr=1e-4, d_lr=1e-4, beta_1=0.5, beta_2=0.9,
        model=dict(latent_dim=100, width=64, d_norm="layer", loss="wasserstein", penalty="wgan_gp",
                   penalty_weight=10.0, d_steps=5),
    ),
    # WGAN (Arjovsky et al.): clipping at 0.01, 5 critic steps, RMSProp 5e-5.
    "wgan_mnist": dict(
        variant="dcgan", dataset="mnist_embedded", epochs=20, optimizer="rmsprop", g_lr=5e-5, d_lr=5e-5,
        model=dict(latent_dim=100, width=64, loss="wasserstein", clip_value=0.01, d_steps=5),
    ),
    # LSGAN and hinge/TTUR on the embedded MNIST (TTUR: D learns 4x faster, as in SAGAN).
    "lsgan_mnist": dict(variant="dcgan", dataset="mnist_embedded", epochs=20,
                        model=dict(latent_dim=100, width=64, loss="least_squares")),
    "hinge_ttur_mnist": dict(variant="dcgan", dataset="mnist_embedded", epochs=20, g_lr=1e-4, d_lr=4e-4,
                             beta_1=0.0, beta_2=0.9, model=dict(latent_dim=100, width=64, loss="hinge")),
    # Class-conditional MNIST (full 60k; num_classes comes from the data, batches carry labels).
    # embed_dim=10 keeps the shipped generator under 3.5 MB. About 5-7 min each on 2 CPU cores.
    # CGAN: projection discriminator (Miyato & Koyama 2018), label embedding in G.
    "cgan_mnist": dict(
        variant="cgan", dataset="mnist", epochs=5,
        model=dict(latent_dim=100, width=64, embed_dim=10, projection=True),
    ),
    # ACGAN (Odena et al. 2017): D's auxiliary class head; G's aux loss on its fakes, D's on real
    # digits only (with the paper's fake term too, 5 epochs left 5s and 8s at 79% and 88%).
    "acgan_mnist": dict(
        variant="acgan", dataset="mnist", epochs=5,
        model=dict(latent_dim=100, width=64, embed_dim=10, aux_weight=1.0, d_aux_fake=False),
    ),
    # InfoGAN (Chen et al. 2016) on the full MNIST without labels: z of 62, a 10-valued categorical
    # and 2 continuous codes (the paper's MNIST setting). Paper lrs: D 2e-4, G 1e-3; lambda 1. The paper's
    # networks (fc_units=1024: G FC1024-BN-ReLU before the 7x7x128 projection; D a shared FC1024-BN-lReLU,
    # Q FC128-BN-lReLU); without them the code matched the classes on 57% / 34% (seeds 0 / 1).
    "infogan_mnist": dict(
        variant="infogan", dataset="mnist", epochs=5, g_lr=1e-3, d_lr=2e-4,
        model=dict(latent_dim=62, categorical=10, continuous=2, width=64, fc_units=1024, categorical_weight=1.0,
                   continuous_weight=1.0),
    ),
    # SNGAN (Miyato et al. 2018): ResNet G/D, spectral norm in D, hinge loss, the paper's ResNet
    # setting (5 D steps, Adam(2e-4, 0, 0.9)); width 16 (the paper's 64) so CPU runs take minutes.
    "sngan_fashion_mnist": dict(
        variant="sngan", dataset="fashion_mnist", epochs=5, g_lr=2e-4, d_lr=2e-4, beta_1=0.0, beta_2=0.9,
        model=dict(latent_dim=128, width=16, d_steps=5),
    ),
    "sngan_cifar10": dict(
        variant="sngan", dataset="cifar10", epochs=200, g_lr=2e-4, d_lr=2e-4, beta_1=0.0, beta_2=0.9,
        model=dict(latent_dim=128, width=64, d_steps=5),
    ),
    # SAGAN (Zhang et al. 2019): SN in G and D, self-attention at 14x14, hinge, TTUR (G 1e-4, D 4e-4).
    "sagan_fashion_mnist": dict(
        variant="sagan", dataset="fashion_mnist", epochs=5, g_lr=1e-4, d_lr=4e-4, beta_1=0.0, beta_2=0.9,
        model=dict(latent_dim=128, width=16, attention=14),
    ),
    # BEGAN (Berthelot et al. 2017): auto-encoder D, uniform z of 64, h = 64, batch 16 (the paper's); width 32 (the
    # paper's 64-128). CPU-sized: 4 epochs = 2,500 steps (about 6 min on 2 shared cores) where the paper trains for
    # 100k+ steps at Adam(1e-4), so lr 5e-4 (at 1e-4 G was still grey noise after 1,500 steps) and lambda_k 0.01
    # (k_t reaches its equilibrium, ~0.3, within ~2 epochs; 0.04 gave fewer classes). gamma 1.0, not the paper's 0.5:
    # on MNIST thin "1"s are the easiest digits to reconstruct, and gamma 0.7 gave 94% "1"s; gamma 1.0 gave all ten
    # classes (still skewed to 1, 7, 9). Generator EMA 0.99 (a ~100-step average) cleans the strokes of the grid.
    "began_mnist": dict(
        variant="began", dataset="mnist_embedded", epochs=4, batch_size=16, g_lr=5e-4, d_lr=5e-4, beta_1=0.5,
        model=dict(latent_dim=64, hidden=64, width=32, gamma=1.0, lambda_k=0.01, latent_distribution="uniform",
                   ema_decay=0.99),
    ),
    "dcgan_celeba64": dict(
        variant="dcgan", dataset="celeb_a", image_size=64, epochs=10, batch_size=128,
        model=dict(latent_dim=100, width=128),
    ),
    # ProGAN (Karras et al. 2018) on Fashion-MNIST resized to 32x32: grows 4 -> 8 -> 16 -> 32 in one fit,
    # WGAN-GP + drift, Adam(1e-3, 0, 0.99). CPU-sized: 16k images per fade-in and per stabilisation phase (the
    # paper: 800k) and widths 64-16 (the paper: 512); 2 epochs = 120k images (the schedule ends at 112k),
    # about 10 minutes on 2 shared CPU cores. Generator EMA 0.99, not the paper's 0.999: with 500-step phases
    # a 0.999 average still held ~70% of the initial weights of a block 375 steps after it appeared (noise).
    "progan_fashion_mnist": dict(
        variant="progan", dataset="fashion_mnist", image_size=32, epochs=2, batch_size=32, g_lr=1e-3, d_lr=1e-3,
        beta_1=0.0, beta_2=0.99,
        model=dict(latent_dim=128, widths=(64, 64, 32, 16), phase_images=16_000, drift=0.001, ema_decay=0.99),
    ),
    # StyleGAN (Karras et al. 2019) on Fashion-MNIST at its own 28x28 (a 7x7 constant, 3 blocks): R1 (gamma 10),
    # style mixing 0.9, Adam(1e-3, 0, 0.99), generator EMA 0.998 (the paper's 10k-image half-life at batch 32).
    # CPU-sized: latent/w 64 (the paper: 512), widths 32-32-16; one epoch (1,875 steps), about 10 min on 2 CPU cores.
    "stylegan_fashion_mnist": dict(
        variant="stylegan", dataset="fashion_mnist", epochs=1, batch_size=32, g_lr=1e-3, d_lr=1e-3,
        beta_1=0.0, beta_2=0.99,
        model=dict(latent_dim=64, w_dim=64, width=32, ema_decay=0.998),
    ),
    # pix2pix (Isola et al. 2017): U-Net G (dropout 0.5), PatchGAN D on concat(input, target), cross-entropy + 100 * L1,
    # Adam(2e-4, 0.5). Offline task: binary Sobel edges -> Fashion-MNIST (padded to 32x32; d_layers=1 = 16x16 patches,
    # half the image as the paper's 70x70 of 256x256), width 16 (the paper: 64), batch 16 (the paper: 1-10); one epoch.
    "pix2pix_edges2fashion_mnist": dict(
        variant="pix2pix", dataset="edges2fashion_mnist", epochs=1, batch_size=16, samples=24,
        model=dict(width=16, d_layers=1, l1_weight=100.0),
    ),
    "pix2pix_edges2mnist": dict(
        variant="pix2pix", dataset="edges2mnist_embedded", epochs=4, batch_size=16, samples=24,
        model=dict(width=16, d_layers=1, l1_weight=100.0),
    ),
    # The paper's facades setting (labels -> photos, 256x256, batch 1, 200 epochs); needs pix2pix/facades (see recipes.translation).
    "pix2pix_facades": dict(
        variant="pix2pix", dataset="pix2pix/facades", image_size=256, channels=3, epochs=200, batch_size=1,
        model=dict(width=64, d_layers=3),
    ),
    # CycleGAN (Zhu et al. 2017): ResNet Gs with instance norm, PatchGAN Ds, LSGAN, cycle 10, identity 0.5 * 10, pools of 50,
    # Adam(2e-4, 0.5), lr constant for the first half of the run, then linearly to 0 (lr_decay=0.5).
    # CPU-sized: width 8 and 3 blocks (the paper: 64 and 6-9), 16x16 patches, batch 16 (the paper: 1).
    "cyclegan_mnist2inverted_mnist": dict(
        variant="cyclegan", dataset="mnist2inverted_mnist", epochs=2, batch_size=16, samples=24, lr_decay=0.5,
        model=dict(width=8, blocks=3, d_layers=1),
    ),
    "cyclegan_mnist2fashion_mnist": dict(
        variant="cyclegan", dataset="mnist2fashion_mnist", epochs=1, batch_size=16, samples=24, lr_decay=0.5,
        model=dict(width=8, blocks=3, d_layers=1),
    ),
    # The paper's horse2zebra setting: 256x256, 9 blocks, batch 1, 200 epochs (100 constant, 100 decaying to 0).
    "cyclegan_horse2zebra": dict(
        variant="cyclegan", dataset="cycle_gan/horse2zebra", image_size=256, channels=3, epochs=200,
        batch_size=1, lr_decay=0.5,
        model=dict(width=64, blocks=9, d_layers=3),
    ),
}

# One line per recipe for `python -m recipes.train --list` (recipe_description).
DESCRIPTIONS = {
    "dcgan_mnist": "DCGAN on the MNIST subset shipped with the zoo (default)",
    "dcgan_mnist_full": "DCGAN on the full 60k MNIST",
    "dcgan_fashion_mnist": "DCGAN on Fashion-MNIST",
    "dcgan_cifar10": "DCGAN, the paper's 32x32 setting, on CIFAR-10",
    "wgan_gp_fashion_mnist": "WGAN-GP: gradient penalty 10, 5 critic steps",
    "wgan_mnist": "WGAN: weight clipping 0.01, RMSProp, 5 critic steps",
    "lsgan_mnist": "LSGAN: DCGAN networks, least-squares loss",
    "hinge_ttur_mnist": "Hinge loss, TTUR (D learns 4x faster than G)",
    "cgan_mnist": "Conditional GAN with a projection discriminator",
    "acgan_mnist": "ACGAN: an auxiliary class head on D",
    "infogan_mnist": "InfoGAN: 10-way categorical + 2 continuous codes",
    "sngan_fashion_mnist": "SNGAN: ResNets, spectral norm in D, hinge (width 16)",
    "sngan_cifar10": "SNGAN, the paper's CIFAR-10 ResNet setting",
    "sagan_fashion_mnist": "SAGAN: self-attention at 14x14, spectral norm, TTUR",
    "began_mnist": "BEGAN: auto-encoder D with equilibrium control",
    "dcgan_celeba64": "DCGAN on CelebA faces at 64x64",
    "progan_fashion_mnist": "ProGAN: grows 4x4 -> 32x32 in one run, WGAN-GP",
    "stylegan_fashion_mnist": "StyleGAN: mapping net, AdaIN, R1, style mixing (small)",
    "pix2pix_edges2fashion_mnist": "pix2pix: Sobel edges -> clothes (paired)",
    "pix2pix_edges2mnist": "pix2pix: Sobel edges -> digits (paired)",
    "pix2pix_facades": "pix2pix, the paper's facades setting (256x256)",
    "cyclegan_mnist2inverted_mnist": "CycleGAN: digits <-> inverted digits (unpaired)",
    "cyclegan_mnist2fashion_mnist": "CycleGAN: digits <-> clothes (unpaired)",
    "cyclegan_horse2zebra": "CycleGAN, the paper's horse2zebra setting (256x256)",
}

# "Are GANs Created Equal?" (Lucic et al. 2018): the study's networks (zoo.StudyGAN / StudyBEGAN), z 64-d U(-1, 1),
# batch 64, Adam, the authors' default setting of each loss (compare_gan v1, params.py). The study's length is
# 20 x 50,000 / 64 = 15,625 discriminator updates (its loop steps G every disc_iters-th update), checkpointed
# every 3,906: here 4 epochs of 3,906 train steps with 1 D step, or of 781 train steps with 5 D steps.
STUDY_LOSSES = {
    "mm": dict(beta_1=0.0, lr=5e-5, model=dict(loss="minimax")),
    "ns": dict(beta_1=0.0, lr=5e-5, model=dict(loss="non_saturating")),
    "lsgan": dict(beta_1=0.5, lr=2e-4, model=dict(loss="least_squares_sigmoid")),
    "wgan": dict(beta_1=0.5, lr=5e-5, model=dict(loss="wasserstein", clip_value=0.01, d_steps=5)),
    "wgan_gp": dict(beta_1=0.5, lr=1e-4, model=dict(loss="wasserstein", penalty="wgan_gp", penalty_weight=10.0,
                                                      d_steps=5, d_batch_norm=False)),
    "dragan": dict(beta_1=0.5, lr=1e-4, model=dict(loss="non_saturating", penalty="dragan", penalty_weight=10.0)),
    "began": dict(beta_1=0.5, lr=1e-4, variant="study_began",
                  model=dict(gamma=0.75, lambda_k=1e-3, d_steps=5, d_batch_norm=False)),
}
STUDY_DATASETS = ("mnist", "fashion_mnist")
STUDY_D_UPDATES = 20 * 50_000 // 64  # 15,625
STUDY_CHECKPOINTS = 4


def study_recipe(loss, dataset):
    """The recipe dict of the study's author-default ``loss`` on ``dataset``."""
    setting = dict(STUDY_LOSSES[loss])
    model = dict(latent_dim=64, **setting.pop("model"))
    lr = setting.pop("lr")
    d_steps = model.get("d_steps", 1)
    per_checkpoint = STUDY_D_UPDATES // STUDY_CHECKPOINTS // d_steps  # 3,906 or 781 train steps
    return dict(variant=setting.pop("variant", "study"), dataset=dataset, batch_size=64, epochs=STUDY_CHECKPOINTS,
                steps_per_epoch=per_checkpoint, keep_generators=True, g_lr=lr, d_lr=lr, model=model, **setting)


RECIPES.update({f"study_{loss}_{dataset}": study_recipe(loss, dataset)
                for dataset in STUDY_DATASETS for loss in STUDY_LOSSES})
STUDY_TITLES = {"mm": "MM GAN", "ns": "NS GAN", "lsgan": "LSGAN", "wgan": "WGAN", "wgan_gp": "WGAN-GP",
                "dragan": "DRAGAN", "began": "BEGAN"}
DESCRIPTIONS.update({
    f"study_{loss}_{dataset}": f"Lucic et al. 2018: {STUDY_TITLES[loss]}, its authors' defaults"
    for dataset in STUDY_DATASETS for loss in STUDY_LOSSES})
DEFAULT_RECIPE = "dcgan_mnist"
OPTIMIZERS = ("adam", "rmsprop")
_FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}


def recipe_description(name):
    """One line on what recipe ``name`` trains (``--list``)."""
    recipe = RECIPES[name]
    return DESCRIPTIONS.get(name) or f"{recipe.get('variant', TrainConfig.variant)} on " \
                                     f"{recipe.get('dataset', TrainConfig.dataset)}"


def parse_overrides(pairs):
    """``["width=32", "g_lr=1e-4"]`` -> ``{"width": 32, "g_lr": 0.0001}``."""
    out = {}
    for pair in pairs or ():
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"A config override is key=value; got {pair!r}.")
        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            value = text.strip()
        out[key.strip()] = value
    return out


def make_config(recipe=DEFAULT_RECIPE, overrides=None):
    """The recipe's ``TrainConfig`` with ``overrides`` (a dict) applied and type-checked."""
    if recipe not in RECIPES:
        raise ConfigError(f"Unknown recipe {recipe!r}." + did_you_mean(recipe, RECIPES))
    base = dict(RECIPES[recipe])
    model = dict(base.pop("model", {}))
    overrides = dict(overrides or {})
    variant = overrides.pop("variant", base.get("variant", TrainConfig.variant))
    get_variant(variant)
    allowed_model = set(variant_options(variant)) - {"image_shape"}
    for key, value in overrides.items():
        if key == "model":
            raise ConfigError("Override the variant's options one by one (e.g. width=32), not model=.")
        if key in _FIELDS:
            base[key] = value
        elif key in allowed_model:
            model[key] = value
        else:
            raise ConfigError(
                f"Unknown config key {key!r} for recipe {recipe!r}. Training keys: "
                f"{', '.join(k for k in _FIELDS if k != 'model')}. Options of variant "
                f"{variant!r}: {', '.join(sorted(allowed_model))}."
            )
    base["variant"] = variant
    for key, value in base.items():
        base[key] = _coerce(key, value)
    return TrainConfig(model=model, **base)


def _coerce(key, value):
    """Checks ``value`` against the field's type; ints are accepted for floats."""
    hint = typing.get_type_hints(TrainConfig)[key]
    optional = typing.get_origin(hint) is typing.Union and type(None) in typing.get_args(hint)
    kind = next(t for t in typing.get_args(hint) if t is not type(None)) if optional else hint
    if value is None and optional:
        return None
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigError(
            f"Config key {key!r} must be {'None or ' if optional else ''}{kind.__name__}; "
            f"got {value!r} ({type(value).__name__})."
        )
    if isinstance(value, float) and not is_finite_float32(value):
        raise ConfigError(f"Config key {key!r} must be a finite number; got {value!r}.")
    if key == "seed":
        check_seed(value, ConfigError)
    if key in _POSITIVE and value <= 0:
        raise ConfigError(f"Config key {key!r} must be positive; got {value!r}.")
    if key == "optimizer" and value not in OPTIMIZERS:
        raise ConfigError(f"Config key 'optimizer' must be one of {OPTIMIZERS}; got {value!r}.")
    if key == "lr_decay" and not 0 <= value < 1:
        raise ConfigError(f"Config key 'lr_decay' must be None (constant learning rates) or in [0, 1) (the "
                          f"fraction of the run before the linear decay to 0; CycleGAN: 0.5); got {value!r}.")
    if key == "mixed_precision" and value not in PRECISIONS:
        raise ConfigError(f"Config key 'mixed_precision' must be one of {PRECISIONS}; got {value!r}.")
    if key in ("beta_1", "beta_2") and not 0 <= value < 1:
        raise ConfigError(f"Config key {key!r} must be in [0, 1); got {value!r}.")
    return value


PRECISIONS = ("float32", "float16", "bfloat16")
_POSITIVE = ("image_size", "channels", "batch_size", "epochs", "steps", "steps_per_epoch", "g_lr", "d_lr",
             "samples")
