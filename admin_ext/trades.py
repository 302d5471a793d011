"""Admin for trades and market bars: the import/export buttons, the 1M-row changelist.

Import runs through django-import-export's own pages (unfold's forms) with TradeResource's bulk
path. Small files get the usual preview + confirm; a file above IMPORT_ASYNC_THRESHOLD_ROWS is
stored and imported by a django-q2 task instead (the request returns at once and the batch page
shows progress), because validating and writing 100k rows inside a request would time out.
"""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import F, Func, Q
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ConfirmImportForm
from unfold.admin import ModelAdmin
from unfold.admin import checkbox as unfold_checkbox
from unfold.contrib.filters.admin import (
    ChoicesDropdownFilter,
    RangeNumericFilter,
)
from unfold.contrib.import_export.forms import ExportForm, ImportForm
from unfold.decorators import display
from unfold.widgets import UnfoldAdminSelectWidget

from admin_ext.analyses import AnalyzeTradesMixin, can_analyze
from admin_ext.date_filters import DeskDayRangeFilter
from admin_ext.exports import ExportedColumnsMixin, SafeExportMixin
from admin_ext.filters import (
    AccountFilter,
    AnalyzedFilter,
    ExactTextFilter,
    ImportBatchFilter,
    SetupFilter,
    SymbolFilter,
    request_distinct_values,
)
from admin_ext.formatting import fmt_duration, fmt_money, fmt_price, fmt_quantity, fmt_r, plain_decimal
from admin_ext.paginators import EstimatedCountPaginator
from post_mortem.importing.canonical import REQUIRED_COLUMNS
from post_mortem.importing.readers import count_data_rows
from post_mortem.importing.resources import MarketBarResource, TradeResource, UploadedFile
from post_mortem.models import MarketBar, Trade, TradeAnalysis
from post_mortem.selectors.trades import (
    DISTINCT_VALUES_CAP,
    analyzed_trade_count,
    trade_id_prefix_q,
    trade_list_queryset,
)
from post_mortem.services.imports import trades_import_enqueue


def _cache_unfold_result_headers() -> None:
    """unfold's `items_for_result` rebuilds every column header for every row (O(rows x columns)
    query-string work, ~30% of the trade changelist's server time). Headers depend only on the
    ChangeList, so a ChangeList that opts in (`cache_result_headers = True`) computes them once.
    """
    from unfold.templatetags import unfold_list

    original = unfold_list.result_headers
    if getattr(original, "_post_mortem_cached", False):
        return

    def result_headers(cl):
        if not getattr(cl, "cache_result_headers", False):
            return original(cl)
        cached = getattr(cl, "_result_headers_cache", None)
        if cached is None:
            cached = list(original(cl))
            cl._result_headers_cache = cached
        return iter(cached)

    result_headers._post_mortem_cached = True
    unfold_list.result_headers = result_headers


_cache_unfold_result_headers()

CHECKBOX_PK_PLACEHOLDER = "__row_pk_placeholder__"
COMMON_TIMEZONES = ["UTC", "America/New_York", "America/Chicago", "Europe/London", "Europe/Zurich", "Asia/Tokyo"]


def timezone_choices() -> list[tuple[str, str]]:
    rest = sorted(available_timezones() - set(COMMON_TIMEZONES))
    return [(tz, tz) for tz in COMMON_TIMEZONES + rest]


def format_choices() -> list[tuple[str, str]]:
    choices = [("auto", "Detect from the header"), ("canonical", "Canonical trade CSV")]
    try:
        from post_mortem.importing.brokers import LAYOUT_NAMES
    except ImportError:
        return choices
    return choices + [(name, name) for name in LAYOUT_NAMES]


class TradeFileCSV(CSV):
    """CSV for the trade import: the bytes go to the import door unparsed (see UploadedFile)."""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        return UploadedFile(in_stream if isinstance(in_stream, bytes) else in_stream.encode())


class TradeFileXLSX(XLSX):
    """XLSX for the trade import: read by the import door, which reports a broken workbook by line."""

    def create_dataset(self, in_stream, **kwargs):
        return UploadedFile(in_stream)


