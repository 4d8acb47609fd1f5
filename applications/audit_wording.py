"""Audit entries as sentences a supervisor reads:
"王芳 于 2026年12月1日 14:03 查看了申请 LH-2026-000123 的身份证号码（原因：核对身份）".

Each sentence is one whole message in the catalogue (word order differs between
Chinese and English), with the recorded details put in by name. Nothing here
shows an internal code: statuses, document kinds, fields and parameters are
named by their labels.
"""

from collections.abc import Iterable
from datetime import date, datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.models import AuditEntry, Document, Status
from eligibility.fact_labels import staff_fact_label
from eligibility.models import Parameter
from eligibility.registry.models import department_label
from eligibility.wording import is_chinese

FIELD_LABELS = {
    "id_number": gettext_lazy("identity number"),
    "bank_account": gettext_lazy("bank account number"),
}

# One sentence per decision recorded by applications.services.review and follow_up.
DECISIONS = {
    "first_approval": gettext_lazy("%(who)s gave the first approval to application %(reference)s on %(when)s"),
    "second_approval": gettext_lazy("%(who)s gave the second approval to application %(reference)s on %(when)s"),
    "approved": gettext_lazy("%(who)s approved application %(reference)s on %(when)s"),
    "rejected": gettext_lazy("%(who)s refused application %(reference)s on %(when)s"),
    "info_requested": gettext_lazy(
        "%(who)s asked the applicant of application %(reference)s for more information on %(when)s"
    ),
    "returned_to_review": gettext_lazy("%(who)s sent application %(reference)s back to review on %(when)s"),
    "reply_overdue": gettext_lazy(
        "%(who)s recorded on %(when)s that the applicant of application %(reference)s did not reply in time"
    ),
    # applications.services.fulfilment: the outcome of a programme without cash.
    "fulfilment_referred": gettext_lazy(
        "%(who)s recorded on %(when)s that application %(reference)s was referred to the partner"
    ),
    "fulfilment_served": gettext_lazy("%(who)s recorded the outcome of application %(reference)s on %(when)s"),
    "fulfilment_partner_declined": gettext_lazy(
        "%(who)s recorded on %(when)s that the partner declined application %(reference)s"
    ),
    # applications.retention: personal data removed when its retention period ended, or on request.
    "anonymised": gettext_lazy("%(who)s anonymised application %(reference)s on %(when)s"),
    "draft_removed": gettext_lazy("%(who)s removed an unsent application after its retention period on %(when)s"),
    "draft_deleted": gettext_lazy("%(who)s deleted an unsent application of their own on %(when)s"),
}

# One sentence per use of registry data recorded by applications.outreach.
REGISTRY_USES = {
    "invitation_page": gettext_lazy(
        "The invitation page of registry person %(person)s, with what departments know, was opened on %(when)s"
    ),
    "prefill": gettext_lazy(
        "%(who)s started application %(reference)s pre-filled from the registry (registry person %(person)s) "
        "on %(when)s"
    ),
    "opt_out": gettext_lazy("Registry person %(person)s asked to receive no more invitations on %(when)s"),
}

# The personal details a registry holds beside the facts (eligibility.registry), as the trail names them.
REGISTRY_DETAILS = {
    "full_name": gettext_lazy("full name"),
    "mobile": gettext_lazy("mobile number"),
    "email": gettext_lazy("e-mail address"),
    "language": gettext_lazy("language"),
}


def _who(entry: AuditEntry) -> str:
    if entry.actor is None:
        return _("The system")
    return entry.actor.full_name or entry.actor.username


def _when(entry: AuditEntry) -> str:
    return date_format(timezone.localtime(entry.at), "DATETIME_FORMAT")


def _status(value) -> str:
    return str(Status(value).label) if value in Status.values else "—"


def _document_kind(kind) -> str:
    return str(Document.Kind(kind).label) if kind in Document.Kind.values else _("a document")


def _document_named(document: dict) -> str:
    kind = _document_kind(document.get("kind"))
    return f"{kind} “{document['name']}”" if document.get("name") else kind


def _day(value) -> str:
    try:
        return date_format(date.fromisoformat(str(value)), "DATE_FORMAT")
    except ValueError:
        return "—"


