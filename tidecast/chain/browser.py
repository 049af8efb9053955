"""The contract ABIs the web pages load (`public/js/contracts.json`), written from the compiled
artifacts by `make contracts` and `make vendor` (`python -m tidecast.chain.browser`).

The pages call PaymentStream and the platform token through the user's wallet with ethers, which
needs their ABIs. A copy of the artifacts' ABIs (no bytecode: the browser deploys nothing) is
committed beside the pages rather than hand-written human-readable fragments, so a contract
change reaches the browser by regeneration; tests/unit/test_browser_abi.py fails while the copy
differs from the artifacts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tidecast.chain.artifacts import load

#: The contracts the pages use, by artifact name.
CONTRACTS = ("PaymentStream", "DemoToken", "StreamRegistry")
TARGET = Path("public") / "js" / "contracts.json"


def render() -> str:
    """The file's one text form (sorted keys, two-space indent, final newline)."""
    return json.dumps({name: load(name).abi for name in CONTRACTS}, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    target = Path(argv[0]) if argv else TARGET
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
