# The workers' image: `tidecast worker` (the media and general pools; the pool is the service's
# command, deploy/template.yaml). Functions do not use it: they deploy as the `tidecast package` zip.
# Python 3.11 on Debian bookworm, the exact tag: the same interpreter the Lambda functions run.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The same pins as every other place tidecast runs. ffmpeg comes from the imageio-ffmpeg wheel
# pinned there (libx264 and aac built in), as on a laptop; no Debian ffmpeg.
COPY requirements.lock ./
RUN pip install --no-compile -r requirements.lock

COPY pyproject.toml ./
COPY tidecast ./tidecast
RUN pip install --no-deps --no-compile . \
    && python -m compileall -q /usr/local/lib/python3.11/site-packages/tidecast \
    && python -c "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())"

# Never root: the worker needs no privilege, only its data directory.
RUN useradd --create-home --uid 10001 --user-group tidecast \
    && mkdir -p /home/tidecast/data /home/tidecast/streams \
    && chown -R tidecast:tidecast /home/tidecast
USER 10001:10001
WORKDIR /home/tidecast
ENV TIDECAST_DATA_DIR=/home/tidecast/data \
    HLS_OUTPUT_DIR=/home/tidecast/streams

# SIGTERM (ECS's stop) lets the worker finish or release its jobs within the task's StopTimeout.
STOPSIGNAL SIGTERM
ENTRYPOINT ["tidecast", "worker"]
CMD ["--pool", "all"]
