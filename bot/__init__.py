"""AD-AI LINE bot. The app factory is bot/app.py; the layout is in docs/ARCHITECTURE.md.

Importing `bot` (or one of its modules) loads nothing else: the spawned assessment processes
import bot.engine.assess_pool and must not pay for Flask, the LINE SDK and every feature."""


def create_app(test_config=None, clock=None, features=None):
    """bot.app.create_app, imported on first use (see above)."""
    from bot.app import create_app as build  # function-level on purpose: see the module docstring

    return build(test_config, clock=clock, features=features)
