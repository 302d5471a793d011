"""The prioritization page (what to do next, did it pay) and its landing-page card."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from admin_ext.charts import expectancy_chart
from admin_ext.dashboard import DashboardCard, dashboard_card
from admin_ext.formatting import fmt_money
from admin_ext.views import AdminPage
from post_mortem.models import ImplementationStatus
from post_mortem.models.choices import IMPLEMENTATION_STATUS_COLORS
from post_mortem.selectors.decisions import opportunity_rollup, plan_items
from post_mortem.selectors.feedback import (
    prioritisation,
    rolling_expectancy,
)


class PrioritizationPage(AdminPage):
    """What to do next and did it pay: pending and implemented recommendations by expected or
    measured effect, the opportunity roll-up per type and account, the desk's rolling expectancy."""

    permission_required = ("post_mortem.view_recommendation",)
    template_name = "admin_ext/feedback/prioritisation.html"
    title = "Prioritization"

    def get_context_data(self, **kwargs):
        request = self.request
        area = request.GET.get("area") or None
        type_code = request.GET.get("type") or None
        status = request.GET.get("status") or None
        if status not in (None, *ImplementationStatus.values):
            status = None
        sort = request.GET.get("sort") if request.GET.get("sort") in ("impact", "roi", "recent") else "impact"
        data = prioritisation(area=area, type_code=type_code, status=status, sort=sort)
        account = (request.GET.get("account") or "").strip() or None
        rollup = opportunity_rollup(account=account, type_code=type_code)
        trades_url = reverse("admin:post_mortem_tradeanalysis_changelist")
        for group in rollup["types"]:
            group["url"] = f"{trades_url}?{urlencode({'opportunity': group['type_code']})}"
            for row in group["accounts"]:
                query = {"opportunity": group["type_code"], "trade__account__exact": row["account"]}
                row["url"] = f"{trades_url}?{urlencode(query)}"
        expectancy = rolling_expectancy()
        return super().get_context_data(
            **kwargs,
            data=data,
            rollup=rollup,
            plan_items=plan_items(),
            chart=expectancy_chart(expectancy),
            implementations=expectancy["implementations"],
            filters={
                "area": area or "",
                "type": type_code or "",
                "status": status or "",
                "sort": sort,
                "account": account or "",
            },
            statuses=ImplementationStatus.choices,
            status_colors=IMPLEMENTATION_STATUS_COLORS,
        )


# --- landing-page card ----------------------------------------------------------------------


@dashboard_card(order=30)
def feedback_card(request: HttpRequest) -> DashboardCard | None:
    """Did the changes pay? The implemented recommendations with the largest measured effect."""
    if not request.user.has_perm("post_mortem.view_recommendation"):
        return None
    data = prioritisation(status=ImplementationStatus.IMPLEMENTED, sort="impact", limit=5)
    rows = []
    for rec in data["implemented"]:
        url = reverse("admin:post_mortem_recommendation_change", args=[rec.pk])
        if rec.latest_effect is None:
            effect, verdict, roi = "—", "not enough data yet", "—"
        else:
            effect = f"{rec.latest_effect:+.2f}R [{rec.latest_ci_low:+.2f}, {rec.latest_ci_high:+.2f}]"
            verdict = "paid" if rec.latest_significant and rec.latest_effect > 0 else "not significant"
            if rec.latest_significant and rec.latest_effect < 0:
                verdict = "hurt"
            roi = fmt_money(rec.latest_roi, signed=True, decimals=0) if rec.latest_roi is not None else "—"
        link_html = format_html('<a class="text-primary-600" href="{}">{}</a>', url, rec.text[:60])
        rows.append([link_html, effect, roi, verdict])
    link = reverse("admin:post_mortem_recommendation_prioritisation")
    return DashboardCard(
        title="Did the changes pay?",
        template="admin_ext/dashboard/cards/table.html",
        context={
            "table": {"headers": ["Recommendation", "Effect [95% CI]", "ROI/month", "Verdict"], "rows": rows},
            "empty": format_html('No implemented recommendations yet. <a href="{}">Prioritization</a>', link),
        },
    )
