"""Video: probing inputs (PyAV), the rendition ladder, the one ffmpeg command that encodes it,
progress parsing and the HLS playlists. `tidecast.services.hls.HLSService` puts them together.

Nothing here imports PyAV, imageio-ffmpeg or m3u8 at module level: only code that probes or
transcodes pays for them, so no function's cold start does.
"""
