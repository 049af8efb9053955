"""schemathesis hooks for tests/integration/test_api_contract.py (loaded via SCHEMATHESIS_HOOKS).

tus PATCH bodies are raw bytes of media type application/offset+octet-stream, which
schemathesis has no serializer for: send them as it sends application/octet-stream.
"""

from __future__ import annotations

import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
