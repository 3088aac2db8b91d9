"""Every setting of the bot in one typed object, read from the environment.

`load(overrides, env)` reads the variables in `ENVIRONMENT` (README's configuration table lists
the same rows), puts `overrides` on top (command-line flags, tests) and decides simulator mode.
This is the only module under bot/ that reads the environment; `__main__` entry points call
`load()` and hand the result on.
"""

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

SIMULATOR_SECRET = "adai-simulator-channel-secret"
SIMULATOR_TOKEN = "adai-simulator-access-token"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class MissingCredential(RuntimeError):
    """Only one of the two LINE credentials is set: production needs both."""


class SimulatorNotLocal(RuntimeError):
    """Simulator mode signs with a secret anyone can read in this file: loopback only."""


class BadSetting(ValueError):
    """An environment variable or override that is not a value of its setting's type."""


@dataclass(frozen=True)
class Settings:
    # LINE
    channel_secret: str | None = None
    access_token: str | None = None
    api_base_url: str | None = None  # None: LINE's own hosts
    line_timeout_s: float = 10.0
    line_attempts: int = 4
    line_backoff_s: float = 0.5
    reply_token_ttl_s: float = 50.0  # LINE's tokens last about a minute; keep a margin
    # where things live
    data_dir: Path = Path("var")
    database_url: str | None = None  # postgresql://…: a fleet on one server; None: SQLite in data_dir
    media_dir: Path | None = None  # photos, overlays, charts; None: data_dir (a fleet: a shared mount)
    models_dir: Path = Path("models")
    clinics_csv: Path | None = None  # None: the bundled Sendai SAMPLE (bot/data)
    public_url: str | None = None
    # the server
    host: str = "127.0.0.1"
    port: int = 8000
    server_threads: int = 16  # waitress threads (bot/serve.py)
    max_body_bytes: int = 1024 * 1024
    # the worker and photo assessment
    worker_lanes: int = 3  # inbox worker threads; each user's events stay in one (engine/worker.py)
    handle_attempts: int = 5
    assess_processes: int = 2  # photo assessment processes (engine/assess_pool.py); 0: in-process
    assess_threads: int = 1  # onnxruntime threads per assessment process (or per lane in-process)
    models_poll_s: float = 5.0  # how often serve and worker look for a newly installed model version
    scheduler_tick_s: float = 60.0  # the reminder tick (engine/scheduler.py)
    scheduler_retry_s: float = 15.0  # PostgreSQL: how often a standby asks for the scheduler lock
    # what the patient is promised
    retention_days: int = 730  # health data older than this is deleted (features/consent.py)
    photos_per_hour: int = 20  # per user, in memory (features/photos.py)
    media_link_ttl_s: float = 24 * 3600  # signed /media links (charts, overlays)
    referral_days: float = 7  # "summary for my doctor" links
    # simulator mode (ADAI_SIMULATOR=1, `make run`): the built-in LINE emulator, loopback only
    simulator: bool = False
    # ADAI_RESEARCH_PREVIEW=1: an unvalidated model's full verdicts reach patients, every card
    # labelled "research preview" (a study under ethics approval only; warned at start-up)
    research_preview: bool = False
    # operations: Prometheus metrics on 127.0.0.1 at this port (engine/metrics.py); log lines as JSON
    metrics_port: int | None = None
    log_format: str = "text"  # text | json (engine/logs.py)

    @property
    def db_path(self) -> Path:
        return Path(self.data_dir) / "adai.sqlite3"

    @property
    def database(self):
        """What storage.open_db opens: the PostgreSQL URL, else the SQLite file."""
        return self.database_url or self.db_path

    @property
    def files_dir(self) -> Path:
        """Where users' files and the key that names their folders live (every node mounts it)."""
        return Path(self.media_dir or self.data_dir)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://127.0.0.1:{self.port}").rstrip("/")


def _url(text: str) -> str | None:
    return text.rstrip("/") or None


def _postgres_url(text: str) -> str:
    if not text.startswith(("postgresql://", "postgres://")):
        raise ValueError("not a postgresql:// URL")
    return text


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value not in ("1", "0", "true", "false", "yes", "no"):
        raise ValueError("not 1 or 0")
    return value in ("1", "true", "yes")


def _log_format(text: str) -> str:
    if text not in ("text", "json"):
        raise ValueError("not text or json")
    return text


