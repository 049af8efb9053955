"""The `tidecast` command as a new user runs it: subprocesses in a fresh working directory."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from tests.support.accounts import add_user
from tests.support.ipfs_node import gateway
from tests.support.parts import free_port
from tests.support.services import build_services
from tidecast.db.schema import jobs
from tidecast.db.tx import transaction
from tidecast.media.streams import insert_stream

pytestmark = pytest.mark.slow  # the CLI in subprocesses, `tidecast dev` started three times

ROOT = Path(__file__).resolve().parents[2]
TIDECAST = [sys.executable, "-m", "tidecast"]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the project as a clone has it (package, netlify.toml, site), run from there."""
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy(ROOT / "netlify.toml", clone / "netlify.toml")
    shutil.copytree(ROOT / "public", clone / "public")
    shutil.copytree(ROOT / "tidecast", clone / "tidecast", ignore=shutil.ignore_patterns("__pycache__"))
    return clone


def run(
    args: list[str], cwd: Path, env_extra: dict[str, str] | None = None, **kw
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd), **(env_extra or {})}
    return subprocess.run(
        [*TIDECAST, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, **kw
    )


def test_db_upgrade_and_invoke_in_process(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(["db", "upgrade"], checkout).returncode == 0
    # `streams add` made a stream with no video, `processing` for ever; a stream comes from an
    # upload (`tidecast upload`), so the command is gone and says where to go instead.
    gone = run(["streams", "add", "--title", "Hello"], checkout)
    assert gone.returncode == 2 and "No such command 'add'" in gone.stderr, gone.stderr
    monkeypatch.chdir(checkout)
    svc = build_services()
    with svc.engine.begin() as conn:
        stream_id = insert_stream(conn, title="Hello", description="first")
        when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        conn.execute(
            insert(jobs).values(
                id="j1", kind="stream.transcode", subject=stream_id, payload={}, next_attempt_at=when,
                give_up_at=when, created_at=when, updated_at=when,
            )
        )  # fmt: skip
    svc.close()

    # The CLI renders the services' domain objects its own way.
    shown = run(["streams", "list"], checkout)
    assert shown.returncode == 0 and re.fullmatch(
        rf"{stream_id}  processing  \d{{4}}-\d\d-\d\dT[0-9:.]+Z  Hello\n", shown.stdout
    ), shown.stdout
    listed_jobs = run(["jobs", "list", "--json"], checkout)
    assert json.loads(listed_jobs.stdout) == [
        {
            "id": "j1",
            "kind": "stream.transcode",
            "subject": stream_id,
            "status": "queued",
            "attempts": 0,
            "progress": 0.0,
            "etaSeconds": None,
            "lastError": None,
            "giveUpAt": "2026-01-02T03:04:05Z",
            "createdAt": "2026-01-02T03:04:05Z",
            "updatedAt": "2026-01-02T03:04:05Z",
            "finishedAt": None,
            "nextAttemptAt": "2026-01-02T03:04:05Z",
        }
    ], listed_jobs.stdout

    got = run(["functions", "invoke", "streams", "--path", f"/api/streams/{stream_id}"], checkout)
    assert got.returncode == 0 and "HTTP 200" in got.stderr
    assert json.loads(got.stdout)["data"]["title"] == "Hello"

    listed = run(["functions", "invoke", "streams", "--query", "limit=1"], checkout)
    assert json.loads(listed.stdout)["data"]["items"][0]["id"] == stream_id

    bad = run(["functions", "invoke", "streams", "--query", "limit=0"], checkout)
    assert (
        bad.returncode == 0 and "HTTP 400" in bad.stderr and json.loads(bad.stdout)["code"] == "BAD_REQUEST"
    )

    posted = run(
        [
            "functions",
            "invoke",
            "streams",
            "--payload",
            '{"key": "value"}',
            "--token",
            "abc",
            "--header",
            "X-Test: 1",
        ],
        checkout,
    )
    assert "HTTP 405" in posted.stderr


def test_db_reseal_keys_rotates_the_media_key_secret(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = "o" * 40, "n" * 40
    assert run(["db", "upgrade"], checkout).returncode == 0
    monkeypatch.chdir(checkout)
    svc = build_services(TIDECAST_MEDIA_KEY_SECRET=old)
    with svc.engine.begin() as conn:  # a published stream's keys, sealed under the old secret
        stream_id = insert_stream(conn, title="sealed under the old secret")
        svc.media_keys.store(conn, stream_id, [b"k" * 16, b"j" * 16])
    svc.close()
    rotating = {"TIDECAST_MEDIA_KEY_SECRET": new, "TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS": old}
    done = run(["db", "reseal-keys"], checkout, rotating)
    assert done.returncode == 0 and "resealed 2, already under the current secret 0" in done.stdout, done
    again = run(["db", "reseal-keys"], checkout, {"TIDECAST_MEDIA_KEY_SECRET": new})
    assert again.returncode == 0 and "resealed 0, already under the current secret 2" in again.stdout
    lost = run(["db", "reseal-keys"], checkout, {"TIDECAST_MEDIA_KEY_SECRET": "z" * 40})
    assert lost.returncode == 1 and "opened by no secret given 2" in lost.stdout
    assert "TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS" in lost.stderr and old not in lost.stderr + lost.stdout


def test_invoke_with_an_event_file_and_exit_code_on_5xx(checkout: Path, tmp_path: Path) -> None:
    run(["db", "upgrade"], checkout)
    event = json.loads((ROOT / "tests/fixtures/events/apigw-http-v2.json").read_text())
    event["rawPath"] = "/api/streams"
    event["requestContext"]["http"]["method"] = "GET"
    event["rawQueryString"] = ""
    event["pathParameters"] = None
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    res = run(["functions", "invoke", "streams", "--event", str(path)], checkout)
    assert res.returncode == 0 and json.loads(res.stdout)["success"] is True

    (checkout / "tidecast" / "functions" / "explode.py").write_text(
        "def handler(event, context):\n    raise RuntimeError('x')\n"
    )
    res = run(["functions", "invoke", "explode"], checkout)
    assert res.returncode == 1 and json.loads(res.stdout)["code"] == "INTERNAL_ERROR"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["functions", "invoke", "nope"], "Function not found: nope"),
        (["functions", "invoke", "streams", "--query", "novalue"], "--query wants KEY=VALUE"),
        (["functions", "invoke", "streams", "--header", "nocolon"], "--header wants KEY:VALUE"),
        (["functions", "invoke", "streams", "--event", "/does/not/exist.json"], "--event"),
    ],
)
def test_cli_bad_input_is_a_clear_error(checkout: Path, args: list[str], message: str) -> None:
    res = run(args, checkout)
    assert res.returncode == 2 and message in res.stderr


