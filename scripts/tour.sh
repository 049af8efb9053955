#!/usr/bin/env bash
# The README's tour ("A tour, by copy and paste"), block after block: run it from the top of the
# clone while `make dev` runs. tests/integration/test_readme_tour.py checks that this file is
# exactly the README's blocks, and runs them against a live dev server.
set -euo pipefail
source .venv/bin/activate
API=http://localhost:8888
export TIDECAST_URL=$API    # where `tidecast upload` and `tidecast wallet` find the platform
field() { python -c "import json, sys; print(json.load(sys.stdin)$1)"; }
signup() {
  curl -s $API/api/auth/register -H 'content-type: application/json' \
    -d "{\"username\": \"$1\", \"email\": \"$1@example.com\", \"password\": \"correct horse battery\"}" >&2
  until LINK=$(curl -s $API/_dev/mail.json | python -c '
import json, re, sys  # the newest mail to this address with a verification link; exit 1 if none yet
mails = [m for m in json.load(sys.stdin)["data"] if sys.argv[1] in m["envelopeTo"]]
print(next(re.search(r"verify-email\?token=([\w-]+)", m["text"])[1] for m in mails if "verify-email" in (m["text"] or "")))
' "$1@example.com" 2>/dev/null); do sleep 0.5; done
  curl -s $API/api/auth/verify-email -H 'content-type: application/json' -d "{\"token\": \"$LINK\"}" >&2
  curl -s $API/api/auth/login -H 'content-type: application/json' \
    -d "{\"username\": \"$1\", \"password\": \"correct horse battery\"}" | field '["token"]'
}
ANN=$(signup ann)
BOB=$(signup bob)

VIDEO=clip.mp4
"$(python -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())')" -v error -y \
  -f lavfi -i testsrc2=size=1280x720:rate=30:duration=10 -f lavfi -i sine=duration=10 \
  -c:v libx264 -preset ultrafast -b:v 6M -pix_fmt yuv420p -c:a aac $VIDEO
STREAM=$(tidecast upload $VIDEO --title "First light" --token "$ANN" --wait)
curl -s -X PATCH $API/api/streams/$STREAM -H "Authorization: Bearer $ANN" \
  -H 'content-type: application/json' -d '{"pricePerSecond": "0.002"}'

ANN_WALLET=$(tidecast wallet link --from-demo 3 --token "$ANN")
tidecast wallet link --from-demo 2 --token "$BOB"
PAYMENT=$(tidecast payments open --to $ANN_WALLET --rate 0.002 --deposit 5 --from-demo 2 |
  awk '/^opened payment stream/ {print $4}')
PLAYBACK=$(curl -s -X POST $API/api/streams/$STREAM/playback -H "Authorization: Bearer $BOB" \
  -H 'content-type: application/json' -d "{\"paymentStreamId\": \"$PAYMENT\"}" | field '["data"]["token"]')
curl -s -o key.bin -w '%{http_code}: %{size_download} bytes\n' \
  -H "Authorization: Bearer $PLAYBACK" $API/api/keys/$STREAM/0
