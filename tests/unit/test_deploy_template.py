"""The SAM template: generated from netlify.toml and the functions, committed fresh, every
function routed the way the dev server routes it, settings by their environment names, no
secret as a parameter, and cfn-lint (with cfn-lint-serverless's rules) clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.parts import missing_part
from tidecast.config import SECRET_FIELDS, Settings
from tidecast.deploy import template
from tidecast.errors import ConfigError
from tidecast.runtime.netlify import load_netlify_config
from tidecast.runtime.registry import Registry

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    return template.build(ROOT)


def test_the_committed_template_is_a_fresh_generation() -> None:
    committed = (ROOT / template.TEMPLATE).read_text(encoding="utf-8")
    assert committed == template.render(ROOT), (
        "run `tidecast deploy template` and commit deploy/template.yaml"
    )


def test_one_function_per_module_with_its_handler_and_netlify_sizing(built: dict[str, Any]) -> None:
    config = load_netlify_config(ROOT)
    names = Registry(config.functions_dir).names()
    functions = {k: v for k, v in built["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert sorted(functions) == sorted(template.resource_name(n) for n in names)
    for name in names:
        props = functions[template.resource_name(name)]["Properties"]
        assert props["Handler"] == f"tidecast.functions.{name}.handler"
        assert props["Timeout"] == config.function_settings[name]["timeout"]
        assert props["MemorySize"] == config.function_settings[name]["memory"]
        assert props["Environment"]["Variables"]["TIDECAST_FUNCTION_TIMEOUT"] == str(props["Timeout"])
    globals_ = built["Globals"]["Function"]
    assert (globals_["Runtime"], globals_["Architectures"]) == ("python3.11", ["x86_64"])


def _routes(built: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for logical, resource in built["Resources"].items():
        for event in resource.get("Properties", {}).get("Events", {}).values():
            key = f"{event['Properties']['Method']} {event['Properties']['Path']}"
            assert key not in out, f"{key} routed twice"
            out[key] = logical
    return out


def test_each_function_has_its_api_and_direct_routes_and_no_router(built: dict[str, Any]) -> None:
    routes = _routes(built)
    for name in Registry(load_netlify_config(ROOT).functions_dir).names():
        logical = template.resource_name(name)
        for path in (f"/api/{name}", "/.netlify/functions/" + name):
            assert routes[f"ANY {path}"] == logical
            assert routes[f"ANY {path}/{{proxy+}}"] == logical
    assert routes["ANY /api/openapi.json"] == "OpenapiFunction"
    assert "ANY /api/{proxy+}" not in routes


def test_a_route_two_rules_claim_goes_to_the_first(tmp_path: Path) -> None:
    (tmp_path / "fns").mkdir()
    for name in ("alpha", "beta"):
        (tmp_path / "fns" / f"{name}.py").write_text("def handler(event, context): ...\n")
    (tmp_path / "netlify.toml").write_text(
        '[build]\nfunctions = "fns"\n'
        '[[redirects]]\nfrom = "/api/alpha"\nto = "/.netlify/functions/beta"\nstatus = 200\n'
        '[[redirects]]\nfrom = "/api/*"\nto = "/.netlify/functions/:splat"\nstatus = 200\n'
        '[[redirects]]\nfrom = "/old"\nto = "/new"\nstatus = 301\n'
    )
    routes = {r.key: r.function for r in template.routes(load_netlify_config(tmp_path), ["alpha", "beta"])}
    assert routes["ANY /api/alpha"] == "beta"
    assert routes["ANY /api/alpha/{proxy+}"] == "alpha"
    assert not any("/old" in key or "/new" in key for key in routes)


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ("timeout = 31", "timeout must be whole seconds from 1 to 30"),
        ("timeout = 2.5", "timeout must be whole seconds"),
        ("memory = 64", "memory must be MB from 128 to 10240"),
        ('memory = "lots"', "memory must be MB"),
    ],
)
def test_sizing_out_of_range_is_refused_naming_the_function(
    tmp_path: Path, section: str, problem: str
) -> None:
    (tmp_path / "fns").mkdir()
    (tmp_path / "fns" / "alpha.py").write_text("def handler(event, context): ...\n")
    (tmp_path / "netlify.toml").write_text(f'[build]\nfunctions = "fns"\n[functions.alpha]\n{section}\n')
    with pytest.raises(ConfigError, match=r"\[functions\.alpha\] " + problem):
        template.build(tmp_path)


def test_a_section_for_no_function_is_refused(tmp_path: Path) -> None:
    (tmp_path / "fns").mkdir()
    (tmp_path / "fns" / "alpha.py").write_text("def handler(event, context): ...\n")
    (tmp_path / "netlify.toml").write_text('[build]\nfunctions = "fns"\n[functions.alhpa]\ntimeout = 5\n')
    with pytest.raises(ConfigError, match=r"\[functions\.alhpa\] names no function module"):
        template.build(tmp_path)


def test_environment_names_are_settings_and_secrets_come_from_secrets_manager(built: dict[str, Any]) -> None:
    env = built["Globals"]["Function"]["Environment"]["Variables"]
    fields = {name.upper() for name in Settings.model_fields}
    assert set(env) <= fields, set(env) - fields
    for name in SECRET_FIELDS & {n.lower() for n in env}:
        assert env[name.upper()]["Fn::Sub"].startswith("{{resolve:secretsmanager:${SecretId}:SecretString:")
    for name in (
        "JWT_SECRET",
        "TIDECAST_MEDIA_KEY_SECRET",
        "TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS",  # step 1 of a media-key rotation, in a deployment
        "PLATFORM_PRIVATE_KEY",
        "SMTP_PASSWORD",
    ):
        assert "{{resolve:secretsmanager:" in env[name]["Fn::Sub"], name
    assert "{{resolve:secretsmanager:" in env["DATABASE_URL"]["Fn::Sub"]
    assert env["TIDECAST_ENV"] == "production"


def test_no_parameter_carries_a_secret(built: dict[str, Any]) -> None:
    for name, parameter in built["Parameters"].items():
        lowered = name.lower()
        assert not any(word in lowered for word in ("password", "privatekey", "jwt")), name
        assert "secret" not in lowered or name == "SecretId", name
        assert "NoEcho" not in parameter, f"{name}: a secret belongs in Secrets Manager, not a parameter"
    env = built["Globals"]["Function"]["Environment"]["Variables"]
    for setting in SECRET_FIELDS:
        value = env.get(setting.upper())
        assert not (isinstance(value, dict) and "Ref" in value), f"{setting.upper()} is a parameter"


def _cfn_lint() -> Path:
    found = Path(sys.executable).parent / "cfn-lint"
    if not found.exists():
        missing_part("cfn-lint is not installed (requirements-dev.lock; `make setup-dev`)")
    return found


def test_cfn_lint_with_the_serverless_rules_passes() -> None:
    result = subprocess.run(
        [str(_cfn_lint()), str(ROOT / template.TEMPLATE), "--append-rules", "cfn_lint_serverless.rules"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_catches_a_broken_function(tmp_path: Path) -> None:
    """The lint really reads the functions after SAM's transform: a bad runtime fails it."""
    broken = yaml.safe_load((ROOT / template.TEMPLATE).read_text())
    broken["Globals"]["Function"]["Runtime"] = "python2.7"
    (tmp_path / "template.yaml").write_text(yaml.safe_dump(broken))
    shutil.copy(ROOT / "netlify.toml", tmp_path / "netlify.toml")
    result = subprocess.run(
        [str(_cfn_lint()), str(tmp_path / "template.yaml"), "--append-rules", "cfn_lint_serverless.rules"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert "python2.7" in result.stdout, result.stdout


def test_the_alarms_watch_every_function_and_pool_and_notify_the_topic_when_given(
    built: dict[str, Any],
) -> None:
    from tidecast.deploy.worker import POOLS

    resources = built["Resources"]
    alarms = {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    functions = [k for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function"]
    for logical in functions:
        for metric in ("Errors", "Throttles"):
            alarm = alarms[f"{logical}{metric}Alarm"]
            assert alarm["MetricName"] == metric and alarm["Dimensions"][0]["Value"] == {"Ref": logical}
    assert alarms["KeysFunctionLatencyAlarm"]["ExtendedStatistic"] == "p99"
    for pool, (_, _, _, most, per_task, _) in POOLS.items():
        backlog = alarms[f"Worker{pool.capitalize()}BacklogAlarm"]
        assert backlog["Threshold"] == most * per_task and backlog["Dimensions"] == [
            {"Name": "Pool", "Value": pool}
        ]
        assert alarms[f"Worker{pool.capitalize()}TasksAlarm"]["TreatMissingData"] == "breaching"
    assert alarms["QueueDepthMissingAlarm"]["TreatMissingData"] == "breaching"
    assert alarms["ApiServerErrorsAlarm"]["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}]

    def refs(value: Any) -> set[str]:
        if isinstance(value, dict):
            found = {value["Ref"]} if "Ref" in value else set()
            if "Fn::GetAtt" in value:
                found.add(value["Fn::GetAtt"][0])
            return found.union(*(refs(v) for v in value.values()))
        if isinstance(value, list):
            return set().union(*(refs(v) for v in value))
        return set()

    known = set(resources) | set(built["Parameters"]) | {"AWS::NoValue"}
    for name, alarm in alarms.items():
        assert refs(alarm) <= known, (name, refs(alarm) - known)
        topic = [{"Ref": "AlarmTopicArn"}]
        assert (
            alarm["AlarmActions"]
            == alarm["OKActions"]
            == {"Fn::If": ["HasAlarmTopic", topic, {"Ref": "AWS::NoValue"}]}
        ), name
    assert built["Parameters"]["AlarmTopicArn"]["Default"] == ""
