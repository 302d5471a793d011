"""Admin registrations. Each area lives in its own module; importing them registers the admins."""

from . import (  # noqa: F401
    analyses,
    ask,
    audit,
    auth,
    brokers,
    dashboard,
    feedback,
    imports,
    logins,
    patterns,
    runs,
    tasks_queue,
    trades,
)
from .pagination import install as install_pagination

install_pagination()
