"""HQ's ImportService (M4, V8; docs/adr/0040-import.md): a file's rows streamed in, validated with
chaincard.imports against HQ's stores and card types, then imported (or reconciled) in chunks in
each member's home region.

Routing is registration's: a member's home region is the region of the store that registered them
(开卡门店), and HQ's phone index holds the phone for that region (ADR 0008) before the region
registers the member. HQ claims a chunk's phones itself, in one statement (the index is HQ's), and
registers the chunk's card numbers in its card directory (so every store routes them home), then
sends the chunk; each chunk commits on its own in the region. Nothing is kept of a run at HQ: the
rows' own keys make a re-run, or the rest of a run cut short, import only what is missing."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import grpc
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chaincard import validation
from chaincard.db.base import table_of, utc_now
from chaincard.db.bulk import insert_new_rows
from chaincard.errors import InvalidArgument, Unavailable
from chaincard.ids import new_id
from chaincard.imports.columns import USED, Kind
from chaincard.imports.reading import RawRow
from chaincard.imports.rows import CardTypeFacts, Catalogue, RowError, StoreFacts, ValidRow, validate
from chaincard.phones import phone_hmac
from chaincard.v1 import imports_pb2, imports_pb2_grpc
from chaincard.v1 import program_config_pb2 as pc
from hq_service import audit_log
from hq_service.models import ConfigItem, PhoneClaim, PhysicalCard, Store

MAX_ROWS_PER_MESSAGE = 1000
MAX_ROWS = 1_000_000
# Rows per chunk by default: a chunk is one region transaction written as a batch (a few statements
# whatever its size), so the largest chunk a message holds; smaller ones lose less to a crash.
CHUNK_ROWS = 1000
# A chunk is one region transaction: it commits even when HQ stops waiting (the re-run finds it), but
# under a heavily loaded machine a 1000-row chunk has taken over two minutes.
CHUNK_DEADLINE_SECONDS = 300.0
_KINDS = {imports_pb2.IMPORT_KIND_MEMBERS: Kind.MEMBERS, imports_pb2.IMPORT_KIND_CARDS: Kind.CARDS,
          imports_pb2.IMPORT_KIND_BALANCES: Kind.BALANCES}
_MODES = {imports_pb2.IMPORT_MODE_DRY_RUN, imports_pb2.IMPORT_MODE_IMPORT, imports_pb2.IMPORT_MODE_RECONCILE}
# The longest text a cell may hold; longer is refused as the whole stream (no old system exports it).
MAX_CELL = 256

_PHONE_CLAIMS, _PHYSICAL_CARDS = table_of(PhoneClaim), table_of(PhysicalCard)

# region code -> the region's RegionImportService stub (hq_service.import_servicer.RegionImports).
RegionStubs = Callable[[str], imports_pb2_grpc.RegionImportServiceStub]


@dataclass(frozen=True)
class _Ask:
    kind: Kind
    proto_kind: imports_pb2.ImportKind
    mode: imports_pb2.ImportMode
    sha256: str
    file_name: str
    rows: list[RawRow]
    chunk_rows: int


def read_stream(messages: Iterable[imports_pb2.ImportRowsRequest]) -> _Ask:
    """The stream as one ask; INVALID_ARGUMENT naming ``stream[n].<field>`` for the first bad field."""
    stream: Iterator[imports_pb2.ImportRowsRequest] = iter(messages)
    first = next(stream, None)
    if first is None:
        raise InvalidArgument("stream", "is empty")
    if not first.HasField("start"):
        raise InvalidArgument("stream[0].start", "is required on the first message")
    start = first.start
    if start.kind not in _KINDS:
        raise InvalidArgument("stream[0].start.kind", "must be IMPORT_KIND_MEMBERS, _CARDS or _BALANCES")
    if start.mode not in _MODES:
        raise InvalidArgument("stream[0].start.mode", "must be IMPORT_MODE_DRY_RUN, _IMPORT or _RECONCILE")
    sha = start.file_sha256.lower()
    if len(sha) != 64 or any(char not in "0123456789abcdef" for char in sha):
        raise InvalidArgument("stream[0].start.file_sha256", "must be 64 hex digits (SHA-256 of the file)")
    file_name = validation.optional_text("stream[0].start.file_name", start.file_name, max_length=255)
    if not 0 <= start.chunk_rows <= MAX_ROWS_PER_MESSAGE:
        raise InvalidArgument("stream[0].start.chunk_rows", f"must be between 1 and {MAX_ROWS_PER_MESSAGE} (0: {CHUNK_ROWS})")
    kind = _KINDS[start.kind]
    rows: list[RawRow] = []
    seen: set[int] = set()
    for index, message in enumerate([first, *stream]):
        if index and message.HasField("start"):
            raise InvalidArgument(f"stream[{index}].start", "is allowed on the first message only")
        if len(message.rows) > MAX_ROWS_PER_MESSAGE:
            raise InvalidArgument(f"stream[{index}].rows", f"at most {MAX_ROWS_PER_MESSAGE} per message")
        for position, row in enumerate(message.rows):
            rows.append(_raw_row(kind, f"stream[{index}].rows[{position}]", row, seen))
        if len(rows) > MAX_ROWS:
            raise InvalidArgument("rows", f"at most {MAX_ROWS:,} rows per import")
    if not rows:
        raise InvalidArgument("rows", "no row given")
    return _Ask(kind, start.kind, start.mode, sha, file_name, rows, start.chunk_rows or CHUNK_ROWS)


def _raw_row(kind: Kind, where: str, row: imports_pb2.ImportRow, seen: set[int]) -> RawRow:
    if row.row < 2:
        raise InvalidArgument(f"{where}.row", "must be the row's number in the file (2 or more: row 1 is the header)")
    if row.row in seen:
        raise InvalidArgument(f"{where}.row", f"row {row.row} is given twice")
    seen.add(row.row)
    values = {}
    for name in USED[kind]:
        text = getattr(row, name)
        if len(text) > MAX_CELL:
            raise InvalidArgument(f"{where}.{name}", f"must be at most {MAX_CELL} characters")
        values[name] = text
    return RawRow(row=row.row, values=values)


def catalogue(session: Session) -> Catalogue:
    """HQ's stores and card types, as the rows are checked against them."""
    stores = {store.store_id: StoreFacts(store.store_id, store.region_code, store.franchisee_id)
              for store in session.execute(select(Store).where(Store.active)).scalars()}
    card_types = {}
    for item in session.execute(select(ConfigItem).where(ConfigItem.kind == "card_type")).scalars():
        card_type = pc.CardType.FromString(item.definition)
        card_types[card_type.code] = CardTypeFacts(card_type.code, stored_value=card_type.stored_value,
                                                   points=card_type.points, anonymous=card_type.anonymous)
    return Catalogue(stores=stores, card_types=card_types)


