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


@register.filter
def metric_value(value, metric: str) -> str:
    """A value of an experiment's metric: R per trade, dollars per trade, or a win rate in percent."""
    if metric == "net_pnl":
        return formatting.fmt_money(value, signed=True)
    if metric == "win_rate":
        return formatting.fmt_percent(value)
    return formatting.fmt_r(value)


@register.filter
def metric_difference(value, metric: str) -> str:
    """A difference of an experiment's metric; win rates differ by percentage points."""
    if metric == "win_rate":
        return formatting.fmt_points(value)
    return metric_value(value, metric)


@register.filter
def history_value(value) -> str:
    """A value in a history diff: desk time without microseconds, "—" for nothing, status words."""
    import datetime as dt

    from django.utils.html import strip_tags

    from post_mortem.models import ImplementationStatus

    text = strip_tags(str(value)) if value is not None else ""
    if text in ("", "None"):
        return formatting.DASH
    if text in ImplementationStatus.values:
        return ImplementationStatus(text).label
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return formatting.fmt_time(moment) if (moment.hour or moment.minute or moment.tzinfo) else text


@register.filter
def segment(value) -> str:
    """A mined segment in words from a pattern (or a dict with factor and segment/value)."""
    from admin_ext.labels import segment_label

    if isinstance(value, dict):
        return segment_label(value.get("factor", ""), value.get("segment", value.get("value", "")))
    return segment_label(getattr(value, "factor", ""), getattr(value, "segment", ""))


@register.filter
def area_words(value) -> str:
    from admin_ext.labels import area_label

    return area_label(value)


@register.filter
def type_words(value) -> str:
    from admin_ext.labels import type_label

    return type_label(value)


@register.filter
def code_words(value) -> str:
    """Any stored code as words, for codes without a label of their own."""
    from admin_ext.labels import humanize_code

    return humanize_code(value) if value else formatting.DASH
