# syntax=docker/dockerfile:1
#
# One image per service of the backorder suite, chosen by the build arg
# SERVICE (inventory | order | procurement | notification):
#
#   docker build --build-arg SERVICE=inventory -t ghcr.io/backorder/inventory:0.1.0 .
#
# Build stage: the workspace's toolchain; protobuf is compiled by protox
# (pure Rust), so no protoc is needed. Runtime stage: distroless (glibc and
# CA certificates, no shell, no package manager), running as UID/GID 10001
# like the Kubernetes manifests (k8s/) expect. Configuration comes from
# BACKORDER__* environment variables; health is the gRPC health service.

ARG SERVICE

# ---------------------------------------------------------------- build ---
FROM rust:1.95-bookworm AS build
ARG SERVICE
WORKDIR /src
COPY . .
# The cache mounts keep the crates index, downloads and incremental target
# between builds; the binary is copied out of the cached target directory
# within the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target,sharing=locked \
    case "${SERVICE}" in \
      inventory|order|procurement|notification) ;; \
      *) echo "build arg SERVICE must be inventory, order, procurement or notification (got '${SERVICE}')" >&2; exit 1 ;; \
    esac \
    && cargo build --release --locked -p "${SERVICE}" --bin "${SERVICE}" \
    && install -D -m 0755 "target/release/${SERVICE}" /out/backorder-service

# -------------------------------------------------------------- runtime ---
# Debian 12 based, matching the bookworm build stage's glibc.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
ARG SERVICE
LABEL org.opencontainers.image.title="backorder-${SERVICE}" \
      org.opencontainers.image.description="Backorder suite: ${SERVICE} gRPC service" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/backorder-service /usr/local/bin/backorder-service
ENV BACKORDER__SERVER__HOST=0.0.0.0
# The root filesystem is read-only in Kubernetes; the process needs none of it.
WORKDIR /tmp
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/backorder-service"]

# Each service's port, documented with EXPOSE: one small stage per service,
# the last stage picks the one named by SERVICE.
FROM runtime AS runtime-inventory
EXPOSE 50051
FROM runtime AS runtime-order
EXPOSE 50052
FROM runtime AS runtime-procurement
EXPOSE 50053
FROM runtime AS runtime-notification
EXPOSE 50054

# A stage of this file, not an image from a registry: it has no tag to pin.
# hadolint ignore=DL3006
FROM runtime-${SERVICE}
