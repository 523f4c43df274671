# syntax=docker/dockerfile:1
# One image for the API, the workers or both (GATEWAY_ROLE). Node 24 LTS runs the TypeScript sources
# directly (type stripping), so there is no build step to drift from what the tests ran.

# --- dependencies: production only, from the lock file -------------------------------------------
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts off: the only one a production dependency has is msgpackr's optional native addon,
# which falls back to JavaScript. The `node` devDependency (a second Node) is not installed.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime ----------------------------------------------------------------------------------------
FROM node:24-slim
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
# The repository the image is built from, e.g. --build-arg SOURCE=https://git.example.fr/leocarte-gateway
ARG SOURCE=""
LABEL org.opencontainers.image.title="leocarte-gateway" \
      org.opencontainers.image.description="Léocarte interoperability gateway: ESUP-SGC card events to Izly (CROUS) and the ESC Router, with guaranteed opposition" \
      org.opencontainers.image.licenses="EUPL-1.2" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}"

# tini as PID 1: it forwards SIGTERM/SIGINT to node (which drains, see src/app/shutdown.ts) and reaps
# zombies, which node as PID 1 does not do.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    SIMULATORS=off \
    TMPDIR=/tmp
WORKDIR /app
# Owned by root and read-only to the process: the root file system can be mounted read-only. The
# gateway writes nothing but its logs (stdout); /tmp, where a mounted temp dir goes, is all it may need.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY wsdl ./wsdl
COPY openapi ./openapi

# The image's `node` user, by number so that Kubernetes' runAsNonRoot can check it.
USER 1000:1000
EXPOSE 3000
# Liveness, not readiness: a Redis outage must not get the container restarted (README "Deploying").
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "src/main.ts"]
