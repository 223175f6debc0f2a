"""Export trained generators to SavedModel (TF Serving layout), ONNX and LiteRT.

Not built yet: see WORKSPACE.md. Today a trained generator is saved as
``generator.keras`` by the train CLI and loads with ``keras.models.load_model``.
"""
