"""portal.pagination.KeyPaginator: the page's keys first, then its rows; the same pages as Django's Paginator."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.accounts.models import User
from portal.pagination import KeyPaginator
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_every_page_holds_what_djangos_paginator_gives_in_the_same_order():
    for _ in range(23):
        UserFactory()
    people = User.objects.order_by("-pk")
    ours, theirs = KeyPaginator(people, 5, orphans=2), Paginator(people, 5, orphans=2)
    assert ours.num_pages == theirs.num_pages > 3
    for number in ours.page_range:
        assert list(ours.page(number)) == list(theirs.page(number))


def test_the_rows_of_a_page_come_from_the_function_given_for_the_keys_in_two_queries():
    for _ in range(8):
        UserFactory()
    seen = []

    def rows(keys):
        seen.append(list(keys))
        return User.objects.filter(pk__in=keys).only("pk", "username")

    paginator = KeyPaginator(User.objects.order_by("pk"), 3, rows=rows)
    paginator.count  # noqa: B018 - counted before, as a template would
    with CaptureQueriesContext(connection) as queries:
        page = paginator.page(2)
    assert len(queries) == 2  # the keys, then the rows
    keys = list(User.objects.order_by("pk").values_list("pk", flat=True))[3:6]
    assert seen == [keys] and [person.pk for person in page] == keys


def test_a_row_gone_between_the_two_queries_is_left_out():
    for _ in range(4):
        UserFactory()
    first = User.objects.order_by("pk").first()
    paginator = KeyPaginator(User.objects.order_by("pk"), 10, rows=lambda keys: User.objects.exclude(pk=first.pk))
    assert first not in list(paginator.page(1))
    assert len(paginator.page(1)) == 3


def test_the_cap_counts_one_past_it_and_says_so():
    for _ in range(7):
        UserFactory()
    capped = KeyPaginator(User.objects.order_by("pk"), 2, cap=4)
    assert capped.count == 5 and capped.capped and capped.num_pages == 3
    exact = KeyPaginator(User.objects.order_by("pk"), 2, cap=7)
    assert exact.count == 7 and not exact.capped
    assert not KeyPaginator(User.objects.order_by("pk"), 2).capped
