import os

from tidecast.client import Tidecast

with Tidecast(os.environ.get("TIDECAST_URL", "http://localhost:8888")) as tc:
    user = tc.login(os.environ["TIDECAST_USERNAME"], os.environ["TIDECAST_PASSWORD"])
    ready = list(tc.streams(status="ready"))
    print(f"{user.username} sees {len(ready)} ready streams: {', '.join(s.title for s in ready)}")
    token = tc.playback_token(ready[0].id)  # payment_stream_id=N for a priced stream not yours
    print(f"playback token for {ready[0].id}: {'free' if token.free else 'paid'} until {token.expires_at}")
