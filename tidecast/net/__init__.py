"""Network plumbing shared by the dev server (`tidecast.runtime`), the embedded parts and the
IPFS node: listening sockets and loopback checks, the header timeout, uvicorn in a thread, media
types, and the HTTP status of a domain error. Imports nothing of tidecast but `tidecast.errors`."""
