"""List filters shared by the admin modules."""

from __future__ import annotations

from unfold.contrib.filters.admin import DropdownFilter, FieldTextFilter, RadioFilter

from admin_ext.formatting import fmt_time
from post_mortem.selectors.trades import (
    DISTINCT_VALUES_CAP,
    latest_import_batches,
    trade_distinct_values,
)


class ExactTextFilter(FieldTextFilter):
    """A typed-in value matched exactly: uses the (field, entry_time) index, never a DISTINCT or LIKE scan."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_kwarg = f"{field_path}__exact"
        value = params.get(self.lookup_kwarg)
        if value is not None:
            self.lookup_val = value
            self.used_parameters[self.lookup_kwarg] = value.strip() if isinstance(value, str) else value
            params.pop(self.lookup_kwarg, None)

    def expected_parameters(self):
        return [self.lookup_kwarg]


def request_distinct_values(request, field: str) -> list[str]:
    """`trade_distinct_values` once per request: the filters and the search share the lists."""
    memo = request.__dict__.setdefault("_trade_distinct_values", {})
    if field not in memo:
        memo[field] = trade_distinct_values(field)
    return memo[field]


def spellings_by_key(values: list[str]) -> dict[str, list[str]]:
    """Distinct values grouped case-insensitively: {"acc-3": ["ACC-3", "acc-3"]}, in binary order."""
    groups: dict[str, list[str]] = {}
    for value in values:
        groups.setdefault(value.casefold(), []).append(value)
    return groups


class TradeValueFilter(DropdownFilter):
    """A trade column's values as a searchable dropdown, not case sensitive.

    `acct-1` and `ACCT-1` are one choice, and choosing it lists the trades of both spellings
    (`field IN (spellings)`, on the (field, entry_time) index; `iexact` would read every row on
    SQLite). The choices come from `trade_distinct_values` (one index seek per distinct value).
    The parameter keeps the `<field>__exact` name that links elsewhere in the admin use.
    """

    field_name = ""

    def __init__(self, request, params, model, model_admin):
        self.parameter_name = f"{self.field_name}__exact"
        values = request_distinct_values(request, self.field_name)
        self.complete = len(values) < DISTINCT_VALUES_CAP
        self.groups = spellings_by_key(values)
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        chosen = (self.value() or "").strip()
        choices = []
        for key, spellings in self.groups.items():
            label = spellings[0] if len(spellings) == 1 else f"{spellings[0]} (also {', '.join(spellings[1:])})"
            # The link's own spelling stays selected (acct-1 chosen shows the ACCT-1 choice).
            choices.append((chosen if chosen.casefold() == key else spellings[0], label))
        if chosen and chosen.casefold() not in self.groups:
            choices.append((chosen, chosen))  # a link to a value no trade has (any more) keeps its choice
        return sorted(choices, key=lambda choice: choice[1].casefold())

    def queryset(self, request, queryset):
        chosen = (self.value() or "").strip()
        if not chosen:
            return queryset
        spellings = self.groups.get(chosen.casefold())
        if spellings:
            return queryset.filter(**{f"{self.field_name}__in": spellings})
        if self.complete:
            return queryset.none()  # no trade has this value in any spelling
        return queryset.filter(**{f"{self.field_name}__iexact": chosen})


class AccountFilter(TradeValueFilter):
    title = "account"
    field_name = "account"


class SymbolFilter(TradeValueFilter):
    title = "symbol"
    field_name = "symbol"


class SetupFilter(TradeValueFilter):
    title = "setup"
    field_name = "setup"


class AnalyzedFilter(RadioFilter):
    """Trades with or without a post-mortem (the list's indexed `is_analysed` EXISTS)."""

    title = "analyzed"
    parameter_name = "analyzed"

    def lookups(self, request, model_admin):
        return [("yes", "Analyzed"), ("no", "Not analyzed yet")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(is_analysed=True)
        if self.value() == "no":
            return queryset.filter(is_analysed=False)
        return queryset


class ImportBatchFilter(DropdownFilter):
    """The trades of one import batch: the 20 newest batches as choices (plus the one in the link)."""

    title = "import batch"
    parameter_name = "import_batch__id__exact"

    def lookups(self, request, model_admin):
        chosen = self.value()
        include = int(chosen) if chosen and str(chosen).isdigit() else None
        return [
            (str(batch.pk), f"#{batch.pk} {batch.file_name} ({fmt_time(batch.created_at)})")
            for batch in latest_import_batches(include=include)
        ]

    def queryset(self, request, queryset):
        chosen = self.value()
        if not chosen:
            return queryset
        if not str(chosen).isdigit():
            return queryset.none()
        return queryset.filter(import_batch_id=int(chosen))
