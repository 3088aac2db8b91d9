"""`python -m bot staff add …` and `python -m bot demo seed`: the clinic workspace's commands.

Neither talks to LINE, so they need no LINE credentials: the settings are the environment's
(bot/settings.py) as they are."""

import sys
from datetime import datetime, timezone

from bot import settings as configuration
from bot.domain import clinics
from bot.features.workspace.accounts import UnknownClinic, add_staff
from storage import staff
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
    try:
        url = add_staff(_database(settings), settings, clinics.load(settings.clinics_csv), args.clinic,
                        args.email, args.role, datetime.now(timezone.utc))
    except (UnknownClinic, staff.StaffExists) as error:
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    print(f"{args.email} ({args.role}) can set a password once, within 3 days, at:\n{url}")
    return 0


def demo_seed(args) -> int:
    from bot.demo import seed
    from inference import Pipeline

    settings = _settings()
    done = seed(_database(settings), settings, Pipeline.from_dir(settings.models_dir), datetime.now(timezone.utc))
    clinic = done["clinic"]
    print(f"demo clinic: {clinic.name} ({clinic.id}); {done['patients']} phantom patients, {done['photos']} photos")
    print(f"sign in at {settings.base_url}/clinic/login")
    for email, password in done["accounts"]:
        print(f"  email: {email}  password: {password}")
    return 0
