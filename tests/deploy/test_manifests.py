"""docker-compose.yml and the Kustomize base agree with services/common/topology.py.

No Docker engine or cluster is needed: the manifests are parsed with PyYAML and checked against the
topology (service names, ports, modules, DISTRIBUTED_ENV), so a drift in any of them fails here.
"""

import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from scripts.redis_server import SHIPPED_ARGS
from services.common.topology import DISTRIBUTED_ENV, SERVICES, ServiceSpec

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
BASE = REPO / "deploy" / "k8s" / "base"
KUSTOMIZATION = BASE / "kustomization.yaml"
SECRET_EXAMPLE = "secret.example.yaml"
CONFIG_MAP = "floorwalker-config"
SECRET = "floorwalker-secrets"
MIGRATE = ["python", "-m", "services.common.migrate"]
SECRET_ENV = {"JWT_SECRET", "INTERNAL_SECRET"}
HPA_SERVICES = {"gateway", "chat"}
GATEWAY = next(s for s in SERVICES if s.name == "gateway")
URL_SERVICES = [s for s in SERVICES if s.url_env in DISTRIBUTED_ENV]

by_name = pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)


# ---- loading ---------------------------------------------------------------------------------


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), "docker-compose.yml has no services"
    return data


def base_yaml_files() -> list[Path]:
    return sorted(p for p in BASE.rglob("*") if p.is_file() and p.suffix in {".yaml", ".yml"})


def load_kustomization() -> dict[str, Any]:
    data = yaml.safe_load(KUSTOMIZATION.read_text())
    assert isinstance(data, dict)
    return data


