//! The scan driver: Trivy once per platform, unfiltered, then the gate.
