"""The chain: contracts (Vyper sources and their compiled artifacts), deploying them, and token
units. Services reach a node through RPC_URL only (tidecast/services/chain.py)."""
