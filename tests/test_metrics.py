"""Prometheus metrics (bot/engine/metrics.py): what a follow, a text and a photo leave in the
app's registry; `python -m bot serve` with ADAI_METRICS_PORT serving them on 127.0.0.1 (never
on the public port), scraped by Debian's real `prometheus`; the alert rules pass `promtool`;
ADAI_LOG_FORMAT=json log lines."""

import json
import logging
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.engine import logs, metrics
from tests.support import SECRET, TOKEN, serve, webhooks
from tests.support.chat import photo
from tests.support.devmodels import build_dev_models

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "deploy" / "prometheus" / "rules.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "adai.json"
METRICS_ON = re.compile(r"metrics on http://127\.0\.0\.1:(\d+)/metrics")
# Series every process must show after a follow, a text and a photo.
SERIES = ("adai_webhook_ack_seconds", "adai_events", "adai_inbox_pending", "adai_inbox_dead",
          "adai_inbox_in_flight", "adai_inbox_oldest_pending_seconds", "adai_assessment_stage_seconds",
          "adai_assessment_seconds", "adai_webhooks",
          "adai_verdicts", "adai_levels", "adai_line_api_calls", "adai_line_api_retries", "adai_reminders",
          "adai_database_unavailable", "adai_model_info", "adai_scheduler_leader")


@pytest.fixture
def app_config(app_config, tmp_path):
    build_dev_models(tmp_path / "models")
    return app_config


