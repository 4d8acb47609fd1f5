"""Pages of long lists that cost the same on page 1 and on page 2,000.

Django's ``Paginator`` slices the whole query: a deep page makes the database
build (join, annotate, decrypt …) every row it skips. ``KeyPaginator`` pages in
two steps instead: the page's primary keys first, by a narrow query that
carries only the filters and the order (an index can serve it, and the rows it
skips are index entries), then the rows of those keys with everything a row
shows. ``cap`` bounds the count: past it, the list says "more than N" and the
reader narrows the search rather than the database counting millions of rows.
"""

from collections.abc import Callable, Iterable, Sequence

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property


class KeyPaginator(Paginator):
    def __init__(
        self,
        object_list: QuerySet,
        per_page: int,
        *,
        rows: Callable[[Sequence], Iterable] | None = None,
        cap: int | None = None,
        **kwargs,
    ):
        super().__init__(object_list, per_page, **kwargs)
        # ``rows(keys)``: the objects of those keys, in any order; by default the same query narrowed to them.
        self.rows = rows or (lambda keys: self.object_list.filter(pk__in=keys))
        self.cap = cap

    @cached_property
    def count(self) -> int:
        if self.cap is None:
            return self.object_list.count()
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        """The list holds more than ``cap`` items; the pages go as far as the first ``cap + 1``."""
        return self.cap is not None and self.count > self.cap

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        found = {row.pk: row for row in self.rows(keys)} if keys else {}
        return self._get_page([found[key] for key in keys if key in found], number, self)
