"""Video: probing inputs (PyAV), the rendition ladder, the one ffmpeg command that encodes it,
progress parsing and the HLS playlists, put together by `tidecast.media.hls.HLSService`; the
catalogue of streams, resumable uploads and their quotas, the transcode pipeline, and the key
vault that seals each stream's content keys.

Nothing here imports PyAV, imageio-ffmpeg or m3u8 at module level: only code that probes or
transcodes pays for them, so no function's cold start does.
"""
