"""No dead ends: an import leads to its batch, its trades and their analysis; a run to its output."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from admin_ext.runs import run_outputs
from admin_ext.trades import import_next_steps
from post_mortem.models import ImportBatch, JobRun, RunKind, TradeAnalysis
from tests.factories import AnalysisPatternFactory, TradeFactory

pytestmark = pytest.mark.django_db


def _batch_with_trades(n: int) -> ImportBatch:
    batch = ImportBatch.objects.create(file_name="desk.csv", file_hash="x" * 64, status="COMPLETED", rows=n, created=n)
    TradeFactory.create_batch(n, import_batch=batch)
    TradeFactory.create_batch(2)  # trades of no batch are never analyzed with it
    return batch


def test_import_message_links_batch_trades_and_analysis(ops_user):
    batch = _batch_with_trades(3)
    request = RequestFactory().get("/")
    request.user = ops_user
    message = str(import_next_steps(request, batch.pk))
    assert reverse("admin:post_mortem_importbatch_change", args=[batch.pk]) in message
    assert f"?import_batch__id__exact={batch.pk}" in message
    assert reverse("admin:post_mortem_trade_analyze_batch", args=[batch.pk]) in message


def test_analyze_these_trades_runs_over_the_batch_only(ops_client, django_capture_on_commit_callbacks):
    batch = _batch_with_trades(3)
    page = ops_client.get(reverse("admin:post_mortem_trade_analyze_batch", args=[batch.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Analyze the 3 trades of import batch" in body
    assert "use_batches" not in body  # Claude-only option hidden without a key
    action = page.context["form_action"]
    form = {"action": "analyze_selected_trades", "select_across": "1", "index": "0", "engine": "rules", "apply": "1"}
    form["_selected_action"] = page.context["selected"]
    with django_capture_on_commit_callbacks(execute=True):  # the run is enqueued after commit
        done = ops_client.post(action, form)
    assert done.status_code == 302
    run = JobRun.objects.get(kind=RunKind.ANALYSIS)
    assert run.total == 3
    assert TradeAnalysis.objects.filter(trade__import_batch=batch).count() == 3  # sync cluster in tests
    assert TradeAnalysis.objects.count() == 3


def test_auditor_cannot_open_analyze_these_trades(auditor_client):
    batch = _batch_with_trades(1)
    assert auditor_client.get(reverse("admin:post_mortem_trade_analyze_batch", args=[batch.pk])).status_code == 403


def test_mining_run_links_to_its_patterns(ops_user):
    run = JobRun.objects.create(kind=RunKind.MINING, status="SUCCEEDED", total=1, done=1)
    AnalysisPatternFactory.create_batch(2, run=run)
    AnalysisPatternFactory()  # another run's pattern
    links = run_outputs(run=run, user=ops_user)
    assert links == [
        {
            "label": "2 pattern(s) mined by this run",
            "url": reverse("admin:post_mortem_analysispattern_changelist") + f"?run={run.pk}",
        }
    ]


def test_pattern_list_filtered_by_run(ops_client):
    run = JobRun.objects.create(kind=RunKind.MINING, status="SUCCEEDED", total=1, done=1)
    AnalysisPatternFactory(run=run)
    AnalysisPatternFactory()
    page = ops_client.get(reverse("admin:post_mortem_analysispattern_changelist") + f"?run={run.pk}")
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1


def test_export_page_says_when_the_list_is_filtered(superuser_client):
    TradeFactory.create_batch(2, account="DESK-X")
    TradeFactory.create_batch(3, account="DESK-Y")
    export = reverse("admin:post_mortem_trade_export")
    filtered = superuser_client.get(export + "?account__exact=DESK-X")
    assert filtered.status_code == 200
    messages = [str(m) for m in filtered.context["messages"]]
    assert "Exports the filtered list (account = DESK-X): 2 trades." in messages
    everything = superuser_client.get(export)
    assert "Exports every trade (no filter applied on the list)." in [str(m) for m in everything.context["messages"]]


def test_import_form_defaults_to_desk_time_and_follows_the_extension(settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from admin_ext.trades import TradeAdmin, TradeImportForm
    from post_mortem.models import Trade

    formats = TradeAdmin(Trade, None).get_import_formats()
    form = TradeImportForm(formats, TradeAdmin(Trade, None).get_import_resource_classes(None))
    assert form.fields["timezone"].initial == settings.DESK_TIMEZONE
    csv_index = next(str(i) for i, f in enumerate(formats) if f().get_extension() == "csv")
    xlsx_index = next(str(i) for i, f in enumerate(formats) if f().get_extension() == "xlsx")
    upload = SimpleUploadedFile("Desk Export.XLSX", b"PK\x03\x04 not really a workbook")
    data = {"format": csv_index, "timezone": "UTC", "file_format": "auto", "resource": "0"}
    bound = TradeImportForm(
        formats, TradeAdmin(Trade, None).get_import_resource_classes(None), data=data, files={"import_file": upload}
    )
    assert bound.is_valid(), bound.errors
    assert bound.cleaned_data["format"] == xlsx_index


def test_filtered_trade_list_shows_removable_chips(superuser_client):
    batch = _batch_with_trades(2)
    url = reverse("admin:post_mortem_trade_changelist")
    page = superuser_client.get(url + f"?import_batch__id__exact={batch.pk}&side__exact=LONG")
    body = page.content.decode()
    assert 'id="filter-chips"' in body
    assert f"import batch #{batch.pk}" in body and "side = LONG" in body
    assert 'href="?side__exact=LONG"' in body  # removing the batch chip keeps the side filter
    assert 'id="filter-chips"' not in superuser_client.get(url).content.decode()


def test_experiment_form_does_not_list_every_recommendation(superuser_client, django_assert_max_num_queries):
    from tests.factories import RecommendationFactory

    RecommendationFactory.create_batch(300)
    with django_assert_max_num_queries(20):
        page = superuser_client.get(reverse("admin:post_mortem_experiment_add"))
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count("<option") < 50  # the recommendation is picked through autocomplete
    assert "admin-autocomplete" in body or "autocomplete" in body