def test_bad_setting_stops_the_start_naming_it(checkout: Path) -> None:
    res = subprocess.run(
        [*TIDECAST, "config"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(checkout), "SMTP_PORT": "abc"},
    )
    assert res.returncode == 2 and "SMTP_PORT" in res.stderr


def test_functions_list(checkout: Path) -> None:
    res = run(["functions", "list"], checkout)
    assert res.returncode == 0 and "streams" in res.stdout and "/api/streams" in res.stdout


@pytest.fixture
def dev_ipfs_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def dev_server(checkout: Path, dev_ipfs_url: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(checkout),
        "SMTP_PORT": str(free_port()),
        "RPC_URL": f"http://127.0.0.1:{free_port()}",  # the embedded chain, never a developer's 8545
        "IPFS_API_URL": dev_ipfs_url,  # the embedded IPFS node, never a developer's 5001
    }
    proc = subprocess.Popen(
        [*TIDECAST, "dev", "--port", str(port)],
        cwd=checkout,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a start, not a speed check: three workers share two cores
    while True:
        try:
            httpx.get(base + "/", timeout=1)
            break
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(proc.stdout.read() if proc.stdout else "dev server failed") from None
            time.sleep(0.1)
    yield base, proc
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_dev_server_end_to_end(dev_server: tuple[str, subprocess.Popen[str]], checkout: Path) -> None:
    base, proc = dev_server
    assert httpx.get(base + "/api/streams").json() == {
        "success": True,
        "data": {"items": [], "nextCursor": None},
    }
    res = httpx.get(base + "/api/streams/unknown")
    assert res.status_code == 404 and res.json()["error"] == "Stream not found"
    assert "tidecast" in httpx.get(base + "/").text
    # invoke --url talks to the running server
    res = run(
        ["functions", "invoke", "streams", "--url", base, "--path", "/api/streams", "--query", "limit=5"],
        checkout,
    )
    assert res.returncode == 0 and json.loads(res.stdout)["success"] is True
    chain_file = Path(os.environ["TIDECAST_DATA_DIR"]) / "chain.json"  # the server's data dir
    assert json.loads(chain_file.read_text())["payment_stream"]  # written for other processes...
    chain = httpx.get(base + "/_dev/chain").json()["data"]
    assert chain["node"] == "embedded" and chain["chainId"] == 131277322940537
    assert all(chain["contracts"].values()) and len(chain["accounts"]) == 10
    assert chain["accounts"][3]["balances"]["TIDE"] == "1000000"
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=15)
    assert "function streams" in out and f"{base.replace('127.0.0.1', 'localhost')}/api/streams" in out
    assert f"DemoToken (TIDE) {chain['contracts']['DemoToken']}" in out and "chain id 131277322940537" in out
    assert chain_file.exists()  # ...and kept with the chain it names, which is kept on disk


