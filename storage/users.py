"""Users: language and whether they still follow the bot; `forget` erases a user everywhere."""

from storage.db import compact, now_iso, transaction
from storage.files import remove_user_dir

DEFAULT_LANG = "ja"


def get(db, user_id) -> dict | None:
    rows = list(db.query("SELECT * FROM users WHERE user_id = ?", [user_id]))
    return rows[0] if rows else None


def ensure(db, user_id, now, lang=None) -> dict:
    stamp = now_iso(now)
    db.execute(
        "INSERT INTO users (user_id, lang, active, created_at, updated_at) VALUES (?, ?, 1, ?, ?)"
        " ON CONFLICT (user_id) DO NOTHING",
        [user_id, lang or DEFAULT_LANG, stamp, stamp],
    )
    return get(db, user_id)


def follow(db, user_id, now, lang=None) -> dict:
    ensure(db, user_id, now, lang)
    db.execute(
        "UPDATE users SET active = 1, updated_at = ? WHERE user_id = ?", [now_iso(now), user_id]
    )
    return get(db, user_id)


def unfollow(db, user_id, now):
    db.execute(
        "UPDATE users SET active = 0, updated_at = ? WHERE user_id = ?", [now_iso(now), user_id]
    )


def set_lang(db, user_id, lang, now):
    """The user's own choice ("language"): kept whatever their LINE profile says later."""
    ensure(db, user_id, now, lang)
    db.execute(
        "UPDATE users SET lang = ?, lang_chosen = 1, updated_at = ? WHERE user_id = ?",
        [lang, now_iso(now), user_id],
    )


def follow_profile(db, user_id, lang, now):
    """The language of the user's LINE profile, for a user who never chose one (lang_chosen 0)."""
    db.execute(
        "UPDATE users SET lang = ?, updated_at = ? WHERE user_id = ? AND lang_chosen = 0",
        [lang, now_iso(now), user_id],
    )


def lang(db, user_id) -> str:
    row = db.execute("SELECT lang FROM users WHERE user_id = ?", [user_id]).fetchone()
    return row[0] if row else DEFAULT_LANG


def known_ids(db) -> list[str]:
    """Every user id any table holds (storage.files.migrate_legacy_dirs)."""
    ids = set()
    for table in tables_with_user_id(db):
        ids.update(row[0] for row in db.execute(f"SELECT DISTINCT user_id FROM [{table}]") if row[0])
    return sorted(ids)


def tables_with_user_id(db) -> list[str]:
    return [
        name
        for name in db.table_names()
        if "user_id" in {c.name for c in db[name].columns}
    ]


def forget(db, user_id, data_dir=None) -> dict:
    """Delete the user's rows from every table with a user_id column (so later features'
    tables are covered without edits), blank pending inbox bodies that mention the id,
    remove their file folder, then checkpoint and VACUUM so no byte of the id stays in
    the database or its WAL. Returns rows deleted per table."""
    deleted = {}
    tables = tables_with_user_id(db)
    with transaction(db) as conn:
        for name in tables:
            deleted[name] = conn.execute(
                f"DELETE FROM [{name}] WHERE user_id = ?", [user_id]
            ).rowcount
        deleted["inbox"] = conn.execute(
            "UPDATE inbox SET body = NULL, state = 'done' WHERE instr(body, ?) > 0", [user_id]
        ).rowcount
    if data_dir is not None:
        remove_user_dir(data_dir, user_id)
    compact(db, [*tables, "inbox"])
    return deleted
