"""HQ's campaign sender in a process of its own, one member a chunk with a pause between chunks, so a
test can SIGKILL it mid-way (tests/integration/test_campaigns.py).

    python -m tests.support.campaign_child DATABASE_URL NOW_ISO PAUSE_SECONDS
"""

from __future__ import annotations

import sys
import time
from datetime import datetime

from chaincard.db.engine import make_engine, make_session_factory
from hq_service.campaign_sender import CampaignSender


def main(database_url: str, now_iso: str, pause_seconds: float) -> None:
    now = datetime.fromisoformat(now_iso)
    sender = CampaignSender(make_session_factory(make_engine(database_url)), None, chunk_size=1)
    sender.start_due(now=now)
    while sender.hand_off(now=now):
        time.sleep(pause_seconds)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
