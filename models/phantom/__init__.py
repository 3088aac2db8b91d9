"""Procedural phantom of casual phone photos of skin lesions (AD, IM, HI, MF), healthy skin
(label `healthy`) and scenes without skin (label `background`)."""
from .dataset import write_dataset
from .render import ALL_LABELS, DISTANCES, LABELS, NO_LESION_LABELS, STRATA, Sample, render

__all__ = ["render", "write_dataset", "Sample", "LABELS", "NO_LESION_LABELS", "ALL_LABELS",
           "DISTANCES", "STRATA"]
