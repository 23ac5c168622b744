from services.common.runner import run_service
from services.tracking.app import create_app

run_service("tracking", create_app)
