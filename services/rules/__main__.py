from services.common.runner import run_service
from services.rules.app import create_app

run_service("rules", create_app)
