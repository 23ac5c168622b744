from services.chat.models import metadata
from services.common.migrate import run_env

run_env(metadata)
