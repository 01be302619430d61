# cs-agent: one image for the API (`cs-agent serve`) and the workers (`cs-agent worker`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 csagent \
 && useradd --system --uid 10001 --gid csagent --create-home --home-dir /home/csagent csagent \
 && install -d -m 0700 -o 10001 -g 10001 /home/csagent/data

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY cs_agent ./cs_agent
COPY integrations ./integrations
COPY prompts ./prompts
COPY storage ./storage
RUN pip install -c constraints.txt . && rm -rf /root/.cache

USER 10001:10001
ENV CS_AGENT_DATA_DIR=/home/csagent/data
WORKDIR /home/csagent
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"]

CMD ["cs-agent", "serve", "--host", "0.0.0.0", "--port", "8000"]
