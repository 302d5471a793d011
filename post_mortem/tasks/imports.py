"""Background import tasks (django-q2): take the batch id, re-fetch, call the service."""

from __future__ import annotations

from typing import Any

from ..services.imports import trades_import_from_batch


def trades_import_task(batch_id: int) -> dict[str, Any] | None:
    """Import a stored upload. Safe to retry: a finished batch is skipped, the import is atomic."""
    result = trades_import_from_batch(batch_id=batch_id)
    if result is None:
        return None
    out = result.as_json()
    out["errors"] = out["errors"][:50]  # the task result is stored by django-q2; keep it small
    return out
