"""django-q2's own admin pages, restyled with unfold (same behaviour, unfold's look)."""

from django.contrib import admin
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success
from unfold.admin import ModelAdmin

for model in (Failure, OrmQ, Schedule, Success):
    admin.site.unregister(model)


@admin.register(Success)
class SuccessAdmin(q_admin.TaskAdmin, ModelAdmin):
    pass


@admin.register(Failure)
class FailureAdmin(q_admin.FailAdmin, ModelAdmin):
    pass


@admin.register(Schedule)
class ScheduleAdmin(q_admin.ScheduleAdmin, ModelAdmin):
    pass


@admin.register(OrmQ)
class QueueAdmin(q_admin.QueueAdmin, ModelAdmin):
    pass
