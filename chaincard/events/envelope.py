"""Every event travels in a ``chaincard.v1.EventEnvelope``; ``type`` is the payload's full proto name."""

from __future__ import annotations

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from chaincard.ids import new_id
from chaincard.observability.tracing import current_traceparent
from chaincard.v1 import events_pb2

SCHEMA_VERSION = 1


def wrap(payload: Message, *, producer: str, aggregate_id: str) -> events_pb2.EventEnvelope:
    occurred_at = Timestamp()
    occurred_at.GetCurrentTime()
    return events_pb2.EventEnvelope(
        event_id=new_id(),
        type=payload.DESCRIPTOR.full_name,
        schema_version=SCHEMA_VERSION,
        occurred_at=occurred_at,
        producer=producer,
        payload=payload.SerializeToString(),
        aggregate_id=aggregate_id,
        traceparent=current_traceparent(),  # "" unless tracing is on and a request is being served
    )


def unwrap(envelope: events_pb2.EventEnvelope) -> Message:
    """The typed payload of an envelope."""
    descriptor = descriptor_pool.Default().FindMessageTypeByName(envelope.type)
    message_class = message_factory.GetMessageClass(descriptor)
    return message_class.FromString(envelope.payload)
