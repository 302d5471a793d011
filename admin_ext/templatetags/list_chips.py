"""Active changelist filters as removable chips: {% load list_chips %}{% filter_chips cl %}."""

from django import template
from django.http import QueryDict

register = template.Library()


@register.inclusion_tag("admin_ext/trades/filter_chip_list.html")
def filter_chips(cl) -> dict:
    """One chip per filter in the URL, each linking to the same list without that filter."""
    from admin_ext.trades import list_filter_parts

    params = QueryDict(mutable=True)
    for key, value in cl.params.items():
        params.setlist(key, value if isinstance(value, list) else [value])
    chips = [
        {"text": text, "url": cl.get_query_string({"p": None}, remove=[key])} for key, text in list_filter_parts(params)
    ]
    return {"chips": chips, "clear_url": "?" if chips else ""}
