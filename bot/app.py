"""The Flask app factory: settings, the router built from the features, the services, the
blueprints. Nothing starts here (the worker and the tick start in `python -m bot serve`)."""

import logging
from dataclasses import replace

from flask import Flask

from bot import features as feature_modules
from bot import settings as configuration
from bot.engine import health, media, webhook
from bot.engine.router import Router
from bot.engine.services import Services
from bot.sim import simulator
from bot.sim.emulator import Emulator


def create_app(test_config=None, clock=None, features=None):
    """Build the app. test_config overrides environment settings (fields of
    bot.settings.Settings); features: the Feature list to install (default
    bot.features.DEFAULT). Raises bot.settings.MissingCredential when only one LINE
    credential is set."""
    settings = configuration.load(test_config)
    emulator = None
    if settings.simulator and settings.api_base_url is None:
        # Simulator mode: LINE is the in-process emulator on its own loopback port.
        emulator = Emulator(settings.access_token, clock=clock, loopback_http=True).start()
        settings = replace(settings, api_base_url=emulator.url)
    if settings.research_preview:
        logging.getLogger(__name__).warning(
            "ADAI_RESEARCH_PREVIEW=1: patients see verdicts of models no clinician has validated, "
            "each card labelled research preview; only for a study under ethics approval")
    router = Router(feature_modules.DEFAULT if features is None else features)
    services = Services(settings, router, clock=clock, emulator=emulator)

    app = Flask(__name__)
    app.config.update(TESTING=bool(test_config), ADAI=settings)
    app.extensions["adai"] = services
    for blueprint in (webhook.bp, health.bp, media.bp, *router.blueprints):
        app.register_blueprint(blueprint)
    if settings.simulator:
        app.register_blueprint(simulator.bp)
    return app
