//! OpenVEX (and CSAF) model, Trivy's VEX matching, authoring and validation.
