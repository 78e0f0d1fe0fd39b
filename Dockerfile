# The outflow image: the CLI, which is every service in another mode (command-api, query-api,
# projector run, status --serve, migrate, projections rebuild). The services run their TypeScript
# through tsx (bin/outflow.js), a runtime dependency, so there is no build step to copy from.
#   docker build -t outflow:0.1.0 .
# Node 24 LTS; test/unit/deployManifests.test.ts holds every stage to it.

FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# Only the runtime dependencies, exactly as locked; no install scripts are needed by them.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
# Owned by root and read-only to the process: it never changes its own code.
COPY . .
USER node
ENTRYPOINT ["node", "bin/outflow.js"]
CMD ["--help"]
