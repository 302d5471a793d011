"""Seed the futures contract multiplier table (editable afterwards in the admin).

Values are frozen here (not imported from the app) so this migration means the same thing forever.
Existing rows are left alone: ops staff may already have edited them.
"""

from decimal import Decimal

from django.db import migrations

SEED = [
    ("ES", "50", "E-mini S&P 500"),
    ("MES", "5", "Micro E-mini S&P 500"),
    ("NQ", "20", "E-mini Nasdaq-100"),
    ("MNQ", "2", "Micro E-mini Nasdaq-100"),
    ("RTY", "50", "E-mini Russell 2000"),
    ("M2K", "5", "Micro E-mini Russell 2000"),
    ("YM", "5", "E-mini Dow"),
    ("MYM", "0.5", "Micro E-mini Dow"),
    ("CL", "1000", "Crude oil"),
    ("MCL", "100", "Micro crude oil"),
    ("QM", "500", "E-mini crude oil"),
    ("NG", "10000", "Natural gas"),
    ("GC", "100", "Gold"),
    ("MGC", "10", "Micro gold"),
    ("SI", "5000", "Silver"),
    ("SIL", "1000", "Micro silver"),
    ("HG", "25000", "Copper"),
    ("ZB", "1000", "30-year Treasury bond"),
    ("ZN", "1000", "10-year Treasury note"),
    ("ZF", "1000", "5-year Treasury note"),
    ("ZT", "2000", "2-year Treasury note"),
    ("6E", "125000", "Euro FX"),
    ("M6E", "12500", "Micro Euro FX"),
    ("6B", "62500", "British pound"),
    ("6J", "12500000", "Japanese yen"),
    ("ZC", "50", "Corn"),
    ("ZS", "50", "Soybeans"),
    ("ZW", "50", "Wheat"),
    ("BTC", "5", "Bitcoin"),
    ("MBT", "0.1", "Micro bitcoin"),
]


def seed(apps, schema_editor):
    ContractMultiplier = apps.get_model("post_mortem", "ContractMultiplier")
    for root, value, description in SEED:
        ContractMultiplier.objects.get_or_create(
            root=root, defaults={"multiplier": Decimal(value), "description": description}
        )


def unseed(apps, schema_editor):
    ContractMultiplier = apps.get_model("post_mortem", "ContractMultiplier")
    for root, value, _description in SEED:
        ContractMultiplier.objects.filter(root=root, multiplier=Decimal(value)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("post_mortem", "0003_scale_recover_schedule"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
