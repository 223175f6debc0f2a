"""Custom Keras layers, one per module; each is registered serializable.

Importing ``layers`` pulls in only Keras/TensorFlow, never TFDS or absl.
"""

from layers.adain import AdaIN
from layers.equalized import EqualizedConv2D, EqualizedDense
from layers.fade_in import FadeIn
from layers.maxout import Maxout
from layers.minibatch_discrimination import MinibatchDiscrimination
from layers.minibatch_stddev import MinibatchStdDev
from layers.noise_injection import NoiseInjection
from layers.pixel_norm import PixelNorm
from layers.self_attention import SelfAttention
from layers.spectral_normalization import SpectralNormalization
from layers.virtual_batch_norm import DropReference, ReferenceBatch, VirtualBatchNormalization

__all__ = ["AdaIN", "EqualizedConv2D", "EqualizedDense", "FadeIn", "Maxout", "MinibatchDiscrimination",
           "MinibatchStdDev", "NoiseInjection", "PixelNorm", "SelfAttention", "SpectralNormalization",
           "ReferenceBatch", "DropReference", "VirtualBatchNormalization"]
