"""Admin for broker imports: the contract multiplier table and saved column mappings (ImportLayout).

The "New layout from a sample" page lets ops staff upload a sample export, map its columns to our
fields, see the round trips the mapping gives, and save; the saved layout is then detected by
`import_trades --format auto` and the admin import like the built-in ones.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin
from unfold.decorators import action, display
from unfold.widgets import (
    UnfoldAdminFileFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
)

from admin_ext.formatting import fmt_quantity
from admin_ext.views import AdminPage, admin_page
from post_mortem.importing.brokers.custom import EXECUTION_FIELDS, REQUIRED, ROUND_TRIP_FIELDS, sample_header
from post_mortem.importing.brokers.registry import BUILTIN_LAYOUTS
from post_mortem.importing.readers import count_data_rows
from post_mortem.models import ContractMultiplier, ImportLayout
from post_mortem.services.brokers import (
    ProposalError,
    import_layout_create,
    import_layout_propose,
    import_layout_trial,
    proposal_available,
)
from post_mortem.services.imports import trades_import, trades_import_enqueue

MAX_SAMPLE_BYTES = 512 * 1024
SAMPLE_LINES = 60
KIND_CHOICES = [
    ("round_trips", "One row per closed trade (round trip)"),
    ("executions", "One row per fill (paired FIFO into round trips)"),
]
GROUPING_CHOICES = [
    ("flat", "One trade per position, flat to flat (scaling in/out is one trade)"),
    ("fifo", "FIFO lot pairs (one trade per opening lot and its closing fill)"),
]
DATE_ORDER_CHOICES = [("MDY", "Month first (7/2/2026 = 2 July)"), ("DMY", "Day first (2/7/2026 = 2 July)")]


COMMON_TIMEZONES = ["America/New_York", "America/Chicago", "UTC", "Europe/London", "Asia/Tokyo"]
MAX_IMPORT_BYTES = 200 * 1024 * 1024
PREVIEW_ERRORS = 100
PREVIEW_SAMPLE = 20
_TOKEN = re.compile(r"^[0-9a-f]{64}$")


def layout_choices() -> list[tuple[str, str]]:
    """auto, the built-in broker layouts, then the layouts ops staff saved."""
    saved = ImportLayout.objects.filter(is_active=True).order_by("name").values_list("name", flat=True)
    return [
        ("auto", "Detect from the header"),
        *((cls.name, f"{cls.label} ({cls.name})") for cls in BUILTIN_LAYOUTS),
        *((name, f"saved layout {name}") for name in saved),
        ("canonical", "Canonical trade CSV"),
    ]


class BrokerImportForm(forms.Form):
    """A broker file plus what it cannot say itself (account, date order, session date, timezone)."""

    import_file = forms.FileField(widget=UnfoldAdminFileFieldWidget, label="File")
    file_format = forms.ChoiceField(label="Layout", widget=UnfoldAdminSelectWidget)
    timezone = forms.ChoiceField(
        label="Timezone of the file's times", widget=UnfoldAdminSelectWidget, help_text="recorded on the batch"
    )
    account = forms.CharField(
        required=False,
        max_length=64,
        widget=UnfoldAdminTextInputWidget,
        help_text="for layouts without an account column (TopstepX, Tradovate Performance, MT5, Tradervue)",
    )
    date_order = forms.ChoiceField(choices=DATE_ORDER_CHOICES, widget=UnfoldAdminSelectWidget)
    session_date = forms.DateField(
        required=False,
        widget=UnfoldAdminTextInputWidget(attrs={"type": "date"}),
        help_text="DAS Trader files carry times only",
    )
    grouping = forms.ChoiceField(
        choices=GROUPING_CHOICES,
        initial="flat",
        required=False,
        widget=UnfoldAdminSelectWidget,
        help_text="files of fills (executions); files of closed trades keep their rows",
    )
    skip_invalid = forms.BooleanField(
        required=False,
        label="Skip invalid rows",
        help_text="import the valid rows and list every skipped line on the batch (default: nothing is written)",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file_format"].choices = layout_choices()
        rest = sorted(available_timezones() - set(COMMON_TIMEZONES))
        self.fields["timezone"].choices = [(tz, tz) for tz in COMMON_TIMEZONES + rest]

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError("the file is larger than 200 MB")
        return upload

    def wants_skip_invalid(self) -> bool:
        return bool(self.cleaned_data.get("skip_invalid"))

    def broker_options(self) -> dict[str, str]:
        data = self.cleaned_data
        chosen = {
            "account": (data.get("account") or "").strip(),
            "date_order": "" if data.get("date_order") == "MDY" else data.get("date_order", ""),
            "session_date": data["session_date"].isoformat() if data.get("session_date") else "",
            "grouping": "" if data.get("grouping") in ("", None, "flat") else data["grouping"],
        }
        return {k: v for k, v in chosen.items() if v}


def _preview_path(token: str) -> Path:
    return Path(settings.IMPORT_UPLOAD_DIR) / f"broker-preview-{token}.bin"


@admin.register(ContractMultiplier)
class ContractMultiplierAdmin(SimpleHistoryAdmin, ModelAdmin):
    """The point-value table; every change is kept (History) because it moves later imports' P&L."""

    list_display = ("root", "multiplier", "description")
    list_editable = ("multiplier",)
    search_fields = ("root", "description")
    ordering = ("root",)
    list_per_page = 100

    def get_list_display(self, request):
        # People who may only look read "5" and "0.5", not the column's "5.0000".
        if self.has_change_permission(request):
            return self.list_display
        return ("root", "multiplier_shown", "description")

    @display(description="Multiplier", ordering="multiplier")
    def multiplier_shown(self, obj: ContractMultiplier) -> str:
        return fmt_quantity(obj.multiplier)