def import_next_steps(request: HttpRequest, batch_id: int) -> str:
    """After an import: links to its batch, its trades and "Analyze these trades" (no dead end)."""
    batch_url = reverse("admin:post_mortem_importbatch_change", args=[batch_id])
    trades_url = reverse("admin:post_mortem_trade_changelist") + f"?import_batch__id__exact={batch_id}"
    text = format_html(
        'Recorded as <a class="underline" href="{}">import batch #{}</a> · '
        '<a class="underline" href="{}">show its trades</a>',
        batch_url,
        batch_id,
        trades_url,
    )
    if can_analyze(request):
        analyze_url = reverse("admin:post_mortem_trade_analyze_batch", args=[batch_id])
        text = format_html('{} · <a class="underline" href="{}">Analyze these trades</a>', text, analyze_url)
    return text


NOT_FILTERS = {"p", "o", "_changelist_filters", "e", "_to_field", "_popup"}
ANALYZED_CHIPS = {"yes": "analyzed", "no": "not analyzed yet"}


def list_filter_parts(params) -> list[tuple[str, str]]:
    """(query key, "account = DESK-BRAVO") for each filter in a changelist query string."""
    parts = []
    for key in sorted(params):
        if key in NOT_FILTERS:
            continue
        value = ", ".join(v for v in params.getlist(key) if v != "")
        if not value:
            continue
        if key == "q":
            parts.append((key, f"search “{value}”"))
            continue
        if key == "analyzed" and value in ANALYZED_CHIPS:
            parts.append((key, ANALYZED_CHIPS[value]))
            continue
        base = key.split("__")[0]
        for suffix in ("_from", "_to"):
            if key.endswith(suffix) and "__" not in key:
                base = key[: -len(suffix)]
        suffix = key[len(base) :]
        op = {"__gte": "≥", "__lte": "≤", "_from": "from", "_to": "to"}.get(suffix, "=")
        label = "import batch #" if base == "import_batch" else base.replace("_", " ") + f" {op} "
        parts.append((key, f"{label}{value}"))
    return parts


def describe_list_filters(params) -> str:
    """The list filters in a query string as people read them: "account = DESK-BRAVO; search ABC"."""
    return "; ".join(text for _key, text in list_filter_parts(params))


class TradeChangeForm(forms.ModelForm):
    """Prices and quantities shown as typed ("563.14", "280"), not as stored ("563.14000000")."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, value in list(self.initial.items()):
            if isinstance(value, Decimal):
                self.initial[name] = plain_decimal(value)


class TradeImportForm(ImportForm):
    """unfold's import form plus what a trade file needs: the timezone of naive times, the layout."""

    timezone = forms.ChoiceField(
        label="Timezone of times without an offset",
        initial="UTC",
        widget=UnfoldAdminSelectWidget,
    )
    file_format = forms.ChoiceField(label="Layout", initial="auto", widget=UnfoldAdminSelectWidget)
    skip_invalid = forms.BooleanField(
        required=False,
        label="Skip invalid rows",
        help_text="Import the valid rows; the preview and the batch list every skipped line with its reason",
    )

    def __init__(self, formats, *args, **kwargs):
        super().__init__(formats, *args, **kwargs)
        self.formats = list(formats)
        self.fields["timezone"].choices = timezone_choices()
        self.fields["timezone"].initial = settings.DESK_TIMEZONE  # a desk's exports are in desk time
        self.fields["file_format"].choices = format_choices()
        if "format" in self.fields:
            self.fields["format"].required = False
            self.fields["format"].help_text = "Follows the file's extension (.csv, .xlsx)"

    def clean(self):
        """The file format follows the uploaded file's extension, whatever the select says."""
        upload = self.files.get("import_file")
        if upload is not None and "format" in self.fields:
            extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
            for index, file_format in enumerate(self.formats):
                if file_format().get_extension().lower() == extension:
                    self.data = self.data.copy()
                    self.data["format"] = str(index)
                    if "format" in self.errors:
                        del self.errors["format"]
                    self.cleaned_data["format"] = str(index)
                    break
        return super().clean()


