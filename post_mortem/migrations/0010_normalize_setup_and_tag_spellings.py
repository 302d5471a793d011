"""Give existing trades' setups and tags their one spelling (see post_mortem.labels).

Rows are updated per distinct value (a desk has a few dozen setups and tag strings), so this is a
handful of UPDATEs even at 1M trades. A re-import of an old file then finds the same labels.
"""

from django.db import migrations

from post_mortem.labels import normalize_label, normalize_tags


def normalize(apps, schema_editor):
    Trade = apps.get_model("post_mortem", "Trade")
    for field, fix in (("setup", normalize_label), ("tags", normalize_tags)):
        for value in list(Trade.objects.order_by().values_list(field, flat=True).distinct()):
            fixed = fix(value)
            if fixed != value:
                Trade.objects.filter(**{field: value}).update(**{field: fixed})


class Migration(migrations.Migration):
    dependencies = [("post_mortem", "0009_run_lease_heartbeat")]

    operations = [migrations.RunPython(normalize, migrations.RunPython.noop)]
