"""The Ask page (questions in plain words, or the same tools as a form offline) and the question log.

Ops and desk heads ask (`add_question`); Auditors read the log (`view_question`), which is
read-only for everyone: a question's record is what was asked, called and answered.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin
from unfold.decorators import display

from post_mortem.ask.tools import ToolBox, ToolInputError
from post_mortem.llm.claude import is_configured
from post_mortem.mining.segments import FACTORS
from post_mortem.models import Question, QuestionStatus
from post_mortem.models.ask import QUESTION_STATUS_COLORS
from post_mortem.selectors.ask import question_cost_per_month, question_thread
from post_mortem.services.ask import QuestionError, question_create

from .ask_display import Linker, linked_answer, result_card
from .dashboard import DashboardCard, dashboard_card
from .labels import SEGMENT_FACTORS, humanize_code
from .views import AdminPage, admin_page

INPUT = "border border-base-200 rounded-default px-2 py-1 w-full dark:bg-base-900 dark:border-base-700"
FACTOR_CHOICES = [("", "—"), *((f, SEGMENT_FACTORS.get(f, humanize_code(f))) for f in FACTORS)]


def _split(value: str) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class AskForm(forms.Form):
    text = forms.CharField(
        label="Question",
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 3, "class": INPUT, "placeholder": "How did BRAVO do on Mondays since the rule?"}
        ),
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class SelectionForm(forms.Form):
    """One selection of trades, as the tools take it (comma-separated lists)."""

    accounts = forms.CharField(required=False, widget=forms.TextInput(attrs={"class": INPUT}))
    symbols = forms.CharField(required=False, widget=forms.TextInput(attrs={"class": INPUT}))
    setups = forms.CharField(required=False, widget=forms.TextInput(attrs={"class": INPUT}))
    tags = forms.CharField(required=False, widget=forms.TextInput(attrs={"class": INPUT}))
    exclude_symbols = forms.CharField(required=False, widget=forms.TextInput(attrs={"class": INPUT}))
    side = forms.ChoiceField(
        required=False,
        choices=[("", "Both"), ("LONG", "Long"), ("SHORT", "Short")],
        widget=forms.Select(attrs={"class": INPUT}),
    )
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date", "class": INPUT}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date", "class": INPUT}))
    time_from = forms.TimeField(
        required=False, label="Entered from (desk time)", widget=forms.TimeInput(attrs={"type": "time", "class": INPUT})
    )
    time_to = forms.TimeField(
        required=False,
        label="Entered before (desk time)",
        widget=forms.TimeInput(attrs={"type": "time", "class": INPUT}),
    )
    segment_factor = forms.ChoiceField(
        required=False, choices=FACTOR_CHOICES, widget=forms.Select(attrs={"class": INPUT})
    )
    segment_value = forms.CharField(required=False, widget=forms.TextInput(attrs={"class": INPUT}))

    def selection(self) -> dict[str, Any]:
        d = self.cleaned_data
        out: dict[str, Any] = {}
        for key in ("accounts", "symbols", "setups", "tags", "exclude_symbols"):
            if _split(d.get(key, "")):
                out[key] = _split(d[key])
        if d.get("side"):
            out["sides"] = [d["side"]]
        for key in ("since", "until", "time_from", "time_to"):
            if d.get(key):
                out[key] = d[key].isoformat()
        if d.get("segment_factor") or d.get("segment_value"):
            out["segments"] = [{"factor": d.get("segment_factor") or "", "value": d.get("segment_value") or ""}]
        return out


class StatsExtraForm(forms.Form):
    group_by = forms.ChoiceField(required=False, choices=FACTOR_CHOICES, widget=forms.Select(attrs={"class": INPUT}))


class WhatIfForm(forms.Form):
    rules = forms.CharField(
        label="Rules (JSON list)",
        initial='[{"type": "no_reentry_after_loss", "minutes": 30}]',
        widget=forms.Textarea(attrs={"rows": 2, "class": INPUT}),
    )
    account = forms.CharField(required=False, widget=forms.TextInput(attrs={"class": INPUT}))
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date", "class": INPUT}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date", "class": INPUT}))

    def clean_rules(self):
        try:
            rules = json.loads(self.cleaned_data["rules"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"not valid JSON ({exc.msg} at character {exc.pos})") from exc
        if not isinstance(rules, list):
            raise forms.ValidationError("a JSON list of rules, e.g. [{...}]")
        return rules


def offline_payload(tool: str, data) -> tuple[dict[str, Any] | None, list[str]]:
    """The tool input the form describes (None and the errors when a field is malformed)."""
    if tool == "trade_stats":
        sel, extra = SelectionForm(data, prefix="s"), StatsExtraForm(data, prefix="s")
        if not (sel.is_valid() and extra.is_valid()):
            return None, [f"{k}: {' '.join(v)}" for f in (sel, extra) for k, v in f.errors.items()]
        payload: dict[str, Any] = {"selection": sel.selection()}
        if extra.cleaned_data.get("group_by"):
            payload["group_by"] = extra.cleaned_data["group_by"]
        return payload, []
    if tool == "compare_selections":
        a, b = SelectionForm(data, prefix="a"), SelectionForm(data, prefix="b")
        if not (a.is_valid() and b.is_valid()):
            return None, [f"{p}.{k}: {' '.join(v)}" for p, f in (("A", a), ("B", b)) for k, v in f.errors.items()]
        return {"a": a.selection(), "b": b.selection()}, []
    if tool == "what_if":
        form = WhatIfForm(data, prefix="w")
        if not form.is_valid():
            return None, [f"{k}: {' '.join(v)}" for k, v in form.errors.items()]
        d = form.cleaned_data
        payload = {"rules": d["rules"]}
        if d.get("account"):
            payload["account"] = d["account"].strip()
        for key in ("since", "until"):
            if d.get(key):
                payload[key] = d[key].isoformat()
        return payload, []
    if tool in {"list_patterns", "list_recommendations", "list_plans"}:
        return {}, []
    return None, [f"unknown tool {tool!r}"]


@admin.register(Question)
class QuestionAdmin(ModelAdmin):
    """The question log: read-only (auditable record); asking happens on the Ask page."""

    list_display = ("created_at", "user", "short_text", "status_label", "rounds", "tokens", "cost")
    list_filter = ("status",)
    list_filter_submit = True
    search_fields = ("text",)
    list_select_related = ("user",)
    ordering = ("-created_at", "-id")
    readonly_fields = (
        "user",
        "parent",
        "text",
        "status",
        "answer_view",
        "reason",
        "rejected_answer",
        "numbers",
        "tool_calls",
        "model",
        "rounds",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "created_at",
        "finished_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @display(description="Question")
    def short_text(self, obj: Question) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:post_mortem_question_ask_detail", args=[obj.pk]), obj.text[:90]
        )

    @display(description="Status", label=QUESTION_STATUS_COLORS)
    def status_label(self, obj: Question) -> tuple[str, str]:
        return obj.status, obj.get_status_display()

    @display(description="Tokens")
    def tokens(self, obj: Question) -> str:
        return f"{obj.input_tokens + obj.output_tokens:,}"

    @display(description="Cost")
    def cost(self, obj: Question) -> str:
        return f"${obj.cost_usd:,.4f}"

    @display(description="Answer (numbers linked)")
    def answer_view(self, obj: Question):
        stored = {k: v for c in obj.tool_calls for k, v in (c.get("links") or {}).items()}
        return linked_answer(obj, Linker(stored=stored))

    # --- the Ask page -------------------------------------------------------------------------

    def get_urls(self):
        return [
            admin_page(self, "ask/", AskPage, "post_mortem_question_ask"),
            admin_page(self, "ask/<int:question_id>/", QuestionPage, "post_mortem_question_ask_detail"),
            *super().get_urls(),
        ]


def _can_read(request: HttpRequest, question: Question) -> bool:
    return request.user.has_perm("post_mortem.view_question") or question.user_id == request.user.pk


class _AskContext:
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            **kwargs,
            claude_configured=is_configured(),
            can_ask=self.request.user.has_perm("post_mortem.add_question"),
        )


class AskPage(_AskContext, AdminPage):
    """Ask Claude a question about the desk, or run the same tools offline (no model)."""

    permission_required = ("post_mortem.add_question",)
    template_name = "admin_ext/ask/ask.html"
    title = "Ask"

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return self.get(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        ask_form = AskForm(request.POST or None)
        ask_error = None
        if request.method == "POST" and ask_form.is_valid():
            parent = None
            if ask_form.cleaned_data.get("parent"):
                parent = get_object_or_404(Question, pk=ask_form.cleaned_data["parent"])
                if not _can_read(request, parent):
                    raise PermissionDenied
            if not is_configured():
                ask_error = "ANTHROPIC_API_KEY is not set: use the tools below (the same numbers, no model)."
            else:
                try:
                    question = question_create(user=request.user, text=ask_form.cleaned_data["text"], parent=parent)
                except QuestionError as exc:
                    ask_error = str(exc)
                else:
                    return HttpResponseRedirect(reverse("admin:post_mortem_question_ask_detail", args=[question.pk]))
        tool = request.GET.get("tool") or "trade_stats"
        offline: dict[str, Any] = {"tool": tool}
        if request.GET.get("run"):
            payload, errors = offline_payload(tool, request.GET)
            if payload is not None:
                box = ToolBox()
                try:
                    result = box.run(tool, payload)
                except ToolInputError as exc:
                    errors = [str(exc)]
                else:
                    offline["card"] = result_card(tool, payload, result, Linker(box=box))
            offline["errors"] = errors
        data = request.GET if request.GET.get("run") else None
        context = self.get_context_data(
            ask_form=ask_form,
            ask_error=ask_error,
            offline=offline,
            stats_form=SelectionForm(data, prefix="s"),
            stats_extra=StatsExtraForm(data, prefix="s"),
            form_a=SelectionForm(data, prefix="a"),
            form_b=SelectionForm(data, prefix="b"),
            what_if_form=WhatIfForm(data, prefix="w"),
            recent=Question.objects.filter(user=request.user).order_by("-created_at", "-id")[:8],
        )
        return self.render_to_response(context)


class QuestionPage(_AskContext, AdminPage):
    """One question's thread: answers with their tool results, follow-ups, a follow-up form.
    Readable by whoever may read the log (``view_question``) and by the person who asked."""

    template_name = "admin_ext/ask/detail.html"

    def has_permission(self) -> bool:
        question_id = self.kwargs["question_id"]
        self.question = get_object_or_404(Question.objects.select_related("user", "parent"), pk=question_id)
        return _can_read(self.request, self.question)

    def get_title(self) -> str:
        return f"Question #{self.question.pk}"

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        question = self.question
        chain = question_thread(question)
        linker = Linker(stored={k: v for q in chain for c in q.tool_calls for k, v in (c.get("links") or {}).items()})
        thread = []
        for q in chain:
            thread.append(
                {
                    "q": q,
                    "tokens": f"{q.input_tokens + q.output_tokens:,}",
                    "answer": linked_answer(q, linker),
                    "cards": [result_card(c["name"], c["input"], c["result"], linker) for c in q.tool_calls],
                }
            )
        context = self.get_context_data(
            question=question,
            thread=thread,
            follow_form=AskForm(initial={"parent": question.pk}),
            pending=question.status == QuestionStatus.PENDING,
            follow_ups=list(question.follow_ups.order_by("created_at", "id")),
        )
        return self.render_to_response(context)


@dashboard_card(order=70)
def question_cost_card(request) -> DashboardCard | None:
    """Ask: questions, tokens and cost per month (audit of what the model costs)."""
    if not request.user.has_perm("post_mortem.view_question"):
        return None
    rows = [
        [r["month"].strftime("%Y-%m"), f"{r['questions']:,}", f"{r['tokens']:,}", f"${r['cost_usd']:,.2f}"]
        for r in question_cost_per_month(months=6)
    ]
    return DashboardCard(
        title="Ask: questions and cost per month",
        template="admin_ext/dashboard/cards/table.html",
        context={
            "table": {"headers": ["Month", "Questions", "Tokens", "Cost"], "rows": rows},
            "empty": "No questions asked yet.",
        },
    )
