"""Typed refusals of the inference package, each with a stable `code`.

The bot maps `code` to a retake message, and `python -m inference assess` prints it as
`{"error": code, "message": ...}`; codes never change once shipped, messages may.
"""
from __future__ import annotations


class InferenceError(Exception):
    """Base of every refusal: `code` is stable and machine-readable, `message` is for people."""

    code = "inference_error"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def to_dict(self) -> dict:
        return {"error": self.code, "message": self.message}


class UnsupportedImage(InferenceError):
    """Not an image at all, or a format we do not read (zero bytes, text, PDF...)."""

    code = "unsupported_image"


class FileTooLarge(InferenceError):
    """More bytes than any phone photo needs (MAX_BYTES)."""

    code = "file_too_large"


class ImageTooLarge(InferenceError):
    """The header declares more pixels than MAX_PIXELS: a decompression bomb or a panorama."""

    code = "image_too_large"


class ImageTooSmall(InferenceError):
    """A side shorter than MIN_SIDE pixels: nothing can be judged."""

    code = "image_too_small"


class CorruptImage(InferenceError):
    """A known format whose data is truncated or broken."""

    code = "corrupt_image"


class ModelManifestError(InferenceError):
    """models/manifest.json is missing or disagrees with the ONNX files (hash, input, classes)."""

    code = "model_manifest"
