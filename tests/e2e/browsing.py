"""How the journeys find their way around a page: by the words a person reads
(from the portal's own translation catalogue, in the journey's language), the
labels of fields, and the keyboard."""

import re

from django.utils import translation
from playwright.sync_api import expect

from portal import sms
from tests.conftest import totp_code
from tests.e2e.inspection import page_checked
from tests.factories import PASSWORD


class Wording:
    """The portal's words in one language: ``_ = Wording("en"); _("Log in")``."""

    def __init__(self, language: str):
        self.language = language

    def __call__(self, text: str) -> str:
        with translation.override(self.language):
            return translation.gettext(text)


def expect_path(page, pattern: str) -> None:
    """The page's path matches ``pattern`` (a redirect keeps a link's #fragment)."""
    expect(page).to_have_url(re.compile(rf"^[^?#]*{pattern}(#.*)?$"))


def field(page_or_part, label: str):
    """The form field with exactly this label (crispy-forms marks required ones with an asterisk)."""
    return page_or_part.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def main_button(page, label: str):
    return page.locator("main").get_by_role("button", name=label, exact=True)


def keyboard_focus(page, selector: str, *, limit: int = 60) -> None:
    """Presses Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def log_in(page, _: Wording, identifier: str, password: str = PASSWORD) -> None:
    """From the home page, through the header's link and the login form."""
    page.goto("/")
    open_menu_if_folded(page, _)
    page.locator("header").get_by_role("link", name=_("Log in")).click()
    page_checked(page)
    field(page, _("Mobile number or e-mail address")).fill(identifier)
    field(page, _("Password")).fill(password)
    device = staff_authenticator(identifier)
    main_button(page, _("Log in")).click()
    if device is not None:
        type_second_factor(page, _, device)
    expect(page.locator("header")).to_contain_text(identifier)


def type_second_factor(page, _: Wording, device) -> None:
    """Staff, after the password: the code their authenticator app shows, computed from the device's key."""
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/(\?.*)?$"))
    page_checked(page, "two-factor")
    field(page, _("Code from your authenticator app")).fill(totp_code(device))
    main_button(page, _("Continue")).click()


def staff_authenticator(identifier: str):
    """The staff account's authenticator (set up for it, as at its first login, if it has none);
    None for a citizen."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.accounts.backends import find_user_by_identifier
    from portal.accounts.two_factor import authenticator_for, two_factor_required

    user = find_user_by_identifier(identifier)
    if user is None or not two_factor_required(user):
        return None
    return authenticator_for(user) or TOTPDevice.objects.create(user=user, name="journey", confirmed=True)


def open_menu_if_folded(page, _: Wording) -> None:
    """On a narrow screen the header's links are behind the menu button."""
    toggler = page.get_by_role("button", name=_("Show menu"))
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") == "false":
        toggler.click()


def sent_code(mobile: str) -> str:
    """The last confirmation code sent to ``mobile``: the live server runs in this
    process, and the test settings' SMS backend keeps what it sends in ``sms.outbox``."""
    for message in reversed(sms.outbox):
        found = re.search(r"(?<!\d)(\d{6})(?!\d)", message.text)
        if message.to == mobile and found:
            return found.group(1)
    raise AssertionError(f"No confirmation code was sent to {mobile}")


def confirm_mobile(page, _: Wording, mobile: str) -> None:
    """After registering by mobile number: type the SMS code on the confirmation page."""
    expect_path(page, r"/accounts/confirm/")
    page_checked(page, "confirm-code")
    field(page, _("Confirmation code")).fill(sent_code(mobile))
    main_button(page, _("Confirm")).click()
    expect(page.locator(".messages")).to_contain_text(_("Your mobile number is confirmed. Your account is ready."))
