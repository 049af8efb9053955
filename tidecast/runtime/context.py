"""A Lambda context object, for invocations that do not come from AWS."""

from __future__ import annotations

import time
import uuid


class LambdaContext:
    """The fields of AWS's context object that handlers read, with a real deadline."""

    def __init__(
        self,
        function_name: str,
        *,
        timeout: float = 10.0,
        memory_limit_in_mb: int = 1024,
        aws_request_id: str | None = None,
        region: str = "local",
        account_id: str = "000000000000",
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_limit_in_mb
        self.aws_request_id = aws_request_id or str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
