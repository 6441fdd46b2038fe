# syntax=docker/dockerfile:1
# CODITECT License Server image: a static-ish release binary on distroless, run as non-root.
#
#   docker build -t coditect-license .
#   docker run -p 8080:8080 -e CODITECT_DATABASE_URL=postgres://… coditect-license
#
# Without CODITECT_DATABASE_URL the server uses embedded SQLite in /data (mount a volume
# there to keep it). Deployment on Kubernetes with PostgreSQL: deploy/k8s/.

# ---- build ----------------------------------------------------------------------------
FROM rust:1-slim-bookworm AS builder
WORKDIR /src
# Manifests first, so the dependency layer is cached while only sources change.
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
# The dashboard's build output, embedded in the binary (crates/server: include_dir!).
COPY web/dist ./web/dist
RUN cargo build --release --locked -p coditect-license \
 && strip target/release/coditect-license \
 && mkdir -p /out/data \
 && cp target/release/coditect-license /out/

# ---- run ------------------------------------------------------------------------------
# distroless/cc: glibc and libgcc only (ring and the std need nothing else); no shell, no
# package manager. The `nonroot` variant runs as uid/gid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=builder /out/coditect-license /usr/local/bin/coditect-license
# An empty data directory owned by the non-root user, for the embedded SQLite default.
COPY --from=builder --chown=65532:65532 /out/data /data
ENV CODITECT_LISTEN=0.0.0.0:8080 \
    CODITECT_DATA_DIR=/data \
    CODITECT_LOG_FORMAT=json
USER 65532:65532
EXPOSE 8080
# SIGTERM: stop accepting, finish in-flight requests, exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/coditect-license"]
CMD ["serve"]
