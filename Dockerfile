# pitchside worker / replay image. Build stage installs the package into a venv; the runtime stage
# copies only that venv, so no build context (tests, docs, data) ends up in the image.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY . .
RUN /opt/venv/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PITCHSIDE_STATE_DIR=/home/pitchside/.pitchside
RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin pitchside
COPY --from=build /opt/venv /opt/venv
USER pitchside
# Faust keeps its table data under the working directory: it must be writable by the user.
WORKDIR /home/pitchside
# 6066: Faust web; 9108: Prometheus metrics; 8080: the gateway (`pitchside gateway`).
EXPOSE 6066 8080 9108
ENTRYPOINT ["pitchside"]
CMD ["worker"]
