"""On-chain payment streams: the Vyper contracts, their committed compiled artifacts, and (next)
deployment. Running tidecast reads the artifacts only; the compiler is a build tool."""
