"""The published contract: openapi.json at the repository root is what the routes declare."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tidecast.functions.openapi import apps, document, document_text
from tidecast.runtime import Function, Request, Response
from tidecast.runtime.contract import Contract, Reply
from tidecast.runtime.openapi import ContractError, build

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_document_is_a_fresh_generation() -> None:
    committed = (ROOT / "openapi.json").read_text(encoding="utf-8")
    assert committed == document_text(), "openapi.json is out of date: run `tidecast api openapi`"


def test_every_route_of_every_function_is_in_the_document() -> None:
    doc = document()
    assert doc["openapi"] == "3.1.0"
    operations = {op["operationId"] for item in doc["paths"].values() for op in item.values()}
    declared = {route.contract.operation_id for app in apps() for route in app.routes if route.contract}
    assert sum(len(app.routes) for app in apps()) == len(declared) == len(operations) >= 25
    assert operations == declared


def test_answers_are_envelopes_and_errors_have_their_code() -> None:
    doc = document()
    get = doc["paths"]["/api/streams/{stream_id}"]["get"]
    ok = get["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["properties"]["data"] == {"$ref": "#/components/schemas/Stream"}
    assert ok["properties"]["success"] == {"const": True}
    assert set(get["responses"]) == {"200", "404", "500", "504"}
    error = doc["components"]["schemas"]["Error404"]
    assert error["properties"]["code"] == {"const": "NOT_FOUND"}
    assert doc["paths"]["/api/auth/me"]["get"]["security"] == [{"bearer": []}]
    assert "WWW-Authenticate" in doc["paths"]["/api/auth/me"]["get"]["responses"]["401"]["headers"]


def test_binary_and_streaming_routes_say_what_they_carry() -> None:
    doc = document()
    key = doc["paths"]["/api/keys/{stream_id}/{period}"]["get"]["responses"]["200"]
    assert key["content"]["application/octet-stream"]["schema"]["maxLength"] == 16
    patch = doc["paths"]["/api/uploads/{upload_id}"]["patch"]
    assert list(patch["requestBody"]["content"]) == ["application/offset+octet-stream"]
    assert "content" not in patch["responses"]["204"]
    assert "Upload-Offset" in patch["responses"]["204"]["headers"]


def test_a_route_without_a_contract_is_refused() -> None:
    app = Function("bare")

    @app.route("GET", "")
    def bare(request: Request) -> Response:
        return Response(204)

    with pytest.raises(ContractError, match="declares no contract"):
        build([app], title="t", version="0")


def test_an_operation_id_used_twice_is_refused() -> None:
    app = Function("twice")
    contract = Contract("same", "s", (Reply(204, "none"),))
    app.route("GET", "a", contract)(lambda request: Response(204))
    app.route("GET", "b", contract)(lambda request: Response(204))
    with pytest.raises(ContractError, match="used twice"):
        build([app], title="t", version="0")


def test_the_document_is_valid_json_with_sorted_paths() -> None:
    doc = json.loads(document_text())
    assert list(doc["paths"]) == sorted(doc["paths"])


def test_the_command_checks_and_writes(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tidecast.cli import app

    target = tmp_path / "openapi.json"
    runner = CliRunner()
    stale = runner.invoke(app, ["api", "openapi", "--check", "--path", str(target)])
    assert stale.exit_code == 2
    written = runner.invoke(app, ["api", "openapi", "--path", str(target)])
    assert written.exit_code == 0 and target.read_text(encoding="utf-8") == document_text()
    fresh = runner.invoke(app, ["api", "openapi", "--check", "--path", str(target)])
    assert fresh.exit_code == 0, fresh.output
