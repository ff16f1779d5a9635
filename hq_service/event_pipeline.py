"""EventPipelineService (issue 19): the chain's consumer lag for HQ's operators, read from Kafka by
the same code as `chaincard events lag` (chaincard.events.lag), with the regions of HQ's directory."""

from __future__ import annotations

import logging

import grpc
from kafka.errors import KafkaError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chaincard.config import Settings
from chaincard.errors import Unavailable
from chaincard.events.lag import consumer_lag
from chaincard.v1 import event_pipeline_pb2, event_pipeline_pb2_grpc
from hq_service.models import Region

log = logging.getLogger(__name__)

# The brokers get this long when the caller set no deadline (or a longer one).
LAG_TIMEOUT_SECONDS = 5.0


class EventPipelineServicer(event_pipeline_pb2_grpc.EventPipelineServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session], settings: Settings) -> None:
        self.session_factory = session_factory
        self.settings = settings

    def GetConsumerLag(self, request: event_pipeline_pb2.GetConsumerLagRequest, context: grpc.ServicerContext) -> event_pipeline_pb2.GetConsumerLagResponse:  # noqa: N802
        with self.session_factory() as session:
            region_codes = list(session.execute(select(Region.code).order_by(Region.code)).scalars())
        remaining = context.time_remaining()
        # Leave a second of the caller's deadline for the answer itself.
        timeout = LAG_TIMEOUT_SECONDS if remaining is None else max(min(LAG_TIMEOUT_SECONDS, remaining - 1.0), 0.5)
        try:
            groups = consumer_lag(self.settings.kafka_bootstrap, self.settings.deployment, timeout=timeout,
                                  region_codes=region_codes)
        except KafkaError as error:
            log.warning("consumer lag: the brokers did not answer", extra={"fields": {"error": type(error).__name__}})
            raise Unavailable(f"the Kafka brokers did not answer ({type(error).__name__})") from error
        answer = event_pipeline_pb2.GetConsumerLagResponse()
        for group in sorted(groups, key=lambda item: item.group_id):
            for topic in sorted(group.topics):
                lag = group.topics[topic]
                answer.lags.add(group_id=group.group_id, topic=topic, lag=lag.lag, end_offset=lag.end,
                                committed_partitions=lag.committed_partitions, partitions=lag.partitions)
        return answer
