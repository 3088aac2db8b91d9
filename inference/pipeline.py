"""Pipeline: photo bytes → Assessment (decode → quality → segment → crop → classify → combine).

Both onnxruntime sessions are built once in `from_dir` with explicit thread counts and read
their input names from the manifest (checked against the model itself). `assess` keeps no
state between calls and `InferenceSession.run` is thread-safe, so one Pipeline may serve
several worker threads at once.
"""
from __future__ import annotations

import math
import time
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from inference import classify
from inference.assessment import Assessment, Crop
from inference.combine import combine
from inference.contrast import lesion_contrast
from inference.crops import default_min_size, select_windows, to_full_size
from inference.decode import decode
from inference.errors import ModelManifestError
from inference.familiarity import UNFAMILIAR
from inference.manifest import Manifest, check_session, feature_dim, load_manifest
from inference.overlay import render_png
from inference.quality import NO_LESION, OK, check_masks, check_photo
from inference.segment import Masks, segment

DEFAULT_THREADS = 2
DEFAULT_K = 3
OVERLAY_LONG_SIDE = 1280
# Smallest crop side in full-size pixels: a smaller window would be upsampled too far for the
# classifier to judge, so a lesion that only fits smaller windows gets "lesion_too_small".
MIN_CROP_SIDE = 96
# Crops come from the reduced decode; when the smallest chosen window has fewer decoded pixels
# than this share of the classifier's input (upsampled more than 2×), the JPEG is decoded once
# more at the finer DCT scale the crops need (a long shot with a small lesion).
REFINE_BELOW = 0.5


def build_session(path: Path, threads: int = DEFAULT_THREADS):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _min_window(mask_shape, full_size) -> int:
    """Smallest window side in mask pixels: the default, or MIN_CROP_SIDE full-size pixels."""
    full_px_per_mask_px = full_size[0] / mask_shape[1]
    return max(default_min_size(mask_shape), math.ceil(MIN_CROP_SIDE / full_px_per_mask_px))


def crop_source(data: bytes, decoded, boxes, classifier_side: int):
    """The decoded photo, or a finer decode of `data` when the crops would be upsampled > 2×."""
    side = min(min(x1 - x0, y1 - y0) for x0, y0, x1, y1 in boxes)  # full-size pixels
    wanted = REFINE_BELOW * classifier_side  # decoded pixels across the smallest crop
    if side / decoded.scale[0] >= wanted or decoded.scale[0] <= 1.0:
        return decoded
    long_side = math.ceil(max(decoded.full_size) * wanted / side)
    return decode(data, long_side=min(long_side, max(decoded.full_size)))


class Stopwatch:
    """Wall-clock milliseconds per named stage."""

    def __init__(self):
        self.start = time.perf_counter()
        self.ms: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str):
        begin = time.perf_counter()
        try:
            yield
        finally:
            self.ms[stage] = self.ms.get(stage, 0.0) + (time.perf_counter() - begin) * 1000

    def stages(self) -> dict[str, float]:
        return {**self.ms, "total": (time.perf_counter() - self.start) * 1000}


