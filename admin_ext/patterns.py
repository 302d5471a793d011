"""Admin for AnalysisPattern,ImprovementPlan."""

from django.contrib import admin
from unfold.admin import ModelAdmin

from post_mortem.models import AnalysisPattern, ImprovementPlan


@admin.register(AnalysisPattern)
class AnalysisPatternAdmin(ModelAdmin):
    pass


@admin.register(ImprovementPlan)
class ImprovementPlanAdmin(ModelAdmin):
    pass
