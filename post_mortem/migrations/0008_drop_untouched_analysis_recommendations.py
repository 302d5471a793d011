"""Delete the recommendations analysis wrote for every opportunity that nobody ever acted on.

Analysis used to create one PENDING Recommendation per per-trade opportunity (about two per trade).
Opportunities now stay on their post-mortem, and a Recommendation exists for plan items and for an
opportunity a person acted on. A row sourced from analysis is kept, with all its history, when a
person touched it: its status was changed (``status_changed_at``, a status other than PENDING, or a
history row beyond its creation), it has notes or an implementation date, or an impact assessment
or experiment refers to it. Every other such row goes, with its creation history row, and so do the
created/deleted history pairs of rows earlier re-analyses replaced untouched.
Not reversible in data (the opportunities are still on the post-mortems; re-tracking recreates rows).
"""

from django.db import migrations
from django.db.models import Count, Q

BATCH = 500


def drop_untouched(apps, schema_editor):
    Recommendation = apps.get_model("post_mortem", "Recommendation")
    History = apps.get_model("post_mortem", "HistoricalRecommendation")
    changed_in_history = History.objects.filter(source="ANALYSIS").values("id").annotate(n=Count("history_id"))
    changed_ids = set(changed_in_history.filter(n__gt=1).values_list("id", flat=True))
    untouched = (
        Recommendation.objects.filter(
            source="ANALYSIS",
            implementation_status="PENDING",
            status_changed_at__isnull=True,
            implementation_date__isnull=True,
            notes="",
            impact_score__isnull=True,
        )
        .filter(Q(assessments__isnull=True) & Q(experiments__isnull=True))
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    ids = [pk for pk in untouched.distinct() if pk not in changed_ids]
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        History.objects.filter(id__in=batch).delete()
        Recommendation.objects.filter(pk__in=batch).delete()
    # Rows earlier re-analyses replaced left a created + deleted pair and nothing a person did.
    live = Recommendation.objects.values_list("pk", flat=True)
    gone = History.objects.filter(source="ANALYSIS").exclude(id__in=live)
    person_touched = set(gone.filter(history_type="~").values_list("id", flat=True))
    vanished = sorted(set(gone.values_list("id", flat=True)) - person_touched)
    for start in range(0, len(vanished), BATCH):
        History.objects.filter(id__in=vanished[start : start + BATCH]).delete()


class Migration(migrations.Migration):
    dependencies = [("post_mortem", "0007_import_batch_skipped_notes")]

    operations = [migrations.RunPython(drop_untouched, migrations.RunPython.noop)]
