from services.common.runner import run_service
from services.reporting.app import create_app

run_service("reporting", create_app)
