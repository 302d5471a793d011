"""Admin for the feedback loop, one module per page: recommendations (tracking, status page,
audited history), the prioritization page, impact assessments and experiments. The desk-wide
history list is ``admin_ext.audit``. Importing this package registers them."""

from . import experiments, impact, prioritization, recommendations  # noqa: F401
