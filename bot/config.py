"""Configuration from the environment (DESIGN.md's table), overridable by test_config."""

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

SIMULATOR_SECRET = "adai-simulator-channel-secret"
SIMULATOR_TOKEN = "adai-simulator-access-token"


class MissingCredential(RuntimeError):
    """Only one of the two LINE credentials is set: production needs both."""


class SimulatorNotLocal(RuntimeError):
    """Simulator mode signs with a secret anyone can read in this file: loopback only."""


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Config:
    channel_secret: str | None = None
    access_token: str | None = None
    api_base_url: str | None = None  # None: LINE's own hosts
    data_dir: Path = Path("var")
    models_dir: Path = Path("models")
    public_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    simulator: bool = False
    max_body_bytes: int = 1024 * 1024
    reply_token_ttl_s: float = 50.0  # LINE's tokens last about a minute; keep a margin
    line_timeout_s: float = 10.0
    line_attempts: int = 4
    line_backoff_s: float = 0.5
    handle_attempts: int = 5
    worker_lanes: int = 3  # inbox worker threads; each user's events stay in one (bot/worker.py)
    assess_processes: int = 0  # photo assessment processes (bot/assess_pool.py); 0: in-process
    extra: dict = field(default_factory=dict)  # features' own settings

    @property
    def db_path(self) -> Path:
        return Path(self.data_dir) / "adai.sqlite3"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://127.0.0.1:{self.port}").rstrip("/")


def from_env(env=None) -> dict:
    env = os.environ if env is None else env
    values = {
        "channel_secret": env.get("LINE_CHANNEL_SECRET") or None,
        "access_token": env.get("LINE_CHANNEL_ACCESS_TOKEN") or None,
        "api_base_url": (env.get("LINE_API_BASE_URL") or "").rstrip("/") or None,
        "data_dir": Path(env.get("ADAI_DATA_DIR") or "var"),
        "models_dir": Path(env.get("ADAI_MODELS_DIR") or "models"),
        "public_url": env.get("ADAI_PUBLIC_URL") or None,
    }
    if env.get("PORT"):
        values["port"] = int(env["PORT"])
    return values


def load(test_config=None, env=None) -> Config:
    """Environment first, then test_config on top; decides simulator mode."""
    values = from_env(env)
    known = {f.name for f in fields(Config)}
    extra = {}
    for key, value in (test_config or {}).items():
        if key in known:
            values[key] = value
        else:
            extra[key] = value
    config = Config(**{k: v for k, v in values.items() if k in known})
    config = replace(config, extra={**config.extra, **extra})
    return _credentials(config)


def _credentials(config: Config) -> Config:
    secret, token = config.channel_secret, config.access_token
    if secret is None and token is None:
        if config.host not in LOOPBACK_HOSTS:
            # Its links (/media, /referral) and webhooks could be forged by anyone who can
            # reach the port, so the simulator never listens beyond this machine.
            raise SimulatorNotLocal(
                f"simulator mode (no LINE credentials) listens on loopback only, not {config.host}; "
                "set LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN to serve on other addresses."
            )
        return replace(
            config, channel_secret=SIMULATOR_SECRET, access_token=SIMULATOR_TOKEN, simulator=True
        )
    if secret is None or token is None:
        missing = "LINE_CHANNEL_SECRET" if secret is None else "LINE_CHANNEL_ACCESS_TOKEN"
        raise MissingCredential(
            f"{missing} is not set. Set both LINE credentials for production, "
            "or neither to run against the built-in LINE emulator."
        )
    return config
