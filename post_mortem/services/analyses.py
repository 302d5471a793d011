"""Analysis runs: turn trades into post-mortems, in chunks, retry-safe.

Flow: ``analysis_run_start`` creates a JobRun (kind ANALYSIS) and RunChunk rows (trades ordered by
account and entry time, so a chunk needs the history of one or two accounts only), and enqueues one
django-q2 task per chunk after commit. Each task claims its chunk (``chunk_claim``: one conditional
UPDATE, so two workers never both get it), computes facts column-wise, runs the engine on plain
data, then saves the analyses *and* marks the chunk done in one transaction. Analysis creates no
tracked Recommendation: per-trade opportunities stay on the post-mortem until a person acts on one.

Retry safety: saving is a replace (one TradeAnalysis per trade), and the run's counters move only
when the chunk's status flips from RUNNING to DONE, so a retried or re-claimed chunk can neither
double count nor duplicate rows. A trade the engine could not analyse keeps its previous analysis
untouched; the reason is recorded on the run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import orjson
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..engines.base import EngineFailure
from ..llm import claude as llm
from ..models import (
    ChunkStatus,
    JobRun,
    RunChunk,
    RunKind,
    Trade,
    TradeAnalysis,
)
from ..selectors.analyses import analysis_facts_for, trade_notes_for
from .runs import (
    MAX_CHUNK_ATTEMPTS,
    chunk_claim,
    chunk_complete,
    chunk_execute,
    chunk_release,
    enqueue_after_commit,
    run_create,
    run_create_chunks,
)

logger = logging.getLogger(__name__)

ENGINES = ("rules", "claude")
CHUNK_TASK = "post_mortem.tasks.analysis.analyze_chunk"
BATCH_SUBMIT_TASK = "post_mortem.tasks.analysis.submit_batch_chunk"
BATCH_POLL_TASK = "post_mortem.tasks.analysis.poll_batches"
BATCH_POLL_SCHEDULE = "analysis: poll Claude message batches"
# One Claude call takes seconds: a claude chunk holds at most this many trades so it finishes well
# inside the django-q2 task timeout (Q_TIMEOUT) and a retry redoes little. Batches are not capped.
CLAUDE_MAX_CHUNK = 25
ANALYSIS_FIELDS = (
    "analysis_data",
    "facts",
    "success_score",
    "primary_factors",
    "opportunity_impacts",
    "engine",
    "model",
    "prompt_version",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_creation_tokens",
    "cost_usd",
    "run",
    "updated_at",
)


def analysis_default_engine() -> str:
    """claude when a key is set, else rules (``POST_MORTEM_ENGINE`` overrides)."""
    return settings.POST_MORTEM_ENGINE


def _resolve_engine(engine: str | None) -> str:
    name = (engine or analysis_default_engine()).strip().lower()
    if name not in ENGINES:
        raise ValidationError({"engine": f"Unknown engine {engine!r}; expected one of: {', '.join(ENGINES)}."})
    if name == "claude" and not llm.is_configured():
        raise ValidationError({"engine": "The claude engine needs ANTHROPIC_API_KEY; use the rules engine offline."})
    return name


def _selection(*, trade_ids: Sequence[int] | None, queryset: QuerySet[Trade] | None) -> QuerySet[Trade]:
    if trade_ids is not None:
        qs = Trade.objects.filter(id__in={int(t) for t in trade_ids})
        return qs & queryset if queryset is not None else qs
    return queryset


def _ordered_ids(*, trade_ids: Sequence[int] | None, queryset: QuerySet[Trade] | None) -> list[int]:
    if trade_ids is None and queryset is None:
        raise ValidationError({"trade_ids": "Give trade ids or a queryset of trades."})
    if trade_ids is not None:
        try:
            wanted = {int(t) for t in trade_ids}
        except (TypeError, ValueError) as exc:
            raise ValidationError({"trade_ids": f"Trade ids must be integers: {exc}"}) from exc
        qs = Trade.objects.filter(id__in=wanted)
        if queryset is not None:
            qs = qs & queryset
    else:
        wanted = None
        qs = queryset
    ids = list(qs.order_by("account", "entry_time", "id").values_list("id", flat=True))
    if wanted is not None and len(ids) != len(wanted):
        missing = sorted(wanted - set(ids))
        raise ValidationError({"trade_ids": f"Unknown trade ids: {missing[:20]}{' ...' if len(missing) > 20 else ''}"})
    if not ids:
        raise ValidationError({"trade_ids": "No trades to analyze."})
    return ids


def _run_prepare(
    *,
    trade_ids: Sequence[int] | None,
    queryset: QuerySet[Trade] | None,
    engine: str | None,
    requested_by: AbstractBaseUser | None,
    chunk_size: int,
    use_batches: bool,
) -> tuple[JobRun, list[RunChunk]]:
    name = _resolve_engine(engine)
    if chunk_size < 1:
        raise ValidationError({"chunk_size": "Must be at least 1."})
    if use_batches and name != "claude":
        raise ValidationError({"use_batches": "Message Batches apply to the claude engine only."})
    ids = _ordered_ids(trade_ids=trade_ids, queryset=queryset)
    if name == "claude" and not use_batches:
        chunk_size = min(chunk_size, CLAUDE_MAX_CHUNK)
    params: dict[str, Any] = {"engine": name, "chunk_size": chunk_size, "use_batches": use_batches}
    if name == "claude":
        params["model"] = llm.default_model()
    run = run_create(kind=RunKind.ANALYSIS, params=params, created_by=requested_by)
    chunks = run_create_chunks(run=run, units=ids, chunk_size=chunk_size)
    return run, chunks


def analysis_run_start(
    *,
    trade_ids: Sequence[int] | None = None,
    queryset: QuerySet[Trade] | None = None,
    engine: str | None = None,
    requested_by: AbstractBaseUser | None = None,
    chunk_size: int = 500,
    use_batches: bool = False,
) -> JobRun:
    """Create an analysis run and enqueue one task per chunk once the transaction commits.

    Returns the run at once so the caller (admin action, API, command) can show its page.
    Raises ValidationError naming the field for an unknown engine, missing trades or no key.
    """
    with transaction.atomic():
        run, chunks = _run_prepare(
            trade_ids=trade_ids,
            queryset=queryset,
            engine=engine,
            requested_by=requested_by,
            chunk_size=chunk_size,
            use_batches=use_batches,
        )
        task = BATCH_SUBMIT_TASK if use_batches else CHUNK_TASK
        if use_batches:
            ensure_batch_poll_schedule()
        for chunk in chunks:
            enqueue_after_commit(task, chunk.pk, task_name=f"analysis run {run.pk} chunk {chunk.seq}")
    return run


def analysis_run_sync(
    *,
    trade_ids: Sequence[int] | None = None,
    queryset: QuerySet[Trade] | None = None,
    engine: str | None = None,
    requested_by: AbstractBaseUser | None = None,
    chunk_size: int = 500,
    progress: Callable[[JobRun], None] | None = None,
) -> JobRun:
    """Run an analysis inline (command ``--sync``, benchmark): the same chunks and saves as the tasks.

    Facts are computed once for the whole set (one trade-history read instead of one per chunk).
    """
    run, chunks = _run_prepare(
        trade_ids=trade_ids,
        queryset=queryset,
        engine=engine,
        requested_by=requested_by,
        chunk_size=chunk_size,
        use_batches=False,
    )
    ids = [t for c in chunks for t in c.payload]
    facts = analysis_facts_for(trade_ids=ids, targets=_selection(trade_ids=trade_ids, queryset=queryset))
    for chunk in chunks:
        for _attempt in range(MAX_CHUNK_ATTEMPTS):
            try:
                analysis_chunk_process(chunk_id=chunk.pk, facts=facts)
                break
            except Exception:
                logger.exception("analysis run %s chunk %s failed; retrying", run.pk, chunk.seq)
        if progress:
            run.refresh_from_db()
            progress(run)
    run.refresh_from_db()
    return run


def analysis_chunk_process(*, chunk_id: int, facts: dict[int, dict[str, Any]] | None = None) -> RunChunk | None:
    """Claim a chunk and analyse its trades through the shared chunk runner; None when the chunk is
    done or held by another worker. A transient error gives the chunk back (the task retries);
    after the last attempt its trades are recorded as failed so the run still finishes."""
    return chunk_execute(chunk_id=chunk_id, work=lambda chunk: _analyze_chunk(chunk, facts))


def _analyze_chunk(chunk: RunChunk, facts: dict[int, dict[str, Any]] | None) -> None:
    run = chunk.run
    ids = [int(t) for t in chunk.payload]
    if facts is None or any(t not in facts for t in ids):
        facts = analysis_facts_for(trade_ids=ids)
    engine = run.params.get("engine", "rules")
    results: dict[int, dict[str, Any]] = {}
    failures: list[dict[str, Any]] = []
    present = [t for t in ids if t in facts]
    failures += [{"ref": t, "reason": "The trade no longer exists."} for t in ids if t not in facts]
    if engine == "rules":
        from ..engines.rules import analyze_dict

        for tid in present:
            results[tid] = analyze_dict(facts[tid])
    else:
        from ..engines.claude import ClaudeEngine

        claude = ClaudeEngine(model=run.params.get("model"))
        notes = trade_notes_for(trade_ids=present)
        for tid in present:
            try:
                results[tid] = claude.analyze(facts[tid], notes=notes.get(tid, "")).model_dump()
            except EngineFailure as exc:
                failures.append({"ref": tid, "reason": exc.reason})
    analysis_chunk_save(chunk=chunk, results=results, facts=facts, failures=failures)


def analysis_chunk_save(
    *,
    chunk: RunChunk,
    results: dict[int, dict[str, Any]],
    facts: dict[int, dict[str, Any]],
    failures: Sequence[dict[str, Any]] = (),
) -> None:
    """Save a chunk's analyses and complete the chunk, all in one transaction."""
    tokens_in = sum(r.get("input_tokens", 0) + r.get("cache_read_tokens", 0) for r in results.values())
    tokens_out = sum(r.get("output_tokens", 0) for r in results.values())
    cost = sum((Decimal(str(r.get("cost_usd", 0))) for r in results.values()), Decimal(0))
    with transaction.atomic():
        analyses_save(run_id=chunk.run_id, results=results, facts=facts)
        chunk_complete(
            chunk=chunk,
            succeeded=len(results),
            failures=list(failures),
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost_usd=cost,
        )


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _prep(model: type[models.Model], name: str) -> Callable[[Any], Any]:
    """The field's own DB conversion (JSON, decimals, datetimes), so SQLite and PostgreSQL both work.

    On SQLite a JSON column is plain text, so compact JSON is written directly (what JSONField
    does there, minus the separators' whitespace and the per-call overhead), encoded by orjson:
    encoding each post-mortem and its facts was a quarter of an analysis run's CPU with ``json``.
    A value orjson refuses falls back to ``json`` (which raises on anything unencodable).
    """
    field = model._meta.get_field(name)
    if connection.vendor == "sqlite" and isinstance(field, models.JSONField):
        fallback = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode

        def encode(value: Any) -> str:
            try:
                return orjson.dumps(value).decode()
            except TypeError:
                return fallback(value)

        return encode
    return lambda value: field.get_db_prep_save(value, connection)


