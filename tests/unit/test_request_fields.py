"""Request fields take every value their published JSON Schema calls valid."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from tests.support.events import aws_event
from tidecast.errors import InvalidInput
from tidecast.functions.payments import StatusBody
from tidecast.functions.streams import PlaybackBody
from tidecast.runtime.request import Request
from tidecast.runtime.validation import parse_body


def test_a_whole_float_is_an_integer_as_json_schema_says() -> None:
    # schemathesis sent {"paymentStreamId": 18236.0}: "integer" in the schema, a 400 from a strict model.
    assert PlaybackBody.model_validate({"paymentStreamId": 18236.0}).paymentStreamId == 18236
    body = StatusBody.model_validate(
        {"streamId": 7.0, "nonce": "0x" + "ab" * 32, "expiresAt": 1700000000.0, "signature": "0x" + "1" * 130}
    )
    assert (body.streamId, body.expiresAt) == (7, 1700000000)


def test_a_fractional_or_out_of_range_id_is_still_refused() -> None:
    for bad in (1.5, 0, 0.0, True, 2**256, "0", "01"):
        with pytest.raises(ValidationError):
            PlaybackBody.model_validate({"paymentStreamId": bad})


def test_a_refused_id_is_one_problem_said_in_words() -> None:
    # The union of a number and a string failed once per member, each labelled with pydantic's
    # inner schema: "paymentStreamId.function-before[_whole_float(), constrained-int]: …;
    # paymentStreamId.constrained-str: …".
    for bad in ("abc", -1, True, [1], "01"):
        event = aws_event(
            "1.0", "POST", "/.netlify/functions/streams/x/playback", body=json.dumps({"paymentStreamId": bad})
        )
        with pytest.raises(InvalidInput) as refused:
            parse_body(Request.from_event(event), PlaybackBody)
        assert str(refused.value) == (
            "Invalid request body: paymentStreamId: must be a whole number from 1 to 2**256 - 1,"
            " as a JSON number or a decimal string"
        ), bad
