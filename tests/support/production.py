"""The platform in its production shape on this machine, every part a real engine on free
127.0.0.1 ports: PostgreSQL, Redis, SeaweedFS (S3), Anvil mining a block a second, js-ipfs
(Kubo's RPC), aiosmtpd; the functions in two processes (the dev server's app, nothing else, with
TIDECAST_ENV=production) behind one round-robin address (tests/support/balancer.py); and two
workers, `tidecast worker --pool media` and `--pool general`, as the ECS services run them.

Production mode means what it means in a deployment: secrets given (random here), the platform
key a fresh one (production refuses the development mnemonic's), no embedded part, no `/_dev`.
The contracts are deployed by a development account and handed to the fresh platform key, as
`tidecast chain deploy` would on a real chain. Uploads and published media live in the bucket;
viewers fetch segments from the store's public URL, and keys from /api/keys.

For tests/integration/test_production_load.py and bench/production_load.py: what they share
(the rig, its faults, seeding users and a priced stream, reading the mailbox and the database).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, select

from tests.support.anvil import running_anvil
from tests.support.balancer import Balancer
from tests.support.chain import link_wallet
from tests.support.jsipfs import running_jsipfs
from tests.support.parts import free_port, missing_part
from tests.support.platform import copy_checkout
from tests.support.postgres import PostgresServer, find_bindir
from tests.support.procs import children, cmdline, stop
from tests.support.redis import RedisServer, find_redis
from tests.support.seaweed import SeaweedServer, find_weed
from tests.support.smtp import SmtpServer
from tests.support.uploads import upload_over_http
from tidecast.config import Settings

PASSWORD = "correct horse battery"
BUCKET = "tidecast"
#: Quick media (1 s segments, a tiny ladder) and retries of seconds, so a fault of seconds spans
#: several attempts; the limits a single load address would trip, raised (all load comes from
#: 127.0.0.1, where production sees one address per viewer).
QUICK = {
    "HLS_SEGMENT_LENGTH": "1",
    "TIDECAST_HLS_LADDER": "144p:120k:32k,90p:60k:24k",
    "TIDECAST_HLS_PRESET": "ultrafast",
    "TIDECAST_BCRYPT_ROUNDS": "4",
    "TIDECAST_CHAIN_CONFIRMATIONS": "0",
    "TIDECAST_CHAIN_POLL_SECONDS": "1",
    "TIDECAST_RETRY_BASE_SECONDS": "0.5",
    "TIDECAST_RETRY_MAX_SECONDS": "2",
    "TIDECAST_LEASE_SECONDS": "4",
    "TIDECAST_IPFS_TIMEOUT": "10",
    "TIDECAST_REGISTER_MAX_PER_HOUR": "100000",
    "TIDECAST_LOGIN_MAX_FAILURES": "100000",
}

#: The functions alone, as one Lambda-like process serves them: the dev server's app on argv[1]'s
#: port, the site at argv[2]; no worker, no embedded part (production mode has none).
FUNCTIONS_APP = """
import logging, pathlib, sys, uvicorn
from tidecast.config import load_settings
from tidecast.container import create_services
from tidecast.runtime.devserver import DevServer, server_config
from tidecast.runtime.netlify import load_netlify_config
from tidecast.runtime.registry import Registry
root = pathlib.Path(sys.argv[2])
settings = load_settings()
assert settings.production, "the functions run in production mode here"
netlify = load_netlify_config(root)
registry = Registry(
    netlify.functions_dir, settings=netlify.function_settings, import_root=root,
    services=create_services(settings),
)
app = DevServer(netlify, registry, max_body_bytes=settings.tidecast_max_body_bytes).app()
config = server_config(app, host="127.0.0.1", port=int(sys.argv[1]), trusted_proxies=[])
config.access_log = False
# Backend connections outlive the balancer's idle client connections (AWS's advice for an ALB's
# targets): uvicorn's 5 s closed them under a client about to reuse one.
config.timeout_keep_alive = 75
logging.getLogger("uvicorn.access").disabled = True
uvicorn.Server(config).run()
"""


@dataclass
class Production:
    work: Path
    checkout: Path
    env: dict[str, str]
    postgres: PostgresServer
    redis: RedisServer
    seaweed: SeaweedServer
    smtp: SmtpServer
    rpc_url: str
    deployment: Any  # tidecast.chain.deploy.Deployment
    balancer: Balancer
    engine: Engine
    function_ports: list[int]
    functions: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.balancer.url

    # -- processes ---------------------------------------------------------------------------

    def start_function(self, index: int) -> None:
        port = self.function_ports[index]
        log = (self.work / f"function-{index}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-c", FUNCTIONS_APP, str(port), str(self.checkout)],
            cwd=self.checkout,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.functions[index] = proc
        wait_for(
            f"function process {index}",
            lambda: httpx.get(f"http://127.0.0.1:{port}/api/payments/config", timeout=2).status_code == 200,
            proc,
            timeout=60,
            log=self.work / f"function-{index}.log",
        )

    def kill_function(self, index: int) -> None:
        proc = self.functions[index]
        proc.kill()
        proc.wait(timeout=10)

    def start_worker(self, pool: str) -> None:
        log = (self.work / f"worker-{pool}.log").open("ab")
        self.workers[pool] = subprocess.Popen(
            [sys.executable, "-m", "tidecast", "worker", "--pool", pool],
            cwd=self.checkout,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def encoders(self) -> list[int]:
        """The media worker's ffmpeg processes encoding (the ladder's filter graph)."""
        worker = self.workers["media"]
        return [pid for pid in children(worker.pid) if "-filter_complex" in cmdline(pid)]

    def cpu_seconds(self) -> float:
        """User + system CPU of the function processes alive now (their children included)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for proc in self.functions.values():
            try:
                fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(v) for v in fields[11:15]) / tick  # utime stime cutime cstime
        return total

    def logs(self, tail: int = 3000) -> str:
        out = []
        for log in sorted(self.work.glob("*.log")):
            out.append(f"--- {log.name}\n{log.read_text(errors='replace')[-tail:]}")
        return "\n".join(out)

    # -- users and media ---------------------------------------------------------------------

    def register(self, client: httpx.Client, username: str) -> str:
        """A creator as one becomes one: register, the link from the mailbox, log in; the token."""
        email = f"{username}@example.com"
        reply = client.post(
            "/api/auth/register", json={"username": username, "email": email, "password": PASSWORD}
        )
        assert reply.status_code in (201, 202), reply.text
        token = self.smtp_token(email, "verify-email")
        assert client.post("/api/auth/verify-email", json={"token": token}).status_code == 200
        login = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        assert login.status_code == 200, login.text
        return str(login.json()["token"])

    def smtp_token(self, email: str, kind: str, timeout: float = 30) -> str:
        import re

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for text in self.mails_to(email):
                found = re.search(kind + r"\?token=([\w-]+)", text)
                if found:
                    return found[1]
            time.sleep(0.1)
        raise AssertionError(f"no {kind} mail to {email} within {timeout} s")

    def mails_to(self, email: str) -> list[str]:
        """The plain-text bodies of the mail the SMTP server accepted for `email`."""
        with self.smtp.handler.lock:
            received = list(self.smtp.handler.received)
        out = []
        for mail in received:
            if email in mail.envelope_to:
                body = mail.message.get_body(("plain",))
                out.append(str(body.get_content()) if body is not None else "")
        return out

    def user_id(self, username: str) -> str:
        from tidecast.db.schema import users

        with self.engine.connect() as conn:
            return str(conn.execute(select(users.c.id).where(users.c.username == username)).scalar_one())

    def link_wallet(self, username: str, address: str) -> None:
        """Recorded as SIWE would record it (the signing flow has tests of its own)."""
        link_wallet(self.engine, self.user_id(username), address, self.deployment.chain_id)

    def upload(self, client: httpx.Client, token: str, video: bytes, title: str) -> str:
        return upload_over_http(client, token, video, title)

    def stream_status(self, stream_id: str) -> str:
        from tidecast.db.schema import streams

        with self.engine.connect() as conn:
            return str(conn.execute(select(streams.c.status).where(streams.c.id == stream_id)).scalar_one())

    def wait_ready(self, stream_id: str, timeout: float = 120) -> None:
        wait_for(
            f"stream {stream_id} ready", lambda: self.stream_status(stream_id) == "ready", timeout=timeout
        )


