"""The nightly run of one business day (F2, F4): netting, statements, files, manifest.

A run, in order:

1. **Watermark.** In a short transaction holding ``LOCK TABLE clearing_records IN SHARE MODE``
   (which waits for every intake transaction in flight and lets none start), read the highest
   intake ``sequence``: every record at or below it is committed, and every record committed later
   gets a higher one. The lock is released at once; intake goes on while the run computes.
2. **One transaction** (serialised across processes by an advisory lock): records of earlier days
   that arrived after their own day's run (``sequence`` above that run's watermark, at or below
   ours, not yet settled) are marked as settled today; one aggregate query sums the day's own
   records and those late ones by issuer, acquirer, store, flow and original day; the pure rules
   (settlement.rules) price each flow and assemble one statement per franchisee, refusing unless
   the nets sum to zero; statements, their content hashes, the manifest and the rendered files'
   hashes are stored; the run is COMPLETED.
3. **Files** are written after the commit (atomically, by rename) under
   ``<statements dir>/<business date>/`` with ``manifest.json``. They are deterministic, so a
   missing or altered file is rendered again from the database, byte for byte.

A day already COMPLETED is never computed again: running it returns the stored run (F4). A failure
rolls everything back and leaves a FAILED run row with the reason; running the day again retries.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition
from chaincard.v1 import settlement_pb2
from settlement import documents
from settlement.documents import StatementDocument
from settlement.hq import ChainTerms, ConfigSource
from settlement.models import ClearingRecord, SettlementRun, Statement, StatementFile
from settlement.rules import ClearingGroup, FlowKind, MissingFeeSchedule, StatementDraft, assemble_statements
from settlement.statements import (
    COMPLETED,
    FAILED,
    completed_run,
    load_document,
    run_message,
    statement_message,
    timestamp,
)

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key serialising runs across processes ("settle" in ASCII).
_RUN_LOCK_KEY = 0x736574746C65
MANIFEST_FILE = "manifest.json"


@dataclass
class RunTimings:
    """Seconds spent in each phase of the last computed run (for the benchmark)."""

    watermark: float = 0.0
    aggregate: float = 0.0
    rules: float = 0.0
    files: float = 0.0
    store: float = 0.0
    write: float = 0.0
    marks: dict[str, float] = field(default_factory=dict)


def business_day_closed(day: date, now: datetime, time_zone: str, cutoff: str) -> bool:
    """True once the day's cut-off has passed: the business day D ends at D+1 cut-off, local time."""
    hours, minutes = (int(part) for part in cutoff.split(":"))
    end = datetime.combine(day + timedelta(days=1), time(hours, minutes), ZoneInfo(time_zone))
    return now >= end