def _ids_by_trade(trade_ids: Sequence[int]) -> dict[int, int]:
    """trade id -> analysis id, read with plain SQL in batches (the ORM's IN handling costs more here)."""
    table = _quote(TradeAnalysis._meta.db_table)
    out: dict[int, int] = {}
    with connection.cursor() as cursor:
        for batch in _batches(list(trade_ids)):
            marks = ", ".join(["%s"] * len(batch))
            cursor.execute(f"SELECT trade_id, id FROM {table} WHERE trade_id IN ({marks})", batch)  # noqa: S608
            out.update(cursor.fetchall())
    return out


def _executemany(sql: str, rows: list[list[Any]]) -> None:
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            cursor.executemany(sql, rows[start : start + 1000])


def _insert_sql(model: type[models.Model], columns: Sequence[str]) -> str:
    cols = ", ".join(_quote(c) for c in columns)
    # Identifiers come from model metadata (quoted); every value is a parameter.
    marks = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {_quote(model._meta.db_table)} ({cols}) VALUES ({marks})"  # noqa: S608


def _batches(values: Sequence[Any], size: int = 500):
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def opportunity_impacts(result: dict[str, Any]) -> dict[str, float | None]:
    """{type_code: expected R} of a result's opportunities (the compact copy prioritisation reads)."""
    opportunities = result["analysis_data"].get("improvement_opportunities", [])
    return {o["type_code"]: o.get("expected_impact_r") for o in opportunities}