class TradeConfirmImportForm(ConfirmImportForm):
    timezone = forms.CharField(widget=forms.HiddenInput)
    file_format = forms.CharField(widget=forms.HiddenInput)
    skip_invalid = forms.BooleanField(required=False, widget=forms.HiddenInput)


class PageOrderRangeNumericFilter(RangeNumericFilter):
    """A numeric range that lets SQLite page through the entry-time index.

    With a plain `net_pnl BETWEEN` SQLite picks the net_pnl index and sorts every matching row
    to show the newest 50 (1.2 s over a wide range of 1M trades). `+net_pnl` (unary plus) keeps
    the planner on the entry-time index for the page (< 1 ms) while the count still scans the
    covering net_pnl index (~40 ms). PostgreSQL plans this well on its own and gets the plain filter.
    """

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        if field_path == "net_pnl":
            self.title = "net P&L"  # the field's verbose name reads "net pnl"

    def queryset(self, request, queryset):
        if connection.vendor != "sqlite":
            return super().queryset(request, queryset)
        bounds = {
            "gte": self.used_parameters.get(f"{self.parameter_name}_from"),
            "lte": self.used_parameters.get(f"{self.parameter_name}_to"),
        }
        bounds = {op: value for op, value in bounds.items() if value not in (None, "")}
        if not bounds:
            return queryset
        alias = f"{self.parameter_name}_for_range"
        expression = Func(F(self.parameter_name), template="+%(expressions)s", output_field=self.field)
        try:
            return queryset.alias(**{alias: expression}).filter(**{f"{alias}__{op}": v for op, v in bounds.items()})
        except (ValueError, ValidationError):
            return None


