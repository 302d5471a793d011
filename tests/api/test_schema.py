"""The OpenAPI schema validates with no warnings, and documents every API route with its errors."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver


def _api_routes() -> set[str]:
    """Every concrete route under /api/post-mortem/, in OpenAPI path form."""
    import re

    found: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                found.add(prefix + str(p.pattern))

    walk(get_resolver().url_patterns, "/")
    routes = set()
    for route in found:
        if not route.startswith("/api/post-mortem/") or route.rstrip("$").endswith("/api/post-mortem/^"):
            continue
        path = route.replace("^", "").replace("$", "").replace("\\.", ".")
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path)
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
        path = path.replace("{pk}", "{id}")  # drf-spectacular names the router's pk after the model field
        if path != "/api/post-mortem/":
            routes.add(path)
    return routes


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    # --fail-on-warn turns any drf-spectacular warning (an undocumentable view, an unresolved
    # serializer) into a failure; --validate checks the result against the OpenAPI 3 meta-schema.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_validates_without_warnings(schema_file):
    assert schema_file["openapi"].startswith("3.")


def test_every_api_route_is_documented(schema_file):
    missing = _api_routes() - set(schema_file["paths"])
    assert not missing


MINE = {
    ("/api/post-mortem/trades/", "get"): {"200", "400", "401", "403", "404"},
    ("/api/post-mortem/trades/{id}/", "get"): {"200", "401", "403", "404"},
    ("/api/post-mortem/analyses/", "get"): {"200", "400", "401", "403", "404"},
    ("/api/post-mortem/analyses/{trade_id}/", "get"): {"200", "401", "403", "404"},
    ("/api/post-mortem/analyses/{trade_id}/", "post"): {"202", "400", "401", "403", "404", "422", "429"},
    ("/api/post-mortem/analyses/batch/", "post"): {"202", "400", "401", "403", "422", "429"},
    ("/api/post-mortem/patterns/", "get"): {"200", "400", "401", "403", "404"},
    ("/api/post-mortem/patterns/{id}/", "get"): {"200", "401", "403", "404"},
    ("/api/post-mortem/improvement-plans/", "get"): {"200", "400", "401", "403", "404"},
    ("/api/post-mortem/improvement-plans/{id}/", "get"): {"200", "401", "403", "404"},
    ("/api/post-mortem/runs/", "get"): {"200", "400", "401", "403", "404"},
    ("/api/post-mortem/runs/{id}/", "get"): {"200", "401", "403", "404"},
}


@pytest.mark.parametrize(("path", "method"), list(MINE))
def test_operation_documents_its_responses_permissions_and_auth(schema_file, path, method):
    operation = schema_file["paths"][path][method]
    assert set(operation["responses"]) == MINE[(path, method)]
    assert "post_mortem." in operation["description"]  # the permission it needs
    assert {next(iter(s)) for s in operation["security"]} == {"tokenAuth", "cookieAuth"}
    assert {} not in operation["security"]  # no anonymous access advertised


def test_write_bodies_are_documented(schema_file):
    batch = schema_file["paths"]["/api/post-mortem/analyses/batch/"]["post"]
    ref = batch["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    body = schema_file["components"]["schemas"][ref]
    assert body["required"] == ["trade_ids"]
    assert set(body["properties"]) == {"trade_ids", "engine", "use_batches"}
    assert body["additionalProperties"] is False  # unknown fields are a 400
    assert batch["requestBody"]["required"] is True
    queued = batch["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "run" in schema_file["components"]["schemas"][queued]["properties"]
