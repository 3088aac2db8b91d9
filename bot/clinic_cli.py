"""`python -m bot staff add | list | reset | disable | enable | remove` and `python -m bot demo
seed`: the clinic workspace's commands. Each change to an account writes an audit row (who: the
operating-system user who ran it).

Neither talks to LINE, so they need no LINE credentials: the settings are the environment's
(bot/settings.py) as they are."""

import sys
from datetime import datetime, timezone

from bot import settings as configuration
from bot.demo import seed
from bot.domain import clinics
from bot.features.workspace.accounts import SETUP_LINK_TTL, UnknownClinic, add_staff, setup_url
from storage import audit, staff
from inference import Pipeline
from storage.db import open_db


def _settings():
    return configuration.Settings(**configuration.from_env())


def _database(settings):
    return open_db(settings.database)


def staff_add_arguments(parser):
    parser.add_argument("--clinic", required=True, help="the clinic's id in the clinic list (ADAI_CLINICS_CSV)")
    parser.add_argument("--email", required=True)
    parser.add_argument("--role", required=True, choices=staff.ROLES)


def staff_add(args) -> int:
    settings = _settings()
    database, when = _database(settings), datetime.now(timezone.utc)
    try:
        url = add_staff(database, settings, clinics.load(settings.clinics_csv), args.clinic,
                        args.email, args.role, when)
    except UnknownClinic as error:
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    except staff.StaffExists as error:
        print(f"error: {type(error).__name__}: {error} has an account already; `python -m bot staff reset "
              f"--email {args.email}` gives it a new one-time link (`staff list` shows every account)",
              file=sys.stderr)
        return 2
    row = staff.by_email(database, args.email)
    audit.add(database, when, audit.STAFF_ADD, row["staff_id"], clinic_id=row["clinic_id"])
    print(f"{args.email} ({args.role}) can set a password once, within {SETUP_LINK_TTL.days} days, at:\n{url}")
    return 0


def email_argument(parser):
    parser.add_argument("--email", required=True)


def staff_list(args) -> int:
    settings = _settings()
    now = datetime.now(timezone.utc)
    for row in staff.all_staff(_database(settings)):
        state = ("disabled" if staff.disabled(row) else "locked" if staff.locked(row, now)
                 else "active" if row["password_hash"] else "waiting for set-up")
        print(f"{row['email']}\t{row['clinic_id']}\t{row['role']}\t{state}\tmade {row['made_at'][:10]}")
    return 0


def _account(database, email):
    row = staff.by_email(database, email)
    if row is None:
        print(f"error: no staff account with email {email!r} (`python -m bot staff list` shows them)", file=sys.stderr)
    return row


def staff_change(action, change, done):
    """A command that changes one account: find it, change it, audit it, say what happened."""
    def run(args) -> int:
        settings = _settings()
        database = _database(settings)
        row = _account(database, args.email)
        if row is None:
            return 2
        when = datetime.now(timezone.utc)
        said = change(database, settings, row, when)
        audit.add(database, when, action, row["staff_id"], clinic_id=row["clinic_id"])
        print(done.format(email=row["email"]) + (f"\n{said}" if said else ""))
        return 0
    return run


def _reset(database, settings, row, when):
    if staff.disabled(row):
        staff.enable(database, row["staff_id"])  # a reset is for someone who should get back in
    staff.reset(database, row["staff_id"])
    return setup_url(database, settings, row["staff_id"], when)


staff_reset = staff_change(audit.STAFF_RESET, _reset,
                           "{email}: password, sessions and trusted browsers ended; a new password can be set "
                           f"once, within {SETUP_LINK_TTL.days} days, at:")
staff_disable = staff_change(audit.STAFF_DISABLE, lambda database, settings, row, when: staff.disable(
    database, row["staff_id"]), "{email}: disabled; every session ended (`staff enable` lets them in again)")
staff_enable = staff_change(audit.STAFF_ENABLE, lambda database, settings, row, when: staff.enable(
    database, row["staff_id"]), "{email}: enabled")
staff_remove = staff_change(audit.STAFF_REMOVE, lambda database, settings, row, when: staff.remove(
    database, row["staff_id"]), "{email}: removed (their labels and audit rows stay)")


def demo_seed(args) -> int:
    settings = _settings()
    done = seed(_database(settings), settings, Pipeline.from_dir(settings.models_dir), datetime.now(timezone.utc))
    clinic = done["clinic"]
    print(f"demo clinic: {clinic.name} ({clinic.id}); {done['patients']} phantom patients, {done['photos']} photos")
    print(f"sign in at {settings.base_url}/clinic/login")
    for email, password in done["accounts"]:
        print(f"  email: {email}  password: {password}")
    return 0
