"""deploy/kubernetes, offline: each overlay rendered (render.py; and by `kubectl kustomize` where kubectl is
installed, which must agree), every object valid against Kubernetes' own schemas (kubernetes-validate, strict),
the YAML linted, and the properties the stack relies on checked: replicas and probes, a grace period above the
longest drain, the migrations before the api, unbuffered long-lived streams at the way in, keyless Azure in
production, and nothing in a ConfigMap or Secret the api does not read."""

import ast
import ipaddress
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from yamllint import linter
from yamllint.config import YamlLintConfig

from render import render

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "kubernetes"
OVERLAYS = sorted(path.parent for path in (DEPLOY / "overlays").glob("*/kustomization.yaml"))
KUBERNETES = "1.33.0"  # a version AKS and the other clouds support now
CUSTOM_KINDS = {"HTTPRoute"}  # the Gateway API's: not among Kubernetes' own schemas (checked below instead)
GRACEFUL_TIMEOUT_S = 30  # the api's default, which the ConfigMaps keep
HEALTH = ROOT / "services/api/src/chat_api/http/health.py"
EDGE_CONF = ROOT / "nginx/templates/default.conf.template"


@pytest.fixture(params=OVERLAYS, ids=[path.name for path in OVERLAYS])
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    path: Path = request.param
    return path.name, render(path)


def find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def kinds(objects: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(o["kind"], o["metadata"]["name"]) for o in objects}


def test_there_are_a_trial_and_two_production_overlays() -> None:
    assert [path.name for path in OVERLAYS] == ["production", "production-ingress-nginx", "trial"]