class SampleForm(forms.Form):
    name = forms.CharField(
        max_length=60,
        widget=UnfoldAdminTextInputWidget,
        help_text=mark_safe("lower-case, e.g. <code>acme_fills</code>; it becomes a <code>--format</code> value"),
    )
    kind = forms.ChoiceField(choices=KIND_CHOICES, widget=UnfoldAdminSelectWidget)
    date_order = forms.ChoiceField(choices=DATE_ORDER_CHOICES, widget=UnfoldAdminSelectWidget)
    sample = forms.FileField(widget=UnfoldAdminFileFieldWidget, help_text="a CSV export from the broker")

    def clean_sample(self):
        upload = self.cleaned_data["sample"]
        if upload.size > MAX_SAMPLE_BYTES:
            raise ValidationError("the sample is larger than 512 KB: keep the header and a few dozen rows")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("the sample is not UTF-8 text; save it as CSV UTF-8") from None
        lines = text.splitlines()[:SAMPLE_LINES]
        if not lines:
            raise ValidationError("the sample is empty")
        return "\n".join(lines) + "\n"


def mapping_form_class(kind: str, columns: list[str]) -> type[forms.Form]:
    """A form with one column choice per field of the layout kind."""
    fields_help = ROUND_TRIP_FIELDS if kind == "round_trips" else EXECUTION_FIELDS
    choices = [("", "— not in this file —"), *((c, c) for c in columns)]
    attrs: dict[str, object] = {
        "name": forms.CharField(widget=forms.HiddenInput),
        "kind": forms.ChoiceField(choices=KIND_CHOICES, widget=forms.HiddenInput),
        "date_order": forms.ChoiceField(choices=DATE_ORDER_CHOICES, widget=forms.HiddenInput),
        "sample_text": forms.CharField(widget=forms.HiddenInput, strip=False),
    }
    for field, meaning in fields_help.items():
        attrs[f"map_{field}"] = forms.ChoiceField(
            label=f"{field}{' *' if field in REQUIRED[kind] else ''}",
            help_text=meaning,
            choices=choices,
            required=False,
            widget=UnfoldAdminSelectWidget,
        )
    return type("MappingForm", (forms.Form,), attrs)


def _guess(field: str, columns: list[str]) -> str:
    """Preselect a column whose name looks like the field (a person still confirms)."""
    wanted = field.replace("_", "").lower()
    for column in columns:
        squashed = "".join(ch for ch in column.lower() if ch.isalnum())
        if squashed == wanted:
            return column
    return ""


