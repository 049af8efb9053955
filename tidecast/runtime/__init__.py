"""The function runtime: Lambda-shaped events in, Lambda-shaped responses out.

Function modules import `Function`, `Request`, `ok` and `json_response` from here; the dev
server, the CLI's invoke and AWS Lambda all call the same `handler(event, context)`.
"""

from tidecast.runtime.context import LambdaContext
from tidecast.runtime.function import Function
from tidecast.runtime.request import Request
from tidecast.runtime.responses import Response, json_response, ok

__all__ = ["Function", "LambdaContext", "Request", "Response", "json_response", "ok"]
