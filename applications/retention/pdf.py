"""Everything held about a person as a readable PDF, in the reader's language (fpdf2).

Chinese needs a font with CJK glyphs; nothing is downloaded: the font is one installed on the
machine (Debian's ``fonts-noto-cjk``, which ``.ci/run`` and the Dockerfile install), found through
fontconfig, or the file ``LINGHUO_PDF_FONT`` names (``path`` or ``path#index`` for a collection).
Only the glyphs used are embedded (fpdf2 subsets the font).
"""

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from applications.facts_form import describe_facts

FONT_FAMILY = "cjk"


class PdfFontMissing(Exception):
    """No font with Chinese glyphs is installed or configured: the PDF cannot be made."""


def _font_preference(family: str, style: str, path: str) -> tuple:
    """Lower is better: a regular simplified-Chinese sans-serif first."""
    return (
        "Regular" not in style and "Book" not in style,
        "Mono" in family,
        "SC" not in family and "GB" not in family,
        "Sans" not in family and "Hei" not in family,
        path,
    )


@lru_cache(maxsize=1)
def cjk_font() -> tuple[str, int]:
    """(file, index in a collection) of the font the PDF is written in."""
    configured = getattr(settings, "LINGHUO_PDF_FONT", "") or ""
    if configured:
        path, _hash, index = configured.partition("#")
        if not Path(path).is_file():
            raise PdfFontMissing(f"LINGHUO_PDF_FONT names {path}, which is not a file")
        return path, int(index or 0)
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise PdfFontMissing("fontconfig (fc-list) is not installed")
    try:
        listed = subprocess.run(  # noqa: S603 (a fixed command, no input from anyone)
            [fc_list, "--format", "%{file}|%{index}|%{family}|%{style}\n", ":lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError) as error:
        raise PdfFontMissing("fontconfig (fc-list) is not available") from error
    fonts = []
    for line in listed.splitlines():
        parts = line.split("|")
        if len(parts) == 4 and parts[0].lower().endswith((".ttf", ".otf", ".ttc", ".otc")):
            path, index, family, style = parts
            fonts.append((_font_preference(family, style, path), path, int(index or 0)))
    if not fonts:
        raise PdfFontMissing("no font with Chinese glyphs is installed (apt-get install fonts-noto-cjk)")
    _preference, path, index = min(fonts)
    return path, index


class _Document(FPDF):
    footer_text = ""

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT_FAMILY, size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ("、" if _chinese() else ", ").join(_text(v) for v in value)
    return str(value)


def _moment(value: str | None) -> str:
    """An ISO moment as ``2026-03-01 14:03``; a date stays as it is."""
    if not value:
        return "—"
    return value[:16].replace("T", " ")


def _chinese() -> bool:
    return (translation.get_language() or "").startswith("zh")


class _Writer:
    def __init__(self, pdf: FPDF):
        self.pdf = pdf
        # Chinese has no spaces to break at: lines break between characters.
        self.wrap = WrapMode.CHAR if _chinese() else WrapMode.WORD

    def _cell(self, text: str, *, size: float = 10, height: float = 5.5, indent: float = 0) -> None:
        self.pdf.set_font(FONT_FAMILY, size=size)
        self.pdf.set_x(self.pdf.l_margin + indent)
        self.pdf.multi_cell(0, height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=self.wrap)

    def heading(self, text: str, level: int = 1) -> None:
        size = {0: 18, 1: 14, 2: 12}[level]
        if level and self.pdf.get_y() > self.pdf.h - 40:
            self.pdf.add_page()
        self.pdf.ln(3 if level else 0)
        self.pdf.set_text_color(0, 0, 0)
        self._cell(text, size=size, height=size * 0.5)
        self.pdf.ln(1)

    def line(self, label: str, value="") -> None:
        self.pdf.set_text_color(30, 30, 30)
        # A question needs no colon after it.
        colon = "：" if _chinese() else ": "
        separator = " " if label.endswith(("?", "？", ":", "：")) else colon
        self._cell(f"{label}{separator}{_text(value)}")

    def paragraph(self, text: str, *, indent: float = 0) -> None:
        self.pdf.set_text_color(30, 30, 30)
        self._cell(text or "—", indent=indent)

    def item(self, text: str) -> None:
        self.pdf.set_text_color(30, 30, 30)
        self._cell(f"• {text}", indent=4)

    def none(self) -> None:
        self.item(_("None"))


def _application(w: _Writer, application: dict) -> None:
    reference = application["reference"] or _("draft, not sent")
    w.heading(f"{application['programme']['title']} · {reference}", level=1)
    w.line(_("Status"), application["status_label"])
    w.line(_("Started"), _moment(application["started_at"]))
    w.line(_("Last change"), _moment(application["last_changed_at"]))
    w.line(_("Sent"), _moment(application["submitted_at"]))
    w.line(_("Decided"), _moment(application["decided_at"]))
    if application["amount"]:
        w.line(_("Amount (yuan)"), application["amount"])
    details = application["personal_details"]
    w.heading(_("Personal details"), level=2)
    w.line(_("Full name"), details["full_name"])
    w.line(_("Resident identity number"), details["id_number"])
    w.line(_("Date of birth"), details["birth_date"])
    w.line(_("Mobile number"), details["mobile"])
    w.line(_("Address"), details["address"])
    w.line(_("Bank"), details["bank_name"])
    w.line(_("Bank account number"), details["bank_account"])
    w.heading(_("Your answers"), level=2)
    for answer in application["answers"]:
        w.line(answer["question"], answer["answer"])
    for answer in application["programme_details"]:
        w.line(answer["question"], answer["answer"])
    if not application["answers"] and not application["programme_details"]:
        w.none()
    w.heading(_("Documents"), level=2)
    for document in application["documents"]:
        w.item(
            _("%(kind)s: “%(name)s”, %(size)s bytes, uploaded %(when)s (%(check)s)")
            % {
                "kind": document["kind_label"],
                "name": document["file_name"],
                "size": document["size"],
                "when": _moment(document["uploaded_at"]),
                "check": document["check"],
            }
        )
    if not application["documents"]:
        w.none()
    if application["payments"]:
        w.heading(_("Payments"), level=2)
        for payment in application["payments"]:
            w.item(
                _("Instalment %(number)s: %(amount)s yuan due on %(date)s (%(state)s)")
                % {
                    "number": payment["instalment"],
                    "amount": payment["amount"],
                    "date": payment["due_on"],
                    "state": payment["state_label"],
                }
            )
    if application["outcome"]:
        w.heading(_("Outcome"), level=2)
        w.paragraph(application["outcome"])
    if application["information_requests"]:
        w.heading(_("Requests for information"), level=2)
        for request in application["information_requests"]:
            w.item(
                _("Asked on %(asked)s, reply due %(due)s, answered %(answered)s")
                % {
                    "asked": _moment(request["requested_at"]),
                    "due": request["reply_due_on"],
                    "answered": _moment(request["answered_at"]),
                }
            )
            if request["documents"]:
                w.line(_("Documents asked for"), request["documents"])
            for question in request["questions"]:
                w.line(_("Question"), question)
            for answer in request["answers"]:
                w.line(_("Your answer"), answer)
    if application["reconsiderations"]:
        w.heading(_("Reconsideration"), level=2)
        for item in application["reconsiderations"]:
            w.line(_("Asked for on"), _moment(item["requested_at"]))
            w.line(_("Your reasons"), item["grounds"])
            w.line(_("Outcome"), item["outcome"])
            w.line(_("Decision"), item["decision"])
    if application["answers_from_registries"]:
        w.heading(_("Answers taken from department registries"), level=2)
        for fact in application["answers_from_registries"]:
            w.item(
                _("%(answer)s, from %(department)s (%(date)s)")
                % {"answer": fact["answer"], "department": fact["department"], "date": fact["provided_on"] or "—"}
            )
    w.heading(_("What happened"), level=2)
    for event in application["timeline"]:
        step = " → ".join(part for part in (event["from"], event["to"]) if part) or event["kind"]
        w.item(f"{_moment(event['at'])} {step}" + (f": {event['note']}" if event["note"] else ""))
    if not application["timeline"]:
        w.none()


def _registry(w: _Writer, record: dict) -> None:
    contact = record["contact"]
    w.line(_("Full name"), contact["full_name"])
    w.line(_("Mobile number"), contact["mobile"])
    w.line(_("E-mail address"), contact["email"])
    if record["opted_out_at"]:
        w.line(_("You asked for no more invitations on"), _moment(record["opted_out_at"]))
    w.heading(_("What departments recorded"), level=2)
    for fact in record["facts"]:
        source = (
            _("recorded by %(department)s on %(date)s")
            % {"department": fact["department"], "date": fact["recorded_on"] or "—"}
            if fact["department"]
            else _("no department named")
        )
        w.line(
            fact["question"],
            f"{_text(fact['answer'])}（{source}）" if _chinese() else f"{_text(fact['answer'])} ({source})",
        )
    if not record["facts"]:
        w.none()
    w.heading(_("Invitations"), level=2)
    for invitation in record["invitations"]:
        w.item(
            _("%(programme)s: made %(made)s, sent %(sent)s, opened %(opened)s")
            % {
                "programme": invitation["programme"],
                "made": _moment(invitation["made_at"]),
                "sent": _moment(invitation["sent_at"]),
                "opened": _moment(invitation["opened_at"]),
            }
        )
    for message in record["invitation_messages"]:
        w.item(f"{_moment(message['at'])} · {message['channel']} · {message['to'] or '—'} · {message['state']}")
        if message["subject"]:
            w.paragraph(message["subject"], indent=8)
        w.paragraph(message["text"], indent=8)
    if not record["invitations"] and not record["invitation_messages"]:
        w.none()


def personal_data_pdf(data: dict) -> bytes:
    """``data`` (``selectors.personal_data_of``) as a PDF in the active language."""
    font, index = cjk_font()
    pdf = _Document(format="A4")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font(FONT_FAMILY, "", font, collection_font_number=index)
    language = translation.get_language() or settings.LANGUAGE_CODE
    pdf.set_lang("zh-CN" if language.startswith("zh") else "en")
    title = _("Your personal data held by Linghuo")
    pdf.set_title(title)
    pdf.set_creator("Linghuo")
    pdf.set_creation_date(timezone.now())
    pdf.footer_text = title
    pdf.add_page()
    w = _Writer(pdf)
    w.heading(title, level=0)
    w.paragraph(
        _(
            "Made on %(when)s. It lists everything the portal holds about you: your account, your "
            "applications with your answers, the documents you uploaded, payments, the messages we "
            "sent you, and what department registries hold under your identity number. It contains "
            "your full identity and bank account numbers: keep it safe."
        )
        % {"when": _moment(data["generated_at"])}
    )
    account = data["account"]
    w.heading(_("Your account"), level=1)
    w.line(_("Login"), account["login"])
    w.line(_("E-mail address"), account["email"])
    w.line(_("Mobile number"), account["mobile"])
    w.line(_("Full name"), account["full_name"])
    w.line(_("Language"), account["preferred_language"])
    w.line(_("Account made on"), _moment(account["joined_at"]))
    w.line(_("Confirmed on"), _moment(account["confirmed_at"]))
    w.line(_("Last login"), _moment(account["last_login_at"]))
    w.heading(_("Your applications"), level=1)
    if not data["applications"]:
        w.none()
    for application in data["applications"]:
        _application(w, application)
    w.heading(_("Messages we sent you"), level=1)
    for message in data["messages"]:
        w.item(
            f"{_moment(message['at'])} · {message['channel']} · {message['to'] or '—'} · {message['state']}"
            + (f" · {message['application']}" if message["application"] else "")
        )
        if message["subject"]:
            w.paragraph(message["subject"], indent=8)
        w.paragraph(message["text"], indent=8)
        for delivery in message["deliveries"]:
            w.paragraph(f"{_moment(delivery['at'])} · {delivery['channel']} · {delivery['status']}", indent=8)
    if not data["messages"]:
        w.none()
    w.heading(_("Your latest screening answers"), level=1)
    kept = data["kept_screening"]
    if kept is None:
        w.none()
    else:
        w.line(_("Screened on"), kept["screened_on"])
        for _name, question, answer in describe_facts(kept["answers"]):
            w.line(question, answer)
    w.heading(_("Reminders of closing windows"), level=1)
    for reminder in data["window_reminders"]:
        w.item(
            _("%(sent)s: %(programme)s, the time to apply ends on %(closes)s")
            % {"sent": reminder["sent_on"], "programme": reminder["programme"], "closes": reminder["closes_on"]}
        )
    if not data["window_reminders"]:
        w.none()
    w.heading(_("Department registries"), level=1)
    if not data["registry"]:
        w.paragraph(_("No department registry holds data under the identity numbers you gave."))
    for record in data["registry"]:
        _registry(w, record)
    return bytes(pdf.output())
