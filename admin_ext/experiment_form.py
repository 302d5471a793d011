"""The experiment add form: groups picked from the accounts and tags that exist, never typed as JSON.

Each group is a kind (accounts or tags) and values picked through an autocomplete that asks the
server one page at a time (``group_values_view``), so the form renders in the same few queries
however many trades, accounts, tags or recommendations there are. The form builds the structure
the group resolver reads (``{"account": [...]}`` or ``{"tag": [...]}``) and runs the same checks
as the API (``services.experiments.experiment_validate``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from unfold.widgets import UnfoldAdminMultipleAutocompleteWidget, UnfoldAdminSelectWidget

from post_mortem.models import Experiment
from post_mortem.selectors.group_values import GROUP_KINDS, group_spellings, group_values_page
from post_mortem.services.experiments import experiment_validate

GROUPS = {"treatment": "Treatment", "control": "Control"}
KIND_WORDS = {"account": ("account", "accounts"), "tag": ("tag", "tags")}
MIN_SAMPLE_LABEL = "Minimum trades per group"
GROUP_VALUES_URL_NAME = "admin:post_mortem_experiment_group_values"


class GroupValuesWidget(UnfoldAdminMultipleAutocompleteWidget):
    """unfold's multiple autocomplete, rendering only the values already picked as options."""

    option_template_name = "django/forms/widgets/select_option.html"

    def optgroups(self, name: str, value: list[str], attrs: dict[str, Any] | None = None):
        self.choices = [(v, v) for v in value if v]
        return super().optgroups(name, value, attrs)


class GroupValuesField(forms.Field):
    """A list of names picked in a ``GroupValuesWidget`` for one kind of group."""

    def __init__(self, *, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        kwargs.setdefault("required", False)
        super().__init__(widget=GroupValuesWidget, **kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # Lazy: the URL exists once the admin site has its urls.
        return {"data-ajax--url": _LazyUrl(self.kind), "data-placeholder": f"Type to search {KIND_WORDS[self.kind][1]}"}

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        values = [value] if isinstance(value, str) else list(value)
        return [v.strip() for v in values if isinstance(v, str) and v.strip()]


class _LazyUrl:
    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __str__(self) -> str:
        return f"{reverse(GROUP_VALUES_URL_NAME)}?kind={self.kind}"


def group_words(group: Any, *, capital: bool = False) -> str:
    """A stored group in words ("accounts DESK-A, DESK-B"), for pages people read."""
    if not isinstance(group, dict) or len(group) != 1 or next(iter(group)) not in KIND_WORDS:
        return str(group)
    kind, names = next(iter(group.items()))
    names = [names] if isinstance(names, str) else list(names)
    word = KIND_WORDS[kind][0 if len(names) == 1 else 1]
    return f"{word.capitalize() if capital else word} {', '.join(str(n) for n in names)}"


def group_field_name(group: str, kind: str) -> str:
    return f"{group}_{KIND_WORDS[kind][1]}"


def group_conditional_fields() -> dict[str, str]:
    """unfold's ``conditional_fields``: show the picker of the kind chosen for each group."""
    return {group_field_name(group, kind): f"{group}_kind == '{kind}'" for group in GROUPS for kind in GROUP_KINDS}


def group_fieldsets() -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            f"{label} group",
            {"fields": [f"{group}_kind", *(group_field_name(group, kind) for kind in GROUP_KINDS)]},
        )
        for group, label in GROUPS.items()
    ]


