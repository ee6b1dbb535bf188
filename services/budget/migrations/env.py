from libs.common.db.migrations import run_alembic_env
from services.budget.models import Base

run_alembic_env(Base.metadata)