class SettlementRunner:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        config: ConfigSource,
        *,
        statements_dir: Path,
        clock: Callable[[], datetime] = utc_now,
        time_zone: str = "Asia/Shanghai",
        cutoff: str = "04:00",
        render_files: bool = True,
    ) -> None:
        self.session_factory = session_factory
        self.config = config
        self.statements_dir = Path(statements_dir)
        self.clock = clock
        self.time_zone = time_zone
        self.cutoff = cutoff
        self.render_files = render_files
        self.timings = RunTimings()
        self._lock = threading.Lock()

    # ---- the run ------------------------------------------------------------------------------------
    def run(self, business_day: date, *, close_early: bool = False) -> settlement_pb2.SettlementRun:
        """Settle ``business_day`` (or return its completed run, changing nothing)."""
        with self._lock:
            with self.session_factory() as session:
                existing = completed_run(session, business_day)
                if existing is not None:
                    answer = run_message(existing)
            if existing is not None:
                self.write_files(business_day)
                return answer
            if not close_early and not self.is_closed(business_day):
                raise FailedPrecondition(
                    f"business day {business_day.isoformat()} is still open: it ends at {self.cutoff} ({self.time_zone}) "
                    "the next day")
            terms = ChainTerms.of(self.config.snapshot())
            started = self.clock().astimezone(UTC).replace(microsecond=0)
            self.timings = RunTimings()
            try:
                watermark = self._take_watermark()
                row, rendered = self._settle(business_day, terms, watermark, started)
            except MissingFeeSchedule as error:
                self._record_failure(business_day, started, str(error))
                raise FailedPrecondition(str(error)) from error
            except Exception as error:
                self._record_failure(business_day, started, f"{type(error).__name__}: {error}")
                raise
            mark = _Stopwatch()
            self.write_files(business_day, rendered=rendered)
            self.timings.write = mark.lap()
            log.info("settlement run completed", extra={"fields": {
                "business_date": business_day.isoformat(), "run_id": row.run_id, "statements": row.statement_count,
                "records": row.clearing_record_count, "late": row.late_record_count}})
            return run_message(row)

    def is_closed(self, business_day: date) -> bool:
        return business_day_closed(business_day, self.clock(), self.time_zone, self.cutoff)

    def _take_watermark(self) -> int:
        mark = _Stopwatch()
        with self.session_factory() as session, session.begin():
            if _is_postgres(session):
                session.execute(text("LOCK TABLE clearing_records IN SHARE MODE"))
            watermark = int(session.execute(select(func.coalesce(func.max(ClearingRecord.sequence), 0))).scalar_one())
        self.timings.watermark = mark.lap()
        return watermark

    def _settle(self, day: date, terms: ChainTerms, watermark: int, started: datetime) -> tuple[SettlementRun, dict[str, bytes]]:
        mark = _Stopwatch()
        with self.session_factory() as session, session.begin():
            if _is_postgres(session):
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _RUN_LOCK_KEY})
                # Tens of thousands of groups: let the aggregate hash in memory rather than sort a day.
                session.execute(text("SET LOCAL work_mem = '128MB'"))
            again = completed_run(session, day)
            if again is not None:  # another process settled it meanwhile
                return again, {}
            failed = session.get(SettlementRun, day)
            if failed is not None:
                session.delete(failed)
                session.flush()
            _mark_late_records(session, day, watermark)
            groups = aggregate_groups(session, day, watermark)
            self.timings.aggregate = mark.lap()

            schedule = terms.schedule_for(day)
            if schedule is None:
                raise MissingFeeSchedule(day)
            drafts = assemble_statements(groups, business_day=day, rates_for=terms.rates_for,
                                         company_franchisee_id=terms.company_franchisee_id,
                                         franchisee_ids=terms.franchisee_names)
            names = {fid: terms.franchisee_names.get(fid, fid) for fid in drafts}
            statements = {fid: build_statement(draft, names[fid], day, schedule, started) for fid, draft in drafts.items()}
            manifest = build_manifest(day, statements)
            run_id = f"SR-{day.isoformat()}-{manifest.manifest_sha256_hex[:8]}"
            directory = {"franchisees": dict(sorted(names.items())), "stores": self._store_names(terms, drafts),
                         "time_zone": self.time_zone, "cutoff": self.cutoff}
            self.timings.rules = mark.lap()

            rendered: dict[str, bytes] = {}
            files: list[StatementFile] = []
            for fid, statement in statements.items():
                document = StatementDocument(statement, drafts[fid].memo, run_id, directory)
                for file_format in documents.FORMATS if self.render_files else ():
                    content = documents.render(document, file_format)
                    name = document.file_name(file_format)
                    rendered[name] = content
                    files.append(StatementFile(statement_id=statement.statement_id, file_format=file_format, business_date=day,
                                               file_name=name, sha256=hashlib.sha256(content).hexdigest(),
                                               size_bytes=len(content)))
            self.timings.files = mark.lap()

            own = sum(g.transaction_count for g in groups if g.original_business_date is None)
            late = sum(g.transaction_count for g in groups if g.original_business_date is not None)
            row = SettlementRun(
                business_date=day, run_id=run_id, state=COMPLETED, started_at=started, completed_at=self.clock(),
                watermark_sequence=watermark, clearing_record_count=own, late_record_count=late,
                statement_count=len(statements), fee_schedule=schedule.SerializeToString(deterministic=True),
                manifest=manifest.SerializeToString(deterministic=True), manifest_sha256=manifest.manifest_sha256_hex,
                net_total_fen=manifest.net_total_fen, directory=directory, error_message="",
            )
            session.add(row)
            session.flush()
            session.add_all([
                Statement(statement_id=statement.statement_id, business_date=day, franchisee_id=fid,
                          franchisee_name=statement.franchisee_name, net_fen=statement.net_fen,
                          receivable_fen=statement.receivable_fen, payable_fen=statement.payable_fen,
                          fees_fen=statement.fees_fen, line_count=len(statement.lines),
                          content_sha256=statement.content_sha256_hex, document=statement.SerializeToString(deterministic=True),
                          memo=[memo.as_dict() for memo in drafts[fid].memo])
                for fid, statement in statements.items()
            ])
            session.flush()
            session.add_all(files)
        self.timings.store = mark.lap()
        return row, rendered

    @staticmethod
    def _store_names(terms: ChainTerms, drafts: dict[str, StatementDraft]) -> dict[str, str]:
        used = {line.store_id for draft in drafts.values() for line in draft.lines}
        used |= {memo.store_id for draft in drafts.values() for memo in draft.memo}
        snapshot_names = terms.store_names
        return {store: snapshot_names.get(store, "") for store in sorted(used)}

    def _record_failure(self, day: date, started: datetime, message: str) -> None:
        log.error("settlement run failed", extra={"fields": {"business_date": day.isoformat(), "error": message}})
        try:
            with self.session_factory() as session, session.begin():
                if completed_run(session, day) is not None:
                    return
                row = session.get(SettlementRun, day) or SettlementRun(business_date=day)
                row.run_id, row.state, row.started_at, row.completed_at = "", FAILED, started, self.clock()
                row.watermark_sequence = row.clearing_record_count = row.late_record_count = row.statement_count = 0
                row.fee_schedule, row.manifest, row.manifest_sha256, row.net_total_fen = b"", b"", "", 0
                row.directory, row.error_message = {}, message[:2000]
                session.add(row)
        except Exception:  # noqa: BLE001 - the original error is what the caller must see
            log.exception("could not record the failed run")

    # ---- files --------------------------------------------------------------------------------------
    def day_dir(self, day: date) -> Path:
        return self.statements_dir / day.isoformat()

    def write_files(self, day: date, *, rendered: dict[str, bytes] | None = None) -> Path:
        """Make the day's files on disk match the manifest, rendering any missing or altered one."""
        rendered = rendered or {}
        folder = self.day_dir(day)
        with self.session_factory() as session:
            run = completed_run(session, day)
            if run is None:
                raise FailedPrecondition(f"business day {day.isoformat()} is not settled")
            files = session.execute(
                select(StatementFile).where(StatementFile.business_date == day).order_by(StatementFile.file_name)
            ).scalars().all()
            folder.mkdir(parents=True, exist_ok=True)
            for file in files:
                target = folder / file.file_name
                if target.exists() and _sha256_of(target) == file.sha256:
                    continue
                content = rendered.get(file.file_name)
                if content is None:
                    content = documents.render(load_document(session, file.statement_id), file.file_format)
                if hashlib.sha256(content).hexdigest() != file.sha256:
                    raise RuntimeError(f"{file.file_name} no longer renders to the hash in the manifest")
                _write_atomically(target, content)
            manifest = files_manifest(session, run, files)
        _write_atomically(folder / MANIFEST_FILE, manifest)
        return folder


