# The one image every GovProj Deployment runs: `govproj serve <service>`,
# `govproj work <service>`, `govproj db upgrade`. Built in two stages so the
# runtime image holds no compiler; it runs as UID 10001 with a read-only root
# filesystem (the chart mounts /tmp as an emptyDir).
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip build
COPY pyproject.toml README.md ./
COPY libs libs
COPY services services
COPY govproj govproj
COPY policies policies
RUN python -m build --wheel --outdir /wheels . \
 && pip wheel --no-cache-dir --wheel-dir /wheels "$(ls /wheels/govproj-*.whl)[archive,keycloak]"

FROM python:3.11-slim
# The archive typesets official documents (立项批复, 备案确认) with WeasyPrint: Pango and a CJK font.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --gid 10001 govproj && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin govproj
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels "govproj[archive,keycloak]" && rm -rf /wheels
# Packs ship with the code; production mounts the reviewed ConfigMap over this path.
COPY --chown=10001:10001 policies /opt/govproj/policies
ENV GOVPROJ_POLICIES_DIR=/opt/govproj/policies \
    GOVPROJ_HOME=/tmp/govproj \
    XDG_CACHE_HOME=/tmp/govproj/cache \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
ENTRYPOINT ["govproj"]
CMD ["--help"]
