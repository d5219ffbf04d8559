# syntax=docker/dockerfile:1
# Parley: the API (`node dist/server.js`, the default) and the worker (`node dist/cli/parley.js worker`)
# from one image. Build: docker build -t parley .

# ---- build: every dependency, TypeScript compiled to dist/ ----
FROM node:22-slim AS build
WORKDIR /app
# Native modules (better-sqlite3, argon2) download prebuilt binaries; these build them from source
# on a platform without one.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm ci` runs the `prepare` script, which compiles src/ to dist/ (hence the sources first).
RUN npm ci && npm prune --omit=dev

# ---- runtime: production dependencies and dist/ only, as a non-root user ----
FROM node:22-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# DATA_DIR: the SQLite file of the embedded mode and the generated signing and master keys.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8000
# Node's own fetch: the slim image has no curl. The worker serves /v1/health on PORT too.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT ?? 8000}/v1/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node as PID 1 receives SIGTERM from `docker stop` and drains (see README, graceful shutdown).
CMD ["node", "dist/server.js"]

# ---- lambda: the AWS Lambda image (both functions; the CDK stack sets each one's CMD) ----
# Built on Amazon Linux like the Lambda runtime, so native modules (argon2, better-sqlite3) link
# against its C library. docker build --target lambda -t parley-lambda .
FROM public.ecr.aws/lambda/nodejs:22 AS lambda-build
WORKDIR /build
RUN dnf install -y python3 make gcc-c++ && dnf clean all
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci && npm prune --omit=dev

FROM public.ecr.aws/lambda/nodejs:22 AS lambda
ENV NODE_ENV=production
COPY --from=lambda-build /build/package.json ${LAMBDA_TASK_ROOT}/
COPY --from=lambda-build /build/node_modules ${LAMBDA_TASK_ROOT}/node_modules
COPY --from=lambda-build /build/dist ${LAMBDA_TASK_ROOT}/dist
# The API function; the worker function's CMD is dist/lambda/sqs-worker-handler.handler.
CMD ["dist/lambda/http-handler.handler"]
