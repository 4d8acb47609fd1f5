"""The SMS provider's push of delivery reports (Alibaba Cloud SMS, ``SmsReport`` by HTTP batch push).

The provider calls the address the operator gave it, ``/sms/reports/alibaba/?token=…``, with a
JSON array of reports; the token (``ALIBABA_SMS_REPORT_TOKEN``, also accepted as
``Authorization: Bearer …``) is what proves the call comes from it, so the address is off (404)
until one is set. A call with a wrong token is refused (403), one that cannot be read answers 400
with what is wrong, and a good one answers ``{"code": 0}`` as the provider expects, whatever the
reports named: a report on a message already settled, or sent twice, changes nothing
(``applications.services.sms_reports``).
"""

import hmac
import json
import logging

from django.conf import settings
from django.http import Http404, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from applications.services.sms_reports import sms_reports_record
from portal.sms import SmsReportInvalid, alibaba_sms_reports

logger = logging.getLogger(__name__)


def _token(request) -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    return request.GET.get("token", "")


@csrf_exempt  # the provider's server calls it, with no session: the token authenticates it
@never_cache
@require_POST
def alibaba_reports(request):
    expected = settings.ALIBABA_SMS_REPORT_TOKEN
    if not expected:
        raise Http404
    if not hmac.compare_digest(_token(request).encode(), expected.encode()):
        logger.warning("SMS delivery reports refused: wrong token")
        return JsonResponse({"code": 403, "msg": "wrong token"}, status=403)
    try:
        reports = alibaba_sms_reports(json.loads(request.body))
    except (ValueError, UnicodeDecodeError) as exc:  # not JSON, or not reports (SmsReportInvalid)
        message = str(exc) if isinstance(exc, SmsReportInvalid) else "the body is not JSON"
        return JsonResponse({"code": 400, "msg": message}, status=400)
    recorded = sms_reports_record(reports=reports)
    logger.info(
        "SMS delivery reports: %s settled, %s matched no message being sent", recorded.settled, recorded.unmatched
    )
    return JsonResponse({"code": 0, "msg": "OK", "settled": recorded.settled, "unmatched": recorded.unmatched})
