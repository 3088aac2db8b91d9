"""Postback routing: data is a query string `action=NAME&...`; ACTIONS maps NAME to a
function(ctx, params). Features add their actions to the table."""

import logging
from urllib.parse import parse_qsl

log = logging.getLogger(__name__)


def parse(data: str) -> dict:
    return dict(parse_qsl(data or "", keep_blank_values=True))


ACTIONS: dict = {
    # "consent": bot.consent.on_consent_postback,  (features register here)
}


def dispatch(ctx, postback: dict):
    params = parse(postback.get("data", ""))
    if postback.get("params"):  # date/time pickers put their choice here
        params.update({f"picked_{k}": v for k, v in postback["params"].items()})
    action = ACTIONS.get(params.get("action", ""))
    if action is None:
        log.info("postback with unknown action ignored")
        return
    action(ctx, params)
