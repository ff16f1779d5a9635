"""Which of the region's stores are online (issue 19, docs/adr/0059): each store agent's
PullConfigSnapshot, made every few seconds, is recorded here (one upsert per call) with the offline
queue the agent reports on it; ListStoreConnections reads the record beside HQ's directory."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError

from chaincard.db.base import utc_now
from chaincard.errors import InvalidArgument
from chaincard.v1 import store_sync_pb2
from region_service.context import RegionContext
from region_service.models import StoreConnectionRow

log = logging.getLogger(__name__)


def _moment(stamp: Timestamp, present: bool) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if present else None


def record_contact(ctx: RegionContext, request: store_sync_pb2.PullConfigSnapshotRequest) -> None:
    """Remember that ``request.store_id``'s agent called now, with the queue it reports. A failure
    to write is logged, not raised: the agent's configuration matters more than its dot on a page."""
    if request.offline_queue_depth < 0:
        raise InvalidArgument("offline_queue_depth", "must not be negative")
    values = {
        "last_contact_at": utc_now(),
        "status_reported": request.status_reported,
        "offline_queue_depth": request.offline_queue_depth if request.status_reported else 0,
        "oldest_queued_at": _moment(request.oldest_queued_at, request.status_reported and request.HasField("oldest_queued_at")),
        "agent_version": request.agent_version[:64],
        "agent_started_at": _moment(request.agent_started_at, request.HasField("agent_started_at")),
    }
    statement = insert(StoreConnectionRow).values(store_id=request.store_id, **values)
    try:
        with ctx.session_factory() as session, session.begin():
            session.execute(statement.on_conflict_do_update(index_elements=["store_id"], set_=values))
    except SQLAlchemyError:
        log.warning("store contact not recorded", exc_info=True, extra={"fields": {"store_id": request.store_id}})


def list_store_connections(
    ctx: RegionContext, request: store_sync_pb2.ListStoreConnectionsRequest
) -> store_sync_pb2.ListStoreConnectionsResponse:
    now = utc_now()
    offline_after = timedelta(seconds=ctx.settings.store_offline_after_seconds)
    response = store_sync_pb2.ListStoreConnectionsResponse(offline_after_seconds=int(offline_after.total_seconds()))
    response.as_of.FromDatetime(now)
    if request.region_code and request.region_code != ctx.region_code:
        return response  # only a store's own region hears from its agent
    stores = sorted(
        (store for store in ctx.program.snapshot().stores
         if store.region_code == ctx.region_code and store.active
         and (not request.franchisee_id or store.franchisee_id == request.franchisee_id)
         and (not request.store_id or store.store_id == request.store_id)),
        key=lambda store: store.store_id,
    )
    if not stores:
        return response
    with ctx.session_factory() as session:
        rows = {row.store_id: row for row in session.execute(
            select(StoreConnectionRow).where(StoreConnectionRow.store_id.in_([store.store_id for store in stores]))
        ).scalars()}
    for store in stores:
        entry = response.stores.add(store_id=store.store_id, region_code=store.region_code, franchisee_id=store.franchisee_id)
        row = rows.get(store.store_id)
        if row is None:
            continue  # never called: offline, queue unknown
        entry.last_contact_at.FromDatetime(row.last_contact_at)
        entry.online = now - row.last_contact_at <= offline_after
        entry.queue_reported = row.status_reported
        entry.offline_queue_depth = row.offline_queue_depth
        entry.agent_version = row.agent_version
        for field, moment in (("oldest_queued_at", row.oldest_queued_at), ("agent_started_at", row.agent_started_at)):
            if moment is not None:
                getattr(entry, field).FromDatetime(moment)
    return response
