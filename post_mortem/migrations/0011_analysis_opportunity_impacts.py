"""TradeAnalysis.opportunity_impacts: the compact {type_code: expected R} prioritisation reads.

Existing post-mortems are backfilled from their analysis_data in batches.
"""

from django.db import migrations, models

BATCH = 1000


def backfill(apps, schema_editor):
    TradeAnalysis = apps.get_model("post_mortem", "TradeAnalysis")
    last = 0
    while True:
        rows = list(TradeAnalysis.objects.filter(pk__gt=last).order_by("pk").only("pk", "analysis_data")[:BATCH])
        if not rows:
            return
        for row in rows:
            opportunities = (row.analysis_data or {}).get("improvement_opportunities", [])
            row.opportunity_impacts = {o.get("type_code"): o.get("expected_impact_r") for o in opportunities}
        TradeAnalysis.objects.bulk_update(rows, ["opportunity_impacts"])
        last = rows[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ('post_mortem', '0010_normalize_setup_and_tag_spellings'),
    ]

    operations = [
        migrations.AddField(
            model_name='tradeanalysis',
            name='opportunity_impacts',
            field=models.JSONField(blank=True, default=dict, help_text='Opportunity code -> expected R'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
