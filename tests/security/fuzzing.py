"""What the fuzz tests send, and to where.

Endpoints come from the URL resolver, so a view added tomorrow is fuzzed without
anyone listing it here. Which methods a view takes is read from the view itself:
the methods a class-based view defines, the list given to ``require_POST`` /
``require_http_methods`` (kept in the decorator's closure), the admin's own
form views, and otherwise whether its code reads ``POST``.

The fields sent to a form come from the pages themselves: every page a role can
open is read once, and each ``<form>`` on it gives the names, kinds and choices
of the fields its target takes (so the questions of the screener and of the
"your situation" step, which depend on earlier answers, are covered too).
"""

from __future__ import annotations

import inspect
import json
import math
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from hypothesis import strategies as st

# --- Endpoints ------------------------------------------------------------------------------------

ADMIN_FORM_VIEWS = ("_add", "_change", "_delete", "password_change", "password")
ADMIN_POST_NAMES = {"admin:login", "admin:logout", "admin:password_change"}


@dataclass(frozen=True)
class Endpoint:
    name: str  # "namespace:name", as reverse() takes it
    route: str
    kwargs: tuple[str, ...]
    methods: frozenset[str]
    json_api: bool  # a REST framework view: JSON in, JSON out

    @property
    def namespace(self) -> str:
        return self.name.rpartition(":")[0]

    def __str__(self) -> str:
        return self.name


def _view_methods(name: str, callback) -> tuple[frozenset[str], bool]:
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is not None:
        from rest_framework.views import APIView

        methods = {m.upper() for m in view_class.http_method_names if m not in ("options", "head", "trace")}
        methods = {m for m in methods if hasattr(view_class, m.lower())}
        return frozenset(methods), issubclass(view_class, APIView)
    function = callback
    while function is not None:
        closure = inspect.getclosurevars(function).nonlocals if inspect.isfunction(function) else {}
        if "request_method_list" in closure:
            return frozenset(m.upper() for m in closure["request_method_list"]) - {"HEAD"}, False
        function = getattr(function, "__wrapped__", None)
    if name.startswith("admin:"):
        post = name in ADMIN_POST_NAMES or name.endswith(ADMIN_FORM_VIEWS)
        return frozenset({"GET", "POST"} if post else {"GET"}), False
    innermost = inspect.unwrap(callback)
    try:
        source = inspect.getsource(innermost)
    except (OSError, TypeError):
        source = ""
    return frozenset({"GET", "POST"} if "POST" in source else {"GET"}), False


def _walk(patterns, namespace: str, prefix: str):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace])) if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            # Unnamed patterns (the admin's redirects and catch-all) cannot be reversed: their
            # targets are named patterns, fuzzed on their own.
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, prefix + str(pattern.pattern), pattern.callback, tuple(pattern.pattern.regex.groupindex)


def all_endpoints() -> list[Endpoint]:
    found = {}
    for name, route, callback, kwargs in _walk(get_resolver().url_patterns, "", "/"):
        methods, json_api = _view_methods(name, callback)
        found.setdefault(name, Endpoint(name, route, kwargs, methods, json_api))
    return sorted(found.values(), key=lambda e: e.name)


def form_endpoints() -> list[Endpoint]:
    return [e for e in all_endpoints() if "POST" in e.methods and not e.json_api]


def page_endpoints() -> list[Endpoint]:
    return [e for e in all_endpoints() if "GET" in e.methods and not e.json_api]


def json_endpoints() -> list[Endpoint]:
    return [e for e in all_endpoints() if e.json_api]


# Who reaches what. A namespace not listed here (a new part of the portal) is tried by every role.
ROLES = ("anonymous", "citizen", "caseworker", "supervisor", "policy_admin")
HOME_ROLES = {
    "": ("anonymous", "citizen"),
    "accounts": ("anonymous", "citizen"),
    "eligibility": ("anonymous", "citizen"),
    "applications": ("citizen",),
    "staff": ("caseworker", "supervisor"),
    "audit": ("supervisor",),
    "supervision": ("supervisor",),
    "admin": ("policy_admin",),
}


def roles_for(endpoint: Endpoint) -> tuple[str, ...]:
    return HOME_ROLES.get(endpoint.namespace, ROLES)


def admin_model_of(endpoint: Endpoint):
    """The model an admin URL is about, from its name (``admin:<app>_<model>_change``)."""
    short = endpoint.name.removeprefix("admin:")
    for model in admin.site._registry:
        if short.startswith(f"{model._meta.app_label}_{model._meta.model_name}_"):
            return model
    if short.startswith("auth_user_"):  # UserAdmin names its password view after auth.User
        from django.contrib.auth import get_user_model

        return get_user_model()
    return None


