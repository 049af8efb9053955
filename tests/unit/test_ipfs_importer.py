"""The importer against Kubo's published vectors (see tests/support/kubo_vectors.py for the
files they come from), with their inputs regenerated here."""

from __future__ import annotations

import io

import pytest

from tidecast.ipfs.importer import Added, DiscardBlocks, ImportOptions, add_file

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