def audit_sentence(entry: AuditEntry, parameter_labels: dict[str, str] | None = None) -> str:
    """The entry in one sentence in the active language."""
    details = entry.details or {}
    names = {
        "who": _who(entry),
        "when": _when(entry),
        "reference": entry.application.reference if entry.application_id and entry.application else "—",
    }
    action = entry.action
    registry_sentence = REGISTRY_SENTENCES.get(action)
    if registry_sentence is not None:
        return registry_sentence(details, names)
    # Entries written before the registry had actions of its own (VIEW_PERSONAL_DATA, DECISION).
    registry_use = REGISTRY_USES.get(details.get("use")) if details.get("registry_person") is not None else None
    if registry_use is not None:
        return str(registry_use) % {**names, "person": details["registry_person"]}
    if action == AuditEntry.Action.VIEW_CASE:
        documents = details.get("documents") or []
        if documents:
            separator = "、" if is_chinese() else ", "
            listed = separator.join(
                f"{_document_kind(d.get('kind'))} “{d.get('name', '')}”"
                if d.get("name")
                else _document_kind(d.get("kind"))
                for d in documents
            )
            return _("%(who)s opened application %(reference)s with its documents (%(documents)s) on %(when)s") % {
                **names,
                "documents": listed,
            }
        return _("%(who)s opened application %(reference)s on %(when)s") % names
    if action == AuditEntry.Action.VIEW_PERSONAL_DATA and details.get("page") == "queue":
        shown = details.get("applications") or []
        separator = "、" if is_chinese() else ", "
        return _("%(who)s opened the queue, with the names of the applicants of %(references)s, on %(when)s") % {
            **names,
            "references": separator.join(shown),
        }
    if action == AuditEntry.Action.VIEW_PERSONAL_DATA and details.get("export") == "payments":
        return _(
            "%(who)s exported the payments due from %(from)s to %(to)s as a %(format)s file "
            "(%(rows)s rows, with full bank account numbers) on %(when)s"
        ) % {
            **names,
            "from": _day(details.get("from")),
            "to": _day(details.get("to")),
            "rows": details.get("rows", 0),
            "format": str(details.get("format", "csv")).upper(),
        }
    if action == AuditEntry.Action.VIEW_PERSONAL_DATA and details.get("export") == "own_data":
        return _("%(who)s downloaded everything held about them as a %(format)s file on %(when)s") % {
            **names,
            "format": str(details.get("format", "json")).upper(),
        }
    if action == AuditEntry.Action.VIEW_PERSONAL_DATA and details.get("export") == "referrals":
        return _(
            "%(who)s exported the referrals from %(from)s to %(to)s as a %(format)s file (%(rows)s rows) on %(when)s"
        ) % {
            **names,
            "from": _day(details.get("from")),
            "to": _day(details.get("to")),
            "rows": details.get("rows", 0),
            "format": str(details.get("format", "csv")).upper(),
        }
    if action == AuditEntry.Action.VIEW_PERSONAL_DATA:
        field = str(FIELD_LABELS.get(details.get("field"), _("personal data")))
        if details.get("reason"):
            return _("%(who)s viewed the %(field)s of application %(reference)s on %(when)s (reason: %(reason)s)") % {
                **names,
                "field": field,
                "reason": details["reason"],
            }
        return _("%(who)s viewed the %(field)s of application %(reference)s on %(when)s") % {**names, "field": field}
    if action == AuditEntry.Action.VIEW_DOCUMENT:
        return _("%(who)s opened the document “%(document)s” of application %(reference)s on %(when)s") % {
            **names,
            "document": _document_kind(details.get("kind")),
        }
    if action == AuditEntry.Action.TRANSITION and details.get("to"):
        if details.get("from"):
            sentence = _("%(who)s moved application %(reference)s from “%(from)s” to “%(to)s” on %(when)s") % {
                **names,
                "from": _status(details["from"]),
                "to": _status(details["to"]),
            }
        else:
            sentence = _("%(who)s set application %(reference)s to “%(to)s” on %(when)s") % {
                **names,
                "to": _status(details["to"]),
            }
        return _with_note(sentence, details)
    if action == AuditEntry.Action.DECISION:
        template = DECISIONS.get(details.get("decision"))
        if template is None:
            return _with_note(
                _("%(who)s recorded a decision on application %(reference)s on %(when)s") % names, details
            )
        return _with_note(str(template) % names, details)
    if action == AuditEntry.Action.NOTE:
        return _("%(who)s added an internal note to application %(reference)s on %(when)s") % names
    if action == AuditEntry.Action.PARAMETER and details.get("budget"):  # applications.budgets.services
        return _(
            "%(who)s set the budget of “%(programme)s” for %(year)s to %(amount)s yuan from %(from)s "
            "on %(when)s (reason: %(reason)s)"
        ) % {
            **names,
            "programme": (details.get("programme_title") or {}).get("zh" if is_chinese() else "en", "—"),
            "year": details.get("year", "—"),
            "amount": details.get("amount", "—"),
            "from": _day(details.get("valid_from")),
            "reason": details.get("reason", ""),
        }
    if action == AuditEntry.Action.PARAMETER:
        label = (parameter_labels or {}).get(details.get("key", ""))
        if label:
            return _("%(who)s changed the policy parameter “%(parameter)s” on %(when)s") % {**names, "parameter": label}
        return _("%(who)s changed a policy parameter on %(when)s") % names
    return _("%(who)s: %(action)s on %(when)s") % {**names, "action": entry.get_action_display()}


