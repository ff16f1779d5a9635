import hq_service.bulk_issue_models  # noqa: F401 - its tables belong to HQ's metadata too
import hq_service.campaign_models  # noqa: F401 - its tables belong to HQ's metadata too
import hq_service.company_models  # noqa: F401 - its tables belong to HQ's metadata too
import hq_service.coupon_views  # noqa: F401 - its table belongs to HQ's metadata too
import hq_service.operator_models  # noqa: F401 - its tables belong to HQ's metadata too
import hq_service.segment_models  # noqa: F401 - its tables belong to HQ's metadata too
from chaincard.db.migrate import run_migrations
from hq_service.models import Base

run_migrations(Base.metadata)
