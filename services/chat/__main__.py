from services.chat.app import create_app
from services.common.runner import run_service

run_service("chat", create_app)
