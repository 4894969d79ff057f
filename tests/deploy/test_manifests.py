"""The deployment files agree with the code: commands exist, env vars are settings, probes
hit real routes. Parses deploy/ only; no database, no Docker, no cluster."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import get_commands
from django.urls import Resolver404, resolve

from maruntime.probes import PROBES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
K8S = DEPLOY / "k8s"
SETTINGS_SOURCE = (ROOT / "maruntime" / "settings.py").read_text()

# Names the deploy files use that are not Django settings, each for a stated reason.
NON_SETTINGS_ENV = {
    "POD_IP": "k8s downward API, composed into ALLOWED_HOSTS",
    "PUBLIC_HOSTS": "k8s ConfigMap key, composed into ALLOWED_HOSTS",
}
MARUNTIME_IMAGES = ("maruntime",)  # image names (before registry rewriting) of our image

YAML_FILES = sorted(DEPLOY.rglob("*.yaml"))


def _settings_env_names() -> set[str]:
    return set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z0-9_]+)\"", SETTINGS_SOURCE))


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _k8s_docs() -> list[tuple[Path, dict[str, Any]]]:
    return [
        (path, doc)
        for path in sorted(K8S.rglob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in _documents(path)
    ]


def _pod_specs() -> Iterator[tuple[str, dict[str, Any]]]:
    for path, doc in _k8s_docs():
        if doc["kind"] in ("Deployment", "Job"):
            yield f"{path.name}:{doc['metadata']['name']}", doc["spec"]["template"]["spec"]


def _is_ours(image: str) -> bool:
    return image.split("/")[-1].split(":")[0] in MARUNTIME_IMAGES or image.startswith(
        "${MARUNTIME_IMAGE"
    )


def _k8s_containers() -> Iterator[tuple[str, dict[str, Any]]]:
    for where, spec in _pod_specs():
        for container in spec.get("initContainers", []) + spec["containers"]:
            yield f"{where}/{container['name']}", container


def _compose_services() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def _manage_commands(argv: list[str]) -> list[str]:
    """The manage.py subcommands an argv runs (``sh -c "a && b"`` counts each)."""
    if argv[:2] == ["sh", "-c"]:
        words = [w for part in re.split(r"&&|;", argv[2]) for w in [shlex.split(part)]]
    else:
        words = [argv]
    return [w[w.index("manage.py") + 1] for w in words if "manage.py" in w]


def _dockerfile_instruction(name: str) -> list[str]:
    lines = [line for line in DOCKERFILE.read_text().splitlines() if line.startswith(name + " ")]
    assert lines, f"no {name} in the Dockerfile"
    return yaml.safe_load(lines[-1][len(name) + 1 :])  # exec form is a JSON (so YAML) list


def _all_ours_argvs() -> Iterator[tuple[str, list[str]]]:
    yield "Dockerfile CMD", _dockerfile_instruction("CMD")
    for name, service in _compose_services().items():
        if _is_ours(service.get("image", "")) and "command" in service:
            yield f"compose {name}", service["command"]
    for where, container in _k8s_containers():
        if _is_ours(container["image"]):
            assert "command" not in container, f"{where}: use args, keep the tini entrypoint"
            yield where, container["args"]


def test_every_yaml_file_parses() -> None:
    assert COMPOSE in YAML_FILES
    for path in YAML_FILES:
        assert _documents(path), path


def test_every_maruntime_command_is_a_manage_py_command() -> None:
    commands = get_commands()
    seen = set()
    for where, argv in _all_ours_argvs():
        if argv[:2] == ["sh", "-c"] and "manage.py" not in argv[2]:
            continue  # copying static files
        used = _manage_commands(argv)
        assert used, f"{where} runs no manage.py command: {argv}"
        for command in used:
            assert command in commands, f"{where}: manage.py {command} does not exist"
            seen.add(command)
    assert {"serve", "runpool", "migrate", "seed_builtin"} <= seen


def test_http_processes_serve_without_the_pool() -> None:
    for where, argv in _all_ours_argvs():
        if "serve" in _manage_commands(argv):
            assert "--no-pool" in argv, f"{where} would host a pool inside an HTTP process"
            assert argv[argv.index("--host") + 1] == "0.0.0.0", where


def test_dockerfile_defaults_to_the_gateway_in_production() -> None:
    text = DOCKERFILE.read_text()
    cmd = _dockerfile_instruction("CMD")
    assert cmd[:3] == ["python", "manage.py", "serve"] and "--no-pool" in cmd
    assert cmd[cmd.index("--port") + 1] == "8000"
    assert re.search(r"^\s*MARUNTIME_SURFACE=gateway\b", text, re.M)
    assert re.search(r"^\s*MARUNTIME_PRODUCTION=1\b", text, re.M)
    assert re.search(r"^USER (?!root|0\b)", text, re.M), "the runtime stage must not run as root"
    assert "/healthz" in text.split("HEALTHCHECK", 1)[1].split("\n\n", 1)[0]
    assert text.count("FROM ") >= 2 and "python:3.11-slim" in text


def _env_names_in_deploy() -> dict[str, str]:
    names: dict[str, str] = {}
    for name, service in _compose_services().items():
        if _is_ours(service.get("image", "")):
            for key in service.get("environment", {}):
                names[key] = f"compose {name}"
    for where, container in _k8s_containers():
        if _is_ours(container["image"]):
            for item in container.get("env", []):
                names[item["name"]] = where
    for _, doc in _k8s_docs():
        if (
            doc["kind"] in ("ConfigMap", "Secret")
            and doc["metadata"]["name"].startswith("maruntime-")
            and doc["metadata"]["name"] != "maruntime-admin-nginx"
        ):
            for key in {**doc.get("data", {}), **doc.get("stringData", {})}:
                names[key] = f"{doc['kind']} {doc['metadata']['name']}"
    for line in DOCKERFILE.read_text().splitlines():
        for key in re.findall(r"^\s*(?:ENV\s+)?([A-Z][A-Z0-9_]+)=", line):
            if not key.startswith("PIP_") and not key.startswith("PYTHON"):
                names[key] = "Dockerfile"
    return names


def test_every_env_var_is_a_setting() -> None:
    settings_names = _settings_env_names()
    assert {"DATABASE_URL", "SECRET_KEY", "REDIS_URL"} <= settings_names  # the grep works
    for key, where in _env_names_in_deploy().items():
        assert key in settings_names or key in NON_SETTINGS_ENV, (
            f"{where} sets {key}, which maruntime/settings.py never reads"
        )


def test_the_essential_settings_are_configured() -> None:
    names = _env_names_in_deploy()
    for key in (
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_API_KEY",
        "ADMIN_API_KEY",
        "ALLOWED_HOSTS",
        "MARUNTIME_PRODUCTION",
    ):
        assert key in names, key
    secret = next(doc for _, doc in _k8s_docs() if doc["kind"] == "Secret")
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "OPENAI_API_KEY", "ADMIN_API_KEY"} <= set(
        secret["stringData"]
    )


def _resolves(urlconf: str, path: str) -> bool:
    if path in PROBES:  # answered by ProbeMiddleware on every surface
        return True
    try:
        resolve(path, urlconf=urlconf)
    except Resolver404:
        return False
    return True


def _surface(container: dict[str, Any]) -> str:
    env = {item["name"]: item.get("value") for item in container.get("env", [])}
    return env.get("MARUNTIME_SURFACE", "gateway")  # the image's default


@pytest.mark.parametrize("kind", ["readinessProbe", "livenessProbe", "startupProbe"])
def test_k8s_probes_hit_existing_routes(kind: str) -> None:
    checked = 0
    for where, container in _k8s_containers():
        probe = container.get(kind)
        if not probe or not _is_ours(container["image"]):
            continue
        urlconf = f"maruntime.urls_{_surface(container)}"
        assert _resolves(urlconf, probe["httpGet"]["path"]), (where, probe["httpGet"]["path"])
        checked += 1
    if kind != "startupProbe":
        assert checked >= 2


def test_gateway_probes_and_scrape() -> None:
    (gateway,) = [
        doc
        for _, doc in _k8s_docs()
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "maruntime-gateway"
    ]
    container = gateway["spec"]["template"]["spec"]["containers"][0]
    assert gateway["spec"]["replicas"] == 2
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["requests"]
    annotations = gateway["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert _resolves("maruntime.urls_gateway", annotations["prometheus.io/path"])
    # Probes and scrapes send the pod IP as Host: ALLOWED_HOSTS must accept it.
    env = {item["name"]: item for item in container["env"]}
    assert "$(POD_IP)" in env["ALLOWED_HOSTS"]["value"]
    assert env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"


def test_compose_health_checks_hit_existing_routes() -> None:
    for name, service in _compose_services().items():
        test = service.get("healthcheck", {}).get("test")
        if not _is_ours(service.get("image", "")) or not test:
            continue
        (url,) = re.findall(r"http://127\.0\.0\.1:\d+(/[^'\"]*)", " ".join(test))
        surface = service["environment"].get("MARUNTIME_SURFACE", "gateway")
        assert _resolves(f"maruntime.urls_{surface}", url), (name, url)


def test_compose_topology() -> None:
    services = _compose_services()
    assert services["postgres"]["image"].startswith("pgvector/pgvector:pg17")
    assert services["pool"]["deploy"]["replicas"] == 2
    for name in ("gateway", "admin", "pool"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
    assert services["admin"]["environment"]["MARUNTIME_SURFACE"] == "admin"
    assert "8001" in services["admin"]["command"]


def test_pool_drains_before_being_killed() -> None:
    (pool,) = [
        doc
        for _, doc in _k8s_docs()
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "maruntime-pool"
    ]
    spec = pool["spec"]["template"]["spec"]
    assert pool["spec"]["replicas"] == 2
    assert spec["terminationGracePeriodSeconds"] >= 120  # one LLM_TIMEOUT_SECONDS at least


def test_k8s_has_every_piece() -> None:
    kinds = {(doc["kind"], doc["metadata"]["name"]) for _, doc in _k8s_docs()}
    for expected in [
        ("Namespace", "maruntime"),
        ("ConfigMap", "maruntime-config"),
        ("Secret", "maruntime-secrets"),
        ("Deployment", "maruntime-gateway"),
        ("Deployment", "maruntime-admin"),
        ("Deployment", "maruntime-pool"),
        ("Job", "maruntime-migrate"),
        ("Service", "maruntime-gateway"),
        ("Service", "maruntime-admin"),
        ("Ingress", "maruntime-gateway"),
        ("HorizontalPodAutoscaler", "maruntime-gateway"),
        ("HorizontalPodAutoscaler", "maruntime-pool"),
        ("PodDisruptionBudget", "maruntime-gateway"),
        ("PodDisruptionBudget", "maruntime-pool"),
    ]:
        assert expected in kinds, expected
    ingress = next(doc for _, doc in _k8s_docs() if doc["kind"] == "Ingress")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 600


def test_kustomizations_list_existing_files() -> None:
    for kustomization in K8S.rglob("kustomization.yaml"):
        for resource in yaml.safe_load(kustomization.read_text())["resources"]:
            assert (kustomization.parent / resource).is_file(), (kustomization, resource)
    listed = {
        (K8S / r).resolve()
        for r in yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    } | {(K8S / "migrate" / "job.yaml").resolve()}
    for path in K8S.rglob("*.yaml"):
        assert path.name == "kustomization.yaml" or path.resolve() in listed, path


def test_admin_nginx_config_copies_agree() -> None:
    (config_map,) = [
        doc
        for _, doc in _k8s_docs()
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "maruntime-admin-nginx"
    ]
    assert config_map["data"]["admin.conf"] == (DEPLOY / "nginx" / "admin.conf").read_text()