def wait_for(
    what: str,
    predicate: Callable[[], bool],
    proc: subprocess.Popen[bytes] | None = None,
    *,
    timeout: float = 60,
    log: Path | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except Exception:  # a part still coming up
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                f"{what}: exited {proc.returncode}\n" + (log.read_text()[-4000:] if log else "")
            )
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.2)


@contextmanager
def running_production(work: Path, *, viewers: int = 0) -> Iterator[Production]:
    """The whole platform in production mode; `viewers` development accounts funded with ETH
    and TIDE for viewers to pay from (demo accounts 2 onwards)."""
    from tidecast.chain.deploy import connect, deploy_all, fund_demo_accounts
    from tidecast.chain.devnet import demo_accounts

    bindir, redis_binary, weed = find_bindir(), find_redis(), find_weed()
    if bindir is None or redis_binary is None or weed is None:
        missing_part("PostgreSQL, Redis and SeaweedFS are needed for the production shape")
    assert bindir is not None and redis_binary is not None and weed is not None
    checkout = copy_checkout(work)
    with ExitStack() as stack:
        postgres = PostgresServer(bindir)
        postgres.start()
        stack.callback(postgres.stop)
        redis = RedisServer(redis_binary, work / "redis").start()
        stack.callback(redis.stop)
        seaweed = SeaweedServer(weed, work / "seaweed").start()
        stack.callback(seaweed.stop)
        seaweed.make_bucket(BUCKET)
        smtp = SmtpServer().start()
        stack.callback(smtp.stop)
        rpc_url = stack.enter_context(running_anvil(args=("--block-time", "1", "--balance", "10000000")))
        ipfs = stack.enter_context(running_jsipfs())

        from eth_account import Account

        platform = Account.create()
        accounts = demo_accounts(2 + viewers)
        w3 = connect(rpc_url)
        deployment = deploy_all(w3, accounts[0].private_key, platform_address=platform.address)
        fund_demo_accounts(
            w3,
            accounts[0].private_key,
            deployment.token,
            [a.address for a in accounts[1:]] + [platform.address],
        )

        settings_vars = {name.upper() for name in Settings.model_fields}
        balancer = Balancer([free_port(), free_port()]).up()
        stack.callback(balancer.down)
        env = {
            **{k: v for k, v in os.environ.items() if k not in settings_vars and not k.startswith("AWS_")},
            **seaweed.credentials_env(),
            "PYTHONPATH": str(checkout),
            "TIDECAST_ENV": "production",
            "TIDECAST_DATA_DIR": str(work / "data"),
            "HLS_OUTPUT_DIR": str(work / "data" / "hls"),
            "TIDECAST_PUBLIC_URL": balancer.url,
            "JWT_SECRET": secrets.token_urlsafe(32),
            "TIDECAST_MEDIA_KEY_SECRET": secrets.token_urlsafe(32),
            "DATABASE_URL": postgres.url,
            "TIDECAST_QUEUE_URL": redis.url,
            "TIDECAST_STORAGE_URL": (
                f"s3://{BUCKET}/media?endpoint={seaweed.endpoint}&public_url={seaweed.endpoint}/{BUCKET}"
            ),
            "IPFS_API_URL": ipfs.api_url,
            "RPC_URL": rpc_url,
            "TIDECAST_CHAIN_ID": str(deployment.chain_id),
            "PAYMENT_STREAM_CONTRACT_ADDRESS": deployment.payment_stream,
            "TOKEN_ADDRESS": deployment.token,
            "STREAM_REGISTRY_ADDRESS": deployment.registry,
            "PLATFORM_PRIVATE_KEY": "0x" + bytes(platform.key).hex().removeprefix("0x"),
            **smtp.env(),
            **QUICK,
        }
        (work / "data").mkdir(exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "tidecast", "db", "upgrade"],
            cwd=checkout,
            env=env,
            check=True,
            capture_output=True,
        )
        prod = Production(
            work=work,
            checkout=checkout,
            env=env,
            postgres=postgres,
            redis=redis,
            seaweed=seaweed,
            smtp=smtp,
            rpc_url=rpc_url,
            deployment=deployment,
            balancer=balancer,
            engine=create_engine(postgres.url, pool_pre_ping=True),
            function_ports=list(balancer.backends),
        )
        stack.callback(prod.engine.dispose)

        def stop_all() -> None:
            for proc in [*prod.functions.values(), *prod.workers.values()]:
                stop(proc, signal.SIGTERM, grace=15)

        stack.callback(stop_all)
        prod.start_worker("media")
        prod.start_worker("general")
        for index in range(len(prod.function_ports)):
            prod.start_function(index)
        yield prod


def viewer_accounts(count: int) -> list[Any]:
    """The development accounts `running_production(viewers=count)` funded for viewers."""
    from tidecast.chain.devnet import demo_accounts

    return demo_accounts(2 + count)[2:]
