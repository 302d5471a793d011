"""django-q2 tasks for analysis runs: thin, they take ids and call the service."""

from __future__ import annotations

from ..services.analyses import analysis_batch_submit, analysis_batches_collect, analysis_chunk_process


def analyze_chunk(chunk_id: int) -> str:
    """Analyse one chunk. Retry-safe: a chunk already done (or held) is a no-op."""
    chunk = analysis_chunk_process(chunk_id=chunk_id)
    return "skipped (done or held by another worker)" if chunk is None else f"chunk {chunk.seq} done"


def submit_batch_chunk(chunk_id: int) -> str:
    batch_id = analysis_batch_submit(chunk_id=chunk_id)
    return f"submitted batch {batch_id}" if batch_id else "skipped"


def poll_batches() -> str:
    return f"{analysis_batches_collect()} chunks collected"
