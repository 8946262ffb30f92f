# Autograd Explorer: one Streamlit replica. Build: docker build -t autograd-explorer .
# Run: docker run -p 8501:8501 autograd-explorer   (see README, "Serving a class")
FROM python:3.11-slim

# Graphviz's dot lays out every graph; DejaVu gives its labels the maths glyphs (·, ², σ).
RUN apt-get update \
 && apt-get install -y --no-install-recommends graphviz fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

# PyTorch first, CPU build only (the default index would pull gigabytes of CUDA).
ARG TORCH_SPEC=torch==2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN pip install --no-cache-dir --index-url "$TORCH_INDEX" "$TORCH_SPEC"

WORKDIR /app
COPY pyproject.toml README.md ./
COPY engine engine
COPY graphviz_utils graphviz_utils
COPY app_ui app_ui
COPY autograd_explorer autograd_explorer
COPY class_server class_server
COPY app.py ./
COPY .streamlit .streamlit
RUN pip install --no-cache-dir -e . \
 && useradd --create-home --uid 10001 explorer
USER explorer
# A class server runs programs only with every sandbox layer active (autograd-explorer doctor).
ENV AUTOGRAD_EXPLORER_SANDBOX=require

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s \
  CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"
# app.py as a class server's replica: X-Autograd-Replica, /_autograd/metrics, warm at start.
CMD ["streamlit", "run", "class_server/replica_app.py", "--server.headless=true", "--server.address=0.0.0.0", \
     "--server.port=8501", "--server.fileWatcherType=none", "--browser.gatherUsageStats=false"]