@admin.register(Trade)
class TradeAdmin(AnalyzeTradesMixin, ExportedColumnsMixin, SafeExportMixin, ImportExportModelAdmin, ModelAdmin):
    resource_classes = [TradeResource]
    import_form_class = TradeImportForm
    confirm_form_class = TradeConfirmImportForm
    export_form_class = ExportForm
    import_formats = [TradeFileCSV, TradeFileXLSX]
    export_formats = [CSV, XLSX]
    import_template_name = "admin_ext/trades/import.html"

    list_display = (
        "entry_time",
        "account",
        "symbol",
        "side_label",
        "quantity_display",
        "net_pnl_display",
        "r_display",
        "setup",
        "analyzed",
    )
    list_display_links = ("entry_time",)
    list_filter = (
        AccountFilter,
        SymbolFilter,
        SetupFilter,
        ("side", ChoicesDropdownFilter),
        AnalyzedFilter,
        ImportBatchFilter,
        ("entry_time", DeskDayRangeFilter),
        ("net_pnl", PageOrderRangeNumericFilter),
    )
    list_filter_submit = True
    # Facet counts ("Show counts") are one filtered COUNT per choice over every trade: seconds at 1M.
    show_facets = admin.ShowFacets.NEVER
    list_before_template = "admin_ext/trades/filter_chips.html"
    search_fields = ("external_id", "account", "symbol")  # see get_search_results
    search_help_text = "Trade id (from its start), account, symbol"  # the placeholder: fits the box
    show_full_result_count = False
    paginator = EstimatedCountPaginator  # no COUNT(*) over 1M rows for the unfiltered list
    list_per_page = 50
    ordering = ("-entry_time", "-id")
    form = TradeChangeForm
    readonly_fields = (
        "gross_pnl_display",
        "net_pnl_detail",
        "risk_display",
        "r_detail",
        "return_display",
        "holding_display",
        "post_mortem_link",
        "import_batch",
        "source_hash",
        "created_at",
        "updated_at",
    )
    # Two fields a row at most: a datetime is two inputs, and 1440 px must not scroll sideways.
    fieldsets = (
        (None, {"fields": (("external_id", "account"), ("symbol", "side"), ("quantity", "multiplier"))}),
        ("Execution", {"fields": ("entry_time", "exit_time", ("entry_price", "exit_price"), "fees")}),
        ("Plan", {"fields": (("stop_price", "target_price"), "setup", "tags", "notes")}),
        (
            "Option contract (options only)",
            {"fields": (("option_type", "strike"), ("expiry", "underlying")), "classes": ["collapse"]},
        ),
        (
            "Derived (computed on save and import)",
            {
                "fields": (
                    ("gross_pnl_display", "net_pnl_detail"),
                    ("risk_display", "r_detail"),
                    ("return_display", "holding_display"),
                    "post_mortem_link",
                )
            },
        ),
        ("Provenance", {"fields": (("import_batch", "source_hash"), ("created_at", "updated_at"))}),
    )

    object_history_template = "admin_ext/trades/object_history.html"

    # Shown to people who may only view: numbers as the desk reads them ("280", "182.26"), not the
    # column's padding ("280.000000", "182.26000000").
    VIEW_ONLY_NUMBERS = {
        "quantity": "quantity_shown",
        "multiplier": "multiplier_shown",
        "entry_price": "entry_price_shown",
        "exit_price": "exit_price_shown",
        "fees": "fees_shown",
        "stop_price": "stop_price_shown",
        "target_price": "target_price_shown",
        "strike": "strike_shown",
    }

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets

        def swap(fields):
            return tuple(swap(f) if isinstance(f, list | tuple) else self.VIEW_ONLY_NUMBERS.get(f, f) for f in fields)

        return [(title, {**options, "fields": swap(options["fields"])}) for title, options in fieldsets]

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            readonly += tuple(self.VIEW_ONLY_NUMBERS.values())
        return readonly

    @display(description="Quantity")
    def quantity_shown(self, obj: Trade) -> str:
        return fmt_quantity(obj.quantity)

    @display(description="Multiplier")
    def multiplier_shown(self, obj: Trade) -> str:
        return fmt_quantity(obj.multiplier)

    @display(description="Entry price")
    def entry_price_shown(self, obj: Trade) -> str:
        return fmt_price(obj.entry_price)

    @display(description="Exit price")
    def exit_price_shown(self, obj: Trade) -> str:
        return fmt_price(obj.exit_price)

    @display(description="Fees")
    def fees_shown(self, obj: Trade) -> str:
        return fmt_money(obj.fees)

    @display(description="Stop price")
    def stop_price_shown(self, obj: Trade) -> str:
        return fmt_price(obj.stop_price)

    @display(description="Target price")
    def target_price_shown(self, obj: Trade) -> str:
        return fmt_price(obj.target_price)

    @display(description="Strike")
    def strike_shown(self, obj: Trade) -> str:
        return fmt_price(obj.strike)

    def history_view(self, request, object_id, extra_context=None):
        trade = Trade.objects.select_related("import_batch").filter(pk=object_id).first()
        return super().history_view(request, object_id, {"trade": trade, **(extra_context or {})})

    @display(description="Gross P&L")
    def gross_pnl_display(self, obj: Trade) -> str:
        return fmt_money(obj.gross_pnl)

    @display(description="Net P&L")
    def net_pnl_detail(self, obj: Trade) -> str:
        return fmt_money(obj.net_pnl)

    @display(description="Risk to the stop (1R)")
    def risk_display(self, obj: Trade) -> str:
        return fmt_money(obj.risk_amount) if obj.risk_amount is not None else "— (no stop)"

    @display(description="R-multiple")
    def r_detail(self, obj: Trade) -> str:
        return fmt_r(obj.r_multiple)

    @display(description="Return")
    def return_display(self, obj: Trade) -> str:
        return "—" if obj.return_pct is None else f"{obj.return_pct:+.2f}%"

    @display(description="Holding time")
    def holding_display(self, obj: Trade) -> str:
        return fmt_duration(obj.holding_minutes)

    @display(description="Post-mortem")
    def post_mortem_link(self, obj: Trade) -> str:
        analysis_id = TradeAnalysis.objects.filter(trade_id=obj.pk).values_list("pk", flat=True).first()
        if analysis_id is None:
            return "Not analyzed yet (select the trade in the list and run “Analyze”)"
        url = reverse("admin:post_mortem_tradeanalysis_change", args=[analysis_id])
        return format_html('<a class="text-primary-600" href="{}">Open the post-mortem of this trade</a>', url)

    def get_queryset(self, request):
        return trade_list_queryset()

    def get_search_results(self, request, queryset, search_term):
        """Search on indexes only: trade ids by prefix, accounts and symbols by the names that exist.

        Why not Django's `icontains` search: a leading-wildcard LIKE reads all 1M trades (~0.5 s
        on SQLite, twice: page and count). Accounts and symbols containing the text are found in
        their short distinct-value lists and matched with `IN`; ids match from their start.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        needle = term.casefold()
        condition = trade_id_prefix_q(term)
        for field in ("account", "symbol"):
            values = request_distinct_values(request, field)
            matches = [value for value in values if needle in value.casefold()]
            if matches and len(matches) == len(values) < DISTINCT_VALUES_CAP:
                return queryset, False  # every account (or symbol) contains the text: every trade matches
            if matches:
                condition |= Q(**{f"{field}__in": matches})
        return queryset.filter(condition), False

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        """The "analyzed" filter alone is counted from the post-mortem table (see analyzed_trade_count)."""
        paginator = super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        analyzed = request.GET.get("analyzed")
        other_filters = [key for key, _text in list_filter_parts(request.GET) if key != "analyzed"]
        if analyzed == "yes" and not other_filters:
            paginator.count = analyzed_trade_count()
        elif analyzed == "no" and not other_filters:
            total = EstimatedCountPaginator(self.model.objects.all(), per_page).count
            paginator.count = max(total - analyzed_trade_count(), 0)
        return paginator

    @display(description=mark_safe(unfold_checkbox.render("action_toggle_all", 1)))
    def action_checkbox(self, obj: Trade) -> str:
        """unfold's row checkbox, rendered once per process instead of once per row.

        Why: unfold renders the widget template for each of the 50 rows (~25% of the page's
        server time at 1M trades); only the value (the pk) differs between rows.
        """
        template = TradeAdmin._checkbox_template
        if template is None:
            template = TradeAdmin._checkbox_template = str(
                unfold_checkbox.render(helpers.ACTION_CHECKBOX_NAME, CHECKBOX_PK_PLACEHOLDER)
            )
        return mark_safe(template.replace(CHECKBOX_PK_PLACEHOLDER, escape(str(obj.pk))))

    _checkbox_template: str | None = None

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        changelist.cache_result_headers = True  # see _cache_unfold_result_headers
        return changelist

    @display(description="Side", ordering="side", label={"LONG": "info", "SHORT": "warning"})
    def side_label(self, obj: Trade) -> str:
        return obj.side

    @display(description="Net P&L", ordering="net_pnl")
    def net_pnl_display(self, obj: Trade):
        colour = "text-green-700 dark:text-green-400" if obj.net_pnl >= 0 else "text-red-700 dark:text-red-400"
        return format_html('<span class="{} font-semibold">{}</span>', colour, fmt_money(obj.net_pnl))

    @display(description="R", ordering="r_multiple")
    def r_display(self, obj: Trade) -> str:
        return "—" if obj.r_multiple is None else f"{obj.r_multiple:+.2f}"

    @display(description="Quantity", ordering="quantity")
    def quantity_display(self, obj: Trade) -> str:
        return fmt_quantity(obj.quantity)

    @display(description="Analyzed", boolean=True)
    def analyzed(self, obj: Trade) -> bool:
        return bool(getattr(obj, "is_analysed", False))

    def save_model(self, request, obj, form, change):
        # A hand edit makes the row differ from its file: forget the file fingerprint so a
        # re-import of that file restores the file's values instead of calling them unchanged.
        if change and form.changed_data:
            obj.source_hash = ""
        super().save_model(request, obj, form, change)

    # --- import ----------------------------------------------------------------------------
    def get_import_data_kwargs(self, **kwargs):
        form = kwargs.get("form")
        kwargs = super().get_import_data_kwargs(**kwargs)
        if form is not None and hasattr(form, "cleaned_data"):
            kwargs["tz_name"] = form.cleaned_data.get("timezone") or "UTC"
            kwargs["file_format"] = form.cleaned_data.get("file_format") or "auto"
            kwargs["skip_invalid"] = bool(form.cleaned_data.get("skip_invalid"))
        return kwargs

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["timezone"] = import_form.cleaned_data.get("timezone") or "UTC"
            initial["file_format"] = import_form.cleaned_data.get("file_format") or "auto"
            initial["skip_invalid"] = bool(import_form.cleaned_data.get("skip_invalid"))
        return initial

    def import_action(self, request: HttpRequest, **kwargs):
        """Small files: import-export's preview + confirm. Large files: a background task."""
        if request.method == "POST" and "import_file" in request.FILES:
            if not self.has_import_permission(request):
                raise PermissionDenied
            form = self.create_import_form(request)
            if form.is_valid():
                upload = form.cleaned_data["import_file"]
                data = b"".join(upload.chunks())
                rows = count_data_rows(data)
                if rows > settings.IMPORT_ASYNC_THRESHOLD_ROWS:
                    batch = trades_import_enqueue(
                        data=data,
                        file_name=upload.name,
                        tz_name=form.cleaned_data["timezone"],
                        file_format=form.cleaned_data["file_format"],
                        created_by=request.user,
                        rows_estimate=rows,
                        options={"skip_invalid": True} if form.cleaned_data.get("skip_invalid") else None,
                    )
                    messages.info(
                        request,
                        f"{upload.name}: about {rows:,} rows, importing in the background. "
                        "Nothing is written unless every row is valid; this page shows the progress.",
                    )
                    return HttpResponseRedirect(reverse("admin:post_mortem_importbatch_change", args=[batch.pk]))
                upload.seek(0)
        return super().import_action(request, **kwargs)

    def process_result(self, result, request):
        response = super().process_result(result, request)
        summary = getattr(result, "summary", None)
        if summary is not None and summary.batch_id:
            messages.info(request, import_next_steps(request, summary.batch_id))
        return response

    def export_action(self, request: HttpRequest):
        """Say on the export page whether the file holds the filtered list or every trade."""
        response = super().export_action(request)
        # A redirect means the link was refused (unknown parameters): nothing to describe.
        if request.method == "GET" and getattr(response, "status_code", 0) == 200:
            filters = describe_list_filters(request.GET)
            if filters:
                count = self.get_export_queryset(request).count()
                messages.info(request, f"Exports the filtered list ({filters}): {count:,} trades.")
            else:
                messages.info(request, "Exports every trade (no filter applied on the list).")
        return response

    def get_import_context_data(self, **kwargs):
        context = super().get_import_context_data(**kwargs)
        context["async_threshold"] = settings.IMPORT_ASYNC_THRESHOLD_ROWS
        context["required_columns"] = REQUIRED_COLUMNS
        return context