def test_every_object_is_valid_against_kubernetes_schemas(overlay: tuple[str, list[dict[str, Any]]]) -> None:
    _, objects = overlay
    for document in objects:
        if document["kind"] in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(document, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{document['kind']}/{document['metadata']['name']}: {error.message} at {list(error.path)}")


def test_the_yaml_is_clean() -> None:
    config = YamlLintConfig("extends: default\nrules: {line-length: {max: 120}, document-start: disable}")
    problems = [
        f"{path.relative_to(ROOT)}:{problem.line}: {problem.message}"
        for path in sorted(DEPLOY.rglob("*.yaml"))
        for problem in linter.run(path.read_text(), config)
    ]
    assert not problems, problems


def test_the_api_serves_from_two_replicas_with_probes_and_drains_within_its_grace(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    _, objects = overlay
    api = find(objects, "Deployment", "api")
    assert api["spec"]["replicas"] >= 2
    assert api["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = api["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/api/healthz"
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pod["terminationGracePeriodSeconds"] > GRACEFUL_TIMEOUT_S + pre_stop  # the drain fits in the grace
    assert {source.get("configMapRef", source.get("secretRef"))["name"] for source in container["envFrom"]} == {
        "chat-config",
        "chat-secrets",
    }
    assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"]
    assert [init["name"] for init in pod["initContainers"]] == ["wait-for-schema"]
    assert find(objects, "Service", "api")["spec"]["clusterIP"] == "None"  # the edge balances over every pod
    assert find(objects, "PodDisruptionBudget", "api")["spec"]["minAvailable"] >= 1
    hpa = find(objects, "HorizontalPodAutoscaler", "api")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "api" and hpa["spec"]["minReplicas"] >= 2
    job = find(objects, "Job", "migrate")["spec"]["template"]["spec"]["containers"][0]
    assert job["command"][-2:] == ["upgrade", "head"] and job["image"] == container["image"]


def test_every_image_comes_from_the_registry_with_one_tag(overlay: tuple[str, list[dict[str, Any]]]) -> None:
    _, objects = overlay
    images = set()
    for document in objects:
        pod = document.get("spec", {}).get("template", {}).get("spec", {})
        images |= {c["image"] for c in [*pod.get("initContainers", []), *pod.get("containers", [])]}
    ours = {image for image in images if "/streaming-chat/" in image}
    assert ours and not {image for image in images if image.startswith("chat-")}  # none left unrendered
    assert len({image.rsplit(":", 1)[1] for image in ours}) == 1


def test_the_trial_runs_everything_in_the_cluster() -> None:
    objects = render(DEPLOY / "overlays" / "trial")
    assert {("StatefulSet", "postgres"), ("StatefulSet", "redis"), ("Deployment", "emulator")} <= kinds(objects)
    config = find(objects, "ConfigMap", "chat-config")["data"]
    assert config["AZURE_OPENAI_ENDPOINT"].startswith("http://emulator.")
    assert find(objects, "Service", "edge-nodeport")["spec"]["type"] == "NodePort"


@pytest.mark.parametrize("name", ["production", "production-ingress-nginx"])
def test_production_is_keyless_with_its_stores_and_secret_outside(name: str) -> None:
    objects = render(DEPLOY / "overlays" / name)
    present = {kind for kind, _ in kinds(objects)}
    assert "StatefulSet" not in present and "Secret" not in present  # the Secret is created by hand (README)
    assert ("Deployment", "emulator") not in kinds(objects)
    account = find(objects, "ServiceAccount", "chat-api")
    assert "azure.workload.identity/client-id" in account["metadata"]["annotations"]
    assert (
        find(objects, "Deployment", "api")["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"]
        == "true"
    )
    config = find(objects, "ConfigMap", "chat-config")["data"]
    assert config["AZURE_OPENAI_API_KEY"] == "" and config["AZURE_OPENAI_ENDPOINT"].startswith("https://")


def test_the_way_in_streams_unbuffered_with_long_timeouts() -> None:
    route = find(render(DEPLOY / "overlays" / "production"), "HTTPRoute", "chat")
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    (rule,) = route["spec"]["rules"]
    assert rule["backendRefs"] == [{"name": "edge", "port": 80}] and rule["timeouts"]["request"] == "0s"
    ingress = find(render(DEPLOY / "overlays" / "production-ingress-nginx"), "Ingress", "chat")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 300
    edge = find(render(DEPLOY / "overlays" / "production"), "Deployment", "edge")["spec"]["template"]["spec"]
    env = {item["name"]: item["value"] for item in edge["containers"][0]["env"]}
    assert env["NGINX_API_SERVER"].startswith("api.chat.svc.cluster.local")
    assert edge["terminationGracePeriodSeconds"] > 300  # streams through it may last the read timeout


def test_the_client_address_is_the_one_the_edge_saw(overlay: tuple[str, list[dict[str, Any]]]) -> None:
    """The edge sets X-Forwarded-For to the address it settled on (never appends to the client's own), the api
    trusts that header from private addresses only, and only the edge's pods can reach the api."""
    edge_conf = EDGE_CONF.read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in edge_conf
    assert "$proxy_add_x_forwarded_for" not in edge_conf
    _, objects = overlay
    edge = find(objects, "Deployment", "edge")["spec"]["template"]["spec"]["containers"][0]
    trusted_by_edge = {item["name"]: item["value"] for item in edge["env"]}["NGINX_REAL_IP_FROM"]
    assert ipaddress.ip_network(trusted_by_edge).is_private
    proxies = find(objects, "ConfigMap", "chat-config")["data"]["FORWARDED_ALLOW_IPS"].split(",")
    assert proxies and all(ipaddress.ip_network(proxy).is_private for proxy in proxies)
    policy = find(objects, "NetworkPolicy", "api")["spec"]
    assert policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "api"}
    assert policy["policyTypes"] == ["Ingress"]
    (rule,) = policy["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "edge"}}}]


def test_compose_trusts_forwarding_from_nginx_alone() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    api, nginx = compose["services"]["api"], compose["services"]["nginx"]
    assert "ports" not in api  # only containers on the compose network reach it
    proxies = api["environment"]["FORWARDED_ALLOW_IPS"].removeprefix("${FORWARDED_ALLOW_IPS:-").removesuffix("}")
    assert all(ipaddress.ip_network(proxy).is_private for proxy in proxies.split(","))
    assert nginx["environment"]["NGINX_REAL_IP_FROM"] == "${NGINX_REAL_IP_FROM:-unix:}"  # no peer names the client
    assert "NGINX_REAL_IP_FROM=unix:" in (ROOT / "nginx/Dockerfile").read_text()


def api_settings() -> set[str]:
    """The api's settings, as its Settings classes name them (read from the source: a renamed setting breaks
    this test), and the variables read by the libraries it configures."""
    tree = ast.parse((ROOT / "services/api/src/chat_api/settings.py").read_text())
    names = {
        node.target.id
        for cls in tree.body
        if isinstance(cls, ast.ClassDef) and cls.name in ("DatabaseSettings", "Settings")
        for node in cls.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id.isupper()
    }
    return names | {"OTEL_SERVICE_NAME"} | {f"AZURE_{name}" for name in ("CLIENT_ID", "TENANT_ID", "CLIENT_SECRET")}


# AUTH_PASSWORDS is a switch and MEMORIES_MAX_TOKENS a count: neither is a secret.
SECRET_NAMES = re.compile(r"KEY|SECRET|PASSWORD(?!S)|TOKEN(?!S)|DATABASE_URL|REDIS_URL")


def test_config_holds_only_what_the_api_reads_and_no_secret(overlay: tuple[str, list[dict[str, Any]]]) -> None:
    known = api_settings() | {"POSTGRES_PASSWORD"}  # the trial's Postgres reads that one
    _, objects = overlay
    for document in objects:
        if document["kind"] in ("ConfigMap", "Secret"):
            keys = set(document.get("data", {})) | set(document.get("stringData", {}))
            assert keys <= known, keys - known
        if document["kind"] == "ConfigMap":
            secrets = {k: v for k, v in document["data"].items() if SECRET_NAMES.search(k) and v}
            assert not secrets, f"secret values in a ConfigMap: {sorted(secrets)}"
        if document["kind"] == "Deployment":
            for container in document["spec"]["template"]["spec"]["containers"]:
                for item in container.get("env", []):
                    if document["metadata"]["name"] == "api":
                        assert item["name"] in known, item["name"]
                    assert not (SECRET_NAMES.search(item["name"]) and "value" in item and item["value"]), item


def test_the_probes_call_routes_that_exist(overlay: tuple[str, list[dict[str, Any]]]) -> None:
    api_routes = {f"/api{path}" for path in re.findall(r'get\(\s*"(/[a-z]+)"', HEALTH.read_text())}
    served = {
        "api": api_routes,
        "ui": set(re.findall(r"location = (/\S+) \{", (ROOT / "services/ui/nginx.conf").read_text())),
        "edge": set(re.findall(r"location = (/\S+) \{", EDGE_CONF.read_text())),
        "emulator": {"/healthz"},
    }
    _, objects = overlay
    for document in objects:
        if document["kind"] != "Deployment":
            continue
        for container in document["spec"]["template"]["spec"]["containers"]:
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                path = container.get(probe, {}).get("httpGet", {}).get("path")
                if path is not None:
                    assert path in served[document["metadata"]["name"]], (document["metadata"]["name"], path)


def test_the_images_are_the_ones_the_build_command_pushes() -> None:
    script = (ROOT / "scripts/push-images.sh").read_text()
    pushed = set(re.findall(r"\[(\w+)\]=", script))
    component = yaml.safe_load((DEPLOY / "components/images/kustomization.yaml").read_text())
    assert {image["name"].removeprefix("chat-") for image in component["images"]} == pushed
    assert {image["newName"].rsplit("/", 1)[1] for image in component["images"]} == pushed
    assert "$registry/streaming-chat/$name:$tag" in script


def test_compose_holds_the_same_facts() -> None:
    """One set of facts, two deployments: the grace above the drain, the probes, no buffering on /api."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    api = compose["services"]["api"]
    graceful = int(re.search(r":-(\d+)", api["environment"]["GRACEFUL_TIMEOUT_S"]).group(1))  # type: ignore[union-attr]
    assert graceful == GRACEFUL_TIMEOUT_S
    assert int(api["stop_grace_period"].removesuffix("s")) > graceful
    assert "/api/healthz" in (ROOT / "services/api/Dockerfile").read_text()
    edge = EDGE_CONF.read_text()
    api_location = edge[edge.index("location /api/ {") :]
    assert "proxy_buffering off;" in api_location and "proxy_read_timeout ${NGINX_API_READ_TIMEOUT};" in api_location
    assert compose["services"]["nginx"]["environment"]["NGINX_API_READ_TIMEOUT"].endswith(":-300s}")


def test_compose_observability_profile_is_wired() -> None:
    """`--profile observability` adds the collector and viewer, which the api's default endpoint names; without
    the profile nothing waits for it (the api then finds no such host and leaves telemetry off)."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    viewer = compose["services"]["otel-lgtm"]
    assert viewer["profiles"] == ["observability"]
    assert re.fullmatch(r"grafana/otel-lgtm:\d+\.\d+\.\d+", viewer["image"])  # official, pinned
    assert all(port.startswith("127.0.0.1:") for port in viewer["ports"])  # Grafana without sign-in: loopback only
    api = compose["services"]["api"]
    assert api["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"].endswith(":-http://otel-lgtm:4318}")
    assert api["depends_on"]["otel-lgtm"]["required"] is False
    profiled = {name: service["profiles"] for name, service in compose["services"].items() if "profiles" in service}
    assert profiled == {"otel-lgtm": ["observability"], "oidc": ["sso"], "mcp-demo": ["mcp"]}


def test_compose_sso_profile_is_wired() -> None:
    """`-f compose.sso.yaml --profile sso` adds the development provider, which the browser (through the
    published port) and the api (through the network alias) both reach by one name and port: its issuer is built
    from the Host it is asked by."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    provider = compose["services"]["oidc"]
    (port,) = provider["ports"]
    assert port == "127.0.0.1:${OIDC_DEV_PORT:-9400}:${OIDC_DEV_PORT:-9400}"  # the same port outside and in
    assert provider["networks"]["default"]["aliases"] == ["oidc.localhost"]
    assert not compose["services"]["api"]["environment"]["OIDC_ISSUER"].removeprefix("${OIDC_ISSUER:-").rstrip("}")
    sso = yaml.safe_load((ROOT / "compose.sso.yaml").read_text())["services"]["api"]
    assert sso["environment"]["OIDC_ISSUER"] == "http://oidc.localhost:${OIDC_DEV_PORT:-9400}"
    assert sso["depends_on"]["oidc"]["condition"] == "service_healthy"
    tiers = json.loads(sso["environment"]["TIERS"])
    assert tiers["default"] in [tier["name"] for tier in tiers["tiers"]]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed on this machine")
def test_kubectl_kustomize_renders_the_same(overlay: tuple[str, list[dict[str, Any]]]) -> None:
    name, objects = overlay
    done = subprocess.run(  # noqa: S603 - a fixed command on our own files
        ["kubectl", "kustomize", str(DEPLOY / "overlays" / name)],  # noqa: S607 - whichever kubectl is installed
        capture_output=True,
        text=True,
        check=True,
    )
    theirs = [document for document in yaml.safe_load_all(done.stdout) if document]

    def key(document: dict[str, Any]) -> tuple[str, str]:
        return document["kind"], document["metadata"]["name"]

    assert sorted(theirs, key=key) == sorted(objects, key=key)


@pytest.mark.parametrize("name", ["production", "production-ingress-nginx"])
def test_production_signs_in_with_entra_id_through_its_own_host(name: str) -> None:
    objects = render(DEPLOY / "overlays" / name)
    config = find(objects, "ConfigMap", "chat-config")["data"]
    assert re.fullmatch(r"https://login\.microsoftonline\.com/[0-9a-f-]{36}/v2\.0", config["OIDC_ISSUER"])
    assert "OIDC_CLIENT_SECRET" not in config  # in the chat-secrets Secret
    if name == "production":
        hosts = find(objects, "HTTPRoute", "chat")["spec"]["hostnames"]
    else:
        hosts = [rule["host"] for rule in find(objects, "Ingress", "chat")["spec"]["rules"]]
    assert config["OIDC_REDIRECT_URI"] in {f"https://{host}/api/auth/oidc/callback" for host in hosts}
    tiers = json.loads(config["TIERS"])
    names = [tier["name"] for tier in tiers["tiers"]]
    assert tiers["default"] in names and any(tier.get("admin") for tier in tiers["tiers"])
    assert (config["AUTH_GUESTS"], config["AUTH_PASSWORDS"]) == ("false", "false")


def test_compose_mcp_profile_is_wired() -> None:
    """`--profile mcp` adds the MCP demo server on the compose network only, open (no secret) unless .env sets one,
    without its test hooks; the e2e stack always runs it, with the hooks, on loopback."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    demo = compose["services"]["mcp-demo"]
    assert demo["build"] == "./services/mcp-demo" and "ports" not in demo
    assert demo["environment"]["MCP_DEMO_TOKEN_SECRET"] == "${MCP_DEMO_TOKEN_SECRET:-}"
    assert not any(name.startswith("MCP_DEMO_TEST_HOOKS") for name in demo["environment"])
    assert "/healthz" in " ".join(demo["healthcheck"]["test"])
    e2e = yaml.safe_load((ROOT / "tests/e2e/compose.e2e.yaml").read_text())["services"]["mcp-demo"]
    assert e2e["environment"]["MCP_DEMO_TEST_HOOKS"] == "true"
    assert all(port.startswith("127.0.0.1:") for port in e2e["ports"])  # the hooks have no auth: loopback only
    assert "--profile mcp" in (ROOT / "scripts/e2e.sh").read_text()