def load_k8s_docs(include_example_secret: bool = True) -> list[dict[str, Any]]:
    """Every Kubernetes object of the base (kustomization.yaml itself excluded)."""
    docs: list[dict[str, Any]] = []
    for path in base_yaml_files():
        if path.name in {"kustomization.yaml", "kustomization.yml"}:
            continue
        if path.name == SECRET_EXAMPLE and not include_example_secret:
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                assert "kind" in doc and "metadata" in doc, f"{path.name}: a document without kind/metadata"
                docs.append(doc)
    return docs


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def env_of_compose(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def as_argv(command: Any) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def config_map_data(name: str) -> dict[str, str]:
    """The keys of a ConfigMap, whether written as an object or produced by configMapGenerator."""
    data: dict[str, str] = {}
    found = False
    for doc in of_kind(load_k8s_docs(), "ConfigMap"):
        if doc["metadata"]["name"] == name:
            found = True
            data.update({k: str(v) for k, v in (doc.get("data") or {}).items()})
    for gen in load_kustomization().get("configMapGenerator") or []:
        if gen.get("name") != name:
            continue
        found = True
        for literal in gen.get("literals") or []:
            key, _, value = literal.partition("=")
            data[key] = value
        for env_file in gen.get("envs") or []:
            for line in (BASE / env_file).read_text().splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    key, _, value = line.partition("=")
                    data[key.strip()] = value.strip()
        for file_entry in gen.get("files") or []:
            key, _, path = file_entry.rpartition("=")
            data[key or Path(path).name] = (BASE / path).read_text()
    assert found, f"no ConfigMap {name!r} in deploy/k8s/base"
    return data


def secret_keys(name: str) -> set[str]:
    keys: set[str] = set()
    found = False
    for doc in of_kind(load_k8s_docs(), "Secret"):
        if doc["metadata"]["name"] == name:
            found = True
            keys |= set(doc.get("stringData") or {}) | set(doc.get("data") or {})
    for gen in load_kustomization().get("secretGenerator") or []:
        if gen.get("name") == name:
            found = True
            keys |= {literal.partition("=")[0] for literal in gen.get("literals") or []}
    assert found, f"no Secret {name!r} (nor {SECRET_EXAMPLE}) in deploy/k8s/base"
    return keys


def deployment_for(spec: ServiceSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Deployment (and its container) running `python -m services.<name>`."""
    wanted = ["python", "-m", spec.module]
    matches = [
        (dep, container)
        for dep in of_kind(load_k8s_docs(), "Deployment")
        for container in dep["spec"]["template"]["spec"]["containers"]
        if as_argv(container.get("command")) + as_argv(container.get("args")) == wanted
    ]
    assert len(matches) == 1, f"expected one Deployment running {' '.join(wanted)}, found {len(matches)}"
    return matches[0]


def container_port(container: dict[str, Any], port: int | str) -> int:
    """Resolve a probe or Service targetPort (number or name) to the container's port number."""
    for p in container.get("ports") or []:
        if port in (p.get("name"), p["containerPort"]):
            return int(p["containerPort"])
    raise AssertionError(f"port {port!r} is not a port of container {container['name']!r}")


def url_points_at(url: str, spec: ServiceSpec) -> None:
    parts = urlsplit(url)
    assert parts.scheme == "http", f"{spec.url_env}={url!r}: expected http://"
    assert parts.hostname == spec.name, f"{spec.url_env}={url!r} does not point at the {spec.name} service"
    assert parts.port == spec.port, f"{spec.url_env}={url!r}: port should be {spec.port}"


# ---- topology sanity -------------------------------------------------------------------------


def test_topology_names_and_ports_are_unique() -> None:
    assert len({s.name for s in SERVICES}) == len(SERVICES)
    assert len({s.port for s in SERVICES}) == len(SERVICES)
    assert "PORT" in DISTRIBUTED_ENV


# ---- docker-compose --------------------------------------------------------------------------


@by_name
def test_compose_runs_each_service(spec: ServiceSpec) -> None:
    services = load_compose()["services"]
    assert spec.name in services, f"docker-compose.yml has no service {spec.name!r}"
    svc = services[spec.name]
    assert as_argv(svc.get("command")) == ["python", "-m", spec.module]
    env = env_of_compose(svc)
    assert set(env) == set(DISTRIBUTED_ENV), (
        f"{spec.name}: environment keys differ from DISTRIBUTED_ENV: "
        f"missing {sorted(set(DISTRIBUTED_ENV) - set(env))}, extra {sorted(set(env) - set(DISTRIBUTED_ENV))}"
    )
    assert env["PORT"] == str(spec.port)
    assert env["FW_MODE"] == "distributed"


@by_name
def test_compose_service_waits_for_migrations_and_has_healthcheck(spec: ServiceSpec) -> None:
    svc = load_compose()["services"][spec.name]
    depends = svc.get("depends_on")
    assert isinstance(depends, dict) and "migrations" in depends, f"{spec.name} must depend on migrations"
    assert depends["migrations"].get("condition") == "service_completed_successfully"
    test = " ".join(as_argv(svc.get("healthcheck", {}).get("test")))
    assert f":{spec.port}/healthz" in test, f"{spec.name}: healthcheck should GET /healthz on {spec.port}"
    assert "curl" not in test and "wget" not in test, "the slim image has neither curl nor wget"


@by_name
def test_compose_service_urls_point_at_the_right_service(spec: ServiceSpec) -> None:
    services = load_compose()["services"]
    env = env_of_compose(services[spec.name])
    for target in URL_SERVICES:
        assert target.name in services
        url_points_at(env[target.url_env], target)


@by_name
def test_compose_secrets_are_not_hard_coded(spec: ServiceSpec) -> None:
    env = env_of_compose(load_compose()["services"][spec.name])
    for key in SECRET_ENV:
        assert re.fullmatch(r"\$\{" + key + r"(:?[?-].*)?\}", env[key]), f"{key} should come from ${{{key}...}}"


def test_compose_only_the_gateway_publishes_a_port() -> None:
    services = load_compose()["services"]
    published = {name for name, svc in services.items() if svc.get("ports")}
    assert published == {GATEWAY.name}
    ports = [str(p) for p in services[GATEWAY.name]["ports"]]
    assert f"{GATEWAY.port}:{GATEWAY.port}" in ports


def test_compose_migrations() -> None:
    services = load_compose()["services"]
    assert "migrations" in services
    mig = services["migrations"]
    argv = as_argv(mig.get("command"))
    assert argv[:3] == MIGRATE
    assert sorted(argv[3:]) == sorted(s.name for s in SERVICES)
    assert mig.get("restart") in (None, "no")
    assert mig["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert mig["depends_on"]["redis"]["condition"] == "service_healthy"
    env = env_of_compose(mig)
    gateway_env = env_of_compose(services[GATEWAY.name])
    assert env["DATABASE_URL"] == gateway_env["DATABASE_URL"]
    # The same image as the services.
    assert mig.get("image") == services[GATEWAY.name].get("image")
    assert all(services[s.name].get("image") == mig.get("image") for s in SERVICES)


def test_compose_backing_services() -> None:
    services = load_compose()["services"]
    pg, redis = services["postgres"], services["redis"]
    assert str(pg["image"]).startswith("postgres:16")
    assert "pg_isready" in " ".join(as_argv(pg["healthcheck"]["test"]))
    assert any(":/var/lib/postgresql/data" in str(v) for v in pg.get("volumes") or [])
    assert str(redis["image"]).startswith("redis:7")
    assert "ping" in " ".join(as_argv(redis["healthcheck"]["test"]))
    env = env_of_compose(services[GATEWAY.name])
    db = urlsplit(env["DATABASE_URL"])
    assert db.scheme == "postgresql+asyncpg" and db.hostname == "postgres"
    assert (db.username, db.password, db.path.lstrip("/")) == (
        pg["environment"]["POSTGRES_USER"],
        pg["environment"]["POSTGRES_PASSWORD"],
        pg["environment"]["POSTGRES_DB"],
    )
    assert urlsplit(env["REDIS_URL"]).hostname == "redis"


def _redis_keeps_its_data(argv: list[str], where: str) -> None:
    """AOF with an fsync once a second: what docs/architecture.md promises (and scripts/redis_server.py tests)."""
    joined = " ".join(argv)
    assert "--appendonly yes" in joined and "--appendfsync everysec" in joined, f"{where}: {joined}"


def test_redis_runs_with_aof_everysec_on_a_volume_in_compose_and_kubernetes() -> None:
    redis = load_compose()["services"]["redis"]
    _redis_keeps_its_data(as_argv(redis.get("command")), "docker-compose.yml")
    assert any(":/data" in str(v) for v in redis.get("volumes") or [])
    [statefulset] = [s for s in of_kind(load_k8s_docs(), "StatefulSet") if s["metadata"]["name"] == "redis"]
    [container] = statefulset["spec"]["template"]["spec"]["containers"]
    _redis_keeps_its_data(as_argv(container.get("command")) + as_argv(container.get("args")), "redis.yaml")
    claims = {c["metadata"]["name"] for c in statefulset["spec"].get("volumeClaimTemplates") or []}
    assert any(m["name"] in claims and m["mountPath"] == "/data" for m in container["volumeMounts"])
    _redis_keeps_its_data(list(SHIPPED_ARGS), "scripts/redis_server.py (the tests' and benches' own Redis)")
    assert urlsplit(config_map_data(CONFIG_MAP)["REDIS_URL"]).hostname == "redis"
    assert [s for s in of_kind(load_k8s_docs(), "Service") if s["metadata"]["name"] == "redis"]


# ---- Kubernetes ------------------------------------------------------------------------------


@by_name
def test_k8s_deployment(spec: ServiceSpec) -> None:
    dep, container = deployment_for(spec)
    ports = [int(p["containerPort"]) for p in container.get("ports") or []]
    expected = [spec.port, spec.metrics_port]
    assert ports == expected, f"{spec.name}: containerPorts should be {expected} (service, metrics), got {ports}"
    env = {e["name"]: e.get("value") for e in container.get("env") or []}
    assert env.get("PORT") == str(spec.port)
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        if probe in container:
            assert container_port(container, container[probe]["httpGet"]["port"]) == spec.port
    resources = container.get("resources") or {}
    assert {"cpu", "memory"} <= set(resources.get("requests") or {}), f"{spec.name}: resource requests"
    assert {"cpu", "memory"} <= set(resources.get("limits") or {}), f"{spec.name}: resource limits"
    pod = dep["spec"]["template"]["spec"]
    non_root = (container.get("securityContext") or {}).get(
        "runAsNonRoot", (pod.get("securityContext") or {}).get("runAsNonRoot")
    )
    assert non_root is True, f"{spec.name}: runAsNonRoot"
    selector = dep["spec"]["selector"]["matchLabels"]
    assert selector.items() <= dep["spec"]["template"]["metadata"]["labels"].items()


@by_name
def test_k8s_prometheus_scrapes_the_metrics_port_which_no_service_exposes(spec: ServiceSpec) -> None:
    dep, container = deployment_for(spec)
    annotations = dep["spec"]["template"]["metadata"].get("annotations") or {}
    assert annotations.get("prometheus.io/scrape") == "true"
    assert annotations.get("prometheus.io/path") == "/metrics"
    assert int(annotations["prometheus.io/port"]) == spec.metrics_port, f"{spec.name}: scrape its metrics port"
    assert container_port(container, spec.metrics_port) == spec.metrics_port
    env = {e["name"]: e.get("value") for e in container.get("env") or []}
    assert env.get("METRICS_PORT") in (None, str(spec.metrics_port))
    for svc in of_kind(load_k8s_docs(), "Service"):
        targets = {str(p.get("targetPort", p["port"])) for p in svc["spec"]["ports"]}
        assert not targets & {"metrics", str(spec.metrics_port)}, f"{svc['metadata']['name']} exposes metrics"


@by_name
def test_k8s_deployment_waits_for_its_own_migrations(spec: ServiceSpec) -> None:
    dep, _ = deployment_for(spec)
    for init in dep["spec"]["template"]["spec"].get("initContainers") or []:
        argv = as_argv(init.get("command")) + as_argv(init.get("args"))
        if any("wait_for_migrations" in a for a in argv):
            assert argv[-1] == spec.name, f"{spec.name}: init container waits for {argv[-1]!r}"
            script = Path(argv[-2]).name
            assert (BASE / script).is_file()
            assert script in config_map_data("floorwalker-wait-for-migrations")


@by_name
def test_k8s_service(spec: ServiceSpec) -> None:
    dep, container = deployment_for(spec)
    services = [s for s in of_kind(load_k8s_docs(), "Service") if s["metadata"]["name"] == spec.name]
    assert len(services) == 1, f"expected one Service named {spec.name!r} (its *_URL uses that name)"
    svc = services[0]["spec"]
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert svc["selector"] and svc["selector"].items() <= labels.items(), f"{spec.name}: selector misses the pods"
    ports = [p for p in svc["ports"] if int(p["port"]) == spec.port]
    assert len(ports) == 1, f"{spec.name}: the Service should listen on {spec.port}"
    assert container_port(container, ports[0].get("targetPort", ports[0]["port"])) == spec.port


@by_name
def test_k8s_env_covers_distributed_env(spec: ServiceSpec) -> None:
    _, container = deployment_for(spec)
    names = {e["name"] for e in container.get("env") or []}
    sources = container.get("envFrom") or []
    config_maps = [s["configMapRef"]["name"] for s in sources if "configMapRef" in s]
    secrets = [s["secretRef"]["name"] for s in sources if "secretRef" in s]
    assert CONFIG_MAP in config_maps and SECRET in secrets
    for name in config_maps:
        names |= set(config_map_data(name))
    for name in secrets:
        names |= secret_keys(name)
    missing = set(DISTRIBUTED_ENV) - names
    assert not missing, f"{spec.name}: no value for {sorted(missing)}"


def test_k8s_config_map_values() -> None:
    data = config_map_data(CONFIG_MAP)
    assert data["FW_MODE"] == "distributed"
    assert data["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert data["REDIS_URL"].startswith("redis://")
    for target in URL_SERVICES:
        url_points_at(data[target.url_env], target)
    assert not SECRET_ENV & set(data), "secrets belong in floorwalker-secrets, not the ConfigMap"
    assert "PORT" not in data, "PORT differs per Deployment"


def test_k8s_secret_example_is_not_a_resource() -> None:
    assert (BASE / SECRET_EXAMPLE).is_file()
    assert SECRET_EXAMPLE not in (load_kustomization().get("resources") or [])
    assert SECRET_ENV <= secret_keys(SECRET)
    assert not of_kind(load_k8s_docs(include_example_secret=False), "Secret"), "real secrets do not belong in git"


def test_kustomization_lists_every_resource() -> None:
    kustomization = load_kustomization()
    listed = kustomization.get("resources") or []
    assert len(listed) == len(set(listed)), "a resource is listed twice"
    for entry in listed:
        assert (BASE / entry).exists(), f"kustomization.yaml lists {entry}, which does not exist"
    present = {
        str(p.relative_to(BASE))
        for p in base_yaml_files()
        if p.name not in {"kustomization.yaml", "kustomization.yml", SECRET_EXAMPLE}
    }
    assert present == set(listed), (
        f"not listed: {sorted(present - set(listed))}; listed but not YAML files here: {sorted(set(listed) - present)}"
    )
    for gen in (kustomization.get("configMapGenerator") or []) + (kustomization.get("secretGenerator") or []):
        for entry in (gen.get("files") or []) + (gen.get("envs") or []):
            assert (BASE / entry.rpartition("=")[2]).is_file(), f"generator file {entry} does not exist"


def test_kustomization_part_of_label() -> None:
    kustomization = load_kustomization()
    pairs: dict[str, str] = dict(kustomization.get("commonLabels") or {})
    for entry in kustomization.get("labels") or []:
        pairs.update(entry.get("pairs") or {})
    assert pairs.get("app.kubernetes.io/part-of") == "floorwalker"


def test_k8s_every_env_source_exists() -> None:
    """Every configMapRef/secretRef/volume ConfigMap of the base names something the base defines."""
    generated = {g["name"] for g in load_kustomization().get("configMapGenerator") or []}
    config_maps = generated | {d["metadata"]["name"] for d in of_kind(load_k8s_docs(), "ConfigMap")}
    secrets = {d["metadata"]["name"] for d in of_kind(load_k8s_docs(), "Secret")}
    for doc in of_kind(load_k8s_docs(), "Deployment") + of_kind(load_k8s_docs(), "Job"):
        pod = doc["spec"]["template"]["spec"]
        for container in pod["containers"] + (pod.get("initContainers") or []):
            for source in container.get("envFrom") or []:
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets
        for volume in pod.get("volumes") or []:
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps


def test_k8s_ingress_routes_to_the_gateway() -> None:
    ingresses = of_kind(load_k8s_docs(), "Ingress")
    assert len(ingresses) == 1, "one Ingress, for the gateway only"
    ingress = ingresses[0]
    assert ingress["apiVersion"] == "networking.k8s.io/v1"
    annotations = ingress["metadata"].get("annotations") or {}
    assert annotations.get("nginx.ingress.kubernetes.io/proxy-read-timeout") == "3600"
    assert annotations.get("nginx.ingress.kubernetes.io/proxy-send-timeout") == "3600"
    gateway_service = next(s for s in of_kind(load_k8s_docs(), "Service") if s["metadata"]["name"] == GATEWAY.name)
    gateway_port_names = {p.get("name") for p in gateway_service["spec"]["ports"] if int(p["port"]) == GATEWAY.port}
    backends = [path["backend"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]
    if "defaultBackend" in ingress["spec"]:
        backends.append(ingress["spec"]["defaultBackend"])
    assert backends
    for backend in backends:
        service = backend["service"]
        assert service["name"] == GATEWAY.name
        port = service["port"]
        assert port.get("number") == GATEWAY.port or port.get("name") in gateway_port_names - {None}


def test_k8s_hpas_target_gateway_and_chat() -> None:
    hpas = of_kind(load_k8s_docs(), "HorizontalPodAutoscaler")
    targets: dict[str, dict[str, Any]] = {}
    for hpa in hpas:
        assert hpa["apiVersion"] == "autoscaling/v2"
        ref = hpa["spec"]["scaleTargetRef"]
        assert ref["kind"] == "Deployment" and ref["apiVersion"] == "apps/v1"
        targets[ref["name"]] = hpa["spec"]
    expected = {deployment_for(s)[0]["metadata"]["name"] for s in SERVICES if s.name in HPA_SERVICES}
    assert set(targets) == expected
    for spec in targets.values():
        assert 1 <= spec.get("minReplicas", 1) <= spec["maxReplicas"]
        cpu = [m for m in spec["metrics"] if m["type"] == "Resource" and m["resource"]["name"] == "cpu"]
        assert cpu and cpu[0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}


def test_k8s_migrations_job() -> None:
    jobs = of_kind(load_k8s_docs(), "Job")
    migrate = [
        (job, c)
        for job in jobs
        for c in job["spec"]["template"]["spec"]["containers"]
        if (as_argv(c.get("command")) + as_argv(c.get("args")))[:3] == MIGRATE
    ]
    assert len(migrate) == 1, "expected one Job running python -m services.common.migrate"
    job, container = migrate[0]
    argv = as_argv(container.get("command")) + as_argv(container.get("args"))
    assert sorted(argv[3:]) == sorted(s.name for s in SERVICES)
    assert job["spec"]["template"]["spec"]["restartPolicy"] in {"OnFailure", "Never"}
    refs = container.get("envFrom") or []
    assert any(r.get("configMapRef", {}).get("name") == CONFIG_MAP for r in refs)
    _, gateway_container = deployment_for(GATEWAY)
    assert container["image"] == gateway_container["image"], "migrations run from the services' image"


# ---- image -----------------------------------------------------------------------------------


def test_dockerfile() -> None:
    text = DOCKERFILE.read_text()
    froms = re.findall(r"^FROM\s+(\S+)", text, flags=re.MULTILINE)
    assert froms and froms[0].startswith("node:20-slim") and froms[-1].startswith("python:3.11-slim")
    assert re.search(r"^EXPOSE\s+8000\b", text, flags=re.MULTILINE)
    assert f"EXPOSE {GATEWAY.port}" in text
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.MULTILINE)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    cmd = re.findall(r"^CMD\s+(.+)$", text, flags=re.MULTILINE)
    assert cmd and yaml.safe_load(cmd[-1]) == ["python", "-m", GATEWAY.module]
    assert "requirements.txt" in text
    for spa in ("widget", "console"):
        assert re.search(rf"^COPY --from=\S+ \S*clients/{spa}/dist\s", text, flags=re.MULTILINE)
    ignored = DOCKERIGNORE.read_text().split()
    assert {".git", ".venv", "**/node_modules"} <= set(ignored)
