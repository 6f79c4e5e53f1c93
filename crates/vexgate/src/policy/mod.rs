//! Trivy's filters (pkg/result/filter.go), in Trivy's order.
