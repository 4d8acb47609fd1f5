"""Retention's audit entries read as sentences, in both languages."""

import pytest
from django.utils import translation

from applications.audit_wording import audit_sentence
from applications.models import AuditEntry
from applications.services.audit import audit_record
from tests.factories import ApplicationFactory, CitizenFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("details", "english", "chinese"),
    [
        ({"decision": "anonymised"}, "The system anonymised application LH-2021-", "对申请 LH-2021-"),
        ({"decision": "draft_removed"}, "removed an unsent application after its retention period", "保存期满后删除"),
    ],
)
def test_the_systems_entries(details, english, chinese):
    application = ApplicationFactory(reference="LH-2021-000777")
    entry = audit_record(actor=None, action=AuditEntry.Action.DECISION, application=application, details=details)
    with translation.override("en"):
        assert english in audit_sentence(entry)
    with translation.override("zh-hans"):
        assert chinese in audit_sentence(entry)


def test_a_download_and_a_deletion_by_the_person():
    person = CitizenFactory(full_name="王小明")
    download = audit_record(
        actor=person, action=AuditEntry.Action.VIEW_PERSONAL_DATA, details={"export": "own_data", "format": "pdf"}
    )
    deletion = audit_record(actor=person, action=AuditEntry.Action.DECISION, details={"decision": "draft_deleted"})
    with translation.override("en"):
        assert audit_sentence(download).startswith("王小明 downloaded everything held about them as a PDF file on ")
        assert audit_sentence(deletion).startswith("王小明 deleted an unsent application of their own on ")
    with translation.override("zh-hans"):
        assert "以 PDF 文件下载了平台保存的本人全部数据" in audit_sentence(download)
        assert "删除了本人一份未提交的申请" in audit_sentence(deletion)
