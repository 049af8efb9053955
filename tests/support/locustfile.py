"""The load of the production-shape run (tests/support/production.py), for Locust: viewers who
each hold a payment stream and play a priced stream (a playback token renewed at half its life,
as public/watch/watch.js does; the key of each key period and its segment from the store),
creators uploading (tus), newcomers registering.

Run by bench/production_load.py and tests/integration/test_production_load.py as
`python -m locust -f tests/support/locustfile.py --headless ...`, with TIDECAST_LOAD_PLAN naming
a JSON plan the driver wrote (the base URL, the viewers' logins and payment streams, the
stream's segment URLs, the creators' tokens, a video). Every answer is recorded (time, name,
status, milliseconds) and written to the plan's `out` file when the run stops: the driver
computes its figures from that, never from Locust's summary, so a 503 and a 500 stay apart and
a fault's window can be read off the timeline.

`TIDECAST_LOAD_MODE=keys` has viewers re-ask the keys they were granted with no pause (the key
path's capacity); `watch` (the default) paces them as players.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import time
from pathlib import Path
from typing import Any

from locust import FastHttpUser, constant, events, task

PLAN: dict[str, Any] = json.loads(Path(os.environ["TIDECAST_LOAD_PLAN"]).read_text())
MODE = os.environ.get("TIDECAST_LOAD_MODE", "watch")
RECORDS: list[tuple[float, str, int, float]] = []
ERRORS: list[str] = []
UPLOADED: list[str] = []
REGISTERED: list[tuple[str, int]] = []
_viewers = itertools.count()
_newcomers = itertools.count()


@events.request.add_listener
def record(
    name: str, response_time: float, response: Any, exception: Any, start_time: float, **_: Any
) -> None:
    status = int(getattr(response, "status_code", 0) or 0) if response is not None else 0
    RECORDS.append((start_time, name, status, response_time))
    if status >= 500 or status == 0:
        body = ""
        try:
            body = str(response.text)[:200] if response is not None else ""
        except Exception:  # an aborted body
            pass
        ERRORS.append(f"{name}: {status} {exception!r} {body}")


@events.quitting.add_listener
def write(**_: Any) -> None:
    Path(PLAN["out"]).write_text(
        json.dumps(
            {"records": RECORDS, "errors": ERRORS[:200], "uploaded": UPLOADED, "registered": REGISTERED}
        )
    )


class Viewer(FastHttpUser):
    fixed_count = len(PLAN["viewers"])
    wait_time = constant(0)

    def on_start(self) -> None:
        self.me = PLAN["viewers"][next(_viewers) % len(PLAN["viewers"])]
        self.stream = PLAN["stream"]
        self.token: str | None = None
        self.renew_at = 0.0
        self.started = time.time()
        self.asked = -1

    def renew(self) -> None:
        with self.client.post(
            f"/api/streams/{self.stream['id']}/playback",
            json={"paymentStreamId": self.me["payment"]},
            headers={"Authorization": f"Bearer {self.me['login']}"},
            name="playback",
            catch_response=True,
        ) as reply:
            if reply.status_code == 200:
                data = reply.json()["data"]
                self.token = data["token"]
                self.renew_at = time.time() + max(1.0, data["expiresIn"] / 2)
            reply.success()

    @task
    def play(self) -> None:
        if self.token is None or time.time() >= self.renew_at:
            self.renew()
            if self.token is None:
                time.sleep(0.5)
                return
        period_seconds = float(self.stream["periodSeconds"])
        periods = int(self.stream["periods"])
        playing = int((time.time() - self.started) / period_seconds)
        if MODE == "keys":  # re-ask what was granted (one of the first two periods), at once
            period = self.asked = (self.asked + 1) % 2
        else:
            if playing == self.asked:
                time.sleep(max(0.0, self.started + (playing + 1) * period_seconds - time.time()))
                return
            self.asked = playing
            period = playing % periods
        with self.client.get(
            f"/api/keys/{self.stream['id']}/{period}",
            headers={"Authorization": f"Bearer {self.token}"},
            name="key",
            catch_response=True,
        ) as reply:
            reply.success()
        if MODE != "keys":
            with self.client.get(self.stream["segments"][period], name="segment", catch_response=True) as got:
                got.success()


class Creator(FastHttpUser):
    fixed_count = len(PLAN["creators"])
    wait_time = constant(float(PLAN.get("uploadEvery", 6)))

    def on_start(self) -> None:
        self.token = PLAN["creators"][0]
        self.video = Path(PLAN["video"]).read_bytes()

    @task
    def upload(self) -> None:
        meta = ",".join(
            f"{k} {base64.b64encode(v.encode()).decode()}"
            for k, v in {"filename": "load.mp4", "filetype": "video/mp4", "title": "load"}.items()
        )
        auth = {"Authorization": f"Bearer {self.token}", "Tus-Resumable": "1.0.0"}
        with self.client.post(
            "/api/uploads",
            headers={**auth, "Upload-Length": str(len(self.video)), "Upload-Metadata": meta},
            name="upload create",
            catch_response=True,
        ) as made:
            made.success()
            if made.status_code != 201:
                return
            location = made.headers["location"]
        with self.client.request(
            "PATCH",
            location,
            headers={**auth, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
            data=self.video,
            name="upload patch",
            catch_response=True,
        ) as done:
            done.success()
            if done.status_code == 204:
                UPLOADED.append(done.headers["tidecast-stream-id"])


class Newcomer(FastHttpUser):
    fixed_count = 1 if PLAN.get("newcomers", True) else 0
    wait_time = constant(float(PLAN.get("registerEvery", 2)))

    @task
    def register(self) -> None:
        name = f"new{PLAN['runId']}x{next(_newcomers)}"
        with self.client.post(
            "/api/auth/register",
            json={"username": name, "email": f"{name}@example.com", "password": "correct horse battery"},
            name="register",
            catch_response=True,
        ) as reply:
            reply.success()
            REGISTERED.append((f"{name}@example.com", reply.status_code))
