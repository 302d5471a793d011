"""Admin for Trade,MarketBar."""

from django.contrib import admin
from unfold.admin import ModelAdmin

from post_mortem.models import MarketBar, Trade


@admin.register(Trade)
class TradeAdmin(ModelAdmin):
    pass


@admin.register(MarketBar)
class MarketBarAdmin(ModelAdmin):
    pass
