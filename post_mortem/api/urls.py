"""Routes of the REST API under /api/post-mortem/."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = [*router.urls]