def _listed(names: Iterable[str]) -> str:
    return ("、" if is_chinese() else ", ").join(names) or "—"


def _answers(names) -> str:
    """Facts and personal details by their labels, as a list in the active language."""
    return _listed(str(REGISTRY_DETAILS.get(name) or staff_fact_label(name)) for name in names or [])


def _moment(value) -> str:
    try:
        return date_format(timezone.localtime(datetime.fromisoformat(str(value))), "DATETIME_FORMAT")
    except ValueError:
        return "—"


IMPORT_COUNTS = ("processed", "created", "updated", "deleted", "rejected")


def _registry_imported(details: dict, names: dict) -> str:
    """eligibility.registry: an import's start and its end, with its counts."""
    names = {
        **names,
        "department": department_label(str(details.get("source", ""))),
        "import": details.get("import", "—"),
    }
    if details.get("registry") == "import_started":
        return _(
            "%(who)s started importing the registry file “%(file)s” from %(department)s (%(rows)s rows) on %(when)s"
        ) % {**names, "file": details.get("file", ""), "rows": details.get("rows", 0)}
    counts = {name: details.get(name, 0) for name in ("total", *IMPORT_COUNTS)}
    if details.get("state") == "done":
        return _(
            "%(who)s imported registry data from %(department)s on %(when)s (import %(import)s: %(created)s "
            "persons added, %(updated)s updated, %(deleted)s deleted, %(rejected)s rows refused)"
        ) % {**names, **counts}
    return _(
        "%(who)s could not finish importing registry data from %(department)s on %(when)s "
        "(import %(import)s: %(processed)s of %(total)s rows read)"
    ) % {**names, **counts}


def _registry_rows_deleted(details: dict, names: dict) -> str:
    """eligibility.registry: a department's ``action=delete`` rows."""
    names = {
        **names,
        "department": department_label(str(details.get("source", ""))),
        "person": details.get("person", "—"),
        "import": details.get("import", "—"),
        "line": details.get("line", "—"),
    }
    if details.get("registry") == "person_deleted":
        return (
            _(
                "%(who)s removed registry person %(person)s on %(when)s: %(department)s deleted what it had sent "
                "and no department's data was left (import %(import)s, line %(line)s)"
            )
            % names
        )
    return _(
        "%(who)s deleted what %(department)s had sent about registry person %(person)s on %(when)s "
        "(%(answers)s; import %(import)s, line %(line)s)"
    ) % {**names, "answers": _answers(details.get("removed"))}


def _registry_viewed(details: dict, names: dict) -> str:
    return _("%(who)s looked up what departments hold about registry person %(person)s on %(when)s") % {
        **names,
        "person": details.get("person", "—"),
    }


