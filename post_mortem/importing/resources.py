"""django-import-export resources for trades and bars.

`TradeResource` is what the admin's Import/Export buttons use. Its import only adapts the admin
to the one import door: `import_data` hands the uploaded file's raw bytes (the admin's formats
keep them, see `UploadedFile`) to `post_mortem.services.imports.trades_import`, exactly what
`import_trades` and the background task call, and maps the outcome onto an import-export
`Result`, so the admin's preview, confirm step and messages work unchanged. Export goes through
the ordinary resource path, with spreadsheet formulas neutralised.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from import_export import fields, resources
from import_export.results import Result, RowResult

from ..models import MarketBar, Trade
from .canonical import CANONICAL_COLUMNS, EXTRA_COLUMNS

PREVIEW_MAX_ERRORS = 200
# Cells starting with these are executed as formulas by Excel/LibreOffice/Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class UploadedFile(tablib.Dataset):
    """An upload as the admin received it: the raw bytes, unparsed.

    Why: the import door reads the file itself (CSV quoting, encodings, XLSX formulas, broker
    title rows), so the file hash, the checks and the messages are the same as on the command line.
    """

    def __init__(self, raw: bytes) -> None:
        super().__init__()
        self.raw = raw

    def __len__(self) -> int:
        return 1 if self.raw else 0  # a blank file still reaches the door, which records why it is refused


def neutralise_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with `'`, the OWASP CSV-injection fix."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class TradeResource(resources.ModelResource):
    """Canonical columns in, canonical columns (plus derived numbers) out."""

    external_id = fields.Field(attribute="external_id", column_name="external_id")
    account = fields.Field(attribute="account", column_name="account")
    symbol = fields.Field(attribute="symbol", column_name="symbol")
    side = fields.Field(attribute="side", column_name="side")
    quantity = fields.Field(attribute="quantity", column_name="quantity")
    entry_time = fields.Field(attribute="entry_time", column_name="entry_time")
    exit_time = fields.Field(attribute="exit_time", column_name="exit_time")
    entry_price = fields.Field(attribute="entry_price", column_name="entry_price")
    exit_price = fields.Field(attribute="exit_price", column_name="exit_price")
    fees = fields.Field(attribute="fees", column_name="fees")
    stop_price = fields.Field(attribute="stop_price", column_name="stop_price")
    target_price = fields.Field(attribute="target_price", column_name="target_price")
    setup = fields.Field(attribute="setup", column_name="setup")
    tags = fields.Field(attribute="tags", column_name="tags")
    notes = fields.Field(attribute="notes", column_name="notes")
    multiplier = fields.Field(attribute="multiplier", column_name="multiplier", readonly=True)
    option_type = fields.Field(attribute="option_type", column_name="option_type")
    strike = fields.Field(attribute="strike", column_name="strike")
    expiry = fields.Field(attribute="expiry", column_name="expiry")
    underlying = fields.Field(attribute="underlying", column_name="underlying")
    gross_pnl = fields.Field(attribute="gross_pnl", column_name="gross_pnl", readonly=True)
    net_pnl = fields.Field(attribute="net_pnl", column_name="net_pnl", readonly=True)
    r_multiple = fields.Field(attribute="r_multiple", column_name="r_multiple", readonly=True)
    return_pct = fields.Field(attribute="return_pct", column_name="return_pct", readonly=True)
    holding_minutes = fields.Field(attribute="holding_minutes", column_name="holding_minutes", readonly=True)

    TEXT_FIELDS = ("external_id", "account", "symbol", "setup", "tags", "notes")

    class Meta:
        model = Trade
        import_id_fields = ("account", "external_id")
        fields = (
            *CANONICAL_COLUMNS,
            *EXTRA_COLUMNS,
            "gross_pnl",
            "net_pnl",
            "r_multiple",
            "return_pct",
            "holding_minutes",
        )
        export_order = fields
        skip_unchanged = True

    def get_import_fields(self) -> list[fields.Field]:
        """The columns a trade file can carry (what the Import page lists).

        Why: the resource also declares the derived numbers (P&L, R, return, holding time) for the
        export; a file's values for those are recomputed, never read, so listing them as imported
        would tell people to fill columns that are ignored.
        """
        importable = (*CANONICAL_COLUMNS, *EXTRA_COLUMNS)
        by_column = {field.column_name: field for field in super().get_import_fields()}
        return [by_column[column] for column in importable if column in by_column]

    # --- export --------------------------------------------------------------------------
    def dehydrate_entry_time(self, trade: Trade) -> str:
        return trade.entry_time.isoformat() if trade.entry_time else ""

    def dehydrate_exit_time(self, trade: Trade) -> str:
        return trade.exit_time.isoformat() if trade.exit_time else ""

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if field.column_name in self.TEXT_FIELDS:
            return neutralise_formula(value)
        return value

    def filter_export(self, queryset, **kwargs):
        return queryset.order_by("id")

    # --- import-export entry point ---------------------------------------------------------
    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ) -> Result:
        """The admin's import (preview and confirm) through the one door; returns a normal Result."""
        from ..services.imports import trades_import

        raw = getattr(dataset, "raw", None)
        if raw is None:  # a Dataset built in code: its CSV text is the file
            raw = dataset.export("csv").encode()
        outcome = trades_import(
            source=raw,
            file_name=kwargs.get("file_name") or "upload",
            tz_name=kwargs.get("tz_name") or None,
            dry_run=dry_run,
            created_by=kwargs.get("user"),
            file_format=kwargs.get("file_format") or "auto",
            options=kwargs.get("options") or None,
            skip_invalid=bool(kwargs.get("skip_invalid")),
            record_rejection=True,
        )
        result = import_result_to_result(outcome)
        if raise_errors and outcome.errors:
            raise ValidationError([f"line {e.line} {e.field}: {e.message}" for e in outcome.errors[:20]])
        return result


