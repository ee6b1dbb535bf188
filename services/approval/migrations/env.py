import services.approval.discretion.models  # noqa: F401  (its tables join Base.metadata)
from libs.common.db.migrations import run_alembic_env
from services.approval.models import Base

run_alembic_env(Base.metadata)
