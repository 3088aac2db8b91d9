"""Photo assessment in a small pool of worker processes, each with its own GIL.

The server is one process: waitress acknowledges webhooks in threads while the worker's lanes
handle photos. Decoding and the Python around onnxruntime hold the GIL, so in one interpreter
they delay every ack. `PooledPipeline.assess` runs `Pipeline.assess` in a child process (models
loaded once per child when it starts, one onnxruntime thread each so that two children do not
oversubscribe two cores) and returns a `PooledAssessment` carrying what the overlay and the
label page's starting mask are drawn from (inference/overlay_data.py). It has the interface the
photo seam uses (`assess(data)`, `.models`); `inference.Pipeline` stays the in-process way
(tests, CLI).

Each child has a pipe of its own, written and read by the lane that holds the child: no feeder
or manager threads between them, two thread hand-offs fewer per photo than ProcessPoolExecutor
(bench/bench_photo_parts.py measures the caller's CPU per round trip both ways). A child that
dies (killed, out of memory) fails only the photo it held (`AssessPoolRestarted`; the inbox
tries it again) and a new one starts with the next photo.
"""
from __future__ import annotations

import logging
import multiprocessing
import threading
import time
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


def _serve(conn, models_dir: str, threads: int):
    """The child's loop: (photo, captions) in, (True, _assess's answer) or (False, exception)
    out, until the parent closes its end of the pipe (or dies, which closes it too)."""
    _load(models_dir, threads)
    while True:
        try:
            data, captions = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer = (True, _assess(data, captions))
        except Exception as error:  # noqa: BLE001 — the parent raises it for this photo; the child lives on
            answer = (False, error)
        try:
            conn.send(answer)
        except (EOFError, OSError):
            return


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


class _Child:
    """One assessment process and the parent's end of its pipe."""

    def __init__(self, context, models_dir: str, threads: int):
        self.conn, child_end = context.Pipe()
        self.process = context.Process(target=_serve, args=(child_end, models_dir, threads),
                                       name="adai-assess", daemon=True)
        self.process.start()
        child_end.close()  # the child holds the other end: its death is this end's EOF

    def call(self, data: bytes, captions: dict | None):
        self.conn.send((data, captions))
        return self.conn.recv()

    def stop(self):
        """Close the pipe: the child finishes and exits."""
        self.conn.close()

    def kill(self):
        self.conn.close()
        self.process.kill()
        self.process.join(5)


class PoolClosed(RuntimeError):
    """The pool was closed (the process stops): no photo is assessed any more."""


class PooledPipeline:
    def __init__(self, pipeline, models_dir, processes: int, threads: int = CHILD_THREADS):
        """`pipeline`: the same models loaded in this process (the caller has checked them).
        Children start with the first photos that need them (up to `processes`)."""
        self.pipeline = pipeline
        self.models_dir, self.processes, self.threads = str(models_dir), processes, threads
        # spawn, not fork: this process has threads (waitress, lanes, scheduler) holding locks.
        self._context = multiprocessing.get_context("spawn")
        self._cond = threading.Condition()
        self._idle: list[_Child] = []
        self._started = 0  # children alive: idle or held by a lane
        self._waiting = 0  # lanes waiting for a child
        self._closed = False  # the process stops: no more photos
        self._retired = False  # replaced by a newer set: children exit once no photo needs them

    @property
    def models(self) -> dict:
        return self.pipeline.models

    def pids(self) -> list[int]:
        """The idle children's process ids."""
        with self._cond:
            return [child.process.pid for child in self._idle]

    def assess(self, data: bytes, captions: dict | None = None) -> PooledAssessment:
        child = self._acquire()
        try:
            ok, answer = child.call(data, captions)
        except (EOFError, OSError) as error:
            child.kill()
            self._release(child, alive=False)
            log.error("assessment process died; a new one starts with the next photo")
            raise AssessPoolRestarted("assessment process died") from error
        except BaseException:  # e.g. a photo that cannot be pickled: the pipe's state is unknown
            child.kill()
            self._release(child, alive=False)
            raise
        self._release(child)
        if not ok:
            raise answer
        assessment, drawing, refusal = answer
        if refusal:
            kind, message, code = refusal
            raise kind(message, code=code)
        values = {f.name: getattr(assessment, f.name) for f in fields(Assessment)}
        return PooledAssessment(**values, overlay_data=drawing)

    def _acquire(self) -> _Child:
        with self._cond:
            while True:
                if self._closed:
                    raise PoolClosed("the assessment pool was closed")
                if self._idle:
                    return self._idle.pop()
                if self._started < self.processes:
                    self._started += 1
                    break
                self._waiting += 1
                try:
                    self._cond.wait()
                finally:
                    self._waiting -= 1
        try:
            return _Child(self._context, self.models_dir, self.threads)
        except BaseException:
            self._release(None, alive=False)
            raise

    def _release(self, child: _Child | None, alive: bool = True):
        with self._cond:
            keep = alive and not self._closed and (not self._retired or self._waiting)
            if keep:
                self._idle.append(child)
            else:
                self._started -= 1
                if alive:
                    child.stop()
            self._cond.notify()

    def close(self):
        """The process stops: idle children exit now, busy ones after their photo; photos
        waiting for a child get PoolClosed."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._stop_idle()

    def retire(self):
        """Replaced by a newer model set (engine/model_sets.py): idle children exit now, the
        others once the photos that started on this set are done (a photo keeps its set)."""
        with self._cond:
            self._retired = True
        self._stop_idle()

    def _stop_idle(self):
        with self._cond:
            idle, self._idle = self._idle, []
            self._started -= len(idle)
        for child in idle:
            child.stop()
