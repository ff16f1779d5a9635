"""The nightly run of one business day (F2, F4): netting, statements, files, manifest.

A run, in order:

1. **Watermark.** In a short transaction holding ``LOCK TABLE clearing_records IN SHARE MODE``
   (which waits for every intake transaction in flight and lets none start), read the highest
   intake ``sequence``: every record at or below it is committed, and every record committed later
   gets a higher one. The lock is released at once; intake goes on while the run computes.
2. **One transaction** (serialised across processes by an advisory lock): records of earlier days
   that arrived after their own day's run (``sequence`` above that run's watermark, at or below
   ours, not yet settled) are marked as settled today; one aggregate query sums the day's own
   records — from the running totals intake keeps (``clearing_totals``), less the day's few
   records above the watermark — and those late ones by issuer, acquirer, store, flow and
   original day; the pure rules (settlement.rules) price each flow and assemble one statement per
   franchisee, refusing unless the nets sum to zero; statements, their content hashes, the
   manifest, the rendered files' hashes and the Ed25519 signature of ``manifest.json`` are
   stored; the run is COMPLETED.
3. **Files** are written after the commit (atomically, by rename) under
   ``<statements dir>/<business date>/`` with ``manifest.json``, its signature and the public key
   (settlement.manifests). They are deterministic, so a missing or altered file is rendered again
   from the database, byte for byte.

A day already COMPLETED is never computed again: running it returns the stored run (F4). A failure
rolls everything back and leaves a FAILED run row with the reason; running the day again retries.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Label,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    outerjoin,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import table_of, utc_now
from chaincard.errors import FailedPrecondition
from chaincard.observability import metrics
from chaincard.security.tokens import SigningKey, SigningKeyStore
from chaincard.v1 import program_config_pb2, settlement_pb2
from settlement import documents
from settlement.clearing import reported_type
from settlement.documents import StatementDocument
from settlement.hq import ChainTerms, ConfigSource
from settlement.manifests import (
    DEFAULT_KEY_DIR_NAME,
    MANIFEST_FILE,
    PUBLIC_KEY_FILE,
    SIGNATURE_FILE,
    ListedStatement,
    manifest_json,
    public_key_pem,
)
from settlement.models import (
    ClearingCompanyReceivable,
    ClearingCountUse,
    ClearingCoupon,
    ClearingRecord,
    ClearingTotal,
    SettlementRun,
    Statement,
    StatementFile,
)
from settlement.rules import (
    ClearingGroup,
    CompanyReceivableLine,
    FlowKind,
    MissingFeeSchedule,
    StatementDraft,
    assemble_statements,
)
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


@dataclass
class _ComputedRun:
    """A run worked out in memory, before anything is stored or rendered."""

    day: date
    schedule: program_config_pb2.FeeSchedule
    drafts: dict[str, StatementDraft]
    statements: dict[str, settlement_pb2.Statement]
    manifest: settlement_pb2.SettlementManifest
    key: SigningKey
    directory: dict[str, object]
    own_records: int
    late_records: int

    @property
    def run_id(self) -> str:
        """Names the content: the day and the first 8 hex digits of the manifest's hash."""
        return f"SR-{self.day.isoformat()}-{self.manifest.manifest_sha256_hex[:8]}"


def business_day_closed(day: date, now: datetime, time_zone: str, cutoff: str) -> bool:
    """True once the day's cut-off has passed: the business day D ends at D+1 cut-off, local time."""
    hours, minutes = (int(part) for part in cutoff.split(":"))
    end = datetime.combine(day + timedelta(days=1), time(hours, minutes), ZoneInfo(time_zone))
    return now >= end


