"""Admin for Recommendation,ImpactAssessment,Experiment."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin

from post_mortem.models import Experiment, ImpactAssessment, Recommendation


@admin.register(Recommendation)
class RecommendationAdmin(SimpleHistoryAdmin, ModelAdmin):
    pass


@admin.register(ImpactAssessment)
class ImpactAssessmentAdmin(ModelAdmin):
    pass


@admin.register(Experiment)
class ExperimentAdmin(ModelAdmin):
    pass