# ---- the totals -----------------------------------------------------------------------------------------
@dataclass
class _Counts:
    members: set[str] = field(default_factory=set)
    cards: int = 0
    principal_fen: int = 0
    bonus_fen: int = 0
    points: int = 0

    def message(self) -> imports_pb2.ImportCounts:
        return imports_pb2.ImportCounts(members=len(self.members), cards=self.cards, principal_fen=self.principal_fen,
                                        bonus_fen=self.bonus_fen, points=self.points)


@dataclass
class _Totals:
    file: dict[tuple[str, str], _Counts] = field(default_factory=lambda: defaultdict(_Counts))
    ledger: dict[tuple[str, str], _Counts] = field(default_factory=lambda: defaultdict(_Counts))

    def add_file(self, row: ValidRow) -> None:
        _add(self.file[(row.region_code, row.franchisee_id)], row.phone or row.card_number, bool(row.card_number),
             row.principal_fen, row.bonus_fen, row.points)

    def add_ledger(self, row: ValidRow, result: imports_pb2.ImportChunkResult) -> None:
        counts = self.ledger[(row.region_code, result.franchisee_id or row.franchisee_id)]
        _add(counts, (row.phone or row.card_number) if result.member_exists else "", result.card_exists,
             result.principal_fen, result.bonus_fen, result.points)

    def messages(self, with_ledger: bool) -> list[imports_pb2.ImportTotals]:
        keys = sorted(set(self.file) | set(self.ledger))
        return [imports_pb2.ImportTotals(region_code=region, franchisee_id=franchisee, file=self.file[(region, franchisee)].message(),
                                         ledger=self.ledger[(region, franchisee)].message() if with_ledger else None)
                for region, franchisee in keys]


def _add(counts: _Counts, member: str, card: bool, principal_fen: int, bonus_fen: int, points: int) -> None:
    if member:
        counts.members.add(member)
    counts.cards += int(card)
    counts.principal_fen += principal_fen
    counts.bonus_fen += bonus_fen
    counts.points += points


