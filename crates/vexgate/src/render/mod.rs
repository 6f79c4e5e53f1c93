//! Renderers: table, JSON, Markdown, SARIF and the Trivy-schema report. They only read a Decision.
