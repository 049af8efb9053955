"""tidecast: a pay-as-you-watch video platform built from serverless functions."""

__version__ = "0.1.0"