def _observe_run(result: str, seconds: float) -> None:
    """A run that computed a day (not one answered from a completed run): its result and duration."""
    metrics.SETTLEMENT_RUNS.labels(result).inc()
    metrics.SETTLEMENT_SECONDS.observe(seconds)


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
        signing_keys: SigningKeyStore | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.config = config
        self.statements_dir = Path(statements_dir)
        # The key signing manifest.json: by default in a directory beside the statements directory.
        self.signing_keys = signing_keys or SigningKeyStore(self.statements_dir.parent / DEFAULT_KEY_DIR_NAME)
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
            whole_run = _Stopwatch()
            try:
                watermark = self._take_watermark()
                with _cycle_collection(enabled=False):
                    row, rendered = self._settle(business_day, terms, watermark, started)
            except MissingFeeSchedule as error:
                self._record_failure(business_day, started, str(error))
                _observe_run("failed", whole_run.lap())
                raise FailedPrecondition(str(error)) from error
            except Exception as error:
                self._record_failure(business_day, started, f"{type(error).__name__}: {error}")
                _observe_run("failed", whole_run.lap())
                raise
            mark = _Stopwatch()
            self.write_files(business_day, rendered=rendered)
            self.timings.write = mark.lap()
            _observe_run("completed", whole_run.lap())
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
                # Late records may be a whole day's after an outage: let them hash in memory, not sort.
                session.execute(text("SET LOCAL work_mem = '64MB'"))
            again = completed_run(session, day)
            if again is not None:  # another process settled it meanwhile
                return again, {}
            failed = session.get(SettlementRun, day)
            if failed is not None:
                session.delete(failed)
                session.flush()
            _mark_late_records(session, day, watermark)
            groups = aggregate_groups(session, day, watermark)
            receivables = company_receivables(session, day, watermark)
            self.timings.aggregate = mark.lap()
            computed = self._compute(day, terms, groups, started, receivables)
            self.timings.rules = mark.lap()
            rendered, files = self._render(computed)
            self.timings.files = mark.lap()
            row = self._store(session, computed, files, watermark, started)
        self.timings.store = mark.lap()
        return row, rendered

    def _compute(self, day: date, terms: ChainTerms, groups: list[ClearingGroup], started: datetime,
                 receivables: dict[str, list[CompanyReceivableLine]] | None = None) -> _ComputedRun:
        """The statements and the manifest of the day (pure: nothing is stored yet)."""
        schedule = terms.schedule_for(day)
        if schedule is None:
            raise MissingFeeSchedule(day)
        drafts = assemble_statements(groups, business_day=day, rates_for=terms.rates_for,
                                     company_franchisee_id=terms.company_franchisee_id,
                                     franchisee_ids=[*terms.franchisee_names, *(receivables or {})])
        for fid, owed in (receivables or {}).items():
            drafts[fid].company_receivables = owed
        names = {fid: terms.franchisee_names.get(fid, fid) for fid in drafts}
        statements = {fid: build_statement(draft, names[fid], day, schedule, started) for fid, draft in drafts.items()}
        key = self.signing_keys.signing_key()
        manifest = build_manifest(day, statements, key)
        # Coupon and count-use groups count coupons and use groups, not records.
        records = [g for g in groups if g.flow_kind not in (FlowKind.COUPON, FlowKind.COUNT_USES)]
        directory: dict[str, object] = {"franchisees": dict(sorted(names.items())), "stores": self._store_names(terms, drafts),
                     "time_zone": self.time_zone, "cutoff": self.cutoff}
        return _ComputedRun(day, schedule, drafts, statements, manifest, key, directory,
                            own_records=sum(g.transaction_count for g in records if g.original_business_date is None),
                            late_records=sum(g.transaction_count for g in records if g.original_business_date is not None))

    def _render(self, computed: _ComputedRun) -> tuple[dict[str, bytes], list[StatementFile]]:
        """Every statement's files (unless ``render_files`` is off) and their hashes."""
        rendered: dict[str, bytes] = {}
        files: list[StatementFile] = []
        if not self.render_files:
            return rendered, files
        with _cycle_collection(enabled=True):  # the renderers' own objects do form cycles
            for fid, statement in computed.statements.items():
                document = StatementDocument(statement, computed.drafts[fid].memo, computed.run_id, computed.directory)
                for file_format in documents.FORMATS:
                    content = documents.render(document, file_format)
                    name = document.file_name(file_format)
                    rendered[name] = content
                    files.append(StatementFile(statement_id=statement.statement_id, file_format=file_format,
                                               business_date=computed.day, file_name=name,
                                               sha256=hashlib.sha256(content).hexdigest(), size_bytes=len(content)))
        return rendered, files

    def _store(self, session: Session, computed: _ComputedRun, files: list[StatementFile], watermark: int,
               started: datetime) -> SettlementRun:
        """Store the COMPLETED run, its statements and files, with manifest.json's signature."""
        manifest, day = computed.manifest, computed.day
        row = SettlementRun(
            business_date=day, run_id=computed.run_id, state=COMPLETED, started_at=started, completed_at=self.clock(),
            watermark_sequence=watermark, clearing_record_count=computed.own_records, late_record_count=computed.late_records,
            statement_count=len(computed.statements), fee_schedule=computed.schedule.SerializeToString(deterministic=True),
            manifest_sha256=manifest.manifest_sha256_hex, net_total_fen=manifest.net_total_fen, directory=computed.directory,
            error_message="",
        )
        listed = [ListedStatement(fid, s.franchisee_name, s.statement_id, s.net_fen, s.content_sha256_hex)
                  for fid, s in computed.statements.items()]
        signed = manifest_json(row, listed, files, manifest.signing_key_id)
        manifest.manifest_json_signature = computed.key.private_key.sign(signed)
        row.manifest = manifest.SerializeToString(deterministic=True)
        session.add(row)
        session.flush()
        # Core, not ORM objects: a busy day's statements carry tens of thousands of lines and memo items.
        session.execute(insert(table_of(Statement)), [
            {"statement_id": statement.statement_id, "business_date": day, "franchisee_id": fid,
             "franchisee_name": statement.franchisee_name, "net_fen": statement.net_fen,
             "receivable_fen": statement.receivable_fen, "payable_fen": statement.payable_fen, "fees_fen": statement.fees_fen,
             "line_count": len(statement.lines), "content_sha256": statement.content_sha256_hex,
             "document": statement.SerializeToString(deterministic=True),
             "memo": computed.drafts[fid].memo}
            for fid, statement in computed.statements.items()
        ])
        session.add_all(files)
        return row

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
            manifest_files = signed_manifest_files(session, run, files)
        for name, content in manifest_files.items():
            _write_atomically(folder / name, content)
        return folder


