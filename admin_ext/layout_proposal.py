"""Admin page "Import layouts -> Propose from a sample": upload, see the offline proposal and its trial,
correct the mapping if needed (or ask Claude about the columns left unplaced), and save.

Thin: the proposal, the trial and the save are `post_mortem.services.propose`; this module only
reads the form and renders the result. The sample travels between the steps as a hidden base64
field (samples are small; the cap keeps it so).
"""

from __future__ import annotations

import base64
import binascii

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from unfold.widgets import UnfoldAdminFileFieldWidget, UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from post_mortem.importing.brokers.custom import EXECUTION_FIELDS, ROUND_TRIP_FIELDS, mapping_problems
from post_mortem.services.brokers import ProposalError, proposal_available
from post_mortem.services.propose import (
    corrected_spec,
    layout_proposal_save,
    layout_proposal_second_opinion,
    layout_propose,
    layout_trial,
)

MAX_SAMPLE_BYTES = 2 * 1024 * 1024
PLACED_BY = {"name": "column name", "values": "values"}
TEMPLATE = "admin_ext/brokers/layout_proposal.html"
DATE_ORDERS = [
    ("", "Decide from the file"),
    ("MDY", "Month first (02/07/2026 = February 7)"),
    ("DMY", "Day first (02/07/2026 = July 2)"),
]


class ProposalUploadForm(forms.Form):
    """The upload step, in the admin's own widgets (as the broker import page)."""

    sample = forms.FileField(
        widget=UnfoldAdminFileFieldWidget,
        help_text="A CSV or XLSX export from the platform (up to 2 MB): the header and some trades.",
    )
    account = forms.CharField(
        required=False,
        max_length=100,
        help_text="For files without an account column.",
        widget=UnfoldAdminTextInputWidget,
    )
    session_date = forms.DateField(
        required=False,
        help_text="The trading day, for files whose times carry no date (as DAS Trader exports them).",
        widget=UnfoldAdminTextInputWidget(attrs={"type": "date"}),
    )
    date_order = forms.ChoiceField(
        required=False,
        choices=DATE_ORDERS,
        help_text="How to read dates like 02/07/2026 when the file's rows cannot tell.",
        widget=UnfoldAdminSelectWidget,
    )


def _decode(value: str) -> bytes:
    try:
        data = base64.b64decode(value.encode(), validate=True)
    except (binascii.Error, ValueError):
        raise PermissionDenied from None
    if len(data) > MAX_SAMPLE_BYTES:
        raise PermissionDenied
    return data


def propose_from_sample_view(model_admin, request: HttpRequest) -> HttpResponse:
    """Upload -> proposal + trial -> (correct the mapping -> trial again) -> save under a name."""
    if not request.user.has_perm("post_mortem.add_importlayout"):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Propose a layout from a sample",
    }
    if request.method != "POST":
        context["form"] = ProposalUploadForm()
        return TemplateResponse(request, TEMPLATE, context)
    if "sample_b64" not in request.POST:
        form = ProposalUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            context["form"] = form
            return TemplateResponse(request, TEMPLATE, context)
        upload = form.cleaned_data["sample"]
        if upload.size > MAX_SAMPLE_BYTES:
            form.add_error("sample", "The sample is larger than 2 MB: cut it to the header and a few hundred rows.")
            context["form"] = form
            return TemplateResponse(request, TEMPLATE, context)
        data, file_name, account = b"".join(upload.chunks()), upload.name, form.cleaned_data["account"]
        day = form.cleaned_data["session_date"]
        session_date = day.isoformat() if day else ""
        date_order = form.cleaned_data["date_order"]
    else:
        data = _decode(request.POST["sample_b64"])
        file_name = request.POST.get("file_name", "sample.csv")[:255]
        account = request.POST.get("account", "")[:100]
        session_date = request.POST.get("session_date", "")[:10]
        date_order = request.POST.get("date_order", "")
        if date_order not in dict(DATE_ORDERS):
            raise PermissionDenied
    result = layout_propose(
        data=data, file_name=file_name, account=account, session_date=session_date, date_order=date_order
    )
    proposal = result.proposal
    errors: list[str] = []
    if proposal is not None and "sample_b64" in request.POST:
        fields = ROUND_TRIP_FIELDS if proposal.spec.kind == "round_trips" else EXECUTION_FIELDS
        corrected = {
            key: request.POST.get(f"map_{key}", "").strip()
            for key in fields
            if request.POST.get(f"map_{key}", "").strip()
        }
        if "side" not in corrected and proposal.spec.options.get("side_from_sign"):
            corrected["side"] = proposal.spec.mapping["side"]
        spec = corrected_spec(proposal.spec, corrected, proposal.header)
        proposal.spec = spec
        if not mapping_problems(spec.kind, spec.mapping):
            result.failure = ""  # the person placed what the proposal could not
        if "save" in request.POST:
            try:
                layout = layout_proposal_save(
                    spec=spec,
                    name=request.POST.get("name", "").strip(),
                    data=data,
                    file_name=file_name,
                    account=account,
                    created_by=request.user,
                    session_date=session_date,
                )
            except ValidationError as exc:
                errors = exc.messages
            else:
                model_admin.message_user(
                    request, f"Saved layout {layout.name}: files like this one are now detected.", messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:post_mortem_importlayout_change", args=[layout.pk]))
        result.trial = layout_trial(spec, data=data, file_name=file_name, account=account, session_date=session_date)
    fields = []
    suggested: dict[str, str] = {}
    second_opinion, second_opinion_error = None, ""
    if proposal is not None:
        labels = ROUND_TRIP_FIELDS if proposal.spec.kind == "round_trips" else EXECUTION_FIELDS
        placed = {c.field: PLACED_BY.get(c.how, c.how) for c in proposal.choices}
        if "ask_claude" in request.POST and proposal_available():
            try:
                second_opinion = layout_proposal_second_opinion(proposal, data=data, file_name=file_name)
            except ProposalError as exc:
                second_opinion_error = str(exc)
        suggested = second_opinion.mapping if second_opinion else {}
        fields = [
            (
                key,
                label,
                proposal.spec.mapping.get(key) or suggested.get(key, ""),
                "Claude (suggested, not tried yet)" if key in suggested else placed.get(key, ""),
            )
            for key, label in labels.items()
        ]
    context.update(
        {
            "result": result,
            "out": result.as_json(),
            "proposal": proposal,
            "fields": fields,
            "columns": proposal.header if proposal else [],
            "errors": errors,
            "sample_b64": base64.b64encode(data).decode(),
            "file_name": file_name,
            "account": account,
            "name": request.POST.get("name", ""),
            "session_date": session_date,
            "date_orders": DATE_ORDERS[1:],
            "claude_available": proposal_available(),
            "second_opinion": second_opinion,
            "second_opinion_error": second_opinion_error,
            "unplaced": [label for key, label, column, _how in fields if not column],
            "suggested": [(label, column) for key, label, column, how in fields if key in suggested],
        }
    )
    return TemplateResponse(request, TEMPLATE, context)
