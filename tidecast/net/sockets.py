"""Listening sockets for the servers `tidecast dev` runs (the dev server and the embedded
parts): bind first, so a taken port is reported before anything starts, and bind only what is
ours (a loopback address; `localhost` is 127.0.0.1, never every interface)."""

from __future__ import annotations

import ipaddress
import socket

from tidecast.errors import ConfigError


class PortTaken(ConfigError):
    """An embedded part's port is in use; the message names the setting that moves it."""


def port_taken_message(what: str, endpoint: str, setting: str) -> str:
    return (
        f"cannot start the {what} on {endpoint}: the port is in use (another tidecast dev?). "
        f"Move it with {setting}={free_port()} (any free port)"
    )


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def is_loopback(host: str) -> bool:
    """Whether a part may start here: only a loopback address is ours to bind."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_host(host: str) -> str:
    """`localhost` binds 127.0.0.1 only (never every interface)."""
    return "127.0.0.1" if host == "localhost" else host


def bind_socket(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything else starts, so a taken port is reported
    before the banner says the server is up."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP said out loud: asyncio sets TCP_NODELAY on accepted connections only when the
    # listening socket's proto is TCP, and without it a response written as headers, then body
    # waits ~40 ms for the client's delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock
