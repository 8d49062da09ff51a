# wx-backend image: compiled JavaScript and production dependencies only, run as the non-root user `node`.
#   docker build -t wx-backend .
#   docker run -d -p 5080:5080 --env-file .env wx-backend
# Layers are ordered so that a change to the source rebuilds only the compile step and the copy of dist/: the
# dependency installs depend on package.json and package-lock.json alone.

# ---- build: all dependencies, TypeScript compiled into dist/ ----------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The prepare script (npm run build) needs the source, which is not copied yet; it runs below, after the copy.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- production: what `node dist/server.js` needs ------------------------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: prepare would run tsc, which is neither installed here nor needed (dist/ is copied in).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY examples ./examples
# Pages served as they are (the dashboard's HTML, CSS and script).
COPY public ./public
COPY --from=build /app/dist ./dist
# The default TOKEN_FILE_PATH (./data) and LOG_DIR (./logs); volumes mounted there must be writable by uid 1000.
RUN mkdir -p data logs && chown node:node data logs
USER node
EXPOSE 5080
# Liveness through the service's own port (PORT, default 5080); slim images have no curl, node does the request.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 5080}/healthz`, { signal: AbortSignal.timeout(4000) }).then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/server.js"]
