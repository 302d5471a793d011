"""What every read-only API viewset shares: strict filters/ordering, model permissions, throttling."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets

from ..filters import StrictOrderingFilter
from ..pagination import DeskPagination
from ..permissions import DeskModelPermissions
from ..throttling import WriteRateThrottle


class DeskReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [DeskModelPermissions]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    pagination_class = DeskPagination
    throttle_classes = [WriteRateThrottle]
    lookup_value_regex = r"[0-9]+"
    list_serializer_class = None
    detail_serializer_class = None

    def get_serializer_class(self):
        if self.action == "retrieve" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return self.list_serializer_class or super().get_serializer_class()