def analyses_save(
    *, run_id: int | None, results: dict[int, dict[str, Any]], facts: dict[int, dict[str, Any]]
) -> dict[int, int]:
    """Upsert one TradeAnalysis per trade; its opportunities live in ``analysis_data`` only.

    Bulk SQL only (``executemany`` with each field's own DB conversion): model instances and per-row
    signals cost 10x more at 100k trades. Returns trade id -> analysis id. No Recommendation is
    written: one exists only once a person acts on an opportunity (``track_recommendation``), and a
    re-analysis keeps the analysis row (an UPDATE), so such tracked recommendations stay linked.
    Call inside a transaction.
    """
    if not results:
        return {}
    now = timezone.now()
    ta = TradeAnalysis
    now_db = _prep(ta, "updated_at")(now)
    json_a, json_f, json_p = _prep(ta, "analysis_data"), _prep(ta, "facts"), _prep(ta, "primary_factors")
    json_o = _prep(ta, "opportunity_impacts")
    money = _prep(ta, "cost_usd")
    existing = _ids_by_trade(list(results))

    def values(tid: int, res: dict[str, Any]) -> list[Any]:
        return [
            json_a(res["analysis_data"]),
            json_f(facts[tid]),
            res["success_score"],
            json_p(res["primary_factors"]),
            json_o(opportunity_impacts(res)),
            res["engine"],
            res.get("model", ""),
            res.get("prompt_version", ""),
            res.get("input_tokens", 0),
            res.get("output_tokens", 0),
            res.get("cache_read_tokens", 0),
            res.get("cache_creation_tokens", 0),
            money(Decimal(str(res.get("cost_usd", 0))).quantize(Decimal("0.000001"))),
            run_id,
            now_db,
        ]

    columns = [*ANALYSIS_FIELDS[:-2], "run_id", "updated_at"]
    inserts = [[tid, *values(tid, res), now_db] for tid, res in results.items() if tid not in existing]
    updates = [[*values(tid, res), existing[tid]] for tid, res in results.items() if tid in existing]
    if inserts:
        _executemany(_insert_sql(ta, ["trade_id", *columns, "created_at"]), inserts)
    if updates:
        assignments = ", ".join(f"{_quote(c)} = %s" for c in columns)
        table = _quote(ta._meta.db_table)
        _executemany(f"UPDATE {table} SET {assignments} WHERE {_quote('id')} = %s", updates)  # noqa: S608
    analysis_ids = dict(existing)
    if inserts:
        analysis_ids.update(_ids_by_trade([row[0] for row in inserts]))

    return analysis_ids


