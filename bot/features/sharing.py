"""Sharing a record with a clinic's workspace, and the research question.

From the clinic list (features/clinics.py), "Share my record here" (action=share&c=ID) asks for
a confirmation; yes makes a referral that the clinic's staff see under /clinic/. Only clinics
with a staff account take referrals, only patients who keep records and have a result can share.
The first share is also when the research question is put, once: it comes after a first result
(a share needs one), and only then can a clinic see the photos it is about. Research use is
opt-in and revocable ("research" command, consent menu); saying no or stopping removes the
photos from the labelling queue and later exports at once (storage.research).

The confirmation gives the patient's code (storage.clinic_referrals: short, read aloud, never
the LINE id), which the clinic's staff type to find them; "my code" repeats it."""

from bot.domain import clinics
from bot.engine.router import Command, Feature
from bot.views.cards import postback, text_message
from storage import assessments, clinic_referrals, research, staff


def _clinic(ctx, clinic_id):
    """The clinic if it takes referrals (it is in the list and has staff), else None."""
    clinic = clinics.by_id(clinics.cached(ctx.services.features, ctx.settings.clinics_csv), clinic_id or "")
    return clinic if clinic and clinic.id in staff.clinic_ids(ctx.db) else None


def on_share(ctx, params: dict):
    if not ctx.consented("share.no_consent"):
        return
    if params.get("v") == "no":
        ctx.answer(text_message(ctx.t("share.cancelled")))
        return
    clinic = _clinic(ctx, params.get("c"))
    if clinic is None:
        ctx.answer(text_message(ctx.t("share.unknown_clinic")))
        return
    if not assessments.recent(ctx.db, ctx.user_id, 1):
        ctx.answer(text_message(ctx.t("share.no_result")))
        return
    if params.get("v") != "yes":
        yes, no = ctx.t("share.yes"), ctx.t("share.no")
        ctx.answer(text_message(ctx.t("share.confirm", clinic=clinic.name),
                                [postback(yes, f"action=share&c={clinic.id}&v=yes", yes),
                                 postback(no, "action=share&v=no", no)]))
        return
    clinic_referrals.share(ctx.db, ctx.user_id, clinic.id, ctx.now())
    code = clinic_referrals.ensure_code(ctx.db, ctx.settings.files_dir, ctx.user_id)
    messages = [text_message(ctx.t("share.done", clinic=clinic.name, code=code))]
    if research.mark_asked(ctx.db, ctx.user_id, ctx.now()):
        messages.append(question(ctx))
    ctx.answer(messages)


def question(ctx) -> dict:
    yes, no = ctx.t("research.yes"), ctx.t("research.no")
    return text_message(ctx.t("research.question"), [postback(yes, "action=research&v=yes", yes),
                                                     postback(no, "action=research&v=no", no)])


ANSWERS = {"yes": (research.GIVEN, "research.given"), "no": (research.DECLINED, "research.declined"),
           "withdraw": (research.WITHDRAWN, "research.withdrawn")}


def on_research(ctx, params: dict):
    if not ctx.consented("research.no_consent"):
        return
    answer = ANSWERS.get(params.get("v", ""))
    if answer is None:
        research_status(ctx)
        return
    state, text = answer
    research.record(ctx.db, ctx.user_id, state, ctx.now(), ctx.settings.files_dir)
    ctx.answer(text_message(ctx.t(text)))


def research_status(ctx, rest: str = ""):
    """Where the patient stands on research use, with the one change that makes sense."""
    if not ctx.consented("research.no_consent"):
        return
    if research.given(ctx.db, ctx.user_id):
        stop = ctx.t("research.qr_withdraw")
        ctx.answer(text_message(ctx.t("research.status_given"), [postback(stop, "action=research&v=withdraw", stop)]))
        return
    ctx.answer(question(ctx))


def my_code(ctx, rest: str = ""):
    """The code the patient shows at a clinic they share with; none before a first share."""
    code = clinic_referrals.ensure_code(ctx.db, ctx.settings.files_dir, ctx.user_id)
    ctx.answer(text_message(ctx.t("share.code", code=code) if code else ctx.t("share.no_code")))


def stop_sharing(ctx, rest: str = ""):
    count = clinic_referrals.stop_sharing(ctx.db, ctx.user_id)
    ctx.answer(text_message(ctx.t("share.stopped", count=count)))


FEATURE = Feature(
    "sharing",
    actions={"share": on_share, "research": on_research},
    commands=(
        Command("research", ("研究協力",), ("research",), "写真の研究利用への協力を確認・変更します",
                "see or change research use of your photos", research_status),
        Command("stop_sharing", ("共有をやめる",), ("stop sharing",), "医院への記録の共有をやめます",
                "stop sharing your record with clinics", stop_sharing),
        Command("my_code", ("番号", "マイコード", "患者番号"), ("my code", "code"),
                "医院で見せる番号を表示します", "show the code to give at the clinic", my_code),
    ),
)
