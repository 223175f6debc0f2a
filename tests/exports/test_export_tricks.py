"""Generators built with the zoo's own layers export with parity (virtual batch norm here)."""

import keras

import exports
from layers import DropReference, ReferenceBatch, VirtualBatchNormalization


def test_virtual_batch_norm_generator_exports_with_parity(tmp_path):
    keras.utils.set_random_seed(0)
    z = keras.Input((8,), name="z")
    x = ReferenceBatch(4, seed=0)(z)
    x = VirtualBatchNormalization(4)(keras.layers.Dense(7 * 7 * 4)(x))
    x = keras.layers.Reshape((7, 7, 4))(keras.layers.ReLU()(x))
    x = DropReference(4)(keras.layers.Conv2DTranspose(1, 4, strides=4, padding="same")(x))
    generator = keras.Model(z, keras.layers.Activation("tanh", name="images")(x))
    manifest = exports.export_generator(generator, str(tmp_path / "out"), formats=("saved_model", "onnx"))
    errors = manifest["parity"]["max_abs_error"]
    assert errors["saved_model"] <= 1e-6 and errors["onnx"] <= 1e-4, errors
