from chaincard.db.migrate import run_migrations
from settlement.models import Base

run_migrations(Base.metadata)
