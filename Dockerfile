# syntax=docker/dockerfile:1
# check=error=true

# Hardened multi-arch image for the `hello` service (crates/hello).
#
#   docker buildx bake local    one platform, loaded as hello:local (target/ cache mount)
#   docker buildx bake image    linux/amd64 + linux/arm64 (CI: one platform per native runner)
#
# Stages: xx -> toolchain -> planner / deps -> build | build-dev | prebuilt -> bin -> runtime.
# The builder always runs on $BUILDPLATFORM and cross-compiles to $TARGETPLATFORM with
# tonistiigi/xx into a static musl binary, so no QEMU is involved for any platform.
#
# buildah / podman users: pass the binary stage explicitly, e.g.
#   buildah bud --format docker --build-arg BIN_STAGE=build ...
# (`--format docker`, or HEALTHCHECK is dropped). scripts/build-image-offline.sh uses
# BIN_STAGE=prebuilt with RUNTIME_BASE=scratch to assemble the image without a daemon.
#
# Base images are build args so they can be overridden (mirrors, newer digests). They are
# pinned by tag AND digest; the digests are the multi-platform index digests published for
# those tags, as pinned in public Dockerfiles in Aug-Sep 2026. Nothing can be pulled where
# this file was written, so they were not re-resolved here: let Renovate/Dependabot bump
# them (and re-check them with `docker buildx imagetools inspect`).
ARG RUST_IMAGE=rust:1.95.0-alpine3.23@sha256:606fd313a0f49743ee2a7bd49a0914bab7deedb12791f3a846a34a4711db7ed2
ARG XX_IMAGE=tonistiigi/xx:1.9.0@sha256:c64defb9ed5a91eacb37f96ccc3d4cd72521c4bd18d5442905b95e2226b0e707
# distroless/static rather than scratch by default: it adds ~2 MiB of files the service
# may need (/etc/passwd with nonroot=65532, /tmp, CA certificates, tzdata), it is signed
# with cosign, and Trivy detects its Debian 13 OS and scans those packages too. `scratch`
# also works (the offline test uses it): smaller, but Trivy then sees no OS at all and every
# finding must come from the auditable binary.
ARG RUNTIME_BASE=gcr.io/distroless/static-debian13:nonroot@sha256:1c2c046bc09ed40fad370b599a0b1ae7987f55b01e247cf27a7c27cd97e5bbc7
# Where the binary comes from:
#   build      compile here with cargo-chef: dependencies in a normal layer that the
#              registry cache exports (the default, and what CI uses);
#   build-dev  compile here with a per-platform target/ cache mount (local development);
#   prebuilt   copy dist/hello-$TARGETARCH from the context (offline build, CI artifacts).
ARG BIN_STAGE=build

FROM --platform=$BUILDPLATFORM ${XX_IMAGE} AS xx

FROM --platform=$BUILDPLATFORM ${RUST_IMAGE} AS toolchain
# xx ships only its helper scripts (xx-cargo, xx-apk, xx-verify...), copied whole by design.
# hadolint ignore=DL3067
COPY --from=xx / /
# clang + lld on the build host: xx-cargo links every target with `<triple>-clang`.
# Alpine 3.23 versions; bump them together with RUST_IMAGE.
RUN apk add --no-cache clang21=21.1.2-r2 lld21=21.1.2-r1
ARG CARGO_CHEF_VERSION=0.1.78
ARG CARGO_AUDITABLE_VERSION=0.7.7
RUN --mount=type=cache,id=cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=cargo-git-db,target=/usr/local/cargo/git/db,sharing=locked \
    cargo install --locked "cargo-chef@${CARGO_CHEF_VERSION}" "cargo-auditable@${CARGO_AUDITABLE_VERSION}"
WORKDIR /src

# Dependency caching that survives ephemeral CI runners. BuildKit never exports cache
# mounts to the gha/registry cache, so on a fresh runner a target/ mount starts empty and
# every crate is recompiled. cargo-chef instead compiles the dependencies from a recipe
# (Cargo.toml/Cargo.lock skeleton) into an ordinary layer: that layer IS exported with
# mode=max and restored from `:buildcache-<os>-<arch>`, and it is only invalidated when the
# dependency set changes, not on every source edit. So in this variant target/ lives in
# the cooked layer and gets no cache mount; only the crate registry and git db are mounted.
FROM toolchain AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM toolchain AS deps
ARG TARGETPLATFORM
# Target-arch sysroot for the linker; a no-op reinstall on native builds.
RUN xx-apk add --no-cache musl-dev=1.2.5-r23 && xx-cargo --setup-target-triple

