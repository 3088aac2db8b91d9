"""Prometheus metrics (prometheus_client): one `Metrics` per app, held by its Services.

Every metric lives in the app's own CollectorRegistry, never in prometheus_client's global
REGISTRY, so two apps in one process (the tests) count apart and nothing is registered at
import time. With settings.metrics_port set, `start_server` (a background starter of
`python -m bot serve` and `python -m bot worker`) serves the registry on 127.0.0.1 at that
port, or the next free one (logged); the public port (waitress) never serves /metrics.

Assessment processes (engine/assess_pool.py) count nothing themselves: each result carries its
stage timings (`Assessment.stages_ms`, the overlay's included) and the parent observes them here.
The inbox gauges and the model version are read from the database and the models at scrape time
(`AppCollector`), so every role reports them, a web node too.
"""

import logging
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily

from inference.errors import ModelManifestError
from inference.manifest import load_manifest
from bot.engine import model_sets
from storage import inbox

log = logging.getLogger(__name__)
PORT_TRIES = 20  # the next free port for a further process on the same machine
# Assessment stages as an operator reads them -> the pipeline's own stages (Assessment.stages_ms).
STAGES = {"decode": ("decode", "refine"), "gate": ("quality", "crops", "contrast"),
          "segment": ("segment",), "classify": ("classify",), "overlay": ("overlay",)}
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self, services=None):
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.ack_seconds = Histogram("adai_webhook_ack_seconds", "POST /callback: body read to answer",
                                     buckets=ACK_BUCKETS, registry=r)
        self.webhooks = Counter("adai_webhooks", "Webhook requests by answer status", ["status"], registry=r)
        self.events = Counter("adai_events", "Events handled by the worker, by type and outcome "
                              "(handled, retry, failed, rejected)", ["type", "outcome"], registry=r)
        self.in_flight = Gauge("adai_inbox_in_flight", "Events being handled by this process now", registry=r)
        self.stage_seconds = Histogram("adai_assessment_stage_seconds", "Photo assessment time per stage",
                                       ["stage"], buckets=STAGE_BUCKETS, registry=r)
        self.assess_seconds = Histogram("adai_assessment_seconds", "Photo assessment, whole (assess())",
                                        buckets=STAGE_BUCKETS, registry=r)
        self.assess_cpu = Counter("adai_assessment_cpu_seconds", "CPU seconds of the assessment processes, "
                                  "by part (assess, overlay)", ["part"], registry=r)
        self.verdicts = Counter("adai_verdicts", "Assessed photos by quality code", ["quality"], registry=r)
        self.levels = Counter("adai_levels", "Photo answers by triage level", ["level"], registry=r)
        self.line_calls = Counter("adai_line_api_calls", "LINE Messaging API calls by endpoint and status "
                                  "(HTTP status, or 'error' for no answer)", ["endpoint", "status"], registry=r)
        self.line_retries = Counter("adai_line_api_retries", "LINE calls tried again", ["endpoint"], registry=r)
        self.reminders = Counter("adai_reminders", "Reminders by outcome (sent, retried, failed, ...)",
                                 ["outcome"], registry=r)
        self.db_unavailable = Counter("adai_database_unavailable", "Times the database did not answer",
                                      ["where"], registry=r)
        self.overlay_draws = Histogram("adai_overlay_draw_seconds", "Overlays drawn when first opened "
                                       "(decode of the photo and drawing; engine/media.py)",
                                       buckets=STAGE_BUCKETS, registry=r)
        self.leader = Gauge("adai_scheduler_leader", "1 while this process runs the reminder tick", registry=r)
        if services is not None:
            r.register(AppCollector(services))

    # --- what the engine reports ------------------------------------------------------------
    def line_call(self, endpoint: str, status):
        self.line_calls.labels(endpoint, str(status)).inc()

    def line_retry(self, endpoint: str):
        self.line_retries.labels(endpoint).inc()

    def event(self, event_type, outcome: str):
        self.events.labels(str(event_type or "-"), outcome).inc()

    def assessed(self, assessment) -> dict:
        """Observe one assessment's stages (seconds) and verdict; returns the stage seconds."""
        stages_ms = getattr(assessment, "stages_ms", None) or {}
        seconds = {name: sum(stages_ms.get(s, 0.0) for s in parts) / 1000 for name, parts in STAGES.items()
                   if any(s in stages_ms for s in parts)}
        for name, value in seconds.items():
            self.stage_seconds.labels(name).observe(value)
        for part in ("assess", "overlay"):  # measured in the assessment process (engine/assess_pool.py)
            if f"cpu_{part}" in stages_ms:
                self.assess_cpu.labels(part).inc(stages_ms[f"cpu_{part}"] / 1000)
        if "total" in stages_ms:
            self.assess_seconds.observe(stages_ms["total"] / 1000)
        self.verdicts.labels(assessment.quality).inc()
        return seconds

    def refused(self, code: str):
        """A file the pipeline refused (not a photo, too large): a verdict of its own."""
        self.verdicts.labels(code or "refused").inc()

    def level(self, level: str):
        self.levels.labels(level).inc()

    def reminder_counts(self, counts: dict):
        for outcome, n in counts.items():
            if n:
                self.reminders.labels(outcome).inc(n)

    def overlay_drawn(self, seconds: float):
        self.overlay_draws.observe(seconds)

    def database_down(self, where: str):
        self.db_unavailable.labels(where).inc()


