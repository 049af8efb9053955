"""The embedded chain's node: eth-tester's py-evm chain answering Ethereum JSON-RPC (`evm`), the
JSON-RPC wire format (`wire`), where eth-tester's answers are mended to a node's (`mend`), and its
state on disk (`store`). `tidecast.chain.embedded` serves it as `tidecast dev`'s part."""