# ---- the call -----------------------------------------------------------------------------------------
def import_rows(session_factory: sessionmaker[Session], regions: RegionStubs, phone_key: str,
                messages: Iterable[imports_pb2.ImportRowsRequest]) -> imports_pb2.ImportRowsResponse:
    ask = read_stream(messages)
    with session_factory() as session:
        validated = validate(ask.kind, ask.rows, catalogue(session))
    errors = list(validated.errors)
    rows = validated.valid
    if ask.kind is Kind.BALANCES:
        rows, unhomed = _home_by_card_directory(session_factory, rows)
        errors += unhomed
    response = imports_pb2.ImportRowsResponse(rows_read=len(ask.rows), rows_valid=len(rows))
    totals = _Totals()
    for row in rows:
        totals.add_file(row)
    if ask.mode == imports_pb2.IMPORT_MODE_DRY_RUN:
        errors += _index_conflicts(session_factory, phone_key, ask.kind, rows)
    else:
        differences: list[RowError] = []
        _run_chunks(session_factory, regions, phone_key, ask, rows, response, errors, differences, totals)
        response.differences.extend(imports_pb2.ImportRowError(row=d.row, column=d.column, problem=d.problem)
                                    for d in sorted(differences, key=lambda d: (d.row, d.column)))
    errors.sort(key=lambda error: (error.row, error.column))
    response.errors.extend(imports_pb2.ImportRowError(row=e.row, column=e.column, problem=e.problem) for e in errors)
    response.totals.extend(totals.messages(with_ledger=ask.mode != imports_pb2.IMPORT_MODE_DRY_RUN))
    if ask.mode == imports_pb2.IMPORT_MODE_IMPORT:
        with session_factory.begin() as session:
            audit_log.record(session, action=audit_log.rpc("ImportService", "ImportRows"), target_type="import_file",
                             target_id=ask.sha256, reason=ask.file_name,
                             after={"kind": str(ask.kind), "rows_read": response.rows_read, "rows_valid": response.rows_valid,
                                    "rows_imported": response.rows_imported,
                                    "rows_already_imported": response.rows_already_imported,
                                    "rows_in_error": len({error.row for error in errors})})
    return response


def _home_by_card_directory(session_factory: sessionmaker[Session],
                            rows: list[ValidRow]) -> tuple[list[ValidRow], list[RowError]]:
    """Balances name only cards: their home region and issuer are the card directory's."""
    homed, errors = [], []
    with session_factory() as session:
        entries = {card.card_number: card for card in session.execute(
            select(PhysicalCard).where(PhysicalCard.card_number.in_([row.card_number for row in rows]))).scalars()}
    for row in rows:
        entry = entries.get(row.card_number)
        if entry is None:
            errors.append(RowError(row.row, "card_number", f"{row.card_number} is not in the chain's card directory "
                                                           "(import the card first)"))
            continue
        homed.append(ValidRow(row=row.row, card_number=row.card_number, region_code=entry.home_region,
                              franchisee_id=entry.franchisee_id, principal_fen=row.principal_fen,
                              bonus_fen=row.bonus_fen, points=row.points))
    return homed, errors


def _chunks(rows: list[ValidRow], size: int) -> Iterator[tuple[str, list[ValidRow]]]:
    """Rows by home region, in file order, ``size`` at a time."""
    by_region: dict[str, list[ValidRow]] = defaultdict(list)
    for row in rows:
        by_region[row.region_code].append(row)
    for region in sorted(by_region):
        region_rows = by_region[region]
        for start in range(0, len(region_rows), size):
            yield region, region_rows[start:start + size]


def _run_chunks(session_factory: sessionmaker[Session], regions: RegionStubs, phone_key: str, ask: _Ask,
                rows: list[ValidRow], response: imports_pb2.ImportRowsResponse, errors: list[RowError],
                differences: list[RowError], totals: _Totals) -> None:
    """Each region's chunks in turn, the regions at once (a thread each), and in each region the
    next chunk's claims made while the region writes the current one (a second thread): HQ's step
    and the region's overlap instead of adding up. The first failure is raised once every region has
    stopped; what the others wrote stays (the rows' keys make the re-run finish it), as do the claims
    made for a chunk not sent (a re-run reuses them, as after a crash between claim and send)."""
    by_region: dict[str, list[list[ValidRow]]] = defaultdict(list)
    for region, chunk in _chunks(rows, ask.chunk_rows):
        by_region[region].append(chunk)
    lock = threading.Lock()

    def run_region(region: str) -> None:
        chunks = by_region[region]
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"import-claims-{region}") as claims:
            prepared = claims.submit(_prepare_chunk, session_factory, phone_key, ask, region, chunks[0])
            for index in range(len(chunks)):
                chunk, members, refused = prepared.result()
                if index + 1 < len(chunks):
                    prepared = claims.submit(_prepare_chunk, session_factory, phone_key, ask, region, chunks[index + 1])
                with lock:
                    errors.extend(refused)
                if chunk:
                    _send_chunk(regions, ask, region, chunk, members, response, errors, differences, totals, lock)

    with ThreadPoolExecutor(max_workers=max(1, len(by_region)), thread_name_prefix="import") as pool:
        running = [pool.submit(run_region, region) for region in sorted(by_region)]
    for done in running:
        done.result()