def models_in_use(services) -> dict:
    """{"version": id, "segmenter": "name@version", "classifier": …, "validated": …}: the loaded
    set's models when this process has one, else those of the folder's current version (a web
    node loads no models). The one place metrics read which models answer."""
    version = services.model_version()
    loaded = getattr(services, "_pipeline", None)  # Services.pipeline() would load the models
    if loaded is not None:
        models = loaded.models
    else:
        try:
            manifest = load_manifest(model_sets.on_disk(services.settings.models_dir)[1], check_hashes=False)
        except (ModelManifestError, OSError, TypeError):
            return {"version": str(version)}
        models = {"segmenter": manifest.segmenter.label, "classifier": manifest.classifier.label,
                  "validated": manifest.validated}
    return {"version": str(version), **{k: str(models[k]) for k in ("segmenter", "classifier", "validated")
                                        if k in models}}


class AppCollector:
    """Read at scrape time: inbox depth from the (shared) database and the models in use."""

    def __init__(self, services):
        self.services = services

    def describe(self):
        return []  # nothing read at registration (the app is still being built)

    def collect(self):
        services = self.services
        try:
            models = models_in_use(services)
        except Exception as error:  # noqa: BLE001 — a scrape must answer whatever the models folder holds
            models = {"error": type(error).__name__}
        info = InfoMetricFamily("adai_model", "The models in use")
        info.add_metric([], models)
        yield info
        try:
            db = services.db()
            counts = inbox.counts(db)
            oldest = inbox.oldest_pending(db)
        except Exception as error:  # noqa: BLE001 — a scrape must answer while the database is down
            log.warning("metrics: inbox not read (%s)", type(error).__name__)
            return
        depth = GaugeMetricFamily("adai_inbox_events", "Inbox events by state (pending, failed = dead, "
                                  "done, standby)", labels=["state"])
        for state in (inbox.PENDING, inbox.FAILED, inbox.DONE, inbox.STANDBY):
            depth.add_metric([state], counts.get(state, 0))
        yield depth
        yield GaugeMetricFamily("adai_inbox_pending", "Events stored and not yet handled",
                                value=counts.get(inbox.PENDING, 0))
        yield GaugeMetricFamily("adai_inbox_dead", "Events given up on (kept 48 h)",
                                value=counts.get(inbox.FAILED, 0))
        age = 0.0
        if oldest:
            age = max(0.0, (services.clock.now() - datetime.fromisoformat(oldest)).total_seconds())
        yield GaugeMetricFamily("adai_inbox_oldest_pending_seconds", "Age of the oldest pending event",
                                value=age)


def start_server(services):
    """Background starter: serve this app's registry on 127.0.0.1 at settings.metrics_port or
    the next free port; None (nothing started) when no port is set. Returns the stop function."""
    first = services.settings.metrics_port
    if not first:
        return None
    for port in range(first, first + PORT_TRIES):
        try:
            server, thread = start_http_server(port, addr="127.0.0.1", registry=services.metrics.registry)
        except OSError:
            continue
        services.metrics_port = port
        log.info("metrics on http://127.0.0.1:%d/metrics", port)

        def stop():
            server.shutdown()
            server.server_close()
            thread.join(5)

        return stop
    log.error("metrics not served: ports %d-%d are all taken", first, first + PORT_TRIES - 1)
    return None
