"""Deployed functions: one module each, each exposing `handler(event, context)`.

Modules here import only what their requests use: the runtime, the container and the
services they call. Heavy libraries (web3, media) are imported inside the services that need
them, so a cold start pays only for what it serves.
"""
