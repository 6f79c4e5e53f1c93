//! PURL matching: go-vex PurlMatches, Trivy purl.Match, and the OCI image PURL.
