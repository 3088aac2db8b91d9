"""The patient's side of the clinic workspace, over signed webhooks: sharing a record with a
clinic that has a workspace, the research question (once, never before a first result, opt-in,
revocable from the consent menu), and nothing changed for patients who never opt in."""

import pytest

from bot.domain.agreement import cohen_kappa
from storage import clinic_labels, clinic_referrals, research
from tests.support.chat import flex_actions, photo, quick_replies
from tests.support.clinic import CLINIC_A, CLINIC_B, account, share
from tests.support.devmodels import build_dev_models


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "models_dir": build_dev_models(tmp_path / "models")}


def consented(chat, lang="ja"):
    user = chat(lang)
    user.follow()
    user.agree()
    return user


def share_buttons(messages):
    return [a["data"] for m in messages if m["type"] == "flex" for a in flex_actions(m)
            if a["type"] == "postback" and a["data"].startswith("action=share")]


def research_asked(messages) -> bool:
    return any("action=research&v=yes" in str(quick_replies(m)) for m in messages)


def near(user, clinic):
    return user._send(user.events.location(latitude=clinic.lat, longitude=clinic.lon, user=user.user))


def test_clinics_without_a_workspace_get_no_share_button(chat, db):
    user = consented(chat)
    assert share_buttons(near(user, CLINIC_A)) == []
    account(db, CLINIC_A, "a@clinic.example")
    assert share_buttons(near(user, CLINIC_A)) == [f"action=share&c={CLINIC_A.id}"]
    stranger = chat()
    stranger.follow()
    stranger.decline()
    assert share_buttons(near(stranger, CLINIC_A)) == []  # nothing kept, nothing to share


@pytest.mark.parametrize("lang, asked", [("ja", "研究へのご協力のお願い"), ("en", "A request for research")])
def test_the_research_question_comes_once_and_never_before_a_first_result(chat, db, lang, asked):
    account(db, CLINIC_A, "a@clinic.example")
    account(db, CLINIC_B, "b@clinic.example")
    user = consented(chat, lang)
    said = user.tap(f"action=share&c={CLINIC_A.id}&v=yes")  # before any photo: refused, nothing asked
    assert not research_asked(said) and research.state(db, user.user) is None
    assert clinic_referrals.for_clinic(db, CLINIC_A.id) == []
    (card,) = user.photo(photo("IM"))                        # the result card alone, as before
    assert card["type"] == "flex" and not research_asked([card])
    first = share(user, CLINIC_A, research=None)
    assert research_asked(first) and asked in first[-1]["text"]
    assert research.state(db, user.user) == research.ASKED
    again = share(user, CLINIC_B, research=None)              # asked once only
    assert not research_asked(again)
    assert [r["clinic_id"] for r in clinic_referrals.for_clinic(db, CLINIC_B.id)] == [CLINIC_B.id]


def test_photos_of_patients_who_do_not_opt_in_never_enter_the_queue(chat, db):
    me = account(db, CLINIC_A, "a@clinic.example")
    declined = consented(chat)
    declined.photo(photo("AD"))
    share(declined, CLINIC_A, research="no")
    silent = consented(chat)
    silent.photo(photo("IM"))
    share(silent, CLINIC_A, research=None)                    # never answered
    opted = consented(chat)
    opted.photo(photo("MF"))
    assert clinic_labels.queue(db, CLINIC_A.id, me["staff_id"]) == []
    share(opted, CLINIC_A, research="yes")
    queued = clinic_labels.queue(db, CLINIC_A.id, me["staff_id"])
    assert {row["user_id"] for row in queued} == {opted.user}
    assert research.state(db, declined.user) == research.DECLINED


def test_research_use_is_revoked_from_the_consent_menu(chat, db):
    account(db, CLINIC_A, "a@clinic.example")
    user = consented(chat, "en")
    user.photo(photo("AD"))
    share(user, CLINIC_A, research="yes")
    (menu,) = user.say("consent")
    stop = [a for a in quick_replies(menu) if a["data"] == "action=research&v=withdraw"]
    assert stop and "research use" in menu["text"]
    (answer,) = user.tap(stop[0]["data"])
    assert "Stopped" in answer["text"] and research.state(db, user.user) == research.WITHDRAWN
    (menu,) = user.say("consent")
    assert "action=research&v=withdraw" not in str(quick_replies(menu))
    # and opting in again is possible any time
    (question,) = user.say("research")
    assert research_asked([question])


def test_the_consent_menu_is_unchanged_for_patients_who_never_opt_in(chat):
    user = consented(chat, "en")
    user.photo(photo("AD"))
    (menu,) = user.say("consent")
    assert [a["data"] for a in quick_replies(menu)] == ["action=consent&v=withdraw", "action=consent&v=keep"]


def test_stop_sharing_takes_the_record_off_the_clinics_list_queue_and_exports(chat, db, clock):
    me = account(db, CLINIC_A, "a@clinic.example")
    user = consented(chat, "en")
    user.photo(photo("AD"))
    share(user, CLINIC_A)
    (photo_row,) = clinic_labels.queue(db, CLINIC_A.id, me["staff_id"])
    clinic_labels.save(db, CLINIC_A.id, me["staff_id"], photo_row, "AD", None, clock.now())
    assert len(clinic_referrals.for_clinic(db, CLINIC_A.id)) == 1 and len(clinic_labels.for_export(db)) == 1
    (answer,) = user.say("stop sharing")
    assert "1 clinic" in answer["text"] and clinic_referrals.for_clinic(db, CLINIC_A.id) == []
    assert clinic_labels.queue(db, CLINIC_A.id, me["staff_id"]) == [] and clinic_labels.for_export(db) == []



def test_an_unknown_clinic_or_no_consent_shares_nothing(chat, db):
    account(db, CLINIC_A, "a@clinic.example")
    user = consented(chat, "en")
    user.photo(photo("AD"))
    (answer,) = user.tap(f"action=share&c={CLINIC_B.id}&v=yes")   # no workspace there
    assert "cannot receive" in answer["text"]
    (answer,) = user.tap("action=share&c=made-up&v=yes")
    assert "cannot receive" in answer["text"]
    stranger = chat("en")
    stranger.follow()
    stranger.decline()
    (answer,) = stranger.tap(f"action=share&c={CLINIC_A.id}&v=yes")
    assert "no record" in answer["text"].lower()
    assert clinic_referrals.for_clinic(db, CLINIC_A.id) == []


@pytest.mark.parametrize("pairs, kappa", [
    ([("AD", "AD"), ("IM", "IM"), ("AD", "IM"), ("MF", "MF")], 0.6364),   # by hand: (0.75-0.3125)/0.6875
    ([("AD", "AD")] * 5, 1.0),
    ([("AD", "IM"), ("IM", "AD")], -1.0),
    ([], None),
])
def test_cohen_kappa(pairs, kappa):
    found = cohen_kappa(pairs)
    assert found == kappa if kappa is None else round(found, 4) == kappa


def test_the_workspace_diagnoses_are_the_labels_training_reads():
    from models.clinic_labels import CLINIC_LABELS

    assert clinic_labels.DIAGNOSES == CLINIC_LABELS
