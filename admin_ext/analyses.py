"""Admin for TradeAnalysis."""

from django.contrib import admin
from unfold.admin import ModelAdmin

from post_mortem.models import TradeAnalysis


@admin.register(TradeAnalysis)
class TradeAnalysisAdmin(ModelAdmin):
    pass
