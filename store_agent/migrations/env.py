from chaincard.db.migrate import run_migrations
from store_agent.models import Base

run_migrations(Base.metadata)
