# pragma version 0.4.3
# pragma evm-version cancun
# pragma optimize gas
"""
@title StreamRegistry
@notice An on-chain, timestamped record that the platform started a media
        stream: anyone can later prove when a stream began from the log alone.
@dev Only the platform's account records, so the log cannot be spammed with
     starts that never happened. The id is indexed by its keccak256 (a
     string topic would be unsearchable) and also logged in full.
"""

platform: public(address)

# When each media stream was recorded (0: never), by keccak256 of its id. A stream is recorded
# once: the platform's event subscriber runs at least once, so a second run must not log a
# second start; it is refused, and the subscriber reads "already recorded" as done.
startedAt: public(HashMap[bytes32, uint256])

event StreamStarted:
    mediaStreamIdHash: indexed(bytes32)
    mediaStreamId: String[64]
    recordedAt: uint256

event PlatformChanged:
    previous: indexed(address)
    current: indexed(address)


@deploy
def __init__():
    self.platform = msg.sender


@external
def recordStreamStart(mediaStreamId: String[64]):
    assert msg.sender == self.platform, "only the platform"
    assert len(mediaStreamId) != 0, "mediaStreamId is empty"
    digest: bytes32 = keccak256(mediaStreamId)
    assert self.startedAt[digest] == 0, "already recorded"
    self.startedAt[digest] = block.timestamp
    log StreamStarted(
        mediaStreamIdHash=digest,
        mediaStreamId=mediaStreamId,
        recordedAt=block.timestamp,
    )


@external
def setPlatform(new: address):
    """
    @notice Hand the registry to another platform account (key rotation).
    """
    assert msg.sender == self.platform, "only the platform"
    assert new != empty(address), "platform is the zero address"
    log PlatformChanged(previous=self.platform, current=new)
    self.platform = new
