"""Benefits that find people (免申即享), in a real browser: a policy administrator imports a
department's registry of 1,000 people, the nightly matching runs, the morning's invitations go
out through the outbox, and one invited person opens the link on a phone, in Chinese, creates an
account, confirms the answers the departments provided and sends the application, uploading only
the identity card."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from applications.documents import application_required_documents, required_documents
from applications.models import Application, Document, Status
from applications.outreach.models import Invitation, InvitationMessage
from applications.outreach.tasks import send_invitations
from eligibility.registry.models import RegistryImport, RegistryPerson
from portal import sms
from tests.applications.files import image_bytes
from tests.e2e.browsing import Wording, confirm_mobile, expect_path, field, log_in, main_button
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.inspection import page_checked
from tests.factories import PolicyAdminFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PROGRAMME = "flexible-si-subsidy"
PASSWORD = "Qz-invited-2026"
MARK = re.compile(r"由.+于\d{4}年\d{1,2}月\d{1,2}日提供")


def test_an_invited_person_confirms_a_pre_filled_application(new_page, tmp_path):
    _ = Wording("zh-hans")

    # A policy administrator uploads a department's registry of 1,000 people.
    registry_file = tmp_path / "hrss-registry.csv"
    call_command("registry_sample", str(registry_file), rows=1000)
    admin = PolicyAdminFactory(username="policy-admin@linghuo.test")
    page = new_page(viewport=DESKTOP)
    log_in(page, _, admin.username)
    page.goto("/registry/imports/")
    page_checked(page, "registry-imports")
    page.get_by_label(_("Department the file comes from")).select_option("hrss")
    field(page, _("File (CSV in UTF-8, or .xlsx)")).set_input_files(str(registry_file))
    main_button(page, _("Upload and import")).click()
    expect(page.locator("[data-registry-field=state_label]")).to_have_text(str(RegistryImport.State.DONE.label))
    page_checked(page, "registry-import-done")
    assert RegistryImport.objects.get().created == RegistryPerson.objects.count() == 1000

    # The night's matching run, then the morning's sending job (beat's tasks, run here).
    call_command("match_registry")
    assert Invitation.objects.filter(programme__slug=PROGRAMME).exists()
    send_invitations()
    invitation = next(
        invitation
        for invitation in Invitation.objects.filter(programme__slug=PROGRAMME, person__language="zh-hans")
        .select_related("person")
        .order_by("pk")
        if invitation.person.mobile
    )
    person = invitation.person
    # In the outbox, sent by SMS, one message naming every programme the person is invited to.
    message = InvitationMessage.objects.get(person=person)
    assert message.channel == InvitationMessage.Channel.SMS and message.state == InvitationMessage.State.DELIVERED
    texts = [m.text for m in sms.outbox if m.to == person.mobile]
    assert len(texts) == 1
    link = re.search(r"https?://[^/\s]+(/invitations/[0-9a-f-]{36}/)(?=\s)", texts[0]).group(1)

    # The person opens the link on a phone.
    phone = new_page(viewport=PHONE)
    phone.goto(link)
    page_checked(phone, "invitation")
    main = phone.locator("main")
    card = main.locator("li.card").filter(has_text=invitation.programme.title_zh)
    expect(card.locator("[data-amount]")).to_contain_text("元")
    expect(main.locator("[data-known-facts]")).to_contain_text(MARK)
    expect(main).not_to_contain_text(person.full_name)
    card.get_by_role("link", name=_("Create an account and apply")).click()

    page_checked(phone, "register")
    phone.get_by_label(_("Mobile number or e-mail address")).fill(person.mobile)
    field(phone, _("Password")).fill(PASSWORD)
    phone.get_by_label(_("Password again")).fill(PASSWORD)
    phone.get_by_label(_("I have read how Linghuo uses my personal data")).check()
    phone.locator("main form").get_by_role("button", name=_("Create account")).click()
    confirm_mobile(phone, _, person.mobile)

    # Back at the invitation: the identity number proves it is theirs.
    expect_path(phone, r"/invitations/[0-9a-f-]{36}/apply/")
    page_checked(phone, "invitation-apply")
    field(phone, _("Resident identity number")).fill(person.id_number)
    main_button(phone, _("Fill in my application")).click()

    # About you: filled in, each answer a department gave marked with the department and date.
    expect_path(phone, r"/applications/drafts/\d+/personal/")
    page_checked(phone, "prefilled-personal")
    expect(phone.get_by_label(_("Full name"))).to_have_value(person.full_name)
    expect(phone.get_by_label(_("Resident identity number"))).to_have_value(person.id_number)
    expect(phone.locator("main form")).to_contain_text(MARK)
    phone.get_by_label(_("Address")).fill("浙江省衢州市柯城区荷花街道 8 号")
    phone.get_by_role("button", name=_("Save and continue")).click()

    expect_path(phone, r"/applications/drafts/\d+/situation/")
    page_checked(phone, "prefilled-situation")
    expect(phone.locator("main form")).to_contain_text(MARK)
    phone.get_by_role("button", name=_("Save and continue")).click()

    expect_path(phone, r"/applications/drafts/\d+/payment/")
    field(phone, _("Bank")).fill("中国工商银行衢州分行")
    phone.get_by_label(_("Account or card number")).fill("6222 0212 3456 7890 123")
    phone.get_by_role("button", name=_("Save and continue")).click()

    # Documents: only what no department holds.
    expect_path(phone, r"/applications/drafts/\d+/documents/")
    page_checked(phone, "prefilled-documents")
    application = Application.objects.get(applicant__mobile=person.mobile)
    asked = application_required_documents(application)
    assert asked == [Document.Kind.IDENTITY_CARD]
    assert len(required_documents(PROGRAMME, application.facts)) > len(asked)
    phone.get_by_label(_("Which document is this?")).select_option(Document.Kind.IDENTITY_CARD.value)
    field(phone, _("File")).set_input_files(
        {"name": "id-card.jpg", "mimeType": "image/jpeg", "buffer": image_bytes("JPEG")}
    )
    phone.get_by_role("button", name=_("Upload"), exact=True).click()
    expect(phone.locator(".messages")).to_contain_text(_("Uploaded. We are checking the file."))
    phone.locator("main form").get_by_role("button", name=_("Continue"), exact=True).click()

    expect_path(phone, r"/applications/drafts/\d+/check/")
    page_checked(phone, "prefilled-check")
    declaration = _(
        "I declare that what I have told you is true and complete, and I understand that a subsidy paid "
        "on false information must be repaid."
    )
    field(phone, declaration).check()
    phone.get_by_role("button", name=_("Send the application")).click()
    expect_path(phone, r"/applications/LH-\d{4}-\d{6}/sent/")
    page_checked(phone, "prefilled-confirmation")

    application.refresh_from_db()
    invitation.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert invitation.application == application and invitation.opened_at is not None
    assert not application.prefilled_facts.filter(corrected_at__isnull=False).exists()
    assert application.prefilled_facts.filter(confirmed_at__isnull=False).exists()
