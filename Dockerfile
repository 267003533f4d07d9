# frontdesk with the scaled setup's extra (asyncpg, redis, taskiq-redis). Used by compose.yaml;
# `docker build -t frontdesk .` builds it alone.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY frontdesk ./frontdesk
RUN pip install '.[scale]' && useradd --create-home --uid 10001 frontdesk \
    && mkdir -p /data && chown frontdesk /data
USER frontdesk
ENV FRONTDESK_DATA_DIR=/data FRONTDESK_HOST=0.0.0.0 FRONTDESK_PORT=8000
EXPOSE 8000
CMD ["frontdesk", "serve"]