class Pipeline:
    def __init__(self, manifest: Manifest, segmenter, classifier, k: int = DEFAULT_K):
        check_session(manifest.segmenter, segmenter)
        check_session(manifest.classifier, classifier)
        width = feature_dim(classifier)
        if manifest.familiarity and width is not None and width != manifest.familiarity.feature_dim:
            raise ModelManifestError(f"familiarity: {manifest.familiarity.feature_dim} features, "
                                     f"the classifier gives {width}")
        self.manifest = manifest
        self.familiarity = manifest.familiarity
        self.segmenter = segmenter
        self.classifier = classifier
        self.k = k

    @classmethod
    def from_dir(cls, path="models", threads: int = DEFAULT_THREADS, k: int = DEFAULT_K,
                 require_familiarity: bool = True) -> "Pipeline":
        """Load manifest.json and both ONNX models from the folder `path`, which the caller
        gives (the bot: settings.models_dir; None: ./models).
        require_familiarity=False: no `unfamiliar` verdict (only to fit its statistics)."""
        path = Path(path or "models")
        manifest = load_manifest(path, require_familiarity=require_familiarity)
        return cls(manifest, build_session(manifest.segmenter.path, threads),
                   build_session(manifest.classifier.path, threads), k=k)

    @property
    def models(self) -> dict:
        """Which models answered; `validation` (what a clinic checked them on, for the words
        of a reply) only when the manifest holds a signed one."""
        models = {"segmenter": self.manifest.segmenter.label,
                  "classifier": self.manifest.classifier.label,
                  "validated": self.manifest.validated}
        if self.manifest.validation is not None:
            models["validation"] = self.manifest.validation.summary()
        return models

    def assess(self, data: bytes, captions: dict | None = None) -> Assessment:
        """Raises an InferenceError (with `.code`) for a refused file; otherwise always a result.
        `captions`: verdict -> overlay lines in the reader's language, used when the overlay
        is drawn (inference/overlay.py; the default is English)."""
        clock = Stopwatch()
        with clock("decode"):
            decoded = decode(data)
        result = Assessment(quality=OK, skin_fraction=None, lesion_fraction=None, crops=[],
                            probabilities={}, models=self.models, full_size=decoded.full_size,
                            image=decoded.image, captions=dict(captions or {}))
        with clock("quality"):
            result.quality = check_photo(decoded.image, decoded.full_size)
        if result.ok:
            boxes = self._segment_and_choose(decoded, result, clock)
            if result.ok:
                self._classify(data, decoded, boxes, result, clock)
        result.stages_ms = clock.stages()
        return result

    def segment_photo(self, data: bytes) -> Masks:
        """Only the segmenter's skin and lesion masks, with no photo gate and no classifier
        (a clinician's labelling canvas starts from them). Raises an InferenceError for a
        file that is not a readable photo."""
        return segment(self.segmenter, self.manifest.segmenter, decode(data).image)

    def _segment_and_choose(self, decoded, result: Assessment, clock: Stopwatch) -> list:
        """Masks, fractions and the post-segmentation verdict; the chosen boxes in full-size px."""
        with clock("segment"):
            masks = segment(self.segmenter, self.manifest.segmenter, decoded.image)
        with clock("crops"):
            windows = select_windows(masks.skin, masks.lesion, k=self.k,
                                     min_size=_min_window(masks.shape, decoded.full_size))
        result.masks = masks
        result.skin_fraction, result.lesion_fraction = masks.skin_fraction, masks.lesion_fraction
        result.quality = check_masks(masks.skin, masks.lesion, windows)
        if result.ok:
            with clock("contrast"):
                self._judge_contrast(decoded.image, masks, result)
        return [to_full_size(w, masks.shape, decoded.full_size) for w in windows]

    def _judge_contrast(self, image, masks: Masks, result: Assessment) -> None:
        """No rash found when the lesion found does not differ in colour from the skin around
        it (inference/contrast.py): no class is named for an invisible "lesion"."""
        result.lesion_contrast = lesion_contrast(image, masks.skin, masks.lesion)
        limit = self.familiarity.min_lesion_contrast if self.familiarity is not None else 0.0
        if result.lesion_contrast is not None and result.lesion_contrast < limit:
            result.quality = NO_LESION

    def _classify(self, data: bytes, decoded, boxes, result: Assessment, clock: Stopwatch) -> None:
        with clock("refine"):
            source = crop_source(data, decoded, boxes, min(self.manifest.classifier.input_size))
        with clock("classify"):
            rgb = source.image if source.image.mode == "RGB" else source.image.convert("RGB")
            probs, features = classify.run(self.classifier, self.manifest.classifier, rgb,
                                           [source.to_image_box(b) for b in boxes])
        result.crop_features = features
        result.crops = [Crop(box=b, probabilities=p) for b, p in zip(boxes, probs)]
        result.probabilities = combine(probs)
        if self.familiarity is not None:
            self._judge_familiarity(result, features)

    def _judge_familiarity(self, result: Assessment, features) -> None:
        """Name no class for a photo unlike the training photos (inference/familiarity.py)."""
        result.familiarity_score = self.familiarity.photo_score_of(features)
        result.outlier_probability = self.familiarity.outlier_probability(features)
        result.unfamiliar_reason = self.familiarity.reason(
            result.lesion_fraction, result.familiarity_score, result.outlier_probability)
        if result.unfamiliar_reason:
            result.quality = UNFAMILIAR
            result.crops, result.probabilities = [], {}

    def classify_regions(self, image: Image.Image, boxes) -> list[dict[str, float]]:
        """Class probabilities for each box (x0, y0, x1, y1 in pixels of `image`, an RGB image)."""
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        return classify.probabilities(self.classifier, self.manifest.classifier, rgb, list(boxes))

    def overlay(self, data: bytes, assessment: Assessment | None = None) -> bytes:
        """PNG bytes: the photo with skin and lesion tinted and the chosen crops boxed."""
        assessment = assessment or self.assess(data)
        return render_png(decode(data, long_side=OVERLAY_LONG_SIDE).image, assessment)
