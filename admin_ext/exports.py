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


class ExportedColumnsMixin:
    """The export page lists the columns the file will hold, not the columns an import reads.

    Why: import-export shows one field list on both pages (the resource's import fields). A trade
    import reads only what a file can carry, while the export adds the computed numbers (P&L, R,
    return, holding time), so the export page lists the resource's export fields instead.
    """

    def init_request_context_data(self, request: HttpRequest, form) -> dict:
        context = super().init_request_context_data(request, form)
        resource_kwargs = self.get_export_resource_kwargs(request)
        context["fields_list"] = [
            (
                resource.get_display_name(),
                [field.column_name for field in resource(**resource_kwargs).get_export_fields()],
            )
            for resource in self.get_export_resource_classes(request)
        ]
        return context
