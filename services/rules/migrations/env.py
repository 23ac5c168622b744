from services.common.migrate import run_env
from services.rules.models import metadata

run_env(metadata)
