"""List filters over a stored code (a pattern's factor, a recommendation's area or type) that list
the codes present in words, so the filter panel reads like the page; the URL keeps the code."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin


class CodeFilter(admin.SimpleListFilter):
    field = ""

    def words(self, code: str) -> str:
        return code

    def lookups(self, request, model_admin):
        values = model_admin.get_queryset(request).order_by(self.field).values_list(self.field, flat=True).distinct()
        return [(value, self.words(value)) for value in values if value]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.field: self.value()}) if self.value() else queryset


def code_filter(field: str, title: str, words: Callable[[str], str]) -> type[CodeFilter]:
    """A CodeFilter on `field` (its URL parameter too, so existing links keep working)."""
    return type(
        f"{field.title().replace('_', '')}CodeFilter",
        (CodeFilter,),
        {"title": title, "parameter_name": field, "field": field, "words": lambda self, code: words(code)},
    )
