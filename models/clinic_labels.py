"""The labels a clinic gives its photos, shared by the export (`python -m models dataset
export`), training (`python -m models train --data`) and `python -m models validate`.

A clinician may answer what the classifier cannot: the photo shows healthy skin, another
condition, or nothing usable. Those photos are kept (and counted in reports) but never
scored as AD or as a complication. No imports: models/data.py reads these names itself.
"""
from __future__ import annotations

CLASSES = ("AD", "IM", "HI", "MF")   # the classifier's, = models.data.LABELS (a test checks)
HEALTHY = "healthy"                  # skin without a lesion, = models.data.HEALTHY
OTHER = "other"                      # a condition outside the four (psoriasis, scabies, ...)
UNUSABLE = "unusable"                # the clinician cannot judge the photo (blurred, wrong site)
CLINIC_LABELS = (*CLASSES, HEALTHY, OTHER, UNUSABLE)
# Outside the AD-vs-others metrics: no lesion of the four classes to score.
UNSCORED = (HEALTHY, OTHER, UNUSABLE)
# Never trained on: nobody could tell what the photo shows.
UNTRAINABLE = (UNUSABLE,)

PATIENT = "patient"                  # labels.csv column: a random per-patient id, never a LINE id
