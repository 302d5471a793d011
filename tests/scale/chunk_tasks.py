"""A minimal chunk task for the run-service tests: claims, records each unit once, completes.

It exercises the real claim/complete/recover path of post_mortem.services.runs without the
analysis engine, so the run machinery is tested on its own.
"""

from __future__ import annotations

from post_mortem.services.runs import chunk_claim, chunk_complete

WORKED: list[int] = []


def work_chunk(chunk_id: int) -> None:
    chunk = chunk_claim(chunk_id=chunk_id)
    if chunk is None:
        return
    WORKED.extend(chunk.payload)
    chunk_complete(chunk=chunk, succeeded=len(chunk.payload))


def slow_mark_chunk(chunk_id: int) -> None:
    """Used by the multi-process test: write one TradeAnalysis per trade slowly, in ONE transaction
    with chunk_complete, so a worker killed mid-chunk leaves nothing of that attempt behind."""
    import time

    from django.db import transaction

    from post_mortem.models import TradeAnalysis
    from post_mortem.services.runs import worker_name

    chunk = chunk_claim(chunk_id=chunk_id)
    if chunk is None:
        return
    delay = float(chunk.run.params.get("unit_delay", 0.05))
    with transaction.atomic():
        for trade_id in chunk.payload:
            TradeAnalysis.objects.update_or_create(
                trade_id=trade_id,
                defaults={
                    "analysis_data": {"performance_analysis": {"overall_evaluation": "test"}},
                    "facts": {"chunk": chunk.pk, "attempt": chunk.attempts, "worker": worker_name()},
                    "run_id": chunk.run_id,
                },
            )
            time.sleep(delay)
        chunk_complete(chunk=chunk, succeeded=len(chunk.payload))
