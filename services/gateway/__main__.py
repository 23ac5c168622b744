from services.common.runner import run_service
from services.gateway.app import create_app

run_service("gateway", create_app)