# environment variable -> (setting, parser). README.md's configuration table has one row each.
ENVIRONMENT = {
    "LINE_CHANNEL_SECRET": ("channel_secret", str),
    "LINE_CHANNEL_ACCESS_TOKEN": ("access_token", str),
    "LINE_API_BASE_URL": ("api_base_url", _url),
    "ADAI_DATA_DIR": ("data_dir", Path),
    "ADAI_MODELS_DIR": ("models_dir", Path),
    "ADAI_DATABASE_URL": ("database_url", _postgres_url),
    "ADAI_MEDIA_DIR": ("media_dir", Path),
    "ADAI_CLINICS_CSV": ("clinics_csv", Path),
    "ADAI_PUBLIC_URL": ("public_url", str),
    "PORT": ("port", int),
    "ADAI_SERVER_THREADS": ("server_threads", int),
    "ADAI_WORKER_LANES": ("worker_lanes", int),
    "ADAI_ASSESS_PROCESSES": ("assess_processes", int),
    "ADAI_ASSESS_THREADS": ("assess_threads", int),
    "ADAI_MODELS_POLL_S": ("models_poll_s", float),
    "ADAI_SCHEDULER_TICK_S": ("scheduler_tick_s", float),
    "ADAI_SCHEDULER_RETRY_S": ("scheduler_retry_s", float),
    "ADAI_RETENTION_DAYS": ("retention_days", int),
    "ADAI_PHOTOS_PER_HOUR": ("photos_per_hour", int),
    "ADAI_MEDIA_LINK_TTL_S": ("media_link_ttl_s", float),
    "ADAI_REFERRAL_DAYS": ("referral_days", float),
    "ADAI_SIMULATOR": ("simulator", _flag),
    "ADAI_RESEARCH_PREVIEW": ("research_preview", _flag),
    "ADAI_METRICS_PORT": ("metrics_port", int),
    "ADAI_LOG_FORMAT": ("log_format", _log_format),
}


def from_env(env=None) -> dict:
    """The settings the environment sets (an empty variable counts as unset)."""
    env = os.environ if env is None else env
    values = {}
    for variable, (name, parse) in ENVIRONMENT.items():
        text = env.get(variable)
        if not text:
            continue
        try:
            values[name] = parse(text)
        except ValueError as error:
            raise BadSetting(f"{variable}={text!r}: {error}") from error
    return values


def load(overrides=None, env=None) -> Settings:
    """Environment first, then overrides (CLI flags, test_config) on top; decides simulator mode."""
    known = {f.name for f in fields(Settings)}
    unknown = set(overrides or {}) - known
    if unknown:
        raise BadSetting(f"unknown settings: {', '.join(sorted(unknown))}")
    settings = Settings(**{**from_env(env), **(overrides or {})})
    return _credentials(settings)


def _credentials(settings: Settings) -> Settings:
    secret, token = settings.channel_secret, settings.access_token
    if settings.simulator and (secret or token) and secret != SIMULATOR_SECRET:
        raise BadSetting("ADAI_SIMULATOR=1 runs against the built-in LINE emulator: unset the LINE credentials, "
                         "or unset ADAI_SIMULATOR to use them")
    if secret is None and token is None:
        if not settings.simulator:
            # Never by accident: a WSGI server importing create_app() without credentials must
            # not serve a simulator that signs any event and reads anyone's messages.
            raise MissingCredential(
                "LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN are not set. Set both for production, "
                "or ADAI_SIMULATOR=1 (as `make run` does) for the local simulator."
            )
        if settings.host not in LOOPBACK_HOSTS:
            # Its links (/media, /referral) and webhooks could be forged by anyone who can
            # reach the port, so the simulator never listens beyond this machine.
            raise SimulatorNotLocal(
                f"simulator mode (no LINE credentials) listens on loopback only, not {settings.host}; "
                "set LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN to serve on other addresses."
            )
        return replace(
            settings, channel_secret=SIMULATOR_SECRET, access_token=SIMULATOR_TOKEN, simulator=True
        )
    if secret is None or token is None:
        missing = "LINE_CHANNEL_SECRET" if secret is None else "LINE_CHANNEL_ACCESS_TOKEN"
        raise MissingCredential(
            f"{missing} is not set. Set both LINE credentials for production, "
            "or neither and ADAI_SIMULATOR=1 for the local simulator."
        )
    return settings


def reloader_parent(env=None) -> bool:
    """True in the process that only watches files for Flask's debug reloader (FLASK_DEBUG on,
    WERKZEUG_RUN_MAIN unset): the reminder tick must not start there (engine/scheduler.py)."""
    env = os.environ if env is None else env
    debug = env.get("FLASK_DEBUG", "").lower() in ("1", "true", "yes")
    return debug and env.get("WERKZEUG_RUN_MAIN") != "true"
