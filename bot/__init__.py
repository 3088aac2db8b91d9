"""AD-AI LINE bot. `create_app` is in bot/app.py; the layout is in docs/ARCHITECTURE.md."""

from bot.app import create_app

__all__ = ["create_app"]
