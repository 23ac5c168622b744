from services.common.migrate import run_env
from services.chat.models import metadata

run_env(metadata)