def test_dev_ipfs_node_and_gateway(dev_server: tuple[str, subprocess.Popen[str]], dev_ipfs_url: str) -> None:
    """`tidecast dev` runs the IPFS node on IPFS_API_URL and serves its gateway on the dev
    server: `/ipfs/<cid>` on any Host moves to `<cid>.ipfs.<host>`, which serves the content."""
    base, _proc = dev_server
    added = httpx.post(dev_ipfs_url + "/api/v0/add", files={"file": ("hello.txt", b"hello world\n")})
    assert (
        added.text
        == '{"Name":"hello.txt","Hash":"QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o","Size":"20"}\n'
    )
    # any Host: /ipfs/ there moves to the CID's own origin, which serves it (sandboxed)
    got = gateway(base + "/ipfs/QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o")
    assert got.status_code == 200 and got.content == b"hello world\n"
    assert got.headers["content-security-policy"] == "sandbox"
    port = base.rsplit(":", 1)[1]
    moved = httpx.get(
        base + "/ipfs/QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", headers={"Host": f"tv.example:{port}"}
    )
    assert moved.status_code == 301 and ".ipfs.tv.example:" in moved.headers["location"]
    assert got.headers["etag"] == '"bafybeicg2rebjoofv4kbyovkw7af3rpiitvnl6i7ckcywaq6xjcxnc2mby"'  # its CIDv1


def test_invoke_timeout_exits_1_without_waiting_for_the_handler(checkout: Path) -> None:
    with (checkout / "netlify.toml").open("a") as fh:
        fh.write("\n[functions.slow]\n  timeout = 1\n")
    (checkout / "tidecast" / "functions" / "slow.py").write_text(
        "import time\n\ndef handler(event, context):\n    time.sleep(20)\n"
    )
    started = time.monotonic()
    res = run(["functions", "invoke", "slow"], checkout)
    assert res.returncode == 1 and json.loads(res.stdout)["code"] == "FUNCTION_TIMEOUT"
    assert time.monotonic() - started < 15


def test_dev_mailbox_end_to_end(dev_server: tuple[str, subprocess.Popen[str]]) -> None:
    """An event published into the dev server's database travels through its in-process worker,
    the outbox and its SMTP server into the mailbox page; the mail's unsubscribe link works."""
    base, _proc = dev_server
    svc = build_services()  # same data dir as the dev server
    user = add_user(svc.engine, "u1", "<b>ann</b>", "ann@example.com")
    with transaction(svc.engine) as conn:
        svc.events.publish(conn, "user.registered", {"user": user})
    deadline = time.monotonic() + 30
    while not (mails := httpx.get(base + "/_dev/mail.json").json()["data"]):
        assert time.monotonic() < deadline, "the welcome mail never reached the dev mailbox"
        time.sleep(0.2)
    [mail] = mails
    assert mail["subject"] == "Welcome to tidecast!" and mail["envelopeTo"] == ["ann@example.com"]
    assert "&lt;b&gt;ann&lt;/b&gt;" in mail["html"]
    # `tidecast dev --port P` moves the links in mail to port P (TIDECAST_PUBLIC_URL is unset).
    public = base.replace("127.0.0.1", "localhost")
    link = re.search(rf"{re.escape(public)}/verify-email\?token=([\w-]+)", mail["text"])
    assert link is not None, mail["text"]
    assert "Welcome to tidecast!" in httpx.get(base + "/_dev/mail").text
    page = httpx.get(f"{base}/_dev/mail/{mail['id']}")
    assert (
        page.status_code == 200 and "Message-ID" in page.text and f"verify-email?token={link[1]}" in page.text
    )
    html = httpx.get(f"{base}/_dev/mail/{mail['id']}/html")
    assert html.headers["content-security-policy"] == "sandbox" and "Verify your email" in html.text
    assert httpx.get(f"{base}/_dev/mail/nope").status_code == 404

    headers = dict(mail["headers"])
    link = headers["List-Unsubscribe"].strip("<>")
    assert link.startswith(public + "/api/unsubscribe?token="), link
    reply = httpx.post(link, content="List-Unsubscribe=One-Click")
    assert reply.status_code == 200 and reply.json()["data"]["address"] == "ann@example.com"
    assert svc.email.send_welcome_email({**user, "verificationToken": "t"}) is None  # suppressed now
    svc.close()


