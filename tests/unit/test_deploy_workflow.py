"""The deploy workflow: actionlint and zizmor (offline) pass, every action is pinned by its full
commit SHA, AWS is reached through OIDC only, and the site's proxies come from netlify.toml."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.parts import missing_part
from tidecast.deploy.redirects import production_redirects
from tidecast.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"
API = "https://abc123.execute-api.eu-west-1.amazonaws.com"


def tool(name: str) -> str:
    found = Path(sys.executable).parent / name
    if not found.exists():
        missing_part(f"{name} is not installed (requirements-dev.lock; `make setup-dev`)")
    return str(found)


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)


def test_actionlint_passes() -> None:
    result = run(tool("actionlint"), "-no-color", str(WORKFLOW))
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_passes_offline() -> None:
    result = run(tool("zizmor"), "--offline", "--no-progress", str(WORKFLOW))
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_catches_a_tag_pinned_action(tmp_path: Path) -> None:
    bad = WORKFLOW.read_text().replace(
        "aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502 # v4.0.2",
        "aws-actions/configure-aws-credentials@v4",
    )
    (tmp_path / "deploy.yml").write_text(bad)
    result = run(tool("zizmor"), "--offline", "--no-progress", str(tmp_path / "deploy.yml"))
    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout, result.stdout


def _workflow() -> dict[Any, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def test_every_action_is_pinned_by_full_commit_sha() -> None:
    uses = re.findall(r"uses:\s*(\S+)", WORKFLOW.read_text())
    assert uses
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref


def test_it_runs_on_pushes_to_main_that_touch_what_deploys() -> None:
    push = _workflow()[True]["push"]  # YAML 1.1 reads the key `on` as true
    assert push["branches"] == ["main"]
    assert {"tidecast/**", "netlify.toml", "requirements.lock"} <= set(push["paths"])


def test_only_the_deploy_job_may_mint_an_oidc_token_and_no_aws_keys_exist() -> None:
    workflow = _workflow()
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        wanted = {"contents": "read", "id-token": "write"} if name == "deploy" else {"contents": "read"}
        assert job["permissions"] == wanted, name
    text = WORKFLOW.read_text()
    assert "AWS_ACCESS_KEY_ID" not in text and "aws-secret-access-key" not in text
    steps = workflow["jobs"]["test"]["steps"]
    assert any("make test" in step.get("run", "") for step in steps)
    assert workflow["jobs"]["deploy"]["needs"] == "test"


def test_the_site_proxies_every_function_rule_to_the_api() -> None:
    lines = [line.split() for line in production_redirects(ROOT, API + "/").splitlines()[1:]]
    assert lines == [
        ["/api/openapi.json", f"{API}/api/openapi.json", "200!"],
        ["/api/*", f"{API}/api/:splat", "200!"],
        ["/.netlify/functions/*", f"{API}/.netlify/functions/:splat", "200!"],
    ]


@pytest.mark.parametrize("url", ["http://abc.example", "https://", "abc.example", f"{API}?x=1"])
def test_a_bad_api_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="the API's URL must be https://host"):
        production_redirects(ROOT, url)