@admin.register(ImportLayout)
class ImportLayoutAdmin(ModelAdmin):
    list_display = ("name", "kind_label", "signature_text", "active_badge", "created_by", "created_at")
    list_filter = ("is_active",)
    list_filter_submit = True
    search_fields = ("name",)
    readonly_fields = ("signature", "mapping", "options", "created_by", "created_at")
    fields = ("name", "is_active", "signature", "mapping", "options", "created_by", "created_at")
    actions_list = ("import_broker_file", "new_from_sample", "propose_from_sample")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New layouts come from a sample (so every saved mapping has parsed a real file).
        return False

    def has_new_from_sample_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("post_mortem.add_importlayout")

    def has_import_broker_file_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("post_mortem.add_trade")

    def get_urls(self):
        return [
            admin_page(self, "import-file/", BrokerImportPage, "post_mortem_importlayout_import_file"),
            *super().get_urls(),
        ]

    @action(description="Import a broker file", url_path="import-broker-file", permissions=["import_broker_file"])
    def import_broker_file(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:post_mortem_importlayout_import_file"))

    @display(description="kind")
    def kind_label(self, obj: ImportLayout) -> str:
        return dict(KIND_CHOICES).get((obj.options or {}).get("kind", "round_trips"), "?")

    @display(description="identified by")
    def signature_text(self, obj: ImportLayout) -> str:
        return ", ".join(obj.signature or [])

    @display(description="active", label={"active": "success", "off": "danger"})
    def active_badge(self, obj: ImportLayout) -> str:
        return "active" if obj.is_active else "off"

    @action(description="Propose from a sample", url_path="propose-from-sample", permissions=["new_from_sample"])
    def propose_from_sample(self, request: HttpRequest) -> HttpResponse:
        from .layout_proposal import propose_from_sample_view

        return propose_from_sample_view(self, request)

    @action(description="New layout from a sample", url_path="from-sample", permissions=["new_from_sample"])
    def new_from_sample(self, request: HttpRequest) -> HttpResponse:
        if not self.has_new_from_sample_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "New import layout"}
        if request.method != "POST":
            context["form"] = SampleForm()
            return TemplateResponse(request, "admin_ext/brokers/layout_sample.html", context)
        if "sample_text" not in request.POST:
            form = SampleForm(request.POST, request.FILES)
            if not form.is_valid():
                context["form"] = form
                return TemplateResponse(request, "admin_ext/brokers/layout_sample.html", context)
            data = form.cleaned_data
            _line, columns = sample_header(data["sample"])
            kind = data["kind"]
            initial = {
                "name": data["name"],
                "kind": kind,
                "date_order": data["date_order"],
                "sample_text": data["sample"],
                **{
                    f"map_{f}": _guess(f, columns)
                    for f in (ROUND_TRIP_FIELDS if kind == "round_trips" else EXECUTION_FIELDS)
                },
            }
            mapping_form = mapping_form_class(kind, columns)(initial=initial)
            return self._mapping_page(request, context, mapping_form, columns, data["sample"], trial=None)
        kind = request.POST.get("kind", "round_trips")
        if kind not in REQUIRED:
            raise PermissionDenied
        sample_text = request.POST.get("sample_text", "")
        _line, columns = sample_header(sample_text)
        mapping_form = mapping_form_class(kind, columns)(request.POST)
        if "propose" in request.POST and proposal_available():
            return self._propose(request, context, kind, columns, sample_text)
        if not mapping_form.is_valid():
            return self._mapping_page(request, context, mapping_form, columns, sample_text, trial=None)
        data = mapping_form.cleaned_data
        mapping = {k.removeprefix("map_"): v for k, v in data.items() if k.startswith("map_") and v}
        args = {
            "name": data["name"],
            "kind": kind,
            "mapping": mapping,
            "sample_text": data["sample_text"],
            "date_order": data["date_order"],
        }
        try:
            if "save" in request.POST:
                layout = import_layout_create(**args, created_by=request.user)
                self.message_user(
                    request, f"Saved layout {layout.name}: files with its columns are now detected.", messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:post_mortem_importlayout_change", args=[layout.pk]))
            trial = import_layout_trial(**args)
        except ValidationError as exc:
            mapping_form.add_error(None, exc)
            return self._mapping_page(request, context, mapping_form, columns, sample_text, trial=None)
        return self._mapping_page(request, context, mapping_form, columns, sample_text, trial=trial)

    def _propose(self, request, context, kind: str, columns: list[str], sample_text: str) -> HttpResponse:
        """Fill the form with Claude's proposal; the person checks and saves (never saved here)."""
        base = {
            "name": request.POST.get("name", ""),
            "kind": kind,
            "date_order": request.POST.get("date_order", "MDY"),
            "sample_text": sample_text,
        }
        try:
            proposal = import_layout_propose(kind=kind, sample_text=sample_text)
        except (ProposalError, ValidationError) as exc:
            form = mapping_form_class(kind, columns)(request.POST)
            form.is_valid()
            form.add_error(None, f"Claude could not propose a mapping: {exc}")
            return self._mapping_page(request, context, form, columns, sample_text, trial=None)
        initial = {**base, "date_order": proposal.date_order}
        initial.update({f"map_{k}": v for k, v in proposal.mapping.items()})
        form = mapping_form_class(kind, columns)(initial=initial)
        context["proposal"] = proposal
        return self._mapping_page(request, context, form, columns, sample_text, trial=None)

    def _mapping_page(self, request, context, form, columns, sample_text, *, trial) -> HttpResponse:
        preview = sample_text.splitlines()[:12]
        context.update(
            {
                "form": form,
                "columns": columns,
                "preview": preview,
                "trial_rows": [row for _line, row in trial.parsed.rows[:20]] if trial else None,
                "trial_count": len(trial.parsed.rows) if trial else 0,
                "trial_warnings": trial.parsed.warnings[:10] if trial else [],
                "claude_available": proposal_available(),
            }
        )
        return TemplateResponse(request, "admin_ext/brokers/layout_mapping.html", context)


class BrokerImportPage(AdminPage):
    """Upload -> dry run (summary, every error, a sample) -> confirm; big files go to a task."""

    permission_required = ("post_mortem.add_trade",)
    template_name = "admin_ext/brokers/import_file.html"
    title = "Import a broker file"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=BrokerImportForm()))

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if "confirm" in request.POST:
            return self._import_confirm(request)
        form = BrokerImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        context: dict[str, Any] = {}
        upload = form.cleaned_data["import_file"]
        data = b"".join(upload.chunks())
        options = form.broker_options()
        file_format = form.cleaned_data["file_format"]
        tz_name = form.cleaned_data["timezone"]
        if count_data_rows(data) > settings.IMPORT_ASYNC_THRESHOLD_ROWS:
            batch = trades_import_enqueue(
                data=data,
                file_name=upload.name,
                tz_name=tz_name,
                file_format=file_format,
                created_by=request.user,
                rows_estimate=count_data_rows(data),
                options={**options, **({"skip_invalid": True} if form.wants_skip_invalid() else {})},
            )
            self.model_admin.message_user(request, f"{upload.name}: importing in the background.", messages.INFO)
            return HttpResponseRedirect(reverse("admin:post_mortem_importbatch_change", args=[batch.pk]))
        result = trades_import(
            source=data,
            file_name=upload.name,
            tz_name=tz_name,
            file_format=file_format,
            options=options,
            dry_run=True,
            created_by=request.user,
            record_rejection=True,  # a refused file is a FAILED batch, as on the command line
            skip_invalid=form.wants_skip_invalid(),
        )
        context.update({"form": form, "result": result, "errors": result.errors[:PREVIEW_ERRORS]})
        if result.ok:
            context["notes"] = (result.warnings + result.notes)[:PREVIEW_ERRORS]
            token = hashlib.sha256(data).hexdigest()
            stored = _preview_path(token)
            stored.parent.mkdir(parents=True, exist_ok=True)
            stored.write_bytes(data)
            context.update(
                {
                    "token": token,
                    "file_name": upload.name,
                    "confirm_fields": {
                        "file_format": file_format,
                        "timezone": tz_name,
                        **options,
                        **({"skip_invalid": "1"} if form.wants_skip_invalid() else {}),
                    },
                    "sample": result.sample[:PREVIEW_SAMPLE],
                }
            )
        return self.render_to_response(self.get_context_data(**context))

    def _import_confirm(self, request: HttpRequest) -> HttpResponse:
        token = request.POST.get("token", "")
        stored = _preview_path(token)
        if not _TOKEN.match(token) or not stored.is_file():
            self.model_admin.message_user(request, "The previewed file is gone; upload it again.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:post_mortem_importlayout_import_file"))
        options = {
            k: request.POST[k] for k in ("account", "date_order", "session_date", "grouping") if request.POST.get(k)
        }
        result = trades_import(
            source=stored,
            file_name=request.POST.get("file_name", "broker-file.csv")[:255],
            tz_name=request.POST.get("timezone", "UTC"),
            file_format=request.POST.get("file_format", "auto"),
            options=options or None,
            created_by=request.user,
            skip_invalid=request.POST.get("skip_invalid") == "1",
        )
        stored.unlink(missing_ok=True)
        if not result.ok:
            self.model_admin.message_user(request, f"Nothing imported: {len(result.errors)} error(s).", messages.ERROR)
        else:
            self.model_admin.message_user(
                request,
                f"Imported {result.rows} round trips ({result.file_format}): {result.created} created, "
                f"{result.updated} updated, {result.unchanged} unchanged.",
                messages.SUCCESS,
            )
        if result.batch_id:
            return HttpResponseRedirect(reverse("admin:post_mortem_importbatch_change", args=[result.batch_id]))
        return HttpResponseRedirect(reverse("admin:post_mortem_importlayout_import_file"))
