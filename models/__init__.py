"""The AD-AI models: phantom data, training, ONNX export, manifest and evaluation.

Nothing is imported here, so `python -m models evaluate` and the manifest helpers work without
torch; training and export import it inside their own modules.
"""
