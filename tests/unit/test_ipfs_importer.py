"""The importer against Kubo's published vectors (see tests/support/kubo_vectors.py for the
files they come from), with their inputs regenerated here."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from tests.support.kubo_vectors import MOONS_OUTPUT, PLANETS, deterministic, deterministic_names
from tidecast.errors import InvalidInput, NotFound, TooLarge
from tidecast.ipfs.importer import (
    HAMT_THRESHOLD,
    Added,
    DiscardBlocks,
    ImportOptions,
    add_directory,
    add_file,
    add_path,
)

V0 = ImportOptions()
V1 = ImportOptions(cid_version=1)
V0_RAW = ImportOptions(raw_leaves=True)
V1_PB = ImportOptions(cid_version=1, raw_leaves=False)


class Blocks:
    """A sink that keeps every block, to check what the importer stores."""

    def __init__(self) -> None:
        self.blocks: dict[str, bytes] = {}

    def put(self, cid, data: bytes) -> None:
        self.blocks[str(cid)] = data


def add_bytes(data: bytes, options: ImportOptions = V0) -> Added:
    return add_file(io.BytesIO(data), DiscardBlocks(), options)


@pytest.mark.parametrize(
    ("data", "options", "cid", "size"),
    [
        # t0040-add-and-cat.sh
        (b"Hello Worlds!\n", V0, "QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH", None),
        (b"Helloo Worlds!\n", V0, "Qmf35k66MZNW2GijohUmXQEWKZU4cCGTCwK6idfnt152wJ", None),
        (b"Hello Venus!\n", V0, "QmU5kp3BH3B8tnWUU2Pikdb2maksBNkb92FHRr56hyghh4", None),
        (b"Hello Jupiter!\n", V0, "QmUnvPcBctVTAcJpigv6KMqDvmDewksPWrNVoy1E1WP5fh", None),
        (b"Hello Neptune!\nHello Pluton!", V0, "QmZDhWpi8NvKrekaYYhxKCdNVGWsFFe1CREnAjP1QbPaB3", None),
        (b"IPFS\n", V0, "QmdFyxZXsFiP4csgfM5uPu99AvFiKH62CSPDw5TP92nr7w", None),
        (b"base32 test\n", V1_PB, "bafybeibyosqxljd2eptb4ebbtvk7pb4aoxzqa6ttdsflty6rsslz5y6i34", None),
        (b"file1\n", V1, "bafkreihm3rktn5z33luic3youqdsn326toaq3ekesmdvsa53sbrd3f5r3a", None),
        (b"file2\n", V1, "bafkreidh5zkhr2vnwa2luwmuj24xo6l3jhfgvkgtk5cyp43oxs7owzpxby", None),
        (b"", V0, "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", 6),
        (b"", V0_RAW, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", 0),
        # the brief's example; Kubo prints Size 20 for it
        (b"hello world\n", V0, "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o", 20),
        # test/cli/add_test.go: "hello world" in every CID form
        (b"hello world", V0, "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD", 19),
        (b"hello world", V1, "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", 11),
        (b"hello world", V1_PB, "bafybeihykld7uyxzogax6vgyvag42y7464eywpf55gxi5qpoisibh3c5wa", 19),
    ],
)
def test_small_files_match_kubo(data: bytes, options: ImportOptions, cid: str, size: int | None) -> None:
    added = add_bytes(data, options)
    assert str(added.cid) == cid
    if size is not None:
        assert added.size == size


def test_stream_pieces_and_file_object_agree() -> None:
    data = b"Hello Neptune!\nHello Pluton!"
    pieces = [data[i : i + 3] for i in range(0, len(data), 3)]
    assert add_file(pieces, DiscardBlocks()) == add_bytes(data)


def test_the_sink_gets_the_block_whose_hash_is_the_cid() -> None:
    sink = Blocks()
    added = add_file(io.BytesIO(b"hello world\n"), sink)
    assert list(sink.blocks) == [str(added.cid)]
    block = sink.blocks[str(added.cid)]
    assert len(block) == added.size == 20
    assert block == b"\x0a\x12\x08\x02\x12\x0chello world\n\x18\x0c"


# test/cli/cid_profiles_test.go (unixfs-v0-2015 = Kubo's defaults, and unixfs-v1-2025: CIDv1, raw
# leaves, 1 MiB chunks, 1024 links) and test/cli/add_test.go (--max-file-links 1024): files just
# at and just over the chunk size and the max-links boundary, from the ChaCha20 reader.
V1_2025 = ImportOptions(cid_version=1, chunk_size=1 << 20, max_links=1024)


@pytest.mark.parametrize(
    ("size", "seed", "options", "cid"),
    [
        (262144, "chunk-v0-seed", V0, "QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE"),
        (262145, "chunk-v0-seed", V0, "QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ"),
        (174 * 262144, "v0-seed", V0, "QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2"),
        (174 * 262144 + 1, "v0-seed", V0, "QmV81WL765sC8DXsRhE5fJv2rwhS4icHRaf3J9Zk5FdRnW"),
        (1 << 20, "chunk-v1-seed", V1_2025, "bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta"),
        (
            (1 << 20) + 1,
            "chunk-v1-seed",
            V1_2025,
            "bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64",
        ),
        (
            1024 * 262144,
            "hello world",
            ImportOptions(max_links=1024),
            "QmbBftNHWmjSWKLC49dMVrfnY8pjrJYntiAXirFJ7oJrNk",
        ),
        (1 << 30, "v1-2025-seed", V1_2025, "bafybeihmf37wcuvtx4hpu7he5zl5qaf2ineo2lqlfrapokkm5zzw7zyhvm"),
        (
            (1 << 30) + 1,
            "v1-2025-seed",
            V1_2025,
            "bafybeibdsi225ugbkmpbdohnxioyab6jsqrmkts3twhpvfnzp77xtzpyhe",
        ),
    ],
    ids=lambda v: str(v)[:20],
)
def test_chunk_and_link_boundaries_match_kubo(size: int, seed: str, options: ImportOptions, cid: str) -> None:
    assert str(add_file(deterministic(size, seed), DiscardBlocks(), options).cid) == cid


@pytest.mark.parametrize("variant", list(PLANETS))
def test_planets_directory_matches_kubo(variant: str) -> None:
    options = {
        "default": V0,
        "--raw-leaves": V0_RAW,
        "--cid-version=1": V1,
        "--cid-version=1 --raw-leaves=false": V1_PB,
    }[variant]
    mars_cid, venus_cid, planets_cid = PLANETS[variant]
    mars = add_bytes(b"Hello Mars!\n", options)
    venus = add_bytes(b"Hello Venus!\n", options)
    assert (str(mars.cid), str(venus.cid)) == (mars_cid, venus_cid)
    # given in either order, the directory is the same: Kubo sorts the links
    for entries in ([("mars.txt", mars), ("venus.txt", venus)], [("venus.txt", venus), ("mars.txt", mars)]):
        assert str(add_directory(entries, DiscardBlocks(), options).cid) == planets_cid


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def test_moons_tree_from_disk_in_kubos_output_order(tmp_path: Path) -> None:
    write_tree(
        tmp_path / "moons",
        {
            "jupiter/europa.txt": b"Hello Europa!\n",
            "saturn/titan.txt": b"Hello Titan!\n",
            "mercury.txt": b"hey you are no moon!\n",
        },
    )
    seen: list[tuple[str, str]] = []
    root = add_path(tmp_path / "moons", DiscardBlocks(), on_entry=lambda n, a: seen.append((n, str(a.cid))))
    assert seen == MOONS_OUTPUT
    assert str(root.cid) == MOONS_OUTPUT[-1][1]


def test_planets_from_disk_with_wrap(tmp_path: Path) -> None:
    write_tree(tmp_path / "planets", {"mars.txt": b"Hello Mars!\n", "venus.txt": b"Hello Venus!\n"})
    seen: list[tuple[str, Added]] = []
    root = add_path(
        tmp_path / "planets", DiscardBlocks(), wrap=True, on_entry=lambda n, a: seen.append((n, a))
    )
    mars, venus, planets = PLANETS["default"]
    assert [(n, str(a.cid)) for n, a in seen[:3]] == [
        ("planets/mars.txt", mars),
        ("planets/venus.txt", venus),
        ("planets", planets),
    ]
    assert seen[3] == ("", root)  # the wrapper last, unnamed, as Kubo prints it
    assert root == add_directory([("planets", seen[2][1])], DiscardBlocks())
    # Size: the wrapper's block (one link: CID, name, Tsize 146; then Data 08 01) plus below it
    link = (2 + 34) + (2 + len(b"planets")) + (1 + 2)
    assert root.size == seen[2][1].size + (2 + link) + 4 == 200


def test_current_directory_and_hidden_files(tmp_path: Path) -> None:
    # t0040 "ipfs add -r ." (the directory's own name does not enter its CID)
    write_tree(tmp_path / "here", {"hey": b"Hey\n", "hello/world": b"World\n"})
    assert (
        str(add_path(tmp_path / "here", DiscardBlocks()).cid)
        == "QmZQWnfcqJ6hNkkPvrY9Q5X39GP3jUnUbAV4AbmbbR3Cb1"
    )
    # hidden names inside are skipped by default (Kubo without --hidden) and kept with hidden=True
    (tmp_path / "here" / ".secret").write_bytes(b"x")
    assert (
        str(add_path(tmp_path / "here", DiscardBlocks()).cid)
        == "QmZQWnfcqJ6hNkkPvrY9Q5X39GP3jUnUbAV4AbmbbR3Cb1"
    )
    assert str(add_path(tmp_path / "here", DiscardBlocks(), hidden=True).cid) != (
        "QmZQWnfcqJ6hNkkPvrY9Q5X39GP3jUnUbAV4AbmbbR3Cb1"
    )
    # a hidden file named on its own is imported (t0040 ".hello.txt")
    (tmp_path / ".hello.txt").write_bytes(b"Hello Worlds!\n")
    assert (
        str(add_path(tmp_path / ".hello.txt", DiscardBlocks()).cid)
        == "QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH"
    )


def test_symlinks_are_stored_as_kubo_stores_them(tmp_path: Path) -> None:
    # t0044-add-symlink.sh
    write_tree(tmp_path / "files", {"foo/baz": b"some text\n"})
    (tmp_path / "files" / "bar").mkdir()
    os.symlink("files/foo/baz", tmp_path / "files" / "bar" / "baz")
    os.symlink("files/does/not/exist", tmp_path / "files" / "bad")
    files = tmp_path / "files"
    assert str(add_path(files, DiscardBlocks()).cid) == "QmWdiHKoeSW8G1u7ATCgpx4yMoUhYaJBQGkyPLkS9goYZ8"
    assert str(add_path(files, DiscardBlocks(), V1).cid) == (
        "bafybeibyhlx64cklod6isy3h7tsmr4qvam3ae3b74n3hfes5bythjrwyua"
    )
    assert (
        str(add_path(files / "bar" / "baz", DiscardBlocks()).cid)
        == "QmdocmZeF7qwPT9Z8SiVhMSyKA2KKoA2J7jToW6z6WBmxR"
    )
    assert (
        str(add_path(files / "bad", DiscardBlocks()).cid) == "QmWYN8SEXCgNT2PSjB6BnxAx6NJQtazWoBkTRH9GRfPFFQ"
    )


def test_directory_exactly_at_kubos_sharding_threshold_stays_flat() -> None:
    # cid_profiles_test.go unixfs-v0-2015 DirBasicCID: 4096 files named by the deterministic
    # stream (30 characters each), each holding "x"; 4096 * (30 + 34) == 262144 exactly.
    x = add_bytes(b"x")
    names = deterministic_names(4096, 30, 30, "hamt-unixfs-v0-2015")
    added = add_directory([(n, x) for n in names], DiscardBlocks())
    assert str(added.cid) == "QmX5GtRk3TSSEHtdrykgqm4eqMEn3n2XhfkFAis5fjyZmN"


def test_directory_kubo_would_shard_is_refused_not_misaddressed() -> None:
    # DirHAMTCID's input: 4033 names of 31 characters, 262145 bytes by Kubo's estimate
    x = add_bytes(b"x")
    names = deterministic_names(4033, 31, 31, "hamt-unixfs-v0-2015")
    sink = Blocks()
    with pytest.raises(TooLarge, match="shards"):
        add_directory([(n, x) for n in names], sink)
    assert sink.blocks == {}
    assert HAMT_THRESHOLD == 262144


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "nul\x00", "\udcff"])
def test_bad_directory_names_are_refused(name: str) -> None:
    sink = Blocks()
    with pytest.raises(InvalidInput):
        add_directory([("ok", add_bytes(b"x")), (name, add_bytes(b"y"))], sink)
    assert sink.blocks == {}


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(InvalidInput, match="two entries"):
        add_directory([("a", add_bytes(b"x")), ("a", add_bytes(b"y"))], DiscardBlocks())


def test_missing_path_and_special_files(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        add_path(tmp_path / "nope", DiscardBlocks())
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(InvalidInput, match="unrecognized file type"):
        add_path(tmp_path, DiscardBlocks())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"cid_version": 2},
        {"cid_version": True},
        {"chunk_size": 0},
        {"chunk_size": (1 << 20) + 1},
        {"max_links": 1},
    ],
)
def test_bad_options_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(InvalidInput):
        ImportOptions(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("source", ["text", b"bytes itself", [b"ok", "text"], io.StringIO("text")])
def test_content_that_is_not_bytes_is_refused(source: object) -> None:
    with pytest.raises(InvalidInput):
        add_file(source, DiscardBlocks())  # type: ignore[arg-type]


@pytest.mark.parametrize("options", [V0, V1, V1_PB])
def test_fast_cid_objects_equal_the_public_constructors(options: ImportOptions) -> None:
    from multiformats import CID

    added = add_bytes(b"hello world", options)
    public = CID.decode(str(added.cid))
    assert added.cid == public
    assert str(added.cid) == str(public) and bytes(added.cid) == bytes(public)
    assert added.cid.base == public.base and added.cid.codec == public.codec


def test_importing_the_importer_leaves_multiformats_unloaded() -> None:
    # cold starts: code that imports the importer but makes no CID pays nothing for multiformats
    import subprocess
    import sys

    code = "import sys, tidecast.ipfs.importer; print('multiformats' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_empty_directory(tmp_path: Path) -> None:
    # Kubo's well-known empty directory (`ipfs object new unixfs-dir`), and an empty dir on disk
    assert str(add_directory([], DiscardBlocks()).cid) == "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"
    assert str(add_directory([], DiscardBlocks(), V1).cid) == (
        "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"
    )
    (tmp_path / "empty").mkdir()
    assert add_path(tmp_path / "empty", DiscardBlocks()) == add_directory([], DiscardBlocks())
