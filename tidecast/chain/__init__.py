"""On-chain payment streams: the Vyper contracts and their committed compiled artifacts
(artifacts.py), deploying them to any node (deploy.py), and development chains: demo accounts and
the chain file `tidecast dev` leaves for other processes (devnet.py). Running tidecast reads the
artifacts only; the compiler is a build tool."""