def _registry_matched(details: dict, names: dict) -> str:
    """eligibility.matching: one run over the whole registry."""
    names = {
        **names,
        "run": details.get("run", "—"),
        "as_of": _day(details.get("as_of")),
        **{name: details.get(name, 0) for name in ("persons", "eligible", "newly_eligible", "invitations")},
    }
    if details.get("state") == "done":
        return (
            _(
                "%(who)s matched the registry with the programmes as of %(as_of)s on %(when)s (run %(run)s): "
                "%(persons)s persons checked, %(eligible)s eligible for at least one programme, %(newly_eligible)s "
                "results newly eligible, %(invitations)s invitations made"
            )
            % names
        )
    return (
        _(
            "%(who)s could not finish matching the registry with the programmes as of %(as_of)s on %(when)s "
            "(run %(run)s)"
        )
        % names
    )


def _registry_prefilled(details: dict, names: dict) -> str:
    return _(
        "%(who)s started application %(reference)s pre-filled from the registry (registry person %(person)s) "
        "on %(when)s, taking over: %(answers)s"
    ) % {**names, "person": details.get("registry_person", "—"), "answers": _answers(details.get("answers"))}


def _invitation_opened(details: dict, names: dict) -> str:
    return str(REGISTRY_USES["invitation_page"]) % {**names, "person": details.get("registry_person", "—")}


def _registry_opted_out(details: dict, names: dict) -> str:
    return str(REGISTRY_USES["opt_out"]) % {**names, "person": details.get("registry_person", "—")}


def _identity_mismatch(details: dict, names: dict) -> str:
    """applications.outreach: a wrong identity number on an invitation's "Apply" page (never the number)."""
    names = {**names, "person": details.get("registry_person", "—")}
    if details.get("until"):
        return _(
            "%(who)s typed a wrong identity number for the invitation of registry person %(person)s on %(when)s, "
            "one too many: tries are refused until %(until)s"
        ) % {**names, "until": _moment(details["until"])}
    return _(
        "%(who)s typed a wrong identity number for the invitation of registry person %(person)s on %(when)s "
        "(wrong number %(attempt)s of %(limit)s for this invitation, %(account_attempts)s of %(account_limit)s "
        "for the account)"
    ) % {
        **names,
        **{name: details.get(name, "—") for name in ("attempt", "limit", "account_attempts", "account_limit")},
    }


def _identity_attempt_refused(details: dict, names: dict) -> str:
    names = {**names, "person": details.get("registry_person", "—"), "until": _moment(details.get("until"))}
    if details.get("scope") == "account":
        return (
            _(
                "%(who)s was refused another try of an identity number for the invitation of registry person "
                "%(person)s on %(when)s: too many wrong numbers by this account, tries refused until %(until)s"
            )
            % names
        )
    return (
        _(
            "%(who)s was refused another try of an identity number for the invitation of registry person "
            "%(person)s on %(when)s: too many wrong numbers for this invitation, tries refused until %(until)s"
        )
        % names
    )


# One sentence (or a few, by what the details say) per use of registry data.
REGISTRY_SENTENCES = {
    AuditEntry.Action.REGISTRY_IMPORTED: _registry_imported,
    AuditEntry.Action.REGISTRY_ROWS_DELETED: _registry_rows_deleted,
    AuditEntry.Action.REGISTRY_VIEWED: _registry_viewed,
    AuditEntry.Action.REGISTRY_MATCHED: _registry_matched,
    AuditEntry.Action.REGISTRY_PREFILLED: _registry_prefilled,
    AuditEntry.Action.INVITATION_OPENED: _invitation_opened,
    AuditEntry.Action.REGISTRY_OPTED_OUT: _registry_opted_out,
    AuditEntry.Action.IDENTITY_MISMATCH: _identity_mismatch,
    AuditEntry.Action.IDENTITY_ATTEMPT_REFUSED: _identity_attempt_refused,
}


def _with_note(sentence: str, details: dict) -> str:
    note = (details.get("note") or "").strip()
    return f"{sentence}{_('. Note: %(note)s') % {'note': note}}" if note else sentence


def audit_sentences(entries: Iterable[AuditEntry]) -> list[tuple[AuditEntry, str]]:
    """Each entry with its sentence; the parameters named are read in one query."""
    entries = list(entries)
    keys = {
        (entry.details or {}).get("key")
        for entry in entries
        if entry.action == AuditEntry.Action.PARAMETER and (entry.details or {}).get("key")
    }
    labels = {p.key: p.description for p in Parameter.objects.filter(key__in=keys)} if keys else {}
    return [(entry, audit_sentence(entry, labels)) for entry in entries]
