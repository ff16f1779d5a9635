"""HQ's campaign sender in a process of its own, ``CHUNK_SIZE`` members a chunk (default 1) with a
pause between chunks, so a test can SIGKILL it mid-way (tests/integration/test_campaigns.py,
test_campaign_10k.py); with ``QUIET_HOURS`` ("HH:MM-HH:MM", Asia/Shanghai) it defers the messages
it queues inside them, as HQ's own sender does with ``notification_quiet_hours``.

    python -m tests.support.campaign_child DATABASE_URL NOW_ISO PAUSE_SECONDS [CHUNK_SIZE [QUIET_HOURS]]
"""

from __future__ import annotations

import sys
import time
from datetime import datetime

from chaincard.db.engine import make_engine, make_session_factory
from chaincard.notifications.quiet_hours import QuietHours
from hq_service.campaign_sender import CampaignSender


def main(database_url: str, now_iso: str, pause_seconds: float, chunk_size: int = 1, quiet_hours: str = "") -> None:
    now = datetime.fromisoformat(now_iso)
    quiet = QuietHours.parse(quiet_hours, "Asia/Shanghai") if quiet_hours else None
    sender = CampaignSender(make_session_factory(make_engine(database_url)), quiet, chunk_size=chunk_size)
    sender.start_due(now=now)
    while sender.hand_off(now=now):
        time.sleep(pause_seconds)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), *([int(sys.argv[4])] if len(sys.argv) > 4 else []),
         *(sys.argv[5:6]))
