from libs.common.db.migrations import run_alembic_env
from services.acceptance.models import Base

run_alembic_env(Base.metadata)
