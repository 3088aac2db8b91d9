"""The model set a process answers with, and following the current version without a restart.

`python -m models install` (models/versions.py) switches ADAI_MODELS_DIR/current to a new
set. Every process that has loaded a set (serve, worker) polls the folder
(settings.models_poll_s): when the current version differs from the loaded one it loads the
new set beside the old one (in its own assessment processes too), then swaps one reference.
A photo being assessed keeps the set it started with (the photo seam takes one `ModelSet`
for the whole message), and the old set's pool finishes its queued work before it exits.
A set that fails to load is logged once and the old set stays.

`ModelSet` has the interface the photo seam uses (`assess`, `.models`); every assessment it
makes carries the version in `models["version"]`, which storage keeps as `model_version`.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time

from inference.versions import current_set
from storage import nodes
from storage.base import DatabaseUnavailable

log = logging.getLogger(__name__)


class ModelSet:
    """A loaded pipeline (inference.Pipeline or assess_pool.PooledPipeline) and its version."""

    def __init__(self, version: str | None, pipeline, retire=None):
        self.version = version
        self.pipeline = pipeline
        self._retire = retire  # releases the set once it is replaced (a pool's processes)

    @property
    def models(self) -> dict:
        return {**self.pipeline.models, "version": self.version}

    def assess(self, data: bytes, captions: dict | None = None):
        assessment = self.pipeline.assess(data, captions=captions)
        assessment.models = self.models
        return assessment

    def __getattr__(self, name):  # segment_photo, overlay, classify_regions…
        return getattr(self.pipeline, name)

    def retire(self):
        """Replaced by a newer set: let work in hand finish, then release."""
        if self._retire is not None:
            self._retire()

    def close(self):
        """The process stops: release now (a pool cancels what waits)."""
        close = getattr(self.pipeline, "close", None)
        if close is not None:
            close()


def node_id() -> str:
    """This process in the nodes table (storage/nodes.py): host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def start_watch(services, node=None):
    """Background job (serve, worker): load the current version now, without holding up the
    start (acks are answered meanwhile; a photo waits for the load), then follow the models
    folder every settings.models_poll_s, and keep this process's row in the nodes table naming
    the version it answers with (written on a change and every nodes.HEARTBEAT_S; deleted at
    stop), so that a fleet's convergence on a new version can be read from one table."""
    stop = threading.Event()
    node = node or node_id()
    said = {"version": None, "at": float("-inf")}

    def report():
        version = services._pipeline.version if services._pipeline is not None else None
        if version == said["version"] and time.monotonic() - said["at"] < nodes.HEARTBEAT_S:
            return
        try:
            nodes.report(services.db(), node, version, services.clock.now())
        except DatabaseUnavailable as error:  # the next poll tries again
            log.warning("model version not reported: %s", error)
            said["at"] = float("-inf")
            return
        if version != said["version"]:
            log.info("models: answering with version %s", version)
        said.update(version=version, at=time.monotonic())

    def loop():
        while True:
            try:
                services.follow_models()
                report()
            except Exception:  # noqa: BLE001 — the watch must outlive one bad poll
                log.exception("model version check failed")
            if stop.wait(services.settings.models_poll_s):
                break

    thread = threading.Thread(target=loop, name="model-watch", daemon=True)
    thread.start()

    def halt():
        stop.set()
        thread.join(5)
        try:
            nodes.gone(services.db(), node)
        except Exception:  # noqa: BLE001 — stopping: the row ages out instead
            pass

    return halt


def on_disk(models_dir):
    """(version id, folder) of the set the folder names as current now."""
    return current_set(models_dir)