def _prepare_chunk(session_factory: sessionmaker[Session], phone_key: str, ask: _Ask, region: str,
                   chunk: list[ValidRow]) -> tuple[list[ValidRow], dict[str, str], list[RowError]]:
    """HQ's step for a chunk: its phones claimed and its card numbers registered (an import), or
    looked up (reconcile). Answers the rows to send, phone -> member id, and the rows refused here."""
    reconcile = ask.mode == imports_pb2.IMPORT_MODE_RECONCILE
    members: dict[str, str] = {}
    refused: list[RowError] = []
    if ask.kind is not Kind.BALANCES:
        members, refused = _members_of(session_factory, region, chunk, phone_key, claim=not reconcile)
        if not reconcile:
            chunk = [row for row in chunk if row.phone in members]
    if ask.kind is Kind.CARDS and not reconcile:
        conflicts = _register_cards(session_factory, region, chunk)
        refused += conflicts
        refused_rows = {error.row for error in conflicts}
        chunk = [row for row in chunk if row.row not in refused_rows]
    return chunk, members, refused


def _send_chunk(regions: RegionStubs, ask: _Ask, region: str, chunk: list[ValidRow], members: dict[str, str],
                response: imports_pb2.ImportRowsResponse, errors: list[RowError], differences: list[RowError],
                totals: _Totals, lock: threading.Lock) -> None:
    reconcile = ask.mode == imports_pb2.IMPORT_MODE_RECONCILE
    request = imports_pb2.ImportChunkRequest(
        # A fresh id per send: the rows' own keys make a chunk sent again write nothing twice, and a
        # fresh answer says what was already there (a replayed one would repeat "imported").
        request_id=new_id(),
        kind=ask.proto_kind, reconcile_only=reconcile, rows=[_chunk_row(row, members.get(row.phone, "")) for row in chunk])
    try:
        answer = regions(region).ImportChunk(request, timeout=CHUNK_DEADLINE_SECONDS)
    except grpc.RpcError as error:
        raise Unavailable(f"region {region} did not take a chunk ({error.code().name}: {error.details()}); "
                          f"{response.rows_imported} rows imported so far: send the same file again to "
                          "import the rest") from error
    with lock:
        for row, result in zip(chunk, answer.results, strict=True):
            _account(row, result, response, errors, differences, totals, reconcile, ask.kind)


def _account(row: ValidRow, result: imports_pb2.ImportChunkResult, response: imports_pb2.ImportRowsResponse,
             errors: list[RowError], differences: list[RowError], totals: _Totals, reconcile: bool, kind: Kind) -> None:
    if result.outcome == imports_pb2.IMPORT_ROW_OUTCOME_REFUSED:
        errors.append(RowError(row.row, result.column, result.problem))
        return
    if result.outcome == imports_pb2.IMPORT_ROW_OUTCOME_IMPORTED:
        response.rows_imported += 1
    elif result.outcome == imports_pb2.IMPORT_ROW_OUTCOME_ALREADY_IMPORTED:
        response.rows_already_imported += 1
    totals.add_ledger(row, result)
    if not reconcile:
        return
    if kind is not Kind.BALANCES and not result.member_exists:
        differences.append(RowError(row.row, "phone", "no such member in the ledger"))
    if kind is Kind.MEMBERS:
        return
    if not result.card_exists:
        differences.append(RowError(row.row, "card_number", f"no card {row.card_number} in region {row.region_code}"))
        return
    for column, in_file, in_ledger in (("principal", row.principal_fen, result.principal_fen),
                                       ("bonus", row.bonus_fen, result.bonus_fen), ("points", row.points, result.points)):
        if in_file != in_ledger:
            differences.append(RowError(row.row, column, f"file {in_file}, ledger {in_ledger}"
                                                         f"{' fen' if column != 'points' else ' points'}"))


