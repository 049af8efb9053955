"""`mask_url`: what it hides in a URL setting, and what it must leave exactly as it was."""

from __future__ import annotations

import pytest

from tidecast.config import MASK, mask_url

M = MASK

UNCHANGED = [
    "http://localhost:5001",
    "http://localhost:8545",
    "https://gateway.ipfs.io",
    "http://localhost:8888",
    "sqlite:///.tidecast/tidecast.db",
    "sqlite:///.tidecast/queue.db",
    "sqlite:////var/lib/tidecast/tidecast.db",
    # A file path, however key-like its directories: `tidecast config` must show where the data is.
    "sqlite:////builds/3f2a1b9c0d4e5f6a7b8c9d0e/test_config_output0/.tidecast/tidecast.db",
    "sqlite+pysqlite:////builds/3f2a1b9c0d4e5f6a7b8c9d0e/queue.db",
    "postgresql://db.internal:5432/tidecast",
    "postgresql://db/tidecast?sslmode=require",
    "redis://cache:6379/0",
    "http://[::1]:5001",
    "https://node.example/v3/short-path",
    "https://example.com/watch?page=2&sort=new",
    "relative/path/no/scheme",
]


@pytest.mark.parametrize("url", UNCHANGED)
def test_urls_without_credentials_are_left_alone(url: str) -> None:
    assert mask_url(url) == url


MASKED = [
    ("postgresql://bob:hunter2@db/x", f"postgresql://bob:{M}@db/x"),
    ("postgres://bob:hunter2@db:5432/x?sslmode=require", f"postgres://bob:{M}@db:5432/x?sslmode=require"),
    ("postgresql://bob:p%40ss%3Aw0rd@db/x", f"postgresql://bob:{M}@db/x"),
    ("postgresql://bob%40corp:hunter2@db/x", f"postgresql://bob%40corp:{M}@db/x"),
    ("postgresql://u:hunter2@[::1]:5432/x", f"postgresql://u:{M}@[::1]:5432/x"),
    ("redis://:redispw@h:6379/0", f"redis://:{M}@h:6379/0"),
    ("rediss://default:redispw@h:6380/1", f"rediss://default:{M}@h:6380/1"),
    ("http://admin:pw@127.0.0.1:5001", f"http://admin:{M}@127.0.0.1:5001"),
    # A user name standing alone is usually a token (https://<token>@host).
    ("https://ghp_abcdef0123456789@host.example/", f"https://{M}@host.example/"),
    (
        "https://user:s3cr3t@node.example/v3/9aa3d95b3bc440fa88ea12eaa4456161?apikey=abc",
        f"https://user:{M}@node.example/v3/{M}?apikey={M}",
    ),
    ("https://mainnet.infura.io/v3/9aa3d95b3bc440fa88ea12eaa4456161", f"https://mainnet.infura.io/v3/{M}"),
    (
        "https://eth-mainnet.g.alchemy.com/v2/Ab3dEf6hIj9kLm2nOp5qRs",
        f"https://eth-mainnet.g.alchemy.com/v2/{M}",
    ),
    ("https://rpc.example/?token=t0k&chain=1", f"https://rpc.example/?token={M}&chain=1"),
    (
        "https://rpc.example/?X-Api-Key=k&Signature=s&page=2",
        f"https://rpc.example/?X-Api-Key={M}&Signature={M}&page=2",
    ),
    ("https://rpc.example/?access_token=a#frag", f"https://rpc.example/?access_token={M}#frag"),
]


@pytest.mark.parametrize(("url", "shown"), MASKED)
def test_credentials_are_masked(url: str, shown: str) -> None:
    assert mask_url(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "redis://:topsecret@h:notaport/0",  # a port that does not parse: masked whole
        "http://admin:topsecret@[::1/",  # an unclosed IPv6 bracket
        "admin:topsecret@host",  # credentials and no scheme
        "//admin:topsecret@host/",
    ],
)
def test_unparsable_urls_with_credentials_are_masked_whole(url: str) -> None:
    assert "topsecret" not in mask_url(url)
