# syntax=docker/dockerfile:1
# Itinera: one image for every role, chosen by its command (README "Deploy > Image").
#   docker build -t itinera .
#   docker run itinera bus | gateway | worker | itinera validate
# test/deploy/production-install.test.ts repeats the final stage without a container engine
# and reads this file: keep its COPY lines and its npm ci line in step with that test.

# A Node LTS line on Debian slim (test/engines.test.ts checks the locked packages against it).
ARG NODE_IMAGE=node:24-trixie-slim

# ---- build: every dependency, then tsc + the browser bundle into dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /src
# The lock file and its postinstall first, so the dependency layer is cached across source edits.
COPY package.json package-lock.json ./
COPY scripts/prune-lockfile.mjs scripts/
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# ---- runtime: production dependencies, dist/ and the itineraries only ----
FROM ${NODE_IMAGE} AS runtime
# tini is PID 1: it hands SIGTERM to node, which drains in-flight work, and reaps zombies.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    PORT=3000 \
    ITINERA_ITINERARIES=/app/itineraries
COPY package.json package-lock.json ./
# --ignore-scripts: the only install script is the lock file's tidy-up, which the build stage ran.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /src/dist ./dist
# Baked in by default; mount a folder over /app/itineraries (or elsewhere plus ITINERA_ITINERARIES) to replace them.
COPY itineraries ./itineraries
COPY deploy/docker ./deploy/docker
# `docker exec <container> itinera …` as well as `docker run itinera itinera …`.
RUN ln -s /app/dist/apps/cli/main.js /usr/local/bin/itinera
# Numeric, so Kubernetes' runAsNonRoot can check it; the files stay root's, read-only to the node.
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "/app/deploy/docker/healthcheck.js"]
# -e 143: Nest re-raises SIGTERM after its shutdown hooks, so a drained stop ends "killed by
# SIGTERM" (143); tini reports it as 0, a clean stop.
ENTRYPOINT ["/usr/bin/tini", "-e", "143", "--", "/app/deploy/docker/entrypoint.sh"]
CMD ["bus"]