class ExperimentForm(forms.ModelForm):
    """Name, hypothesis, recommendation, metric, two groups and the horizon, checked as the API does."""

    treatment_kind = forms.ChoiceField(
        label="Treatment is a set of",
        choices=[(kind, words[1]) for kind, words in KIND_WORDS.items()],
        initial="account",
        widget=UnfoldAdminSelectWidget,
    )
    treatment_accounts = GroupValuesField(kind="account", label="Treatment accounts")
    treatment_tags = GroupValuesField(kind="tag", label="Treatment tags", help_text="Trades carrying any of the tags.")
    control_kind = forms.ChoiceField(
        label="Control is a set of",
        choices=[(kind, words[1]) for kind, words in KIND_WORDS.items()],
        initial="account",
        widget=UnfoldAdminSelectWidget,
    )
    control_accounts = GroupValuesField(kind="account", label="Control accounts")
    control_tags = GroupValuesField(kind="tag", label="Control tags", help_text="Trades carrying any of the tags.")

    class Meta:
        model = Experiment
        fields = ["name", "hypothesis", "recommendation", "metric", "start", "end", "min_sample"]
        labels = {"min_sample": MIN_SAMPLE_LABEL}
        help_texts = {"min_sample": "Until each group has this many trades, results say: not enough data yet."}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk is not None:
            return cleaned
        groups = {group: self._picked_group(group) for group in GROUPS}
        if self.errors or None in groups.values():
            return cleaned
        self._refuse_shared_values(groups)
        if self.errors:
            return cleaned
        try:
            treatment, control = experiment_validate(
                metric=cleaned.get("metric"),
                treatment=groups["treatment"],
                control=groups["control"],
                start=cleaned.get("start"),
                end=cleaned.get("end"),
                min_sample=cleaned.get("min_sample"),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(self._form_field(field, groups), errors)
            return cleaned
        self.instance.treatment, self.instance.control = treatment, control
        return cleaned

    def _picked_group(self, group: str) -> dict[str, list[str]] | None:
        """The group as the resolver reads it (every existing spelling), or None after an error."""
        kind = self.cleaned_data.get(f"{group}_kind")
        if kind not in GROUP_KINDS:
            return None
        field = group_field_name(group, kind)
        picked = self.cleaned_data.get(field) or []
        singular, plural = KIND_WORDS[kind]
        if not picked:
            self.add_error(field, f"Pick at least one {singular} for the {group} group.")
            return None
        spellings = group_spellings(kind, picked)
        missing = sorted({name for name in picked if not spellings.get(name.lower())})
        if missing:
            self.add_error(field, f"No trade has the {singular} {', '.join(missing)}; pick {plural} from the list.")
            return None
        return {kind: sorted({s for names in spellings.values() for s in names})}

    def _refuse_shared_values(self, groups: dict[str, dict[str, list[str]]]) -> None:
        """The same account (or tag) in both groups, compared case-insensitively, names the values."""
        (kind_t, names_t), (kind_c, names_c) = (next(iter(groups[g].items())) for g in GROUPS)
        if kind_t != kind_c:
            return
        shared = {n.lower() for n in names_t} & {n.lower() for n in names_c}
        if shared:
            words = KIND_WORDS[kind_c][1 if len(shared) > 1 else 0]
            listed = ", ".join(sorted(n for n in names_c if n.lower() in shared))
            self.add_error(
                group_field_name("control", kind_c),
                f"Both groups include the {words} {listed}: a trade may be in one group only.",
            )

    def _form_field(self, field: str, groups: dict[str, dict[str, list[str]]]) -> str | None:
        if field in GROUPS:
            return group_field_name(field, next(iter(groups[field])))
        return field if field in self.fields else None


def group_values_view(request: HttpRequest) -> JsonResponse:
    """select2's ajax protocol: ``?kind=&term=&page=`` -> ``{"results": [{id, text}], "pagination": {more}}``."""
    kind = request.GET.get("kind", "")
    if kind not in GROUP_KINDS:
        return JsonResponse({"error": f"kind must be one of: {', '.join(GROUP_KINDS)}"}, status=400)
    page_number = request.GET.get("page", "1")
    page = group_values_page(
        kind, term=request.GET.get("term", ""), page=min(int(page_number), 10_000) if page_number.isdigit() else 1
    )
    return JsonResponse({"results": [{"id": v, "text": v} for v in page.values], "pagination": {"more": page.more}})
