"""The embedded mode: every service in one process, SQLite files and the in-process bus.

    python -m services.embedded        (what `make run` starts)

This is a composition root, not a service: it builds each service's app with one shared bus and
hands them to the gateway, which reaches them through in-process ASGI transports.

Signing secrets: `JWT_SECRET` and `INTERNAL_SECRET` when set; otherwise the settings take the ones made at
the first start in `FW_DATA_DIR/secrets.json` (random, mode 0600: `services/common/secret_store.py`).
"""

from fastapi import FastAPI

from services.chat.app import create_app as create_chat
from services.common.bus import MemoryBus
from services.common.observability import setup_logging
from services.common.runner import serve
from services.common.service import ServiceRuntime
from services.common.settings import Settings, get_settings
from services.gateway.app import create_app as create_gateway
from services.gateway.demo.seed import DEMO_ADMIN, DEMO_OPERATORS, DEMO_PASSWORD
from services.gateway.demo.traffic import DemoTraffic
from services.reporting.app import create_app as create_reporting
from services.rules.app import create_app as create_rules
from services.tracking.app import create_app as create_tracking


def build(settings: Settings) -> FastAPI:
    bus = MemoryBus()
    services = {
        "chat": create_chat(settings, bus),
        "tracking": create_tracking(settings, bus),
        "rules": create_rules(settings, bus),
        "reporting": create_reporting(settings, bus),
    }
    if not (settings.demo_seed and settings.demo_traffic and settings.demo_traffic_visitors):
        return create_gateway(settings, bus, services, on_ready=[announce])
    traffic = DemoTraffic(settings.public_url, settings.demo_traffic_visitors)
    gateway = create_gateway(settings, bus, services, on_ready=[announce, traffic.start], on_stop=[traffic.stop])
    traffic.app = gateway
    return gateway


async def announce(runtime: ServiceRuntime) -> None:
    settings = runtime.settings
    if not settings.demo_seed:
        return
    base = settings.public_url.rstrip("/")
    operators = ", ".join(email for email, _ in DEMO_OPERATORS)
    print(
        "\n  Floorwalker is running (embedded mode)\n"
        f"  Operator console : {base}/console/\n"
        f"  Demo shop        : {base}/demo/\n"
        f"  Demo login       : {DEMO_ADMIN} / {DEMO_PASSWORD}   (operators: {operators}, same password)\n"
        f"  API docs         : {base}/api/docs\n",
        flush=True,
    )


def main() -> None:
    settings = get_settings()  # reads (at the first start: makes) the data folder's signing secrets
    setup_logging(settings.log_format, settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.check_production_secrets()
    serve(build(settings), settings, settings.port or 8000)


if __name__ == "__main__":
    main()
