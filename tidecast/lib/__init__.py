"""Pure libraries: formats and rules with no I/O of tidecast's own and no service imports
(EIP-4361 messages, password rules, the HS256 token codec, Kubo's multipart body, the JSON
depth guard). They may import `tidecast.errors` and `tidecast.imports`, nothing else of
tidecast: tests/unit/test_layering.py holds that."""