def samples(text: str) -> dict:
    """{(name, frozenset(labels)): value} of an exposition."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: dict, name: str, **labels) -> float:
    return sum(v for (n, ls), v in found.items() if n == name and set(labels.items()) <= ls)


def test_a_follow_a_text_and_a_photo_are_counted_in_the_apps_own_registry(chat, services, client):
    chat = chat()
    chat.follow()
    chat.say("help")
    chat.agree()
    chat.photo(photo("AD"))
    text = generate_latest(services.metrics.registry).decode()
    found = samples(text)
    families = {f.name for f in text_string_to_metric_families(text)}
    assert set(SERIES) <= families
    assert value(found, "adai_webhook_ack_seconds_count") >= 4
    assert value(found, "adai_events_total", type="follow", outcome="handled") == 1
    assert value(found, "adai_events_total", type="message", outcome="handled") >= 2
    for stage in ("decode", "gate", "segment", "classify"):  # in-process: the overlay is drawn later
        assert value(found, "adai_assessment_stage_seconds_count", stage=stage) == 1, stage
    assert value(found, "adai_verdicts_total", quality="ok") == 1
    assert value(found, "adai_levels_total") == 1
    assert value(found, "adai_line_api_calls_total", endpoint="reply", status="200") >= 3
    assert value(found, "adai_line_api_calls_total", endpoint="content", status="200") == 1
    assert value(found, "adai_inbox_pending") == 0
    assert value(found, "adai_model_info") == 1
    assert any(n == "adai_model_info" and dict(ls).get("segmenter") for (n, ls) in found)
    assert client.get("/metrics").status_code == 404  # never on the app's (public) port


def test_a_second_process_takes_the_next_free_port(services, caplog):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        services.settings = type(services.settings)(**{**services.settings.__dict__, "metrics_port": port})
        with caplog.at_level(logging.INFO, logger="bot.engine.metrics"):
            stop = metrics.start_server(services)
        try:
            assert services.metrics_port > port
            assert f"127.0.0.1:{services.metrics_port}/metrics" in caplog.text
            body = requests.get(f"http://127.0.0.1:{services.metrics_port}/metrics", timeout=5).text
            assert "adai_webhook_ack_seconds" in body
        finally:
            stop()


def test_no_port_no_metrics_server(services):
    assert metrics.start_server(services) is None


def test_json_logs_carry_event_user_stage_and_duration_and_never_a_line_id(chat, caplog):
    caplog.set_level(logging.INFO)
    chat = chat()
    chat.follow()
    chat.agree()
    chat.photo(photo("AD"))
    formatter = logs.JsonFormatter()
    lines = [json.loads(formatter.format(r)) for r in caplog.records]
    handled = [line for line in lines if line.get("stage") == "handle"]
    assessed = [line for line in lines if line.get("stage") == "assess"]
    assert handled and assessed
    for line in handled + assessed:
        assert line["event_id"] and line["user"].startswith("u:") and line["duration_ms"] >= 0
    assert set(assessed[0]["stages_ms"]) >= {"decode", "segment", "classify"}
    everything = "\n".join(formatter.format(r) for r in caplog.records)
    assert chat.user not in everything


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    return None


@pytest.mark.skipif(shutil.which("prometheus") is None, reason="Debian's prometheus is not installed (make test installs it)")
def test_prometheus_scrapes_a_serving_bot_after_a_follow_a_text_and_a_photo(tmp_path, emulator):
    models = build_dev_models(tmp_path / "models")
    env = {**os.environ, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": emulator.url, "ADAI_DATA_DIR": str(tmp_path / "var"), "ADAI_MODELS_DIR": str(models),
           "ADAI_DATABASE_URL": "", "ADAI_METRICS_PORT": str(free_port()), "ADAI_ASSESS_PROCESSES": "1"}
    log_path = tmp_path / "server.log"
    process, url = serve.start(env, log_path, timeout=60)
    prometheus = None
    try:
        port = int(METRICS_ON.search(log_path.read_text()).group(1))
        user = webhooks.user_id()
        message_id = webhooks.new_id()
        emulator.add_content(message_id, photo("AD"))
        for event in (webhooks.follow(user=user), webhooks.text("help", user=user),
                      webhooks.postback("action=consent&v=yes", user=user),
                      webhooks.image(message_id=message_id, user=user)):
            raw, headers = webhooks.signed(SECRET, event)
            assert requests.post(url + "/callback", data=raw, headers=headers, timeout=5).status_code == 200
        assert requests.get(url + "/metrics", timeout=5).status_code == 404  # not on the public port

        def scraped():
            found = samples(requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)
            return found if value(found, "adai_assessment_stage_seconds_count", stage="overlay") >= 1 else None

        found = wait_for(scraped, 60)
        assert found, log_path.read_text()[-3000:]
        for stage in ("decode", "gate", "segment", "classify", "overlay"):  # the overlay: in the child
            assert value(found, "adai_assessment_stage_seconds_count", stage=stage) == 1, stage
        assert value(found, "adai_scheduler_leader") == 1

        prom_port = free_port()
        config = tmp_path / "prometheus.yml"
        config.write_text(f"global: {{scrape_interval: 1s}}\nrule_files: ['{RULES}']\nscrape_configs:\n"
                          f"  - job_name: adai\n    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n")
        prometheus = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prometheus.log", "wb"))

        def query(expr):
            try:
                answer = requests.get(f"http://127.0.0.1:{prom_port}/api/v1/query", params={"query": expr}, timeout=5)
            except requests.ConnectionError:
                return None
            result = answer.json()["data"]["result"]
            return result or None

        stages = wait_for(lambda: query("adai_assessment_stage_seconds_count"), 60)
        assert stages, (tmp_path / "prometheus.log").read_text()[-2000:]
        assert {r["metric"]["stage"] for r in stages} >= {"decode", "gate", "segment", "classify", "overlay"}
        assert query('adai_events_total{type="follow",outcome="handled"}')[0]["value"][1] == "1"
        assert query("up")[0]["value"][1] == "1"
        assert query("adai_model_info")
        rules = requests.get(f"http://127.0.0.1:{prom_port}/api/v1/rules", timeout=5).json()
        assert any(rule["name"] == "AdaiInboxOld" for group in rules["data"]["groups"] for rule in group["rules"])
    finally:
        if prometheus is not None:
            prometheus.terminate()
            prometheus.wait(10)
        process.terminate()
        process.wait(15)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="Debian's prometheus (promtool) is not installed")
def test_the_alert_rules_pass_promtool():
    result = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_grafana_dashboard_reads_only_series_the_bot_exports():
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    assert exprs
    known = set(SERIES) | {"adai_model"}
    for expr in exprs:
        names = set(re.findall(r"\b(adai_[a-z_]+?)(?:_total|_bucket|_sum|_count|_info)?\b", expr))
        assert (names or "up{" in expr) and all(any(n == k or n.startswith(k) for k in known) for n in names), expr
