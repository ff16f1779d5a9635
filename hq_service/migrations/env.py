from chaincard.db.migrate import run_migrations
from hq_service.models import Base

run_migrations(Base.metadata)
