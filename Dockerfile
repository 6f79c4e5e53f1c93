# syntax=docker/dockerfile:1.24@sha256:87999aa3d42bdc6bea60565083ee17e86d1f3339802f543c0d03998580f9cb89
# check=error=true

# Hardened multi-arch image for the `hello` service (crates/hello).
#
#   docker buildx build --load -t hello:local .                 one platform, the builder's
#   docker buildx build --platform linux/amd64,linux/arm64 .   both (CI: one per native runner)
#
# Stages: rust-upstream -> toolchain -> planner / deps -> build | build-dev | prebuilt -> bin
# -> runtime (on distroless, or scratch). The builder runs on $BUILDPLATFORM (Debian 12
# bookworm) and compiles a static musl binary for $TARGETPLATFORM with the Rust toolchain
# alone: the musl targets carry their own C runtime, and a cross build links with rust-lld,
# which ships with rustc. No QEMU, no C cross toolchain, no helper image.
#
# buildah / podman users: pass the binary stage explicitly, e.g.
#   buildah bud --format docker --build-arg BIN_STAGE=build ...
# (`--format docker`, or HEALTHCHECK is dropped). scripts/build-image-offline.sh uses
# BIN_STAGE=prebuilt with RUNTIME_BASE=scratch to assemble the image without a daemon.
#
# The frontend (first line) and both base images are pinned by tag AND digest, in literal
# lines that Dependabot (docker ecosystem) and Renovate (dockerfile manager) both update.
# The digests are the ones public Dockerfiles pinned for these tags in 2026 (several
# independent projects for each); nothing could be pulled where this file was written, so
# they were not re-resolved here. Check them with `docker buildx imagetools inspect` and let
# the update tools keep them current. Package revisions are not pinned anywhere: the
# toolchain comes with the image, and the build installs no distribution packages.

# Where the toolchain comes from: the pinned image below, or a stand-in (an offline build
# passes e.g. RUST_BASE=docker-archive:/path/rust.tar).
ARG RUST_BASE=rust-upstream
# distroless/static rather than scratch by default: it adds ~2 MiB of files the service
# may need (/etc/passwd with nonroot=65532, /tmp, CA certificates, tzdata), it is signed
# with cosign, and Trivy detects its Debian 13 OS and scans those packages too. `scratch`
# also works (the offline test uses it): smaller, but Trivy then sees no OS at all and every
# finding must come from the auditable binary.
ARG RUNTIME_BASE=distroless
# Where the binary comes from:
#   build      compile here with cargo-chef: dependencies in a normal layer that the
#              BuildKit cache exports (the default, and what CI uses);
#   build-dev  compile here with a per-platform target/ cache mount (local development);
#   prebuilt   copy dist/hello-$TARGETARCH from the context (offline build, CI artifacts).
ARG BIN_STAGE=build
# Where the vexgate image's binary comes from: vexgate-build (compile here, the default and
# what CI uses) or vexgate-prebuilt (dist/vexgate-$TARGETARCH from the context: the offline
# test, scripts/test-vexgate-image.sh).
ARG VEXGATE_BIN_STAGE=vexgate-build

FROM --platform=$BUILDPLATFORM rust:1.95.0-slim-bookworm@sha256:d7482085ff5b415f84dba5647ae71606650bdef00db7aeb69f4b3d170c3e4082 AS rust-upstream
FROM gcr.io/distroless/static-debian13:nonroot@sha256:1c2c046bc09ed40fad370b599a0b1ae7987f55b01e247cf27a7c27cd97e5bbc7 AS distroless

FROM ${RUST_BASE} AS toolchain
# renovate: datasource=crate depName=cargo-chef
ARG CARGO_CHEF_VERSION=0.1.78
# renovate: datasource=crate depName=cargo-auditable
ARG CARGO_AUDITABLE_VERSION=0.7.7
RUN --mount=type=cache,id=cargo-git-db,target=/usr/local/cargo/git/db,sharing=shared \
    --mount=type=cache,id=cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    cargo install --locked "cargo-chef@${CARGO_CHEF_VERSION}" "cargo-auditable@${CARGO_AUDITABLE_VERSION}"
WORKDIR /src

# Cache mounts: at most one `sharing=locked` per RUN, listed after the other cache mounts.
# buildah 1.28 (Debian 12) releases only the last cache mount's lock of a RUN, so a second
# locked mount, or one listed earlier, hangs the next RUN that uses it. The git db is shared
# (only git dependencies use it); cargo's registry is the one that must be locked (in
# build-dev, the target/ directory is).

