"""Admin for JobRun."""

from django.contrib import admin
from unfold.admin import ModelAdmin

from post_mortem.models import JobRun


@admin.register(JobRun)
class JobRunAdmin(ModelAdmin):
    pass
