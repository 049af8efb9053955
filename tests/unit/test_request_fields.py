"""Request fields take every value their published JSON Schema calls valid."""

from __future__ import annotations

from tidecast.functions.payments import StatusBody
from tidecast.functions.streams import PlaybackBody


def test_a_whole_float_is_an_integer_as_json_schema_says() -> None:
    # schemathesis sent {"paymentStreamId": 18236.0}: "integer" in the schema, a 400 from a strict model.
    assert PlaybackBody.model_validate({"paymentStreamId": 18236.0}).paymentStreamId == 18236
    body = StatusBody.model_validate(
        {"streamId": 7.0, "nonce": "0x" + "ab" * 32, "expiresAt": 1700000000.0, "signature": "0x" + "1" * 130}
    )
    assert (body.streamId, body.expiresAt) == (7, 1700000000)


def test_a_fractional_or_out_of_range_id_is_still_refused() -> None:
    import pytest
    from pydantic import ValidationError

    for bad in (1.5, 0, 0.0, True, 2**256, "0", "01"):
        with pytest.raises(ValidationError):
            PlaybackBody.model_validate({"paymentStreamId": bad})