def signed_manifest_files(session: Session, run: SettlementRun, files: Sequence[StatementFile]) -> dict[str, bytes]:
    """manifest.json from the run's rows, its stored signature and the public key, by file name.

    Raises if the rows no longer give the bytes that were signed (they must, to the byte).
    """
    manifest = settlement_pb2.SettlementManifest.FromString(run.manifest)
    listed = session.execute(
        select(Statement.franchisee_id, Statement.franchisee_name, Statement.statement_id, Statement.net_fen,
               Statement.content_sha256).where(Statement.business_date == run.business_date)
    ).all()
    content = manifest_json(run, [ListedStatement(*row) for row in listed], files, manifest.signing_key_id)
    if not manifest.manifest_json_signature:  # settled before manifests were signed
        return {MANIFEST_FILE: content}
    try:
        Ed25519PublicKey.from_public_bytes(manifest.signing_public_key).verify(manifest.manifest_json_signature, content)
    except InvalidSignature:
        raise RuntimeError(f"{MANIFEST_FILE} of {run.business_date} no longer matches its signature") from None
    return {MANIFEST_FILE: content, SIGNATURE_FILE: manifest.manifest_json_signature,
            PUBLIC_KEY_FILE: public_key_pem(manifest.signing_public_key)}


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


_FLOW_KINDS = {kind.value: kind for kind in FlowKind}


def aggregate_groups(session: Session, day: date, watermark: int) -> list[ClearingGroup]:
    """The one aggregate of a run: the day's own cross-franchise records (up to the watermark) and
    the late ones settled today, summed by issuer, acquirer, store, flow, reported type and
    original day.

    The day's own are its running totals — one row per group — less the day's records above the
    watermark (taken in since the run began: a later run settles them as late). Both are read in
    one statement, so they see the same commits.
    """
    total, record = ClearingTotal, ClearingRecord
    record_keys = _group_keys(record)
    beyond = (
        select(*record_keys, *_record_sums(record))
        .where(record.business_date == day, record.sequence > watermark)
        .group_by(*record_keys)
        .subquery("beyond_watermark")
    )
    total_keys = _group_keys(total)
    matches = and_(*(total_key == beyond.c[name] for total_key, name in zip(total_keys, _GROUP_KEYS, strict=True)))
    own = (
        select(*total_keys, literal(None, Date),
               *(getattr(total, name) - func.coalesce(beyond.c[name], 0) for name in _SUMS))
        .select_from(outerjoin(total, beyond, matches))
        .where(total.business_date == day, *_cross_franchise(total),
               total.transaction_count > func.coalesce(beyond.c.transaction_count, 0))
    )
    late = (
        select(*record_keys, record.business_date, *_record_sums(record))
        .where(record.settled_business_date == day, *_cross_franchise(record))
        .group_by(*record_keys, record.business_date)
    )
    return [
        *(ClearingGroup(issuing, acquiring, store, _FLOW_KINDS[flow], item, original, count, principal, bonus, points, uses)
          for issuing, acquiring, store, flow, item, original, count, principal, bonus, points, uses
          in session.execute(own.union_all(late))),
        *coupon_groups(session, day, watermark),
        *count_use_flow_groups(session, day, watermark),
    ]


