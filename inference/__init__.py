"""Image in, result out: decode → quality gate → segment → 80/10 crops → classify → combine.

Knows nothing of LINE or SQL. Public API: Pipeline.from_dir(path), Pipeline.assess(bytes),
Assessment.to_dict(), Pipeline.overlay(bytes, assessment) / Assessment.overlay_png(),
Pipeline.classify_regions(image, boxes), inference.crops.select_windows(...),
inference.combine.combine(...), errors in inference.errors (each with a stable `.code`).
Importing this package does no work; models load only in Pipeline.from_dir.
"""
from inference.assessment import Assessment, Crop
from inference.errors import InferenceError
from inference.pipeline import Pipeline

__all__ = ["Assessment", "Crop", "InferenceError", "Pipeline"]
