"""Invocation as Lambda does it: context fields, timeouts, reply checks, timeout precedence."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tidecast.errors import NotFound
from tidecast.runtime.apigw import build_event
from tidecast.runtime.context import LambdaContext
from tidecast.runtime.invoke import invoke_sync
from tidecast.runtime.registry import Registry


def write(dir_: Path, name: str, body: str) -> None:
    (dir_ / f"{name}.py").write_text(body)


def test_context_has_the_lambda_fields() -> None:
    ctx = LambdaContext("streams", timeout=2, memory_limit_in_mb=512)
    assert ctx.function_name == "streams" and ctx.memory_limit_in_mb == 512
    assert ctx.invoked_function_arn.endswith(":function:streams")
    assert len(ctx.aws_request_id) == 36
    assert 1500 < ctx.get_remaining_time_in_millis() <= 2000


def test_timeout_precedence(tmp_path: Path) -> None:
    write(tmp_path, "declared", "TIMEOUT = 3\ndef handler(e, c):\n    return {'statusCode': 200}\n")
    write(tmp_path, "plain", "def handler(e, c):\n    return {'statusCode': 200}\n")
    registry = Registry(tmp_path, default_timeout=7, settings={"plain": {"timeout": 2}}, import_root=tmp_path)
    assert registry.get("declared").timeout == 3
    assert registry.get("plain").timeout == 2
    write(tmp_path, "other", "def handler(e, c):\n    return {'statusCode': 200}\n")
    assert registry.get("other").timeout == 7


@pytest.mark.parametrize("name", ["missing", "_private", "../etc", ""])
def test_unknown_or_unsafe_names_are_not_found(tmp_path: Path, name: str) -> None:
    with pytest.raises(NotFound):
        Registry(tmp_path, import_root=tmp_path).get(name)


def test_same_name_in_two_directories_loads_each_file(tmp_path: Path) -> None:
    for letter in "ab":
        (tmp_path / letter).mkdir()
        write(
            tmp_path / letter,
            "f",
            f"def handler(e, c):\n    return {{'statusCode': 200, 'body': '{letter}'}}\n",
        )
    first = Registry(tmp_path / "a", import_root=tmp_path / "a").get("f")
    second = Registry(tmp_path / "b", import_root=tmp_path / "b").get("f")
    assert (first.handler({}, None)["body"], second.handler({}, None)["body"]) == ("a", "b")


def test_overrunning_handler_gets_504_at_its_timeout(tmp_path: Path) -> None:
    write(tmp_path, "slow", "import time\nTIMEOUT = 0.5\ndef handler(e, c):\n    time.sleep(2)\n")
    fn = Registry(tmp_path, import_root=tmp_path).get("slow")
    started = time.monotonic()
    reply = invoke_sync(fn, build_event(method="GET", path="/api/slow"))
    assert time.monotonic() - started < 1.5
    assert reply["statusCode"] == 504 and json.loads(reply["body"])["code"] == "FUNCTION_TIMEOUT"


@pytest.mark.parametrize(
    "returned",
    [
        "'text'",
        "{'statusCode': 'ok'}",
        "{'statusCode': 99}",
        "{'statusCode': 200, 'body': {'a': 1}}",
        "{'statusCode': 200, 'body': '!!', 'isBase64Encoded': True}",
    ],
)
def test_malformed_replies_become_500(tmp_path: Path, returned: str) -> None:
    write(tmp_path, "bad", f"def handler(e, c):\n    return {returned}\n")
    reply = invoke_sync(
        Registry(tmp_path, import_root=tmp_path).get("bad"), build_event(method="GET", path="/x")
    )
    assert reply["statusCode"] == 500 and json.loads(reply["body"])["code"] == "INTERNAL_ERROR"


def test_handler_sees_a_live_context(tmp_path: Path) -> None:
    write(
        tmp_path,
        "ctx",
        (
            "import json\n"
            "def handler(e, c):\n"
            "    body = [c.function_name, c.get_remaining_time_in_millis()]\n"
            "    return {'statusCode': 200, 'body': json.dumps(body)}\n"
        ),
    )
    reply = invoke_sync(
        Registry(tmp_path, default_timeout=4, import_root=tmp_path).get("ctx"),
        build_event(method="GET", path="/x"),
    )
    name, remaining = json.loads(reply["body"])
    assert name == "ctx" and 3000 < remaining <= 4000