def coupon_groups(session: Session, day: date, watermark: int) -> list[ClearingGroup]:
    """The coupons to clear today, by cost bearer, acquirer, settling store and original day: those
    of the day's own records up to the watermark and those of the late records settled today. Read
    from their records' rows, not running totals: coupons are a small share of the postings."""
    coupon, record = ClearingCoupon, ClearingRecord
    keys = (coupon.issuer_franchisee_id, record.acquiring_franchisee_id, record.settling_store_id)
    sums = (func.count(), cast(func.sum(coupon.discount_fen), BigInteger))
    cross = (coupon.issuer_franchisee_id != record.acquiring_franchisee_id, coupon.issuer_franchisee_id != "",
             record.acquiring_franchisee_id != "")
    joined = select().select_from(coupon).join(record, record.transaction_id == coupon.transaction_id)
    own = (joined.add_columns(*keys, literal(None, Date), *sums)
           .where(coupon.business_date == day, record.sequence <= watermark, *cross).group_by(*keys))
    late = (joined.add_columns(*keys, record.business_date, *sums)
            .where(record.settled_business_date == day, *cross).group_by(*keys, record.business_date))
    return [
        ClearingGroup(bearer, acquiring, store, FlowKind.COUPON, "", original, count, 0, 0, 0, 0, discount)
        for bearer, acquiring, store, original, count, discount in session.execute(own.union_all(late))
    ]


def count_use_flow_groups(session: Session, day: date, watermark: int) -> list[ClearingGroup]:
    """The count uses to clear today, by seller, acquirer, settling store and original day — read as
    coupon_groups reads coupons (docs/adr/0031)."""
    uses, record = ClearingCountUse, ClearingRecord
    keys = (uses.seller_franchisee_id, record.acquiring_franchisee_id, record.settling_store_id)
    sums = (func.count(), cast(func.sum(uses.uses), BigInteger), cast(func.sum(uses.value_fen), BigInteger))
    cross = (uses.seller_franchisee_id != record.acquiring_franchisee_id, uses.seller_franchisee_id != "",
             record.acquiring_franchisee_id != "")
    joined = select().select_from(uses).join(record, record.transaction_id == uses.transaction_id)
    own = (joined.add_columns(*keys, literal(None, Date), *sums)
           .where(uses.business_date == day, record.sequence <= watermark, *cross).group_by(*keys))
    late = (joined.add_columns(*keys, record.business_date, *sums)
            .where(record.settled_business_date == day, *cross).group_by(*keys, record.business_date))
    return [
        ClearingGroup(seller, acquiring, store, FlowKind.COUNT_USES, "", original, count, 0, 0, 0, used, 0, value)
        for seller, acquiring, store, original, count, used, value in session.execute(own.union_all(late))
    ]


def company_receivables(session: Session, day: date, watermark: int) -> dict[str, list[CompanyReceivableLine]]:
    """Each selling franchisee's companies (C6, docs/adr/0045), by company id: what the day's
    records up to the watermark and the late records settled today invoiced and paid, and what is
    outstanding after them — every record of a day up to this one, up to the watermark. A company
    shows while it owes something or moved on the day."""
    owed, record = ClearingCompanyReceivable, ClearingRecord
    keys = (owed.franchisee_id, owed.company_id)
    todays = and_(record.sequence <= watermark,
                  ((owed.business_date == day) & record.settled_business_date.is_(None))
                  | (record.settled_business_date == day))

    def on_day(column: Any) -> Any:
        return cast(func.coalesce(func.sum(case((todays, column), else_=0)), 0), BigInteger)

    rows = session.execute(
        select(*keys, on_day(owed.invoiced_fen), on_day(owed.paid_fen),
               cast(func.sum(owed.invoiced_fen - owed.paid_fen), BigInteger))
        .join(record, record.transaction_id == owed.transaction_id)
        .where(owed.business_date <= day, record.sequence <= watermark)
        .group_by(*keys).order_by(*keys))
    found: dict[str, list[CompanyReceivableLine]] = {}
    for franchisee, company, invoiced, paid, outstanding in rows:
        if invoiced or paid or outstanding:
            found.setdefault(franchisee, []).append(CompanyReceivableLine(company, invoiced, paid, outstanding))
    return found