def test_a_taken_port_is_named_before_the_banner(checkout: Path) -> None:
    """Each embedded part's port, and the dev server's own, when taken: the error names the
    setting or option that moves it, and the banner never says the server is up. (The chain's
    port is held by a socket that accepts and never answers JSON-RPC.)"""
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        # Every other part on a free port of its own: the defaults (8545, 5001) may be another
        # xdist worker's `tidecast dev`.
        others = {
            "RPC_URL": f"http://127.0.0.1:{free_port()}",
            "IPFS_API_URL": f"http://127.0.0.1:{free_port()}",
        }
        smtp = run(
            ["dev", "--port", str(free_port())], checkout, env_extra={**others, "SMTP_PORT": str(taken)}
        )
        assert smtp.returncode != 0
        assert f"SMTP_PORT={taken}" not in smtp.stderr and re.search(r"SMTP_PORT=\d+", smtp.stderr), (
            smtp.stderr
        )
        assert f"127.0.0.1:{taken}" in smtp.stderr and "dev server on" not in smtp.stdout

        server = run(
            ["dev", "--port", str(taken)], checkout, env_extra={**others, "SMTP_PORT": str(free_port())}
        )
        assert server.returncode != 0 and "--port" in server.stderr and f":{taken}" in server.stderr
        assert "dev server on" not in server.stdout

        chain = run(
            ["dev", "--port", str(free_port())],
            checkout,
            env_extra={**others, "SMTP_PORT": str(free_port()), "RPC_URL": f"http://127.0.0.1:{taken}"},
        )
        assert chain.returncode != 0 and f"127.0.0.1:{taken}" in chain.stderr
        assert re.search(r"RPC_URL=http://127\.0\.0\.1:\d+", chain.stderr), chain.stderr
        assert "dev server on" not in chain.stdout

        ipfs = run(
            ["dev", "--port", str(free_port())],
            checkout,
            env_extra={**others, "SMTP_PORT": str(free_port()), "IPFS_API_URL": f"http://127.0.0.1:{taken}"},
        )
        assert ipfs.returncode != 0 and f"127.0.0.1:{taken}" in ipfs.stderr
        assert re.search(r"IPFS_API_URL=http://127\.0\.0\.1:\d+", ipfs.stderr), ipfs.stderr
        assert "dev server on" not in ipfs.stdout


def test_a_mistyped_function_name_fails_and_suggests_the_right_one(checkout: Path) -> None:
    res = run(["functions", "invoke", "stream"], checkout)
    assert res.returncode != 0 and "Function not found: stream" in res.stderr
    assert "did you mean streams?" in res.stderr
    assert res.stdout == ""


def test_help_shows_no_bool_placeholders() -> None:
    """`<bool>` after a flag (typer's rich help) reads as if the flag wanted a value."""
    import typer
    from typer.testing import CliRunner

    from tidecast.cli import app

    def paths(command: Any, prefix: list[str]) -> Iterator[list[str]]:
        yield prefix
        for name, sub in getattr(command, "commands", {}).items():
            yield from paths(sub, [*prefix, name])

    runner = CliRunner()
    seen = 0
    for path in paths(typer.main.get_command(app), []):
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "<bool>" not in result.output, (path, result.output)
        seen += 1
    assert seen > 15  # the root, each group and each command
    flags = runner.invoke(app, ["events", "list", "--help"]).output
    assert "--failed" in flags and "--json" in flags


def test_functions_list_piped_keeps_long_names_whole(checkout: Path) -> None:
    name = "very_long_function_name_" * 2 + "for_testing_"  # 60 characters
    assert len(name) == 60 and name.isidentifier()
    (checkout / "tidecast" / "functions" / f"{name}.py").write_text(
        "def handler(event, context):\n    return {'statusCode': 204}\n"
    )
    env = {**os.environ, "PYTHONPATH": str(checkout), "COLUMNS": "40"}  # a narrow terminal's setting
    res = subprocess.run(
        [*TIDECAST, "functions", "list"], cwd=checkout, env=env, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    for whole in (name, f"/api/{name}", f"/.netlify/functions/{name}", f"tidecast/functions/{name}.py"):
        assert any(whole in line for line in lines), (whole, res.stdout)
    # The name's row holds the name, its first route and its file, each whole, on one line.
    [row] = [line for line in lines if line.strip("│ ").startswith(name)]
    assert f"/.netlify/functions/{name}" in row and f"tidecast/functions/{name}.py" in row
    for other in ("auth", "streams", "unsubscribe"):
        assert any(f"/api/{other}" in line for line in lines), other
