"""Create the Ops and Auditor groups with their permissions.

Ops import trades, run analyses, mining and plans, and change recommendation status.
Auditors read everything, history included, and change nothing.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

POST_MORTEM_MODELS = [
    "trade",
    "marketbar",
    "importbatch",
    "contractmultiplier",
    "importlayout",
    "tradeanalysis",
    "analysispattern",
    "improvementplan",
    "recommendation",
    "historicalrecommendation",
    "impactassessment",
    "experiment",
    "jobrun",
    "runchunk",
]
DJANGO_Q_MODELS = ["task", "success", "failure", "schedule", "ormq"]

OPS_WRITE = {
    "trade": ["add", "change", "delete"],
    "marketbar": ["add", "change"],
    "importbatch": ["add", "change"],
    "contractmultiplier": ["add", "change"],
    "importlayout": ["add", "change"],
    "tradeanalysis": ["add", "change"],
    "analysispattern": ["add"],
    "improvementplan": ["add", "change"],
    "recommendation": ["change"],
    "impactassessment": ["add"],
    "experiment": ["add", "change"],
    "jobrun": ["add"],
}


def _ensure_permissions(apps) -> None:
    # Permissions are normally created after migrate; a fresh database needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def create_groups(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(app_label: str, codenames: list[str]):
        return list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))

    view_codenames = [f"view_{m}" for m in POST_MORTEM_MODELS]
    q_view = [f"view_{m}" for m in DJANGO_Q_MODELS]

    auditor, _ = Group.objects.get_or_create(name="Auditor")
    auditor.permissions.set(perms("post_mortem", view_codenames) + perms("django_q", q_view))

    ops_codenames = view_codenames + [f"{verb}_{model}" for model, verbs in OPS_WRITE.items() for verb in verbs]
    ops, _ = Group.objects.get_or_create(name="Ops")
    ops.permissions.set(perms("post_mortem", ops_codenames) + perms("django_q", q_view))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Ops", "Auditor"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("post_mortem", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
