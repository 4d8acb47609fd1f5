"""Abandoned drafts: one notice at 75 days without activity, removal at 90, each at its boundary."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import translation

from applications.models import Application, AuditEntry, Document, Notification, Status
from applications.retention import selectors, services
from applications.retention.models import AnonymisedCase, DraftNotice
from applications.services.audit import audit_record
from tests.factories import CitizenFactory
from tests.retention.conftest import TODAY, at_noon, attach, draft_changed_on

pytestmark = pytest.mark.django_db


def days_ago(days: int):
    return TODAY - timedelta(days=days)


def notices_of(application) -> list[Notification]:
    return list(Notification.objects.filter(recipient=application.applicant, event=services.DRAFT_NOTICE_EVENT))


# --- The notice ------------------------------------------------------------------------------------


def test_the_periods_are_the_catalogues_local_settings():
    periods = selectors.retention_periods(TODAY)
    assert (periods.closed_case_years, periods.draft_days, periods.draft_notice_days) == (5, 90, 75)


def test_no_notice_on_the_74th_day_without_activity(citizen):
    draft = draft_changed_on(days_ago(74), applicant=citizen)
    assert services.drafts_notify_inactive(today=TODAY) == 0
    assert notices_of(draft) == [] and not DraftNotice.objects.exists()


def test_the_notice_goes_on_the_75th_day_once_on_every_channel(citizen):
    draft = draft_changed_on(days_ago(75), applicant=citizen)
    assert services.drafts_notify_inactive(today=TODAY) == 1
    notice = DraftNotice.objects.get(application=draft)
    assert notice.notified_on == TODAY and notice.removal_on == days_ago(75) + timedelta(days=90)
    sent = notices_of(draft)
    assert sorted(n.channel for n in sent) == ["email", "inbox", "sms"]
    inbox = next(n for n in sent if n.channel == Notification.Channel.INBOX)
    # In the person's language (Chinese by default), with the removal date and the link to the draft.
    assert "2026年6月25日" in inbox.body
    assert f"/applications/drafts/{draft.pk}/" in inbox.body
    assert inbox.application_id is None  # the notice stays in the inbox once the draft is gone
    # Run again, the same day or the next: nothing more.
    assert services.drafts_notify_inactive(today=TODAY) == 0
    assert services.drafts_notify_inactive(today=TODAY + timedelta(days=1)) == 0
    assert len(notices_of(draft)) == 3


def test_a_draft_found_later_gets_its_notice_late_but_its_full_warning(citizen):
    draft = draft_changed_on(days_ago(120), applicant=citizen)
    services.drafts_notify_inactive(today=TODAY)
    assert DraftNotice.objects.get(application=draft).removal_on == TODAY + timedelta(days=15)


def test_the_notice_is_in_english_for_a_person_who_chose_english():
    person = CitizenFactory(username="english@example.com", preferred_language="en")
    draft = draft_changed_on(days_ago(75), applicant=person)
    services.drafts_notify_inactive(today=TODAY)
    email = Notification.objects.get(recipient=person, channel=Notification.Channel.EMAIL)
    with translation.override("en"):
        title = draft.programme.title
    assert email.subject == f"Your unsent application for “{title}” will be removed"
    assert "we remove it on 25 Jun 2026" in email.body


def test_a_document_uploaded_later_is_activity(citizen):
    draft = draft_changed_on(days_ago(80), applicant=citizen)
    attach(draft, on=days_ago(74))
    assert services.drafts_notify_inactive(today=TODAY) == 0
    assert services.drafts_notify_inactive(today=TODAY + timedelta(days=1)) == 1


# --- The removal -----------------------------------------------------------------------------------


def noticed_draft(citizen, *, documents: int = 1):
    """A draft last changed 75 days before TODAY and told so on TODAY: removal due on TODAY + 15."""
    draft = draft_changed_on(days_ago(75), applicant=citizen)
    files = [attach(draft, on=days_ago(75)).file.name for _ in range(documents)]
    services.drafts_notify_inactive(today=TODAY)
    return draft, files


def test_not_removed_on_the_89th_day(citizen):
    draft, files = noticed_draft(citizen)
    assert services.drafts_remove_abandoned(today=TODAY + timedelta(days=14)) == 0
    assert Application.objects.filter(pk=draft.pk).exists() and default_storage.exists(files[0])


def test_removed_on_the_90th_day_with_its_files_and_recorded(citizen, django_capture_on_commit_callbacks):
    draft, files = noticed_draft(citizen, documents=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.drafts_remove_abandoned(today=TODAY + timedelta(days=15)) == 1
    assert not Application.objects.filter(pk=draft.pk).exists()
    assert not Document.objects.filter(application_id=draft.pk).exists()
    assert not any(default_storage.exists(name) for name in files)
    # The notice stays in the person's inbox; the record of it went with the draft.
    assert len(notices_of(draft)) == 3 and not DraftNotice.objects.exists()
    entry = AuditEntry.objects.get(details__decision="draft_removed")
    assert entry.application_id is None and entry.actor_id is None
    assert entry.details == {
        "decision": "draft_removed",
        "draft": draft.pk,
        "programme": draft.programme.slug,
        "documents": 2,
        "inactive_days": 90,
        "notified_on": TODAY.isoformat(),
    }
    # Idempotent: the next day finds nothing.
    assert services.drafts_remove_abandoned(today=TODAY + timedelta(days=16)) == 0


def test_a_draft_past_90_days_without_a_notice_is_told_first_not_removed(citizen):
    draft = draft_changed_on(days_ago(95), applicant=citizen)
    assert services.drafts_remove_abandoned(today=TODAY) == 0
    services.drafts_notify_inactive(today=TODAY)
    assert services.drafts_remove_abandoned(today=TODAY + timedelta(days=14)) == 0
    assert services.drafts_remove_abandoned(today=TODAY + timedelta(days=15)) == 1
    assert not Application.objects.filter(pk=draft.pk).exists()


def test_work_after_the_notice_keeps_the_draft_and_starts_a_new_period(citizen):
    draft, _files = noticed_draft(citizen)
    Application.objects.filter(pk=draft.pk).update(updated_at=at_noon(TODAY + timedelta(days=5)))
    assert services.drafts_remove_abandoned(today=TODAY + timedelta(days=15)) == 0
    assert Application.objects.filter(pk=draft.pk).exists()
    # 75 days after that change, a second notice for the new period.
    assert services.drafts_notify_inactive(today=TODAY + timedelta(days=5 + 74)) == 0
    assert services.drafts_notify_inactive(today=TODAY + timedelta(days=5 + 75)) == 1
    assert len(notices_of(draft)) == 6
    assert DraftNotice.objects.get(application=draft).removal_on == TODAY + timedelta(days=5 + 90)


def test_a_sent_application_is_never_a_draft_to_remove(citizen):
    draft, _files = noticed_draft(citizen)
    Application.objects.filter(pk=draft.pk).update(status=Status.SUBMITTED, reference="LH-2026-999001")
    assert services.drafts_remove_abandoned(today=TODAY + timedelta(days=30)) == 0
    assert Application.objects.filter(pk=draft.pk).exists()


def test_a_draft_the_audit_trail_names_is_withdrawn_and_anonymised_instead(citizen, django_capture_on_commit_callbacks):
    draft, files = noticed_draft(citizen)
    audit_record(
        actor=citizen, action=AuditEntry.Action.REGISTRY_PREFILLED, application=draft, details={"use": "prefill"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.drafts_remove_abandoned(today=TODAY + timedelta(days=15)) == 1
    kept = Application.objects.get(pk=draft.pk)
    assert kept.status == Status.WITHDRAWN and kept.applicant.username == services.ANONYMISED_USERNAME
    assert (kept.full_name, kept.id_number, kept.id_number_hash, kept.facts) == ("", "", "", {})
    assert AnonymisedCase.objects.get(application=kept).basis == AnonymisedCase.Basis.ABANDONED_DRAFT
    assert not default_storage.exists(files[0])


def test_the_command_prints_counts_and_a_dry_run_changes_nothing(citizen):
    draft_changed_on(days_ago(75), applicant=citizen)
    draft_changed_on(days_ago(10), applicant=CitizenFactory())
    out = call_command_output("--dry-run", f"--today={TODAY.isoformat()}")
    assert "dry run, nothing changed" in out
    assert (
        "draft notices due: 1" in out and "drafts removed (due): 0" in out and "closed cases anonymised (due): 0" in out
    )
    assert not DraftNotice.objects.exists() and not Notification.objects.exists()
    out = call_command_output(f"--today={TODAY.isoformat()}")
    assert "draft notices done: 1" in out
    assert DraftNotice.objects.count() == 1
    assert "draft notices done: 0" in call_command_output(f"--today={TODAY.isoformat()}")


def call_command_output(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


def test_beat_runs_each_job_daily():
    from django.conf import settings

    from portal.celery import app

    app.autodiscover_tasks(force=True)
    tasks = {entry["task"] for key, entry in settings.CELERY_BEAT_SCHEDULE.items() if key.startswith("retention-")}
    assert tasks == {
        "retention.anonymise_closed_cases",
        "retention.remove_abandoned_drafts",
        "retention.notify_inactive_drafts",
    }
    assert tasks <= set(app.tasks)


def test_the_daily_tasks_run_the_services_for_today(citizen):
    from django.utils import timezone

    from applications.retention import tasks

    today = timezone.localdate()
    draft = draft_changed_on(today - timedelta(days=75), applicant=citizen)
    assert tasks.notify_inactive_drafts.delay().get() == {"notices": 1}
    assert tasks.remove_abandoned_drafts.delay().get() == {"removed": 0}
    DraftNotice.objects.filter(application=draft).update(removal_on=today)
    Application.objects.filter(pk=draft.pk).update(updated_at=at_noon(today - timedelta(days=90)))
    DraftNotice.objects.filter(application=draft).update(activity_at=at_noon(today - timedelta(days=90)))
    assert tasks.remove_abandoned_drafts.delay().get() == {"removed": 1}
    assert tasks.anonymise_closed_cases.delay().get() == {"anonymised": 0}
