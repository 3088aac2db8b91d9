"""The clinic workspace under /clinic/ (issue 11): staff sign in (accounts), see the referrals
their patients sent (pages), label research-consented photos (labelling). `web` holds the
blueprint and the guard every page goes through."""

from bot.engine.router import Feature
from bot.features.workspace import accounts, labelling, pages  # noqa: F401 — they add the routes
from bot.features.workspace.web import bp

FEATURE = Feature("workspace", blueprints=(bp,))
