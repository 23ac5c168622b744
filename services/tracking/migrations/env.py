from services.common.migrate import run_env
from services.tracking.models import metadata

run_env(metadata)