def path_of(endpoint: Endpoint, kwargs: dict) -> str | None:
    try:
        return reverse(endpoint.name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def view_name_of(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return None


# --- Forms as the pages show them -----------------------------------------------------------------


@dataclass
class FieldSpec:
    kind: str  # text, textarea, hidden, date, number, email, password, checkbox, radio, select, file
    choices: set[str] = field(default_factory=set)
    multiple: bool = False
    value: str = ""  # what the page had in it, often a valid answer


@dataclass
class PageForm:
    method: str
    action: str  # as written on the page; "" is the page itself
    fields: dict[str, FieldSpec] = field(default_factory=dict)


class FormReader(HTMLParser):
    """The forms of one page: method, target, and each field with its kind and choices."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: FieldSpec | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = PageForm(attributes.get("method", "get").upper(), attributes.get("action", ""))
            self.forms.append(self._form)
            return
        name = attributes.get("name")
        form = self._form
        if form is None and tag not in ("option",):
            return
        if tag == "input" and name:
            kind = attributes.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                spec = form.fields.setdefault(name, FieldSpec("checkbox"))
                spec.choices.add(attributes.get("value", ""))
                return
            spec = form.fields.setdefault(name, FieldSpec(kind))
            if kind in ("checkbox", "radio"):
                spec.choices.add(attributes.get("value", "on"))
                spec.multiple = spec.multiple or kind == "checkbox"
            else:
                spec.value = spec.value or attributes.get("value", "")
            if "multiple" in attributes:
                spec.multiple = True
        elif tag == "button" and name and form is not None:
            spec = form.fields.setdefault(name, FieldSpec("checkbox"))
            spec.choices.add(attributes.get("value", ""))
        elif tag == "textarea" and name:
            form.fields.setdefault(name, FieldSpec("textarea"))
        elif tag == "select" and name:
            self._select = form.fields.setdefault(name, FieldSpec("select", multiple="multiple" in attributes))
        elif tag == "option" and self._select is not None:
            self._select.choices.add(attributes.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def page_forms(html: str) -> list[PageForm]:
    reader = FormReader()
    reader.feed(html)
    return reader.forms


def merge_fields(into: dict[str, FieldSpec], fields: dict[str, FieldSpec]) -> None:
    for name, spec in fields.items():
        known = into.setdefault(name, FieldSpec(spec.kind, value=spec.value))
        known.choices |= spec.choices
        known.multiple = known.multiple or spec.multiple
        if known.kind in ("text", "hidden") and spec.kind not in ("text", "hidden"):
            known.kind = spec.kind


# --- Values ---------------------------------------------------------------------------------------

NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "9999-12-31",
    "0000-00-00",
    "2024-02-30",
    "1900-01-01",
    "-1",
    "0",
    "1e309",
    "NaN",
    "-Infinity",
    "9" * 30,
    "-" + "9" * 30,
    "1" * 5000,
    "３０",  # full-width digits
    "1.5",
    "true",
    "null",
    "[]",
    "{}",
    "LH-2026-000001",
    "LH-9999-9999999999",
    "330802199905021230",
    "33080219990502123X",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00",
    "%ff",
    "\u202e\u200b\ufeff",
    "𝕏🙂中文",
    "\ud7ff",
    "\n\r\t",
    "college_graduate",
    "flexible-si-subsidy",
    "identity_card",
    "on",
]

text_values = (
    st.sampled_from(NASTY_STRINGS)
    | st.text(max_size=40)
    | st.integers(min_value=-(10**40), max_value=10**40).map(str)
    | st.floats(allow_nan=True, allow_infinity=True).map(repr)
    | st.dates().map(lambda day: day.isoformat())
    | st.builds(lambda char, count: char * count, st.sampled_from(["a", "中", "9", "😀", " "]), st.integers(300, 20000))
)


def _one_value(spec: FieldSpec):
    valid = sorted(spec.choices - {""}) or ([spec.value] if spec.value else [])
    known = st.sampled_from(valid) if valid else st.nothing()
    if spec.kind == "date":
        return known | st.dates().map(lambda day: day.isoformat()) | text_values
    if spec.kind == "number":
        return known | st.integers(min_value=-(10**40), max_value=10**40).map(str) | text_values
    return known | text_values


def value_strategy(spec: FieldSpec):
    """A value for one field: a choice the page offers, a nasty string, or several values."""
    if spec.kind == "file":
        return uploads | st.lists(uploads, min_size=0, max_size=7)
    one = _one_value(spec)
    if spec.multiple or spec.choices:
        return one | st.lists(one, max_size=6)
    return one | st.lists(one, min_size=2, max_size=3)


FILE_PREFIXES = [b"%PDF-1.7\n", b"%PDF-", b"\xff\xd8\xff\xe0\x00\x10JFIF", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"MZ", b""]
FILE_NAMES = ["scan.pdf", "photo.jpg", "photo.jpeg", "image.png", "run.exe", "noext", ".pdf", "名字.pdf", "a\x00b.pdf"]


def _real_files() -> list[tuple[str, bytes, str]]:
    from tests.applications.files import broken_pdf_bytes, image_bytes, pdf_bytes

    return [
        ("scan.pdf", pdf_bytes(1), "application/pdf"),
        ("photo.jpg", image_bytes("JPEG", (40, 30)), "image/jpeg"),
        ("image.png", image_bytes("PNG", (40, 30)), "image/png"),
        ("broken.pdf", broken_pdf_bytes(), "application/pdf"),
    ]


def _random_file(prefix: bytes, body: bytes, name: str, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, prefix + body, content_type=content_type)


def _copy(real: tuple[str, bytes, str]) -> SimpleUploadedFile:
    name, data, content_type = real
    return SimpleUploadedFile(name, data, content_type=content_type)


uploads = st.builds(
    _random_file,
    prefix=st.sampled_from(FILE_PREFIXES),
    body=st.binary(max_size=3000),
    name=st.sampled_from(FILE_NAMES) | st.text(min_size=1, max_size=300).map(lambda t: t + ".pdf"),
    content_type=st.sampled_from(["application/pdf", "image/jpeg", "image/png", "text/html", "", "a/b"]),
) | st.deferred(lambda: st.sampled_from(_real_files()).map(_copy))

# Field names any form of the portal might read, sent whatever the page shows.
COMMON_FIELDS = [
    "next",
    "language",
    "action",
    "note",
    "text",
    "reason",
    "field",
    "grounds",
    "comment",
    "amount",
    "declaration",
    "save_and_exit",
    "upload",
    "kind",
    "file",
    "files",
    "username",
    "password",
    "identifier",
    "code",
    "csrfmiddlewaretoken",
]
extra_fields = st.dictionaries(
    st.sampled_from(COMMON_FIELDS) | st.text(min_size=1, max_size=12),
    text_values | st.lists(text_values, max_size=3),
    max_size=4,
)


def form_data(fields: dict[str, FieldSpec]):
    """Each known field sent or left out; random extra fields beside them."""
    known = st.fixed_dictionaries({}, optional={name: value_strategy(spec) for name, spec in fields.items()})
    return st.builds(lambda a, b: {**b, **a}, known, extra_fields)


# Query strings: the fields of the page's own filter forms and the usual suspects.
COMMON_QUERY_KEYS = [
    "page",
    "sort",
    "age_min",
    "age_max",
    "due_by",
    "date_from",
    "date_to",
    "status",
    "programme",
    "flags",
    "assigned",
    "reference",
    "actor",
    "action",
    "as_of",
    "q",
    "o",
    "p",
    "e",
    "next",
    "return",
    "prefill",
    "change",
    "lang",
    "_changelist_filters",
]
RAW_QUERIES = ["%ff%fe", "page=%00", "=", "&&&", "a[]=1&a[]=2", "page=1&page=2", "%", "age_min=1e5", "x=%E4%B8"]


def query_data(keys: set[str]):
    names = sorted(keys | set(COMMON_QUERY_KEYS))
    return st.dictionaries(
        st.sampled_from(names) | st.text(max_size=8), text_values | st.lists(text_values, max_size=3)
    )


# --- JSON -----------------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(NASTY_STRINGS)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def _dumps(value) -> str:
    return json.dumps(value, allow_nan=True)  # NaN and Infinity sent as a careless client would


def _deep(depth: int) -> str:
    return '{"facts":' * depth + "1" + "}" * depth


json_texts = st.one_of(
    json_values.map(_dumps),
    st.integers(1, 5000).map(lambda digits: '{"facts": {"public_service_post_months": ' + "9" * digits + "}}"),
    st.integers(900, 100_000).map(_deep),
    st.sampled_from(["", "{", "[]", "null", '{"as_of": NaN}', '{"facts": 1e999}', "\ufeff{}", '{"a":1,"a":2}']),
    st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")),
)


def finite(value) -> bool:
    return not isinstance(value, float) or math.isfinite(value)
