"""Photo assessment in a small pool of worker processes, each with its own GIL.

The server is one process: waitress acknowledges webhooks in threads while the worker's lanes
handle photos. Decoding and the Python around onnxruntime hold the GIL, so in one interpreter
they delay every ack. `PooledPipeline.assess` runs `Pipeline.assess` in a child process (models
loaded once per child by the initializer, one onnxruntime thread each so that two children do
not oversubscribe two cores) and returns a `PooledAssessment` carrying what the overlay and the
label page's starting mask are drawn from (inference/overlay_data.py). It has the interface the
photo seam uses (`assess(data)`, `.models`); `inference.Pipeline` stays the in-process way
(tests, CLI).
"""
from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, fields

from inference import Pipeline, overlay_data
from inference.assessment import Assessment
from inference.errors import InferenceError

log = logging.getLogger(__name__)
CHILD_THREADS = 1  # onnxruntime intra-op threads per child (settings.assess_threads): the children run side by side

_pipeline = None  # the child's own Pipeline, built by _load


class AssessPoolRestarted(RuntimeError):
    """A child process died (killed, out of memory); the pool was rebuilt, try again later."""


@dataclass
class PooledAssessment(Assessment):
    # What the overlay and the label page's starting mask are drawn from when first opened
    # (inference/overlay_data.py: the masks travel back as a small PNG, not as arrays).
    overlay_data: bytes | None = None


def _load(models_dir: str, threads: int):
    global _pipeline
    _pipeline = Pipeline.from_dir(models_dir, threads=threads)


def _assess(data: bytes, captions: dict | None = None):
    """In the child: (assessment without its pictures, what its overlay and the label page's
    starting mask are drawn from), or the refusal.
    `captions`: verdict -> overlay lines in the user's language (None: the default English)."""
    cpu = time.process_time()
    try:
        assessment = _pipeline.assess(data, captions=captions)
    except InferenceError as error:
        return None, None, (type(error), error.message, error.code)
    assessment.stages_ms["cpu_assess"] = (time.process_time() - cpu) * 1000  # CPU, not wall (bench/load.py)
    # Not the overlay itself: what it is drawn from, the first time someone opens it (a few KB;
    # drawing every overlay here cost half as much CPU as the models, and most are never opened).
    began, cpu = time.perf_counter(), time.process_time()
    drawing = overlay_data.dumps(assessment)
    assessment.stages_ms["overlay"] = (time.perf_counter() - began) * 1000  # the parent observes it
    assessment.stages_ms["cpu_overlay"] = (time.process_time() - cpu) * 1000
    assessment.image = assessment.masks = assessment.crop_features = None  # the parent needs none of them
    return assessment, drawing, None


class PooledPipeline:
    def __init__(self, pipeline, models_dir, processes: int, threads: int = CHILD_THREADS):
        """`pipeline`: the same models loaded in this process (the caller has checked them)."""
        self.pipeline = pipeline
        self.models_dir, self.processes, self.threads = str(models_dir), processes, threads
        self._lock = threading.Lock()
        self._executor = self._new_executor()

    def _new_executor(self):
        # spawn, not fork: this process has threads (waitress, lanes, scheduler) holding locks.
        return ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_load, initargs=(self.models_dir, self.threads))

    @property
    def models(self) -> dict:
        return self.pipeline.models

    def assess(self, data: bytes, captions: dict | None = None) -> PooledAssessment:
        executor = self._executor
        try:
            assessment, drawing, refusal = executor.submit(_assess, data, captions).result()
        except BrokenProcessPool as error:
            with self._lock:
                if self._executor is executor:
                    log.error("assessment process died; restarting the pool")
                    self._executor = self._new_executor()
            raise AssessPoolRestarted("assessment process died") from error
        if refusal:
            kind, message, code = refusal
            raise kind(message, code=code)
        values = {f.name: getattr(assessment, f.name) for f in fields(Assessment)}
        return PooledAssessment(**values, overlay_data=drawing)

    def close(self):
        self._executor.shutdown(wait=False, cancel_futures=True)

    def retire(self):
        """Replaced by a newer model set (engine/model_sets.py): the assessments already
        submitted finish here, then the processes exit."""
        self._executor.shutdown(wait=False)
