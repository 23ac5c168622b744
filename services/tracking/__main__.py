from services.common.runner import run_service
from services.common.settings import get_settings
from services.tracking.app import create_app

# The tracking service is the one bulk writer on the ingest path: on a shared machine it yields the CPU to
# the gateway and the chat (README: TRACKING_NICE; docs/architecture.md, Ingest).
run_service("tracking", create_app, nice=get_settings().tracking_nice)
