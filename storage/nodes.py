"""The processes that answer photos (`serve`, `worker`) and the model version each answers with
(issue 22): one row per process, written by its model watch (bot/engine/model_sets.py) when the
version it answers with changes and every HEARTBEAT_S, deleted when it stops. A fleet has
converged on a version when every live row (updated within LIVE) names it; a killed process's
row stops being updated and is deleted by the others after STALE."""

from datetime import timedelta

from storage.base import now_iso

HEARTBEAT_S = 30.0
LIVE = timedelta(seconds=3 * HEARTBEAT_S)
STALE = timedelta(days=1)


def report(db, node: str, model_version: str | None, now):
    """This process (`node`) answers with `model_version` now; forget rows silent for STALE."""
    stamp = now_iso(now)
    db.execute(
        "INSERT INTO nodes (node, model_version, started_at, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (node) DO UPDATE SET model_version = excluded.model_version,"
        " updated_at = excluded.updated_at",
        [node, model_version, stamp, stamp],
    )
    db.execute("DELETE FROM nodes WHERE updated_at < ?", [now_iso(now - STALE)])


def gone(db, node: str):
    """The process stops: its row goes with it."""
    db.execute("DELETE FROM nodes WHERE node = ?", [node])


def listing(db, now=None) -> list[dict]:
    """Every node's row, by node; with `now`, only those heard from within LIVE."""
    if now is None:
        return list(db.query("SELECT * FROM nodes ORDER BY node"))
    return list(db.query("SELECT * FROM nodes WHERE updated_at >= ? ORDER BY node", [now_iso(now - LIVE)]))


def versions(db, now) -> dict:
    """{model version: how many live nodes answer with it} (one key: the fleet has converged)."""
    counts: dict = {}
    for row in listing(db, now):
        counts[row["model_version"]] = counts.get(row["model_version"], 0) + 1
    return counts