# Dependency caching that survives ephemeral CI runners. BuildKit never exports cache
# mounts to the gha/registry cache, so on a fresh runner a target/ mount starts empty and
# every crate is recompiled. cargo-chef instead compiles the dependencies from a recipe
# (Cargo.toml/Cargo.lock skeleton) into an ordinary layer: that layer IS exported with
# mode=max, and it is only invalidated when the dependency set changes, not on every source
# edit. So in this variant target/ lives in the cooked layer and gets no cache mount; only
# the crate registry and git db are mounted.
FROM toolchain AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

# The musl target of $TARGETARCH, written to /etc/hello-target for the later stages, and
# the cross-linker choice: rust-lld when the build and target architectures differ, the
# image's own cc (with the target's self-contained C runtime) when they are the same. The
# same cc compiles the C and assembly of vexgate's TLS crypto (ring) for a native build;
# vexgate's image is built on each platform's own runner (hello needs no C at all).
FROM toolchain AS deps
ARG BUILDARCH
ARG TARGETARCH
RUN case "$TARGETARCH" in \
      amd64) triple=x86_64-unknown-linux-musl linker=CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER cc=CC_x86_64_unknown_linux_musl ;; \
      arm64) triple=aarch64-unknown-linux-musl linker=CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER cc=CC_aarch64_unknown_linux_musl ;; \
      *) echo "unsupported TARGETARCH '$TARGETARCH' (amd64, arm64)" >&2; exit 1 ;; \
    esac && \
    rustup target add "$triple" && \
    printf '%s\n' "$triple" >/etc/hello-target && \
    if [ "$BUILDARCH" != "$TARGETARCH" ]; then \
      printf 'export %s=rust-lld\n' "$linker"; \
    else \
      printf 'export %s=cc\n' "$cc"; \
    fi >/etc/hello-linker.sh

FROM deps AS build
COPY --from=planner /src/recipe.json recipe.json
# Private registry token (optional; the default public registry needs none). Declare the
# registry in .cargo/config.toml as `[registries.private]` and build with
#   docker buildx build --secret id=cargo_registry_token,env=MY_TOKEN ...
#   (Actions: the pipeline's `build-secrets` secret, `cargo_registry_token=...`)
# The secret is a file under /run/secrets for this one RUN only: it never reaches a layer,
# the cache key or the provenance (never pass tokens as build args: they land in max
# provenance). `target=` rather than `env=`, which buildah (1.28) does not accept.
RUN --mount=type=cache,id=cargo-git-db,target=/usr/local/cargo/git/db,sharing=shared \
    --mount=type=cache,id=cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=secret,id=cargo_registry_token,target=/run/secrets/cargo_registry_token,required=false \
    . /etc/hello-linker.sh && \
    if [ -s /run/secrets/cargo_registry_token ]; then \
      CARGO_REGISTRIES_PRIVATE_TOKEN=$(cat /run/secrets/cargo_registry_token) && export CARGO_REGISTRIES_PRIVATE_TOKEN; \
    fi && \
    cargo chef cook --release --locked --target "$(cat /etc/hello-target)" --package hello --recipe-path recipe.json
COPY . .
# `cargo auditable` embeds the crate list in a `.dep-v0` section, which is how Trivy,
# Grype and Syft see the crates inside a static binary (a `rustbinary` result); without
# it the image looks empty to a scanner. It only wraps rustc for workspace members, so
# the cooked dependency artifacts are reused as they are. No --features: the release
# binary is built with hello's default features only (never its test hooks).
RUN --mount=type=cache,id=cargo-git-db,target=/usr/local/cargo/git/db,sharing=shared \
    --mount=type=cache,id=cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=secret,id=cargo_registry_token,target=/run/secrets/cargo_registry_token,required=false \
    . /etc/hello-linker.sh && \
    if [ -s /run/secrets/cargo_registry_token ]; then \
      CARGO_REGISTRIES_PRIVATE_TOKEN=$(cat /run/secrets/cargo_registry_token) && export CARGO_REGISTRIES_PRIVATE_TOKEN; \
    fi && \
    triple=$(cat /etc/hello-target) && \
    cargo auditable build --release --locked --target "$triple" --package hello --bin hello && \
    install -D -m 0555 "target/$triple/release/hello" /out/hello && \
    sh /src/scripts/check-static-binary.sh "$triple" /out/hello

