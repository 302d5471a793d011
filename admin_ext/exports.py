"""Export pages that answer a bad link with a message instead of a server error.

import-export's export page reads its query string as changelist filters, so a link such as
``export/?format=0`` (a parameter that is not a filter of the list) raised
IncorrectLookupParameters, a 500. Here the page names what it ignored and opens the plain form.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect


class SafeExportMixin:
    """Mixed in before ImportExportModelAdmin."""

    def export_action(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().export_action(request)
        except IncorrectLookupParameters:
            ignored = ", ".join(sorted(request.GET.keys())) or "?"
            messages.error(
                request,
                f"The export link had parameters that are not filters of this list ({ignored}); they were "
                "ignored. Filter the list first, then use Export.",
            )
            return HttpResponseRedirect(request.path)