def files_manifest(session: Session, run: SettlementRun, files: list[StatementFile]) -> bytes:
    """manifest.json: the run, every statement with its content hash and net, every file's SHA-256."""
    statements = session.execute(
        select(Statement).where(Statement.business_date == run.business_date).order_by(Statement.franchisee_id)
    ).scalars().all()
    by_statement: dict[str, list[dict[str, object]]] = {}
    for file in files:
        by_statement.setdefault(file.statement_id, []).append(
            {"file_name": file.file_name, "format": file.file_format, "sha256": file.sha256, "size_bytes": file.size_bytes})
    body = {
        "run_id": run.run_id,
        "business_date": run.business_date.isoformat(),
        "generated_at": run.started_at.astimezone(UTC).isoformat(),
        "net_total_fen": run.net_total_fen,
        "manifest_sha256_hex": run.manifest_sha256,
        "clearing_record_count": run.clearing_record_count,
        "late_record_count": run.late_record_count,
        "statements": [
            {"franchisee_id": row.franchisee_id, "franchisee_name": row.franchisee_name, "statement_id": row.statement_id,
             "net_fen": row.net_fen, "content_sha256_hex": row.content_sha256,
             "files": sorted(by_statement.get(row.statement_id, []), key=lambda item: str(item["file_name"]))}
            for row in statements
        ],
    }
    return (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


# ---- queries --------------------------------------------------------------------------------------
def _mark_late_records(session: Session, day: date, watermark: int) -> None:
    """Records of an already settled earlier day that its run did not see: settled today."""
    session.execute(
        update(ClearingRecord)
        .where(
            ClearingRecord.settled_business_date.is_(None),
            ClearingRecord.business_date < day,
            ClearingRecord.sequence <= watermark,
            ClearingRecord.business_date == SettlementRun.business_date,
            SettlementRun.state == COMPLETED,
            ClearingRecord.sequence > SettlementRun.watermark_sequence,
        )
        .values(settled_business_date=day)
        .execution_options(synchronize_session=False)
    )


def aggregate_groups(session: Session, day: date, watermark: int) -> list[ClearingGroup]:
    """The one aggregate of a run: the day's own cross-franchise records (up to the watermark) and
    the late ones settled today, summed by issuer, acquirer, store, flow, type and original day."""
    record = ClearingRecord
    keys = (record.issuing_franchisee_id, record.acquiring_franchisee_id, record.settling_store_id, record.flow_kind,
            record.transaction_type)
    sums = (func.count(), func.sum(record.principal_delta_fen), func.sum(record.bonus_delta_fen),
            func.sum(record.points_delta), func.sum(record.count_uses_delta))
    cross = (record.issuing_franchisee_id != record.acquiring_franchisee_id, record.acquiring_franchisee_id != "",
             record.issuing_franchisee_id != "")
    own = (
        select(*keys, literal(None, type_=record.business_date.type).label("original"), *sums)
        .where(record.business_date == day, record.sequence <= watermark, *cross)
        .group_by(*keys)
    )
    late = (
        select(*keys, record.business_date.label("original"), *sums)
        .where(record.settled_business_date == day, *cross)
        .group_by(*keys, record.business_date)
    )
    rows = session.execute(own.union_all(late)).all()
    return [
        ClearingGroup(issuing, acquiring, store, FlowKind(flow), kind, original, int(count), int(principal or 0),
                      int(bonus or 0), int(points or 0), int(uses or 0))
        for issuing, acquiring, store, flow, kind, original, count, principal, bonus, points, uses in rows
    ]


# ---- messages -------------------------------------------------------------------------------------
def build_statement(draft: StatementDraft, name: str, day: date, schedule, generated_at: datetime) -> settlement_pb2.Statement:  # type: ignore[no-untyped-def]
    statement = settlement_pb2.Statement(
        statement_id=f"ST-{day.isoformat()}-{draft.franchisee_id}",
        franchisee_id=draft.franchisee_id,
        franchisee_name=name,
        business_date=day.isoformat(),
        lines=[
            settlement_pb2.StatementLine(
                line_number=number, flow=int(line.flow), counterparty_franchisee_id=line.counterparty_franchisee_id,
                store_id=line.store_id, transaction_count=line.transaction_count, gross_fen=line.gross_fen,
                counterparty_fee_fen=line.counterparty_fee_fen, platform_fee_fen=line.platform_fee_fen, net_fen=line.net_fen,
                original_business_date=line.original_business_date.isoformat() if line.original_business_date else "",
            )
            for number, line in enumerate(draft.lines, start=1)
        ],
        receivable_fen=draft.receivable_fen,
        payable_fen=draft.payable_fen,
        fees_fen=draft.fees_fen,
        net_fen=draft.net_fen,
        fee_schedule=schedule,
        generated_at=timestamp(generated_at),
    )
    statement.content_sha256_hex = hashlib.sha256(statement.SerializeToString(deterministic=True)).hexdigest()
    return statement


def build_manifest(day: date, statements: dict[str, settlement_pb2.Statement]) -> settlement_pb2.SettlementManifest:
    manifest = settlement_pb2.SettlementManifest(
        business_date=day.isoformat(),
        entries=[
            settlement_pb2.ManifestEntry(franchisee_id=fid, statement_id=s.statement_id, net_fen=s.net_fen,
                                         content_sha256_hex=s.content_sha256_hex)
            for fid, s in sorted(statements.items())
        ],
        net_total_fen=sum(s.net_fen for s in statements.values()),
    )
    manifest.manifest_sha256_hex = hashlib.sha256(manifest.SerializeToString(deterministic=True)).hexdigest()
    return manifest


def verify_statement(row: Statement) -> bool:
    """True when a stored statement still hashes to its content hash (tamper evidence)."""
    statement = statement_message(row)
    claimed = statement.content_sha256_hex
    statement.content_sha256_hex = ""
    return hashlib.sha256(statement.SerializeToString(deterministic=True)).hexdigest() == claimed


# ---- helpers --------------------------------------------------------------------------------------
def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_atomically(target: Path, content: bytes) -> None:
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_bytes(content)
    temporary.replace(target)


class _Stopwatch:
    def __init__(self) -> None:
        import time as _time

        self._now = _time.perf_counter
        self._last = self._now()

    def lap(self) -> float:
        now = self._now()
        elapsed, self._last = now - self._last, now
        return elapsed