@admin.register(MarketBar)
class MarketBarAdmin(SafeExportMixin, ImportExportModelAdmin, ModelAdmin):
    resource_classes = [MarketBarResource]
    import_form_class = ImportForm
    export_form_class = ExportForm
    import_formats = [CSV, XLSX]
    export_formats = [CSV, XLSX]
    list_display = ("symbol", "timestamp", "open_price", "high_price", "low_price", "close_price", "volume_shown")
    list_filter = (("symbol", ExactTextFilter), ("timestamp", DeskDayRangeFilter))
    list_filter_submit = True
    search_fields = ("=symbol",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    ordering = ("symbol", "-timestamp")

    @display(description="Open", ordering="open")
    def open_price(self, obj: MarketBar) -> str:
        return fmt_price(obj.open)

    @display(description="High", ordering="high")
    def high_price(self, obj: MarketBar) -> str:
        return fmt_price(obj.high)

    @display(description="Low", ordering="low")
    def low_price(self, obj: MarketBar) -> str:
        return fmt_price(obj.low)

    @display(description="Close", ordering="close")
    def close_price(self, obj: MarketBar) -> str:
        return fmt_price(obj.close)

    @display(description="Volume", ordering="volume")
    def volume_shown(self, obj: MarketBar) -> str:
        return fmt_quantity(obj.volume)
