"""`tidecast ipfs …` as a developer runs it, in a fresh working directory: against js-ipfs at
IPFS_API_URL, and with nothing there (the embedded node runs for each command, on the block
store `tidecast dev` uses, so what one command adds the next one finds)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.jsipfs import JsIpfs
from tests.support.parts import free_port

pytestmark = pytest.mark.slow  # the CLI in subprocesses, an IPFS node started for each command

ROOT = Path(__file__).resolve().parents[2]
HELLO = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"


def tidecast(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "tidecast", "ipfs", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_add_cat_pins_gc_on_the_embedded_node_started_for_each_command(tmp_path: Path) -> None:
    env = {"IPFS_API_URL": f"http://127.0.0.1:{free_port()}", "IPFS_GATEWAY": "http://gw.test"}
    data = random.Random(11).randbytes(9 * 1024 * 1024 + 5)  # over the progress bar's threshold
    (tmp_path / "movie.bin").write_bytes(data)
    added = tidecast(["add", "movie.bin", "--progress"], tmp_path, **env)
    assert added.returncode == 0, added.stderr
    word, cid, name = added.stdout.decode().split()
    assert (word, name) == ("added", "movie.bin") and cid.startswith("Qm")
    assert b"MiB" in added.stderr and f"http://gw.test/ipfs/{cid}".encode() in added.stderr
    assert (tmp_path / ".tidecast" / "ipfs").is_dir()

    cat = tidecast(["cat", cid], tmp_path, **env)
    assert cat.returncode == 0 and cat.stdout == data  # binary-safe, byte for byte

    v1 = tidecast(["add", "movie.bin", "--cid-version", "1", "--wrap"], tmp_path, **env)
    assert v1.returncode == 0, v1.stderr
    wrapped = v1.stdout.decode().split()[1]
    assert wrapped.startswith("bafy")
    inner = tidecast(["cat", f"{wrapped}/movie.bin"], tmp_path, **env)
    assert inner.stdout == data

    pins = tidecast(["pins"], tmp_path, **env)
    assert pins.returncode == 0 and set(pins.stdout.decode().split()) == {cid, wrapped}
    gc = tidecast(["gc"], tmp_path, **env)
    assert gc.returncode == 0 and gc.stdout.decode().strip() == "removed 0 blocks"

    # IPFS_GATEWAY unset: the embedded node's content is linked on the dev server, as
    # `tidecast dev` links it (not on a public gateway that has never seen it)
    (tmp_path / "hello.txt").write_bytes(b"hello world\n")
    local = tidecast(["add", "hello.txt"], tmp_path, IPFS_API_URL=env["IPFS_API_URL"])
    assert local.returncode == 0, local.stderr
    assert f"http://localhost:8888/ipfs/{HELLO}".encode() in local.stderr


def test_against_a_daemon_at_ipfs_api_url(jsipfs: JsIpfs, tmp_path: Path) -> None:
    env = {"IPFS_API_URL": jsipfs.api_url}
    (tmp_path / "hello.txt").write_bytes(b"hello world\n")
    added = tidecast(["add", "hello.txt"], tmp_path, **env)
    assert added.returncode == 0 and added.stdout.decode().split()[1] == HELLO
    assert f"https://gateway.ipfs.io/ipfs/{HELLO}".encode() in added.stderr  # not our node: the default
    assert not (tmp_path / ".tidecast" / "ipfs").exists()  # the daemon was used, no node started
    assert tidecast(["cat", HELLO], tmp_path, **env).stdout == b"hello world\n"
    assert HELLO in tidecast(["pins"], tmp_path, **env).stdout.decode().split()


def test_bad_input_and_unreachable_nodes_exit_with_clear_messages(tmp_path: Path) -> None:
    env = {"IPFS_API_URL": f"http://127.0.0.1:{free_port()}"}
    bad = tidecast(["cat", "not-a-cid"], tmp_path, **env)
    assert bad.returncode == 2 and b"not a valid CID" in bad.stderr and bad.stdout == b""
    missing = tidecast(["add", "absent.mp4"], tmp_path, **env)
    assert missing.returncode == 2 and b"no such file or directory: 'absent.mp4'" in missing.stderr
    absent = tidecast(["cat", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"], tmp_path, **env)
    assert absent.returncode == 1 and b"not found" in absent.stderr
    # Another host (not loopback: no node is started for it) where nothing listens.
    away = {"IPFS_API_URL": f"http://0.0.0.0:{free_port()}", "TIDECAST_IPFS_TIMEOUT": "2"}
    down = tidecast(["pins"], tmp_path, **away)
    assert down.returncode == 1 and b"cannot be reached" in down.stderr
