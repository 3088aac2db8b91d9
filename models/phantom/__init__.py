"""Procedural phantom of casual phone photos of skin lesions (AD, IM, HI, MF)."""
from .dataset import write_dataset
from .render import DISTANCES, LABELS, STRATA, Sample, render

__all__ = ["render", "write_dataset", "Sample", "LABELS", "DISTANCES", "STRATA"]
