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
