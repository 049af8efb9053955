from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.video_ref import VideoRef


T = TypeVar("T", bound="VideoEarnings")


@_attrs_define
class VideoEarnings:
    """
    Attributes:
        video (None | VideoRef): null: payment streams no key or playback ties to a video
        payment_streams (int):
        seconds (int): Seconds of video paid for
        earned (str):
        withdrawable (str):
    """

    video: VideoRef | None
    payment_streams: int
    seconds: int
    earned: str
    withdrawable: str

    def to_dict(self) -> dict[str, Any]:
        from ..models.video_ref import VideoRef

        video: dict[str, Any] | None
        if isinstance(self.video, VideoRef):
            video = self.video.to_dict()
        else:
            video = self.video

        payment_streams = self.payment_streams

        seconds = self.seconds

        earned = self.earned

        withdrawable = self.withdrawable

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "video": video,
                "paymentStreams": payment_streams,
                "seconds": seconds,
                "earned": earned,
                "withdrawable": withdrawable,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.video_ref import VideoRef

        d = dict(src_dict)

        def _parse_video(data: object) -> VideoRef | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                video_type_0 = VideoRef.from_dict(data)

                return video_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(VideoRef | None, data)

        video = _parse_video(d.pop("video"))

        payment_streams = d.pop("paymentStreams")

        seconds = d.pop("seconds")

        earned = d.pop("earned")

        withdrawable = d.pop("withdrawable")

        video_earnings = cls(
            video=video,
            payment_streams=payment_streams,
            seconds=seconds,
            earned=earned,
            withdrawable=withdrawable,
        )

        return video_earnings