def import_result_to_result(outcome) -> Result:
    """Map our ImportResult onto import-export's Result: totals in full, rows only as a sample."""
    result = Result()
    result.diff_headers = list(CANONICAL_COLUMNS)
    result.total_rows = outcome.rows
    result.totals[RowResult.IMPORT_TYPE_NEW] = outcome.created
    result.totals[RowResult.IMPORT_TYPE_UPDATE] = outcome.updated
    result.totals[RowResult.IMPORT_TYPE_SKIP] = outcome.unchanged
    result.totals[RowResult.IMPORT_TYPE_INVALID] = len({e.line for e in outcome.errors})
    result.summary = outcome  # the template shows the full counts from here
    by_line: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for error in outcome.errors:
        if len(by_line) >= PREVIEW_MAX_ERRORS and error.line not in by_line:
            continue
        key = error.field if error.field in CANONICAL_COLUMNS else NON_FIELD_ERRORS
        message = error.message if key != NON_FIELD_ERRORS else f"{error.field}: {error.message}"
        by_line[error.line][key].append(message)
    raw_rows = getattr(outcome, "raw_rows", {})
    for line, errors in by_line.items():
        result.append_invalid_row(line, raw_rows.get(line, {}), ValidationError(dict(errors)))
    for action, trade in outcome.sample:
        row = RowResult()
        row.import_type = action
        row.diff = [
            trade.external_id,
            trade.account,
            trade.symbol,
            trade.side,
            trade.quantity,
            trade.entry_time.isoformat(),
            trade.exit_time.isoformat(),
            trade.entry_price,
            trade.exit_price,
            trade.fees,
            trade.stop_price if trade.stop_price is not None else "",
            trade.target_price if trade.target_price is not None else "",
            trade.setup,
            trade.tags,
            trade.notes[:80],
        ]
        result.append_row_result(row)
    return result


class MarketBarResource(resources.ModelResource):
    """OHLCV bars; import is an upsert on (symbol, timestamp) through `bars_import`."""

    class Meta:
        model = MarketBar
        import_id_fields = ("symbol", "timestamp")
        fields = ("symbol", "timestamp", "open", "high", "low", "close", "volume")
        export_order = fields

    def dehydrate_timestamp(self, bar: MarketBar) -> str:
        return bar.timestamp.isoformat() if bar.timestamp else ""

    def export_field(self, field, instance, **kwargs):
        return neutralise_formula(super().export_field(field, instance, **kwargs))

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ) -> Result:
        from ..services.imports import bars_import_rows
        from .readers import rows_from_dataset

        table = rows_from_dataset(dataset.headers or [], list(dataset))
        outcome = bars_import_rows(
            columns=table.columns, rows=table.rows, tz_name=kwargs.get("tz_name") or "UTC", dry_run=dry_run
        )
        result = Result()
        result.diff_headers = ["symbol", "timestamp", "open", "high", "low", "close", "volume"]
        result.totals[RowResult.IMPORT_TYPE_NEW] = outcome.created
        result.totals[RowResult.IMPORT_TYPE_UPDATE] = outcome.updated
        by_line: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for error in outcome.errors[:PREVIEW_MAX_ERRORS]:
            key = error.field if error.field in result.diff_headers else NON_FIELD_ERRORS
            by_line[error.line][key].append(error.message)
        for line, errors in by_line.items():
            result.append_invalid_row(line, {}, ValidationError(dict(errors)))
        return result