FROM deps AS build
# ARGs do not cross stage boundaries: xx-cargo needs TARGETPLATFORM in this stage too.
ARG TARGETPLATFORM
COPY --from=planner /src/recipe.json recipe.json
# Private registry token (optional; the default public registry needs none). Declare the registry in
# .cargo/config.toml as `[registries.private]` and build with
#   docker buildx build --secret id=cargo_registry_token,env=MY_TOKEN ...
#   (bake: secret = ["id=cargo_registry_token,env=MY_TOKEN"]; Actions: `secrets:`)
# The secret exists only as an env var for this one RUN: it never reaches a layer, the
# cache key or the provenance (never pass tokens as build args: they land in max provenance).
RUN --mount=type=cache,id=cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=cargo-git-db,target=/usr/local/cargo/git/db,sharing=locked \
    --mount=type=secret,id=cargo_registry_token,env=CARGO_REGISTRIES_PRIVATE_TOKEN,required=false \
    xx-cargo chef cook --release --locked --package hello --recipe-path recipe.json
COPY . .
# `cargo auditable` embeds the crate list in a `.dep-v0` section, which is how Trivy,
# Grype and Syft see the crates inside a static binary (a `rustbinary` result); without
# it the image looks empty to a scanner. It only wraps rustc for workspace members, so
# the cooked dependency artifacts are reused as they are.
RUN --mount=type=cache,id=cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=cargo-git-db,target=/usr/local/cargo/git/db,sharing=locked \
    --mount=type=secret,id=cargo_registry_token,env=CARGO_REGISTRIES_PRIVATE_TOKEN,required=false \
    xx-cargo auditable build --release --locked --package hello --bin hello && \
    install -D -m 0555 "target/$(xx-cargo --print-target-triple)/release/hello" /out/hello && \
    xx-verify --static /out/hello

# Local development (BIN_STAGE=build-dev): incremental builds through a per-platform
# target/ cache mount. Fast on a long-lived builder, useless on ephemeral runners (hence
# not the default). The binary is copied out of the mount inside the same RUN, because
# the mount is not a layer.
FROM deps AS build-dev
ARG TARGETPLATFORM
ARG TARGETARCH
COPY . .
RUN --mount=type=cache,id=cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=cargo-git-db,target=/usr/local/cargo/git/db,sharing=locked \
    --mount=type=cache,id=hello-target-${TARGETARCH},target=/src/target,sharing=locked \
    --mount=type=secret,id=cargo_registry_token,env=CARGO_REGISTRIES_PRIVATE_TOKEN,required=false \
    xx-cargo auditable build --release --locked --package hello --bin hello && \
    install -D -m 0555 "target/$(xx-cargo --print-target-triple)/release/hello" /out/hello && \
    xx-verify --static /out/hello

# A binary built outside (scripts/build-image-offline.sh, or a CI job that already ran
# `cargo auditable build`): dist/hello-amd64, dist/hello-arm64. .dockerignore re-includes them.
FROM scratch AS prebuilt
ARG TARGETARCH
COPY --chmod=0555 dist/hello-${TARGETARCH} /out/hello

FROM ${BIN_STAGE} AS bin

FROM ${RUNTIME_BASE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
# metadata-action (CI) sets these too, with `created` from the commit date; the ones here
# also describe local builds. SOURCE_DATE_EPOCH (a build arg/env that buildx forwards;
# `buildah --timestamp`) clamps the image's created time and file timestamps; it is not
# declared in the builder stages, where a per-commit value would invalidate the cache.
LABEL org.opencontainers.image.title="hello" \
      org.opencontainers.image.description="Reference hello-world HTTP service: static musl binary, auditable crate list, non-root, no shell" \
      org.opencontainers.image.source="https://github.com/OWNER/secure-docker-images" \
      org.opencontainers.image.url="https://github.com/OWNER/secure-docker-images" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
# Root-owned and read-only (0555): the service user cannot replace its own binary.
COPY --from=bin /out/hello /hello
ENV PORT=8080 \
    BIND=0.0.0.0
# Numeric, so no passwd lookup is needed and Kubernetes runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 8080
# The service drains in-flight requests on SIGTERM (it is PID 1 and handles it itself).
STOPSIGNAL SIGTERM
# Exec form through the binary's own probe: there is no shell or curl in this image.
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/hello", "healthcheck"]
ENTRYPOINT ["/hello"]
