# ToyGAN Lab: `docker build -t toygan . && docker run -p 8000:8000 toygan`, then open http://127.0.0.1:8000
# CI builds and runs this file with podman (tests/docker/).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Torch first, in its own layer, so source edits do not re-download it. The same step as the
# README's (`pip install torch==2.13.0`). Pass TORCH_INDEX_URL (PyTorch's CPU wheel index) to get
# the CPU-only build; left empty, pip takes the default index's build.
# The same step deletes what only C++ extension builders and torch's own tests use (unit-test
# binaries, headers, protoc: 185 MB of the CPU build); the lab never compiles C++. Deleting them
# in a later step would not shrink the image: the layer that added them would still carry them.
ARG TORCH_INDEX_URL=""
# (torch is pinned; hadolint cannot see the pin through the optional --index-url expansion)
# hadolint ignore=DL3013
RUN pip install --no-cache-dir torch==2.13.0 ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} \
    && T="$(python -c 'import os, sysconfig; print(os.path.join(sysconfig.get_path("purelib"), "torch"))')" \
    && rm -rf "$T/test" "$T/include" "$T/share/cmake" "$T"/bin/protoc* "$T"/bin/test_* "$T"/bin/*Test

COPY pyproject.toml README.md ./
COPY gan_core ./gan_core
COPY server ./server
COPY frontend ./frontend
RUN pip install --no-cache-dir .

# Numeric non-root user: works under Kubernetes' runAsNonRoot checks without a passwd lookup.
USER 10001:10001

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
CMD ["toygan", "serve", "--host", "0.0.0.0", "--port", "8000"]
