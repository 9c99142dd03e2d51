# smsrelay: the platform in a slim image, run as a non-root user.
#   docker build -t smsrelay .
#   docker run -p 8080:8080 -v smsrelay-data:/var/lib/smsrelay smsrelay
# compose.yaml runs it with PostgreSQL. Settings: SMSRELAY_* variables or a mounted
# smsrelay.toml (SMSRELAY_CONFIG); see docs/operations.md.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
 && python -m pip wheel --no-cache-dir --wheel-dir /wheels /wheels/smsrelay-*.whl

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/smsrelay --create-home smsrelay
COPY --from=build /wheels /wheels
RUN python -m pip install --no-cache-dir --no-index --find-links /wheels smsrelay \
 && rm -rf /wheels
USER smsrelay
WORKDIR /var/lib/smsrelay
ENV SMSRELAY_HOST=0.0.0.0 \
    SMSRELAY_PORT=8080 \
    SMSRELAY_DATA_DIR=/var/lib/smsrelay \
    SMSRELAY_DATABASE_URL=sqlite:////var/lib/smsrelay/smsrelay.db \
    SMSRELAY_LOG_FORMAT=json \
    PYTHONUNBUFFERED=1
VOLUME ["/var/lib/smsrelay"]
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/ready' % os.environ.get('SMSRELAY_PORT', '8080'), timeout=4)"]
ENTRYPOINT ["smsrelay"]
CMD ["serve"]
