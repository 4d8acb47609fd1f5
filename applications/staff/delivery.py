"""The region's citizens who could not be reached: messages every channel failed to deliver."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from applications.selectors_delivery import masked_address, unreachable_messages
from applications.staff.views import staff_required

PAGE_SIZE = 25


@require_GET
@staff_required
def unreachable(request):
    page = Paginator(unreachable_messages(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for message in rows:
        for delivery in message.deliveries.all():
            delivery.masked_address = masked_address(delivery.channel, delivery.address)
    return render(request, "staff/unreachable.html", {"page": page, "rows": rows})
