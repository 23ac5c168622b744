"""The services of Floorwalker and how each is started in the distributed mode.

One table used by the process launcher (`scripts/stack.py`), docker-compose and the Kubernetes
manifests (checked by `tests/deploy`), so the three never disagree on names, ports or variables.
"""

from dataclasses import dataclass

METRICS_PORT_OFFSET = 1000  # a process serves /metrics on its port + this, unless METRICS_PORT says otherwise


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int
    has_database: bool = True

    @property
    def module(self) -> str:
        return f"services.{self.name}"

    @property
    def metrics_port(self) -> int:
        """Where its Prometheus metrics are served (`METRICS_PORT` unset): the service's port + 1000."""
        return self.port + METRICS_PORT_OFFSET

    @property
    def url_env(self) -> str:
        """The variable other processes use to reach this service over HTTP."""
        return f"{self.name.upper()}_URL"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("gateway", 8000),
    ServiceSpec("chat", 8001),
    ServiceSpec("tracking", 8002),
    ServiceSpec("rules", 8003),
    ServiceSpec("reporting", 8004),
)

BACKEND_SERVICES: tuple[ServiceSpec, ...] = tuple(s for s in SERVICES if s.name != "gateway")

# Variables every process of the distributed mode is started with.
DISTRIBUTED_ENV: tuple[str, ...] = (
    "FW_MODE",
    "DATABASE_URL",
    "REDIS_URL",
    "JWT_SECRET",
    "INTERNAL_SECRET",
    "PORT",
    "PUBLIC_URL",
    *tuple(s.url_env for s in BACKEND_SERVICES),
)


def service(name: str) -> ServiceSpec:
    for spec in SERVICES:
        if spec.name == name:
            return spec
    raise KeyError(name)
