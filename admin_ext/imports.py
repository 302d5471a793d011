"""Admin for ImportBatch. (ContractMultiplierAdmin and ImportLayoutAdmin live in admin_ext/brokers.py.)"""

from django.contrib import admin
from unfold.admin import ModelAdmin

from post_mortem.models import ImportBatch


@admin.register(ImportBatch)
class ImportBatchAdmin(ModelAdmin):
    pass
