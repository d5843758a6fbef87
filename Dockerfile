# Lamina's one image: every layer, chosen by the command.
#   docker build -t lamina .
#   docker run -p 4000:4000 lamina        embedded mode (`lamina dev`), data in the /data volume
#   docker run lamina speed               any other `lamina` command; docker-compose.yml runs the distributed stack
# test/compose-file.test.ts checks this file statically (no Docker engine needed): the ENTRYPOINT,
# the COPYs npm ci needs, the user, the port, the data volume.
FROM node:24.21-bookworm-slim

WORKDIR /app

# Manifests first, so the dependency layer is rebuilt only when they change. npm ci needs the
# lockfile and every workspace's package.json, or it refuses to install.
COPY package.json package-lock.json tsconfig.json ./
COPY shared/package.json shared/
COPY batch-layer/package.json batch-layer/
COPY speed-layer/package.json speed-layer/
COPY serving-layer/package.json serving-layer/
COPY cli/package.json cli/

# All dependencies, devDependencies included (no --omit=dev, no NODE_ENV=production before this):
# Lamina runs its TypeScript through tsx, with no build step, and tsx is a devDependency. The price
# is typescript and fast-check in the image (~25 MB); a compile stage would drop them, but would
# also be a second way to run the code, different from `npm start` and the tests.
RUN npm ci --no-audit --no-fund && npm cache clean --force

COPY shared/src shared/src
COPY batch-layer/src batch-layer/src
COPY speed-layer/src speed-layer/src
COPY serving-layer/src serving-layer/src
COPY cli/src cli/src
COPY cli/bin cli/bin

# Embedded mode keeps its log and lake here; distributed mode (Kafka + S3) writes nothing locally.
RUN mkdir /data && chown node:node /data
ENV LAMINA_DATA_DIR=/data
# glibc raises its mmap threshold each time a large block is freed (up to 32 MB), after which the
# multi-megabyte typed arrays of view chunks come from the heap and fragment it; a fixed threshold
# keeps them mapped and returned when freed. Serving at 4 M events: peak RSS 527 MB against 599-621.
ENV MALLOC_MMAP_THRESHOLD_=131072
VOLUME ["/data"]

# The node image's unprivileged user. The app only reads /app; tsx caches under /tmp.
USER node

# The default PORT (cli/src/runtime-options.ts); speed instances in compose set PORT=4001.
EXPOSE 4000

# Node is PID 1: the CLI handles SIGTERM and SIGINT itself (clean stop), so no init is needed.
ENTRYPOINT ["node", "--import", "tsx", "cli/src/main.ts"]
CMD ["dev"]