def analysis_reanalyze(
    *, trade: Trade, engine: str | None = None, requested_by: AbstractBaseUser | None = None
) -> JobRun:
    """Re-analyse one trade (admin "Re-analyze" on a trade or an analysis)."""
    return analysis_run_start(trade_ids=[trade.pk], engine=engine, requested_by=requested_by, chunk_size=1)


# --- Message Batches (claude, half price) ---------------------------------------------------


def ensure_batch_poll_schedule() -> None:
    """Create the django-q2 schedule that polls submitted batches, once (idempotent by name)."""
    from django_q.models import Schedule

    Schedule.objects.get_or_create(
        name=BATCH_POLL_SCHEDULE,
        defaults={"func": BATCH_POLL_TASK, "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1},
    )


def analysis_batch_submit(*, chunk_id: int) -> str | None:
    """Claim a chunk and submit its trades as one Message Batch; the poller collects the results."""
    from ..engines.claude import request_params

    chunk = chunk_claim(chunk_id=chunk_id)
    if chunk is None:
        return None
    ids = [int(t) for t in chunk.payload]
    facts = analysis_facts_for(trade_ids=ids)
    notes = trade_notes_for(trade_ids=ids)
    model = chunk.run.params.get("model")
    requests = [(str(t), request_params(facts[t], notes=notes.get(t, ""), model=model)) for t in ids if t in facts]
    try:
        batch_id = llm.batch_submit(requests)
    except llm.LLMError as exc:
        if chunk.attempts >= MAX_CHUNK_ATTEMPTS or not exc.retryable:
            chunk_complete(chunk=chunk, succeeded=0, failures=[{"ref": t, "reason": exc.reason} for t in ids])
            return None
        chunk_release(chunk=chunk, error=exc.reason)
        raise
    with transaction.atomic():
        run = JobRun.objects.select_for_update().get(pk=chunk.run_id)
        batches = dict(run.result.get("batches", {}))
        batches[str(chunk.pk)] = batch_id
        run.result = {**run.result, "batches": batches}
        run.save(update_fields=["result"])
    return batch_id


def analysis_batches_collect() -> int:
    """Poll every open batch; collect ended ones with the same validation as direct replies.

    Returns how many chunks were completed. Safe to run from several schedulers: completing a
    chunk only counts once (chunk status RUNNING -> DONE).
    """
    from ..engines.claude import TOOL_NAME, result_from_reply

    completed = 0
    runs = JobRun.objects.filter(kind=RunKind.ANALYSIS, params__use_batches=True, finished_at__isnull=True)
    for run in runs:
        for chunk_pk, batch_id in run.result.get("batches", {}).items():
            chunk = RunChunk.objects.select_related("run").filter(pk=int(chunk_pk), status=ChunkStatus.RUNNING).first()
            if chunk is None:
                continue
            status, _counts = llm.batch_poll(batch_id)
            if status != "ended":
                continue
            ids = [int(t) for t in chunk.payload]
            facts = analysis_facts_for(trade_ids=ids)
            notes = trade_notes_for(trade_ids=ids)
            results: dict[int, dict[str, Any]] = {}
            failures: list[dict[str, Any]] = []
            seen: set[int] = set()
            for custom_id, reply in llm.batch_results(batch_id, TOOL_NAME):
                tid = int(custom_id)
                seen.add(tid)
                if isinstance(reply, llm.LLMError) or tid not in facts:
                    reason = reply.reason if isinstance(reply, llm.LLMError) else "The trade no longer exists."
                    failures.append({"ref": tid, "reason": reason})
                    continue
                try:
                    results[tid] = result_from_reply(
                        facts[tid], reply, notes_chars=len(notes.get(tid, ""))
                    ).model_dump()
                except EngineFailure as exc:
                    failures.append({"ref": tid, "reason": exc.reason})
            failures += [{"ref": t, "reason": "No result in the batch."} for t in ids if t not in seen]
            analysis_chunk_save(chunk=chunk, results=results, facts=facts, failures=failures)
            completed += 1
    return completed
