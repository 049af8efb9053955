"""The workers' image, read statically (Docker does not run on this machine, and hadolint is
not on PyPI): a pinned base, a non-root user, the same lock, every file it copies present and in
the build context, `tidecast worker` as its entrypoint; and the template's worker services ask
that entrypoint only for options it has."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tidecast.cli import app
from tidecast.deploy import template
from tidecast.deploy.worker import POOLS

ROOT = Path(__file__).resolve().parents[2]
#: An exact tag (every version part written: 3.11.11, not 3.11 or latest) or a digest.
PINNED = re.compile(r"[\w./-]+(:\d+\.\d+\.\d+[\w.-]*|@sha256:[0-9a-f]{64})")


DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(text: str = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        word, _, rest = pending.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return out


def unpinned_bases(text: str) -> list[str]:
    bases = [args.split()[0] for word, args in instructions(text) if word == "FROM"]
    return [base for base in bases if not PINNED.fullmatch(base)] if bases else ["no FROM"]


def runs_as_root(text: str) -> bool:
    users = [args for word, args in instructions(text) if word == "USER"]
    return not users or users[-1].split(":")[0] in {"root", "0"}


def test_the_base_image_is_pinned() -> None:
    assert unpinned_bases(DOCKERFILE) == []


def test_it_runs_as_a_user_that_is_not_root() -> None:
    assert not runs_as_root(DOCKERFILE)


@pytest.mark.parametrize(
    "base", ["python:3.11-slim", "python:latest", "python", "python:3.11.11-slim@sha256:abc"]
)
def test_an_unpinned_base_is_caught(base: str) -> None:
    assert unpinned_bases(DOCKERFILE.replace("python:3.11.11-slim-bookworm", base, 1))


@pytest.mark.parametrize("user", ["root", "0:0", None])
def test_root_is_caught(user: str | None) -> None:
    lines = [line for line in DOCKERFILE.splitlines() if not line.startswith("USER ")]
    if user is not None:
        lines.append(f"USER {user}")
    assert runs_as_root("\n".join(lines))


def _dockerignore_allows(path: str) -> bool:
    allowed = [
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    ]
    return any(path == entry or path.startswith(entry + "/") for entry in allowed)


def test_every_copied_file_exists_and_is_in_the_build_context() -> None:
    copies = [args.split() for word, args in instructions() if word in {"COPY", "ADD"}]
    assert copies
    for parts in copies:
        sources = [p for p in parts[:-1] if not p.startswith("--")]
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file"
            assert _dockerignore_allows(source.rstrip("/")), f"COPY {source}: .dockerignore leaves it out"
    assert not any(word == "ADD" for word, _ in instructions()), "ADD fetches and unpacks: use COPY"


def test_it_installs_the_runtime_lock_and_nothing_unpinned() -> None:
    runs = " ".join(args for word, args in instructions() if word == "RUN")
    assert "pip install --no-compile -r requirements.lock" in runs
    installs = re.findall(r"pip install ([^&]+)", runs)
    for args in installs:
        assert "-r requirements.lock" in args or "--no-deps" in args, f"pip install {args}: not from the lock"
    assert "apt-get" not in runs, "ffmpeg comes from the pinned imageio-ffmpeg wheel, not Debian"


def test_the_entrypoint_is_the_worker() -> None:
    entry = [json.loads(args) for word, args in instructions() if word == "ENTRYPOINT"]
    assert entry == [["tidecast", "worker"]]


@pytest.mark.parametrize("pool", sorted(POOLS))
def test_each_pool_service_asks_the_worker_for_options_it_has(pool: str) -> None:
    built = template.build(ROOT)
    task = built["Resources"][f"Worker{pool.capitalize()}Task"]["Properties"]
    command = task["ContainerDefinitions"][0]["Command"]
    assert command[:2] == ["--pool", pool]
    help_text = CliRunner().invoke(app, ["worker", "--help"]).output
    for flag in command[::2]:
        assert flag in help_text, f"tidecast worker has no {flag}"
    policy = built["Resources"][f"Worker{pool.capitalize()}BacklogPolicy"]["Properties"]
    metrics = policy["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]["Metrics"]
    assert [m["Id"] for m in metrics if m.get("ReturnData")] == ["backlog"]


def test_the_metric_the_scaling_follows_has_a_publisher() -> None:
    """Both pools scale on `QueueDepth`: the general pool's worker is told where to send it
    (the metrics URL is a setting), and the CloudWatch agent that turns it into the metric runs
    beside that worker, allowed to write it."""
    built = template.build(ROOT)
    resources = built["Resources"]
    general = resources["WorkerGeneralTask"]["Properties"]["ContainerDefinitions"]
    worker, agent = general
    env = {e["Name"]: e["Value"] for e in worker["Environment"]}
    assert env["TIDECAST_METRICS_URL"] == "udp://127.0.0.1:25888"
    assert agent["Image"] == {"Ref": "CloudWatchAgentImage"} and agent["Essential"] is False
    config = json.loads({e["Name"]: e["Value"] for e in agent["Environment"]}["CW_CONFIG_CONTENT"])
    assert config == {"logs": {"metrics_collected": {"emf": {}}}}
    media = resources["WorkerMediaTask"]["Properties"]["ContainerDefinitions"]
    assert [c["Name"] for c in media] == ["worker"]
    assert "TIDECAST_METRICS_URL" not in {e["Name"] for e in media[0]["Environment"]}
    role = resources["WorkerTaskRole"]["Properties"]
    assert any("CloudWatchAgentServerPolicy" in str(arn) for arn in role["ManagedPolicyArns"])
    assert re.fullmatch(
        built["Parameters"]["CloudWatchAgentImage"]["AllowedPattern"], "repo/agent@sha256:" + "a" * 64
    )
    assert not re.fullmatch(built["Parameters"]["CloudWatchAgentImage"]["AllowedPattern"], "agent:latest")
