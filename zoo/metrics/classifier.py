"""The zoo's MNIST classifier as a metrics feature extractor.

    >>> from zoo.metrics.classifier import load_mnist_classifier, predict_labels
    >>> clf = load_mnist_classifier()
    >>> clf.features(images).shape, clf.logits(images).shape   # (n, 128), (n, 10)
    >>> labels, probabilities = predict_labels(images)

Used for the MNIST score (Inception-score formula on ``logits``), the Frechet
classifier distance (FID formula on ``features``), Stacked-MNIST mode counting
(one call per colour channel) and checking that conditional GANs draw the digit
they were asked for. The network is trained by ``python -m recipes.classifier``
(see that module and ``zoo/weights/mnist_classifier.json`` for its recipe and
test accuracy); the shipped file is checked against ``SHA256`` before it is
opened, and opened with Keras safe mode.
"""

import functools
import os

import numpy as np

from zoo.errors import DataError
from zoo.metrics.extractor import FeatureExtractor, check_images

WEIGHTS_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "weights", "mnist_classifier.keras")
#: sha256 of the shipped weights; retraining changes it, and with it ``MNISTClassifier.name``.
SHA256 = "5dedcc18691d372323fb86ca52e85748384bccd8b621aec6c4617b5188ee360b"
SIZE = 28
NUM_CLASSES = 10


class MNISTClassifier(FeatureExtractor):
    """A small MNIST CNN (about 99.5% test accuracy): 128-d features and 10 logits.

    Input convention:

    * NHWC batches, either floats in [-1, 1] (the generator convention: white
      digits on a -1 background, like MNIST) or uint8 in [0, 255]; both are
      validated by ``check_images`` (wrong rank, NaN/Inf or out-of-range values
      raise ``zoo.errors.DataError``).
    * Any spatial size: images that are not 28x28 are resized to 28x28 with
      bilinear interpolation and antialiasing (``tf.image.resize``), so 32x32
      MNIST goes through as is. The digit should fill the frame as in MNIST.
    * 1 or 3 channels: RGB is turned into grey by the mean of the channels.
      Stacked-MNIST (one digit per channel) must instead classify each channel
      on its own: call this on ``images[..., c:c+1]`` for each ``c``, or use
      ``predict_labels(images, per_channel=True)``.

    ``features`` are the 128 outputs of the penultimate dense layer
    (``features``) *before* its ReLU (full-rank, roughly Gaussian: what the
    Frechet distance assumes); ``logits`` are the pre-softmax outputs of the
    last layer (``logits``).
    ``name`` contains the start of the weights' sha256, so statistics cached
    under it are never reused with other weights.
    """

    dim = 128
    num_classes = NUM_CLASSES

    def __init__(self, path=None, expected_sha256=SHA256):
        import keras
        import tensorflow as tf

        from zoo.pretrained import load_keras_file

        self.path = os.path.abspath(path or WEIGHTS_FILE)
        if not os.path.isfile(self.path):
            from zoo.errors import DatasetUnavailableError

            raise DatasetUnavailableError(
                f"The MNIST classifier weights {self.path} are missing: `git checkout "
                "zoo/weights/mnist_classifier.keras`, or retrain with `python -m recipes.classifier`."
            )
        model = load_keras_file(self.path, expected_sha256)
        self.model = model
        self.sha256 = expected_sha256
        self.name = f"mnist_cnn_v1-{expected_sha256[:12]}"
        features = model.get_layer("features").output
        self.dim = int(features.shape[-1])
        self._both = keras.Model(model.inputs, [features, model.outputs[0]], name="mnist_cnn_features_logits")
        spec = tf.TensorSpec([None, SIZE, SIZE, 1], tf.float32)
        self._run = tf.function(lambda x: self._both(x, training=False), input_signature=[spec])

    # ------------------------------------------------------------ preprocessing

    @staticmethod
    def prepare(images):
        """Validated images -> float32 (n, 28, 28, 1) in [-1, 1] (the convention above)."""
        images = check_images(images)
        if images.shape[-1] == 3:
            images = images.mean(axis=-1, keepdims=True, dtype=np.float32)
        if images.shape[1:3] != (SIZE, SIZE):
            import tensorflow as tf

            images = tf.image.resize(images, (SIZE, SIZE), method="bilinear", antialias=True).numpy()
            images = np.clip(images, -1.0, 1.0)
        return np.ascontiguousarray(images, dtype=np.float32)

    # ------------------------------------------------------------ inference

    def features_and_logits(self, images, batch_size=256):
        """Both outputs in one pass: ((n, dim), (n, 10)) float64."""
        return self._both_outputs(self.prepare(images), batch_size)

    def _both_outputs(self, images, batch_size):
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise DataError(f"batch_size must be a positive integer; got {batch_size!r}.")
        feats, logits = [], []
        for start in range(0, len(images), batch_size):
            f, lg = self._run(images[start:start + batch_size])
            feats.append(f.numpy())
            logits.append(lg.numpy())
        return (np.concatenate(feats).astype(np.float64), np.concatenate(logits).astype(np.float64))

    def _features(self, images, batch_size):
        return self._both_outputs(self.prepare(images), batch_size)[0]

    def _logits(self, images, batch_size):
        return self._both_outputs(self.prepare(images), batch_size)[1]

    def predict_labels(self, images, batch_size=256, per_channel=False, verbose="auto"):
        """(labels int64 (n,), probabilities float64 (n, 10)) of the most likely digit.

        With ``per_channel=True`` each channel is classified as its own grey
        image (Stacked-MNIST): labels (n, channels), probabilities (n, channels, 10).
        ``verbose``: progress, as ``keras.Model.predict`` shows it (0: none).
        """
        if per_channel:
            images = check_images(images)
            out = [self.predict_labels(images[..., c:c + 1], batch_size, verbose=verbose)
                   for c in range(images.shape[-1])]
            return np.stack([o[0] for o in out], axis=1), np.stack([o[1] for o in out], axis=1)
        probabilities = softmax(self.logits(images, batch_size, verbose=verbose))
        return np.argmax(probabilities, axis=1), probabilities


def softmax(logits):
    """Row-wise softmax of float64 logits, numerically stable."""
    z = np.asarray(logits, dtype=np.float64)
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


@functools.lru_cache(maxsize=1)
def load_mnist_classifier():
    """The shipped classifier, loaded (and checksum-verified) once per process."""
    return MNISTClassifier()


def predict_labels(images, batch_size=256, per_channel=False, verbose="auto"):
    """``load_mnist_classifier().predict_labels(...)``: (labels, probabilities)."""
    return load_mnist_classifier().predict_labels(images, batch_size, per_channel, verbose=verbose)
