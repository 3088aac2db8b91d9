"""AD-AI LINE bot: the Flask app factory.

Features plug in through the two lists below (and the handler tables in bot.handlers):
- BLUEPRINTS: (import spec, when) — "always" or "simulator" (simulator mode only).
- BACKGROUND: import specs of function(services) -> stop function | None, started by
  `python -m bot serve` (Services.start_background), e.g. the APScheduler tick.
"""

from flask import Flask

BLUEPRINTS = [
    ("bot.webhook:bp", "always"),
    ("bot.health:bp", "always"),
    ("bot.simulator:bp", "simulator"),
    ("bot.media:bp", "always"),
    ("bot.referral:bp", "always"),
]

# Import specs of function() -> None that put a feature's functions into the handler,
# postback and command tables; called by every create_app, so they must be idempotent.
FEATURES = [
    "bot.conversation:register",  # issue 5: consent, photos, red flags, commands, abuse limits
    "bot.followup_commands:register",  # issue 6: check-ins, reminders, clinics, doctor summary
    "bot.image_set_timeout:register",  # image sets whose last parts never arrive
]

BACKGROUND = [
    "bot.services:start_worker",
    "bot.scheduler:start",  # the reminder tick, in one process only (see bot/scheduler.py)
]


def create_app(test_config=None, clock=None):
    """Build the app. test_config overrides environment settings (keys of bot.config.Config;
    unknown keys land in config.extra). Raises bot.config.MissingCredential when only one
    LINE credential is set."""
    from bot import config as configuration
    from bot.services import Services, load

    config = configuration.load(test_config)
    emulator = None
    if config.simulator and config.api_base_url is None:
        config, emulator = _with_emulator(config, clock)
    services = Services(config, clock=clock, emulator=emulator)
    for spec in FEATURES:
        load(spec)()

    app = Flask(__name__)
    app.config.update(TESTING=bool(test_config), ADAI=config)
    app.extensions["adai"] = services
    for spec, when in BLUEPRINTS:
        if when == "always" or (when == "simulator" and config.simulator):
            app.register_blueprint(load(spec))
    return app


def _with_emulator(config, clock):
    """Simulator mode: LINE is the in-process emulator on its own loopback port."""
    from dataclasses import replace

    from bot.emulator import Emulator

    emulator = Emulator(config.access_token, clock=clock).start()
    return replace(config, api_base_url=emulator.url), emulator
