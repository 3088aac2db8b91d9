"""The question the bot is waiting on, per user: typed answers count (issue 12 item 3).

The last question a feature asked (a red-flag yes/no, a POEM question) is kept here, in this
app's memory, keyed by the pseudonymous user reference, for PENDING_FOR: nothing is stored for a
patient who has not consented, and a restart simply forgets (the buttons still work). A text that
is no command goes to `router.replies[kind](ctx, text, data)` while a question waits.
"""

import threading
from datetime import timedelta

PENDING_FOR = timedelta(hours=1)


class Pending:
    def __init__(self):
        self._lock = threading.Lock()
        self._asked: dict[str, tuple[str, str, object]] = {}

    def ask(self, who: str, kind: str, data: str, now):
        with self._lock:
            self._asked[who] = (kind, data, now)

    def waiting(self, who: str, now) -> tuple[str, str] | None:
        with self._lock:
            asked = self._asked.get(who)
            if asked is None or now - asked[2] >= PENDING_FOR:
                self._asked.pop(who, None)
                return None
            return asked[0], asked[1]

    def forget(self, who: str, kind: str | None = None):
        with self._lock:
            asked = self._asked.get(who)
            if asked and (kind is None or asked[0] == kind):
                del self._asked[who]


def _table(ctx) -> Pending:
    return ctx.services.features.setdefault("pending", Pending())


def ask(ctx, kind: str, data: str):
    """Remember that `kind`'s question (its state in `data`) now waits for this user."""
    _table(ctx).ask(ctx.user_ref, kind, data, ctx.now())


def waiting(ctx) -> tuple[str, str] | None:
    """(kind, data) of the question waiting for this user, if one does."""
    return _table(ctx).waiting(ctx.user_ref, ctx.now())


def forget(ctx, kind: str | None = None):
    _table(ctx).forget(ctx.user_ref, kind)
