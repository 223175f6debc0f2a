"""The pretrained catalogue: what each entry is, how it was made and how good it is.

Data only: ``zoo.pretrained`` loads the files (``zoo.load``, ``GAN.from_preset``) and
writes presets. Each entry names its files in ``zoo/weights/`` with their sha256,
the command and seed that trained it, and metrics with the protocol that measured them.
"""

import dataclasses

# The licence of each training data set, for model cards (keys: the first word of ``PretrainedEntry.dataset``).
DATA_LICENCES = {
    "mnist": ("CC BY-SA 3.0", "MNIST by Yann LeCun and Corinna Cortes"),
    "mnist_embedded": ("CC BY-SA 3.0", "a subset of MNIST by Yann LeCun and Corinna Cortes"),
    "fashion_mnist": ("MIT", "Fashion-MNIST by Zalando Research"),
}


@dataclasses.dataclass(frozen=True)
class PretrainedEntry:
    """One trained model: its files, how it was made and its metrics.

    ``file``/``sha256``: the generator (``.keras``). ``discriminator_file``/``discriminator_sha256``
    (optional): the discriminator, shipped so that ``GAN.from_preset`` returns a model ``fit`` can
    fine-tune; ``config`` is then the GAN's ``get_config()`` (architecture and training options) and
    ``class_name`` its registered Keras name (e.g. ``"zoo>StudyGAN"``).
    """

    name: str
    variant: str
    dataset: str
    image_shape: tuple
    file: str
    sha256: str
    command: str
    metrics: dict
    latent_distribution: str = "normal"
    url: str = None
    notes: str = ""
    seed: int = None
    discriminator_file: str = None
    discriminator_sha256: str = None
    config: dict = None
    class_name: str = None

    @property
    def data_licence(self):
        """``(licence, source)`` of the training data, or ``None`` when the catalogue does not know it."""
        return DATA_LICENCES.get(self.dataset.split()[0] if self.dataset else "")

    @property
    def files(self):
        """``{role: (file, sha256)}`` for the generator and, where shipped, the discriminator."""
        files = {"generator": (self.file, self.sha256)}
        if self.discriminator_file:
            files["discriminator"] = (self.discriminator_file, self.discriminator_sha256)
        return files

    def to_json(self):
        """The entry as JSON-ready data (``preset.json``)."""
        data = dataclasses.asdict(self)
        data["image_shape"] = list(self.image_shape)
        return data

    @classmethod
    def from_json(cls, data):
        """The entry back from ``to_json()``'s data; unknown or missing fields raise ``ValueError``."""
        fields = {f.name for f in dataclasses.fields(cls)}
        required = {f.name for f in dataclasses.fields(cls)
                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
        unknown, missing = sorted(set(data) - fields), sorted(required - set(data))
        if unknown or missing:
            raise ValueError(f"unknown fields {unknown}" if unknown else f"missing fields {missing}")
        return cls(**{**data, "image_shape": tuple(data["image_shape"])})


CATALOGUE = {
    "dcgan_mnist": PretrainedEntry(
        name="dcgan_mnist", class_name="zoo>DCGAN", seed=0,
        variant="dcgan", dataset="mnist_embedded (10,000 real MNIST digits)",
        image_shape=(28, 28, 1), file="dcgan_mnist.generator.keras",
        sha256="acc34a89634ef761d3077ff3cafba044350a4a0bc23ad57fa49b70bc8f104c97",
        command="python -m recipes.train --recipe=dcgan_mnist --seed=0",
        metrics={"fid_inception": 33.38, "kid_inception": 0.01857, "precision": 0.375, "recall": 0.637,
                 "fcd_mnist_classifier": 34.76, "mnist_score": 6.09,
                 "metrics_note": "2,000 samples (seed 0) vs the first 2,000 MNIST test digits, on this float16 "
                 "file; "
                 "python benchmarks/quality.py --num=2000 (real MNIST train vs test at the same size: "
                 "FID 9.54, MNIST score of real digits 9.53)",
                 "confident_digit_fraction": 0.66,
                 "confident_digit_note": "share of 1,000 samples (seed 0) the zoo's MNIST classifier reads with "
                 "p > 0.9 (real test digits: 0.984); python benchmarks/digit_quality.py dcgan_mnist"},
        notes="20 epochs, latent 100, width 64; 3 min 20 s on 2 CPU cores.",
    ),
    # The study's networks (Lucic et al. 2018) with NS GAN at a point of the paper's narrow search range.
    "study_ns_fashion_mnist": PretrainedEntry(
        name="study_ns_fashion_mnist", class_name="zoo>StudyGAN", seed=0, variant="study",
        dataset="fashion_mnist (60,000 train images)", image_shape=(28, 28, 1), latent_distribution="uniform",
        file="study_ns_fashion_mnist.generator.keras",
        sha256="cee6e7b1c869157361a4840b6c62df09140facaf9ebec714c1697b652ff9f70e",
        command="python -m recipes.fetch fashion_mnist fid_inception && python benchmarks/study.py --losses=ns "
                "--datasets=fashion_mnist --seeds=0 --tag=lr2e-4_ema --config g_lr=2e-4 --config d_lr=2e-4 "
                "--config beta_1=0.5 --config ema_decay=0.999",
        metrics={"fid_inception": 14.30,
                 "metrics_note": "10,000 samples (latent seed 0) vs the 10,000 Fashion-MNIST test images, FID "
                 "Inception (the protocol of Lucic et al. 2018, whose best Fashion-MNIST row is 21.5 +- 1.6), on "
                 "this float16 file (the float32 snapshot: 14.30); python -m recipes.evaluate "
                 "--generator=study_ns_fashion_mnist --dataset=fashion_mnist --split=test --metrics=fid "
                 "--num_samples=10000 --num_real=10000"},
        notes="NS GAN with the study's G and D (batch norm in both), z 64-d U(-1, 1), batch 64, Adam 2e-4 / "
              "beta1 0.5 (the paper's narrow range), generator EMA 0.999 with standing batch-norm statistics, "
              "15,625 steps (the study's length); the last of its 4 checkpoints. About 100 min of training on "
              "2 shared CPU cores. Weights stored as float16 (13.4 MB).",
    ),
    # The same configuration on MNIST; it ships its discriminator, so StudyGAN.from_preset fine-tunes it.
    "study_ns_mnist": PretrainedEntry(
        name="study_ns_mnist", class_name="zoo>StudyGAN", seed=0, variant="study",
        dataset="mnist (60,000 train digits)", image_shape=(28, 28, 1), latent_distribution="uniform",
        file="study_ns_mnist.generator.keras",
        sha256="7aff56cd7cc07127491574a60b311b0eaf7b3a97cfee0c2074ab3a17fd655b27",
        discriminator_file="study_ns_mnist.discriminator.keras",
        discriminator_sha256="d4b8e8d3c0b4b7c93f23b8dd5e2b7472ff25b61d5caf3a53cafe5fb429b23050",
        config={"loss": "non_saturating", "d_steps": 1, "latent_distribution": "uniform", "seed": 0,
                "penalty": None, "penalty_weight": 10.0, "clip_value": None, "label_smoothing": 0.0,
                "feature_matching": 0.0, "historical_averaging": 0.0, "unrolled_steps": 0, "pack": 1,
                "ema_decay": 0.999, "ema_start": 0, "ema_standing_statistics": 32, "augment": None,
                "image_shape": [28, 28, 1], "latent_dim": 64, "d_batch_norm": True},
        command="python -m recipes.fetch mnist fid_inception && python benchmarks/study.py --losses=ns "
                "--datasets=mnist --seeds=0 --tag=lr2e-4_ema --config g_lr=2e-4 --config d_lr=2e-4 "
                "--config beta_1=0.5 --config ema_decay=0.999",
        metrics={"fid_inception": 6.61,
                 "metrics_note": "10,000 samples (latent seed 0) vs the 10,000 MNIST test digits, FID Inception "
                 "(the protocol of Lucic et al. 2018, whose NS GAN row is 6.8 +- 0.5 and best MNIST row 6.7 +- "
                 "0.4), on this float16 file (the float32 snapshot: 6.61); python -m recipes.evaluate "
                 "--generator=study_ns_mnist --dataset=mnist --split=test --metrics=fid --num_samples=10000 "
                 "--num_real=10000"},
        notes="NS GAN with the study's G and D (batch norm in both), z 64-d U(-1, 1), batch 64, Adam 2e-4 / "
              "beta1 0.5 (the paper's narrow range), generator EMA 0.999 with standing batch-norm statistics, "
              "15,625 steps (the study's length); the last of its 4 checkpoints (the lowest proxy FID). About "
              "100 min of training on 2 shared CPU cores. Generator and discriminator stored as float16 "
              "(13.4 + 13.2 MB).",
    ),
    # Class-conditional: generate(n, labels=k). Accuracy = share of 1,000 samples per label (the same
    # latents, seed 0, for every label) that the zoo's MNIST classifier (99.5% on real test digits)
    # labels as requested: python benchmarks/conditional_accuracy.py runs/<name>.
    "cgan_mnist": PretrainedEntry(
        name="cgan_mnist", class_name="zoo>CGAN", variant="cgan", dataset="mnist (60,000 train digits, with labels)",
        image_shape=(28, 28, 1), file="cgan_mnist.generator.keras",
        sha256="7834cc4ad0d5a231468dd4fb04af014e4491461223d5a2de87e630850e6a13c4",
        command="python -m recipes.train --recipe=cgan_mnist --workdir=runs/cgan_mnist",
        metrics={"per_class_accuracy": {0: 1.0, 1: 1.0, 2: 0.97, 3: 0.992, 4: 0.997, 5: 0.994, 6: 0.999,
                                        7: 1.0, 8: 0.988, 9: 0.994},
                 "min_accuracy": 0.97, "mean_accuracy": 0.9934,
                 "samples_per_label": 1000, "seed": 0, "classifier": "mnist_cnn_v1-5dedcc18691d"},
        notes="CGAN: projection discriminator, label embedding (10-d) in G; 5 epochs (4,685 steps of 64), "
              "latent 100, width 64; 4 min 27 s on 2 shared CPU cores.",
    ),
    "acgan_mnist": PretrainedEntry(
        name="acgan_mnist", class_name="zoo>ACGAN", variant="acgan", dataset="mnist (60,000 train digits, with labels)",
        image_shape=(28, 28, 1), file="acgan_mnist.generator.keras",
        sha256="0f53474e8d034c3a358f918304c6669a1ea53eea0bec3d0f2f25c78a1ac95ef9",
        command="python -m recipes.train --recipe=acgan_mnist --workdir=runs/acgan_mnist",
        metrics={"per_class_accuracy": {0: 1.0, 1: 0.997, 2: 0.966, 3: 0.978, 4: 0.929, 5: 0.995, 6: 0.998,
                                        7: 1.0, 8: 0.913, 9: 0.952},
                 "min_accuracy": 0.913, "mean_accuracy": 0.9728,
                 "samples_per_label": 1000, "seed": 0, "classifier": "mnist_cnn_v1-5dedcc18691d"},
        notes="ACGAN: auxiliary class head, aux weight 1, D's aux term on real digits only "
              "(d_aux_fake=False); 5 epochs (4,685 steps of 64), latent 100, width 64; 4 min 3 s on 2 "
              "shared CPU cores.",
    ),
    # InfoGAN: generate(n, categorical=k, continuous=[c1, c2]); categorical value k draws mostly the digit
    # metrics["code_to_digit"][k] (an unsupervised model: the order of its codes is arbitrary).
    "infogan_mnist": PretrainedEntry(
        name="infogan_mnist", class_name="zoo>InfoGAN", seed=2,
        variant="infogan", dataset="mnist (60,000 train digits, labels unused)",
        image_shape=(28, 28, 1), file="infogan_mnist.generator.keras",
        sha256="20c653c27e6e7573e0d3f230574a242972430a4a6aa0d2afa580df219bf77acd",
        command="python -m recipes.fetch mnist && python -m recipes.train --recipe=infogan_mnist --seed=2 "
                "--workdir=runs/infogan_mnist_seed2",
        metrics={"fid_inception": 19.52, "kid_inception": 0.00855, "precision": 0.669, "recall": 0.449,
                 "density": 0.608, "coverage": 0.554,
                 "metrics_note": "2,000 samples (seed 0, codes drawn uniformly) vs the first 2,000 MNIST test "
                 "digits, on this float16 file (the float32 run: FID 19.53); python -m recipes.evaluate "
                 "--generator=infogan_mnist --dataset=mnist --metrics=fid,kid,pr --num_samples=2000 "
                 "--num_real=2000",
                 "code_agreement": 0.8963, "code_to_digit": [7, 3, 4, 0, 5, 6, 2, 1, 9, 8],
                 "code_purity": [0.998, 0.999, 0.561, 0.994, 0.982, 0.998, 0.983, 1.0, 0.545, 0.994],
                 "code_note": "python benchmarks/infogan_codes.py zoo/weights/infogan_mnist.generator.keras "
                 "(1,000 samples per "
                 "categorical value, MNIST classifier, best one-to-one matching); codes 2 and 8 mix 4 and 9; "
                 "seeds 0/1/3 of the same recipe reach 79.1/81.3/83.2%"},
        notes="InfoGAN with the paper's MNIST networks (fc_units=1024), latent 62, 10-valued categorical + 2 "
              "continuous codes; 5 epochs (4,685 steps of 64); 26-40 min on 2 CPU cores shared with other "
              "jobs. The best of 4 seeds. Stored as float16 (13.3 MB; the FC layers hold 6.5M weights).",
    ),
    # One of the image architectures: SAGAN (SN in G and D, self-attention at 14x14, hinge, TTUR).
    "sagan_fashion_mnist": PretrainedEntry(
        name="sagan_fashion_mnist", class_name="zoo>SAGAN", seed=0,
        variant="sagan", dataset="fashion_mnist (60,000 train images)",
        image_shape=(28, 28, 1), file="sagan_fashion_mnist.generator.keras",
        sha256="a12a8458d457e051c67383714f26153e9ca484006fdf523a123186ec61ba57cb",
        command="python -m recipes.fetch fashion_mnist && python -m recipes.train "
                "--recipe=sagan_fashion_mnist --steps=1500 --seed=0",
        metrics={"fid_inception": 71.13, "kid_inception": 0.05223, "precision": 0.327, "recall": 0.184,
                 "density": 0.191, "coverage": 0.150,
                 "metrics_note": "2,000 samples (seed 0) vs the first 2,000 Fashion-MNIST test images, on this "
                 "float16 file; python -m recipes.evaluate --generator=sagan_fashion_mnist "
                 "--dataset=fashion_mnist --metrics=fid,kid,pr --num_samples=2000 --num_real=2000 (the same "
                 "protocol gave the dcgan_fashion_mnist recipe's 5-epoch run FID 45.6: this short SAGAN run is "
                 "worse; the only SAGAN entry, kept as the example of its variant)"},
        notes="SAGAN width 16 (the paper's 64), latent 128; 2 epochs (1,874 steps of 64); 25 min on 2 CPU "
              "cores shared with other jobs.",
    ),
}
