"""Admin for ImportBatch,ContractMultiplier,ImportLayout."""

from django.contrib import admin
from unfold.admin import ModelAdmin

from post_mortem.models import ContractMultiplier, ImportBatch, ImportLayout


@admin.register(ImportBatch)
class ImportBatchAdmin(ModelAdmin):
    pass


@admin.register(ContractMultiplier)
class ContractMultiplierAdmin(ModelAdmin):
    pass


@admin.register(ImportLayout)
class ImportLayoutAdmin(ModelAdmin):
    pass
