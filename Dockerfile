# syntax=docker/dockerfile:1
#
# scim-bridge image. Kept in step with .ci/image-recipe.sh, which runs the same npm commands as
# plain shell in a temporary copy of the repository, then starts the pruned tree and probes
# /healthz with the HEALTHCHECK command below (there is no Docker engine in CI). Change a RUN
# line here and the script fails until it runs the same command.
#
#   docker build -t scim-bridge .
#   docker run -v $PWD/bridge.yaml:/config/bridge.yaml:ro -v scim-data:/data -p 8080:8080 scim-bridge
#
# The configuration file must set `listen: { host: 0.0.0.0 }` (the default, 127.0.0.1, is not
# reachable from outside the container) and keep its SQLite file under /data. docs/operations.md.

############################ build: compile better-sqlite3, TypeScript ############################
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source (node-gyp) when no prebuilt binary can be downloaded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Dependencies first, so the layer is cached until the lock file changes. Scripts are skipped
# (the `prepare` script builds from sources not copied yet); the one native module is built next.
RUN npm ci --ignore-scripts
RUN npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY mappings ./mappings
RUN npm run build
RUN npm prune --omit=dev

############################ runtime: only what runs ###########################################
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    SCIM_BRIDGE_CONFIG=/config/bridge.yaml
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/mappings ./mappings
# The image's `node` user (uid 1000) owns only /data; the application files stay read-only to it.
RUN mkdir -p /data /config && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
# No curl in slim images: Node itself probes /healthz. HEALTHCHECK_URL overrides the address
# (another listen.port, or https:// when listen.tls is set).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.HEALTHCHECK_URL||'http://127.0.0.1:8080/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# `docker run IMAGE validate`, `docker run IMAGE simulate redis-cloud --host 0.0.0.0 --port 9101`, ...
ENTRYPOINT ["node", "--max-semi-space-size=8", "--enable-source-maps", "dist/cli.js"]
CMD ["serve"]