def _chunk_row(row: ValidRow, member_id: str) -> imports_pb2.ImportChunkRow:
    return imports_pb2.ImportChunkRow(
        row=row.row, member_id=member_id, name=row.name, phone=row.phone, birthday=row.birthday, gender=row.gender,
        email=row.email, card_number=row.card_number, card_type_code=row.card_type, store_id=row.store_id,
        principal_fen=row.principal_fen, bonus_fen=row.bonus_fen, points=row.points,
    )


def _members_of(session_factory: sessionmaker[Session], region: str, chunk: list[ValidRow], phone_key: str, *,
                claim: bool) -> tuple[dict[str, str], list[RowError]]:
    """phone -> member id in HQ's phone index for the chunk's members: claimed now for this region
    where no one holds the phone (``claim``), else the holder's; a phone held for another region is
    the row's error. The claim's request id is the phone's own, so every run claims it alike."""
    hmacs = {row.phone: phone_hmac(row.phone, phone_key) for row in chunk}
    with session_factory.begin() as session:
        if claim:
            # COPY to a staging table, then one INSERT … ON CONFLICT DO NOTHING (chaincard.db.bulk).
            now = utc_now()
            insert_new_rows(session, _PHONE_CLAIMS, [
                {"phone_hmac": hmac_hex, "member_id": new_id(), "home_region": region, "request_id": f"import:{hmac_hex[:57]}",
                 "claimed_at": now}
                for hmac_hex in set(hmacs.values())
            ], key=["phone_hmac"])
        # Plain rows, not ORM objects: a thousand of them per chunk.
        claims = {claim_row.phone_hmac: claim_row for claim_row in session.execute(
            select(PhoneClaim.phone_hmac, PhoneClaim.member_id, PhoneClaim.home_region)
            .where(PhoneClaim.phone_hmac.in_(list(hmacs.values()))))}
    members: dict[str, str] = {}
    errors: list[RowError] = []
    for row in chunk:
        held = claims.get(hmacs[row.phone])
        if held is None:
            continue  # reconcile: the member is not there (answered as a difference)
        if held.home_region != region:
            errors.append(RowError(row.row, "phone", f"already registered to a member homed in region {held.home_region}"))
            continue
        members[row.phone] = held.member_id
    return members, errors


def _index_conflicts(session_factory: sessionmaker[Session], phone_key: str, kind: Kind,
                     rows: list[ValidRow]) -> list[RowError]:
    """A dry run's look at what an import would meet at HQ, writing nothing: a phone held for another
    region, a card number in the card directory for another home or issuer."""
    errors: list[RowError] = []
    for region, chunk in _chunks(rows, MAX_ROWS_PER_MESSAGE):
        if kind is not Kind.BALANCES:
            errors += _members_of(session_factory, region, chunk, phone_key, claim=False)[1]
        if kind is Kind.CARDS:
            errors += _register_cards(session_factory, region, chunk, write=False)
    return errors


def _register_cards(session_factory: sessionmaker[Session], region: str, chunk: list[ValidRow], *,
                    write: bool = True) -> list[RowError]:
    """The chunk's card numbers in HQ's card directory, homed here under their issuer (as pre-printed
    cards are, RegisterPhysicalCards); a number already there for another home or issuer is the row's
    error. ``write`` False: only those errors (a dry run)."""
    with session_factory.begin() as session:
        if write:
            now = utc_now()
            insert_new_rows(session, _PHYSICAL_CARDS, [
                {"card_number": row.card_number, "home_region": region, "franchisee_id": row.franchisee_id,
                 "card_type_code": row.card_type, "registered_at": now} for row in chunk
            ], key=["card_number"])
        entries = {card.card_number: card for card in session.execute(
            select(PhysicalCard.card_number, PhysicalCard.home_region, PhysicalCard.franchisee_id)
            .where(PhysicalCard.card_number.in_([row.card_number for row in chunk])))}
    errors = []
    for row in chunk:
        entry = entries.get(row.card_number)
        if entry is not None and (entry.home_region, entry.franchisee_id) != (region, row.franchisee_id):
            errors.append(RowError(row.row, "card_number", f"{row.card_number} is already in the chain's card directory "
                                                           f"for region {entry.home_region}, franchisee {entry.franchisee_id}"))
    return errors
