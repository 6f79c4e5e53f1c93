// Buildx bake definition for the hello image (see Dockerfile).
//
//   docker buildx bake local                 one platform (the builder's), loaded as hello:local
//   docker buildx bake image                 linux/amd64 + linux/arm64
//   PLATFORMS=linux/arm64 CACHE_SCOPE=main docker buildx bake image   one CI matrix leg
//
// Registry cache: one ref PER PLATFORM, because two matrix legs writing one ref overwrite
// each other's cache (moby/buildkit#2758):
//   main branch and tags     read + write  IMAGE:buildcache-<os>-<arch>
//   same-repo pull requests  read main's, read + write IMAGE:buildcache-pr-<os>-<arch>
//   fork PRs / local         CACHE_SCOPE="" : no registry cache (a fork token cannot write)
// Main and tag builds never read the PR refs, so a PR cannot poison a release build.

variable "IMAGE" {
  // GHCR repository names must be lowercase.
  default = "ghcr.io/owner/secure-docker-images"
}

variable "CACHE_SCOPE" {
  // "main" (main branch and tags), "pr" (same-repo pull requests) or "" (no registry cache)
  default = ""
  validation {
    condition     = CACHE_SCOPE == "" || CACHE_SCOPE == "main" || CACHE_SCOPE == "pr"
    error_message = "CACHE_SCOPE must be main, pr or empty."
  }
}

variable "PLATFORMS" {
  // Comma-separated. CI sets exactly one per native runner.
  default = "linux/amd64,linux/arm64"
}

variable "VERSION" {
  default = "0.1.0"
}

variable "REVISION" {
  default = "unknown"
}

// (Bake does not let a user-defined function call another one, so the ref is spelled out
// in both functions; os/arch becomes os-arch.)
function "cache_from" {
  params = [platforms]
  result = CACHE_SCOPE == "" ? [] : flatten([
    for p in platforms : concat(
      CACHE_SCOPE == "pr" ? ["type=registry,ref=${IMAGE}:buildcache-pr-${replace(p, "/", "-")}"] : [],
      ["type=registry,ref=${IMAGE}:buildcache-${replace(p, "/", "-")}"],
    )
  ])
}

// Written only for a single-platform build (one matrix leg), so each ref holds exactly
// one platform's layers. ignore-error: a failed cache export must not fail the build.
function "cache_to" {
  params = [platforms]
  result = CACHE_SCOPE == "" || length(platforms) != 1 ? [] : [
    join("", [
      "type=registry,ref=${IMAGE}:buildcache-${CACHE_SCOPE == "pr" ? "pr-" : ""}${replace(platforms[0], "/", "-")}",
      ",mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true",
    ]),
  ]
}

// Filled in by docker/metadata-action (tags, labels, annotations) in CI.
target "docker-metadata-action" {}

target "_common" {
  context    = "."
  dockerfile = "Dockerfile"
  args = {
    BIN_STAGE = "build"
    VERSION   = VERSION
    REVISION  = REVISION
    // buildx also forwards SOURCE_DATE_EPOCH from the environment as a build arg.
  }
}

target "local" {
  inherits = ["_common"]
  // Fast incremental rebuilds through a target/ cache mount on a long-lived builder.
  args = {
    BIN_STAGE = "build-dev"
  }
  tags   = ["hello:local"]
  output = ["type=docker"]
}

target "image" {
  inherits   = ["_common", "docker-metadata-action"]
  platforms  = split(",", PLATFORMS)
  cache-from = cache_from(split(",", PLATFORMS))
  cache-to   = cache_to(split(",", PLATFORMS))
  attest = [
    "type=provenance,mode=max",
    "type=sbom",
  ]
}

group "default" {
  targets = ["local"]
}
