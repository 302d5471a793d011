"""Template filters for the number kinds of admin_ext.formatting: {% load desk_format %}."""

from django import template

from admin_ext import formatting

register = template.Library()

register.filter("r_mult", formatting.fmt_r)
register.filter("money", formatting.fmt_money)
register.filter("pvalue", formatting.fmt_pvalue)
register.filter("quantity", formatting.fmt_quantity)
register.filter("price", formatting.fmt_price)
register.filter("cost", formatting.fmt_cost)
register.filter("percent", formatting.fmt_percent)
register.filter("desk_time", formatting.fmt_time)


@register.filter
def signed_money(value) -> str:
    return formatting.fmt_money(value, signed=True)


@register.filter
def money0(value) -> str:
    """Whole dollars for large sums (dashboard KPIs, ROI per month)."""
    return formatting.fmt_money(value, decimals=0)


@register.filter
def signed_money0(value) -> str:
    return formatting.fmt_money(value, signed=True, decimals=0)
