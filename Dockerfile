# briefbot in a container: the wheel (knowledge included) on python:3.11-slim, run as a non-root user, with the
# question log in the /data volume. Build: docker build -t briefbot .   Run: docker compose up -d (reads .env).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip wheel --no-cache-dir --no-deps -w /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1 BRIEFBOT_DATA=/data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --home-dir /home/briefbot --create-home briefbot \
    && mkdir -m 0700 /data && chown briefbot:briefbot /data
USER briefbot
WORKDIR /home/briefbot
VOLUME ["/data"]
# healthy = the package runs and its knowledge loads and validates (lexical only: no vector table to load)
HEALTHCHECK --interval=5m --timeout=60s --start-period=30s --retries=2 \
    CMD ["python", "-m", "bot", "--lexical", "check"]
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
