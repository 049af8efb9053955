"""How deep a JSON text nests, found before it is parsed and without recursing: the one guard in
front of every `json.loads` of untrusted text (request bodies in tidecast/runtime/request.py,
JSON-RPC bodies in tidecast/chain/node/wire.py).

Python's decoder recurses once per level; after a library raises the recursion limit
(eth-account's py_ecc sets 100000), a text of 100,000 `[` would overflow the C stack and kill the
process, so the nesting is measured first. Hand-written because no JSON library here measures
depth without parsing.
"""

from __future__ import annotations

import re

# Strings (skipped whole, escapes included) or brackets: all the depth check needs to see.
# The closing quote is optional so that a string never fails to match: a required one made
# every `"` of an unterminated string (`"\"\"\"…`) rescan the rest of the text, quadratic
# time (a 32 KB body took seconds). An unterminated string is skipped to the end, which is
# safe: the decoder stops at it, so no bracket after it is ever parsed.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


def exceeds_depth(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit`, in time linear in `text`."""
    depth = 0
    for token in _TOKENS.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False