_GROUP_KEYS = ("issuing_franchisee_id", "acquiring_franchisee_id", "settling_store_id", "flow_kind", "reported_type")
_SUMS = ("transaction_count", "principal_fen", "bonus_fen", "points", "count_uses")  # clearing_totals' names


def _group_keys(rows: type[ClearingTotal] | type[ClearingRecord]) -> list[Any]:
    """Issuer, acquirer, store, flow and reported type, of totals or of records, named alike (column
    expressions: ORM attributes and a labelled CASE)."""
    item = rows.reported_type if issubclass(rows, ClearingTotal) else reported_type(rows).label("reported_type")
    return [rows.issuing_franchisee_id, rows.acquiring_franchisee_id, rows.settling_store_id, rows.flow_kind, item]


def _record_sums(record: type[ClearingRecord]) -> list[Label[Any]]:
    """The sums a total keeps, of records, named as in clearing_totals (BIGINT: no Decimal back)."""
    summed = (record.principal_delta_fen, record.bonus_delta_fen, record.points_delta, record.count_uses_delta)
    return [func.count().label(_SUMS[0]),
            *(cast(func.sum(column), BigInteger).label(name) for name, column in zip(_SUMS[1:], summed, strict=True))]


def _cross_franchise(rows: type[ClearingTotal] | type[ClearingRecord]) -> tuple[ColumnElement[bool], ...]:
    issuing, acquiring = rows.issuing_franchisee_id, rows.acquiring_franchisee_id
    return (issuing != acquiring, acquiring != "", issuing != "")


# ---- messages -------------------------------------------------------------------------------------
def build_statement(draft: StatementDraft, name: str, day: date, schedule: program_config_pb2.FeeSchedule,
                    generated_at: datetime) -> settlement_pb2.Statement:
    statement = settlement_pb2.Statement(
        statement_id=f"ST-{day.isoformat()}-{draft.franchisee_id}",
        franchisee_id=draft.franchisee_id,
        franchisee_name=name,
        business_date=day.isoformat(),
        receivable_fen=draft.receivable_fen,
        payable_fen=draft.payable_fen,
        fees_fen=draft.fees_fen,
        net_fen=draft.net_fen,
        fee_schedule=schedule,
        generated_at=timestamp(generated_at),
    )
    for owed in draft.company_receivables:  # reported only: never in the nets above
        statement.company_receivables.add(company_id=owed.company_id, invoiced_fen=owed.invoiced_fen, paid_fen=owed.paid_fen,
                                          outstanding_fen=owed.outstanding_fen)
    add_line = statement.lines.add  # built in place: copying ready-made lines in costs twice as much
    for number, (flow, counterparty, store, original, count, gross, fee, platform_fee, net) in enumerate(draft.lines, start=1):
        line = add_line(line_number=number, flow=flow, counterparty_franchisee_id=counterparty, store_id=store,
                        transaction_count=count, gross_fen=gross, counterparty_fee_fen=fee, platform_fee_fen=platform_fee,
                        net_fen=net)
        if original is not None:
            line.original_business_date = original.isoformat()
    statement.content_sha256_hex = hashlib.sha256(statement.SerializeToString(deterministic=True)).hexdigest()
    return statement


def build_manifest(day: date, statements: dict[str, settlement_pb2.Statement], key: SigningKey) -> settlement_pb2.SettlementManifest:
    """The run's manifest, naming the key that will sign its manifest.json (signed once that is built)."""
    manifest = settlement_pb2.SettlementManifest(
        business_date=day.isoformat(),
        entries=[
            settlement_pb2.ManifestEntry(franchisee_id=fid, statement_id=s.statement_id, net_fen=s.net_fen,
                                         content_sha256_hex=s.content_sha256_hex)
            for fid, s in sorted(statements.items())
        ],
        net_total_fen=sum(s.net_fen for s in statements.values()),
        signing_key_id=key.key_id,
        signing_public_key=key.verification_key().raw,
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
@contextmanager
def _cycle_collection(*, enabled: bool) -> Iterator[None]:
    """Switch Python's cyclic garbage collector off (or on) for a block.

    A busy day's run builds a few hundred thousand small objects (groups, lines, memo items) that
    all live until it ends: the collector would walk them again and again and free nothing (a
    third of the rules' time on a busy day). Reference counting frees everything as usual, and
    once the run is over its objects are gone before the collector is back."""
    was_enabled = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        yield
    finally:
        (gc.enable if was_enabled else gc.disable)()


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
