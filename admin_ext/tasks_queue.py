"""django-q2's own admin pages, restyled with unfold (same behavior, unfold's look)."""

from django.contrib import admin
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success
from unfold.admin import ModelAdmin

# django-q2 registers OrmQ (the ORM broker's queue) only when the ORM broker is in use; with
# REDIS_URL set there is no such queue to show.
ORM_QUEUE = admin.site.is_registered(OrmQ)
for model in (Failure, Schedule, Success, *((OrmQ,) if ORM_QUEUE else ())):
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


class QueueAdmin(q_admin.QueueAdmin, ModelAdmin):
    pass


if ORM_QUEUE:
    admin.site.register(OrmQ, QueueAdmin)