# Local development (BIN_STAGE=build-dev): incremental builds through a per-platform
# target/ cache mount. Fast on a long-lived builder, useless on ephemeral runners (hence
# not the default). The binary is copied out of the mount inside the same RUN, because
# the mount is not a layer.
FROM deps AS build-dev
ARG TARGETARCH
COPY . .
RUN --mount=type=cache,id=cargo-git-db,target=/usr/local/cargo/git/db,sharing=shared \
    --mount=type=cache,id=cargo-registry,target=/usr/local/cargo/registry,sharing=shared \
    --mount=type=cache,id=hello-target-${TARGETARCH},target=/src/target,sharing=locked \
    --mount=type=secret,id=cargo_registry_token,target=/run/secrets/cargo_registry_token,required=false \
    . /etc/hello-linker.sh && \
    if [ -s /run/secrets/cargo_registry_token ]; then \
      CARGO_REGISTRIES_PRIVATE_TOKEN=$(cat /run/secrets/cargo_registry_token) && export CARGO_REGISTRIES_PRIVATE_TOKEN; \
    fi && \
    triple=$(cat /etc/hello-target) && \
    cargo auditable build --release --locked --target "$triple" --package hello --bin hello && \
    install -D -m 0555 "target/$triple/release/hello" /out/hello && \
    sh /src/scripts/check-static-binary.sh "$triple" /out/hello

# A binary built outside (scripts/build-image-offline.sh, or a CI job that already ran
# `cargo auditable build`): dist/hello-amd64, dist/hello-arm64. .dockerignore re-includes them.
FROM scratch AS prebuilt
ARG TARGETARCH
COPY --chmod=0555 dist/hello-${TARGETARCH} /out/hello

# --- The vexgate image (`--target vexgate`): the gate itself, FROM scratch ---------------
#   docker buildx build --target vexgate -t vexgate:local .
#   docker run --rm -v "$PWD:/work" -w /work vexgate:local gate --vex none trivy.json
# The same toolchain, dependency layers, static musl build, cargo auditable crate list and
# static-binary check as hello; the pipeline builds, scans and gates it like hello
# (.github/workflows/vexgate-image.yml). No shell, no OS, user 65532; outputs go to a
# mounted directory (vexgate writes a temp file beside each output and renames it).
FROM deps AS vexgate-build
COPY --from=planner /src/recipe.json recipe.json
RUN --mount=type=cache,id=cargo-git-db,target=/usr/local/cargo/git/db,sharing=shared \
    --mount=type=cache,id=cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=secret,id=cargo_registry_token,target=/run/secrets/cargo_registry_token,required=false \
    . /etc/hello-linker.sh && \
    if [ -s /run/secrets/cargo_registry_token ]; then \
      CARGO_REGISTRIES_PRIVATE_TOKEN=$(cat /run/secrets/cargo_registry_token) && export CARGO_REGISTRIES_PRIVATE_TOKEN; \
    fi && \
    cargo chef cook --release --locked --target "$(cat /etc/hello-target)" --package vexgate --recipe-path recipe.json
COPY . .
RUN --mount=type=cache,id=cargo-git-db,target=/usr/local/cargo/git/db,sharing=shared \
    --mount=type=cache,id=cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=secret,id=cargo_registry_token,target=/run/secrets/cargo_registry_token,required=false \
    . /etc/hello-linker.sh && \
    if [ -s /run/secrets/cargo_registry_token ]; then \
      CARGO_REGISTRIES_PRIVATE_TOKEN=$(cat /run/secrets/cargo_registry_token) && export CARGO_REGISTRIES_PRIVATE_TOKEN; \
    fi && \
    triple=$(cat /etc/hello-target) && \
    cargo auditable build --release --locked --target "$triple" --package vexgate --bin vexgate && \
    install -D -m 0555 "target/$triple/release/vexgate" /out/vexgate && \
    sh /src/scripts/check-static-binary.sh "$triple" /out/vexgate

FROM scratch AS vexgate-prebuilt
ARG TARGETARCH
COPY --chmod=0555 dist/vexgate-${TARGETARCH} /out/vexgate

FROM ${VEXGATE_BIN_STAGE} AS vexgate-bin

FROM scratch AS vexgate
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="vexgate" \
      org.opencontainers.image.description="Gate Trivy JSON reports with Trivy's exact filter and OpenVEX semantics: static binary, non-root, no shell" \
      org.opencontainers.image.source="https://github.com/OWNER/secure-docker-images" \
      org.opencontainers.image.url="https://github.com/OWNER/secure-docker-images" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=vexgate-bin /out/vexgate /vexgate
USER 65532:65532
ENTRYPOINT ["/vexgate"]

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
