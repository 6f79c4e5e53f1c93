//! `vex explain`: why the VEX statements naming one vulnerability do or do not apply to each
//! finding of it, step by step, with the gate's own code.
//!
//! Nothing here decides a match. The explanation is recorded while the gate's functions run:
//! the policy filters ([`policy::filter_result`]), the image identity ([`super::root_identity`]),
//! the component graph ([`Graph::build`], [`Graph::leaf`]), Trivy's search
//! ([`super::reach_root`]) and each node's question to the VEX sources
//! (`node_not_affected`, with a [`Trace`] that records what [`matching`](super::matching)'s
//! rules saw: which statements name the ID, which product and subcomponent rules held or
//! which PURL part made them miss, which statement go-vex's order picked). The final effect
//! of each finding is read off those same answers, so it is the gate's decision; what the
//! gate decides after VEX (a baseline's existing findings, the EPSS threshold) is read off
//! the gate's own [`Decision`], which the caller builds with the same settings.
//!
//! A finding is one whose `VulnerabilityID` is the asked ID, exactly (case-sensitive), as
//! Trivy's VEX filter compares it; findings that list the ID only among their `VendorIDs`
//! are named separately, because no statement for the ID applies to them.
//!
//! # Schema `vexgate/explain/v1` (`--format json`)
//!
//! Keys appear in this order; later v1 releases may add keys at the end of an object,
//! existing keys never change meaning. Strings from reports and VEX documents are written
//! with the same log-safe escaping as the gate's JSON output.
//!
//! ```text
//! {
//!   "schema": "vexgate/explain/v1",
//!   "vulnerability": string,
//!   "policy": { ...as in vexgate/gate/v2... },
//!   "sources": [{                         // --vex documents, in priority order
//!     "source": string, "format": "openvex" | "csaf",
//!     "statements": [{                    // OpenVEX statements naming the ID (CSAF: [])
//!       "index": int, "named_by": "id" | "name" | "alias",
//!       "status": string, "justification": string,
//!       "timestamp": string,              // go-vex's sort time (RFC 3339)
//!       "products": [{"component": Component, "subcomponents": [Component]}],
//!       "lints": [Lint]                   // never-match lints of this statement
//!     }]
//!   }],
//!   "reports": [{
//!     "path": string, "platform": string | null,
//!     "artifact_name": string, "artifact_type": string,
//!     "identity": {"purl": string | null, "from": "repo_digests" | "repo_digest_unparsable"
//!                  | "image_repo" | "image_repo_invalid" | "unpushed" | "not_an_image", ...},
//!     "findings": [Finding],
//!     "vendor_id_only": [{"target": string, "pkg_id": string, "vulnerability_id": string}],
//!     "already_suppressed": [{"target", "pkg_id", "status", "statement", "source"}]
//!                                       // the report's own ExperimentalModifiedFindings
//!   }],
//!   "warnings": [{"code": string, "message": string}]
//! }
//! Component = {"id": string, "identifiers": [[type, value]], "hashes": [string]}
//! Lint = {"code": string, "path": string, "message": string}
//! Finding = {
//!   "target", "class", "type", "pkg_id", "pkg_name", "pkg_path", "installed_version",
//!   "fixed_version", "purl" (string|null), "uid" (string|null), "severity", "status",
//!   "policy": {"outcome": "passed" | "kev" | "severity" | "status" | "duplicate"}
//!           | {"outcome": "ignorefile", "statement": string, "source": string},
//!   "vex": {"outcome": "not_reached" | "no_vex" | "not_named" | "component_not_found"}
//!        | {"outcome": "evaluated", "leaf": Node, "queries": [Query], "paths": Paths},
//!   "effect": {"decision": "blocking" | "suppressed" | "dropped" | "not_blocking",
//!              "by": ..., ...}
//! }
//! Paths = {"outcome": "blocked", "leaf_itself": bool, "blocked_at": [Node],
//!          "recorded": {"status", "statement", "source"}}
//!       | {"outcome": "open", "path": [Node]}   // vulnerable package first, then parents
//!       | {"outcome": "fail_safe"}
//! Node = {"index": int, "kind": "root" | "os" | "application" | "package"
//!         | "vulnerable_package", "package_id": string|null, "purl": string|null,
//!         "target": string|null}
//! Query = {"node": Node, "subcomponent": Node|null, "no_purl": bool,
//!          "sources": [{"source": int, "statements": [{"statement": int, "matched": bool,
//!                        "products": [ProductCheck]}],
//!                       "matched": [int], "order": [int], "winner": int|null,
//!                       "suppresses": bool, "csaf": {"status","statement"}|null}],
//!          "result": {"status","statement","source"}|null}
//! ProductCheck = {"product": int, "outcome": "product_miss" | "no_subcomponents"
//!                 | "no_subcomponent_asked" | "subcomponent" | "subcomponent_miss",
//!                 "product_by"?: Hit, "subcomponent"?: int, "subcomponent_by"?: Hit,
//!                 "purl_misses": [{"component": string, "part": "type" | "namespace"
//!                   | "name" | "version" | "qualifier", "qualifier": string|null,
//!                   "statement": string, "scanned": string|null}],
//!                 "lints": [Lint]}
//! Hit = {"rule": "id_text" | "id_purl" | "identifier_text" | "identifier_purl" | "hash",
//!        "index"?: int}
//! ```
//!
//! `policy` `kev` means the finding passed the severity and status filters only because it
//! is in the KEV catalog (`--block-kev`).
//!
//! `effect` is `{"decision": "blocking"}`, `{"decision": "suppressed", "by": "vex" |
//! "ignorefile", "status", "statement", "source"}`, `{"decision": "dropped", "by":
//! "severity" | "status" | "duplicate"}` or `{"decision": "not_blocking", "by": "baseline"
//! | "epss_threshold"}` (left after VEX, but the baseline has it in `block-new` mode, or its
//! EPSS score is below `--epss-threshold`): exactly where `gate` lists the finding (its
//! `blocking` rows, its `suppressed` rows, its existing or below-threshold rows, or
//! nowhere).

use std::collections::VecDeque;
use std::io::{self, Write};

use jiff::Timestamp;
use serde::Serialize;

use super::graph::{Graph, NodeKind, ROOT};
use super::matching::{
    CompiledComponent, CompiledStatement, ComponentHit, Field, NamedBy, ProductMatch, Site, Trace,
    go_vex_sorted, named_by,
};
use super::{Candidates, Reach, SourceKind, VexSet, lint, node_not_affected, reach_root};
use crate::config::Settings;
use crate::decision::{Decision, FindingKind, Suppression, Warning};
use crate::error::Result;
use crate::gate;
use crate::policy::{self, Policy};
use crate::purl::{Purl, PurlMiss, oci_purl_from_image_repo, oci_purl_from_repo_digests};
use crate::report::{Report, ScanResult, Vulnerability};

mod table;

/// The `schema` value of the JSON output.
pub const SCHEMA: &str = "vexgate/explain/v1";

/// Everything `vex explain` says about one vulnerability ID.
#[derive(Debug, Serialize)]
pub struct Explanation {
    pub schema: &'static str,
    pub vulnerability: String,
    pub policy: Policy,
    pub sources: Vec<SourceInfo>,
    pub reports: Vec<ReportExplanation>,
    pub warnings: Vec<WarningOut>,
}

#[derive(Debug, Serialize)]
pub struct WarningOut {
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    Openvex,
    Csaf,
}

/// One `--vex` source and its statements that name the vulnerability.
#[derive(Debug, Serialize)]
pub struct SourceInfo {
    pub source: String,
    pub format: SourceFormat,
    pub statements: Vec<StatementInfo>,
}

#[derive(Debug, Serialize)]
pub struct StatementInfo {
    pub index: usize,
    pub named_by: NamedBy,
    pub status: String,
    pub justification: String,
    pub timestamp: String,
    pub products: Vec<ProductInfo>,
    pub lints: Vec<LintOut>,
}

#[derive(Debug, Serialize)]
pub struct ProductInfo {
    pub component: ComponentInfo,
    pub subcomponents: Vec<ComponentInfo>,
}

#[derive(Debug, Serialize)]
pub struct ComponentInfo {
    pub id: String,
    pub identifiers: Vec<(String, String)>,
    pub hashes: Vec<String>,
}

impl ComponentInfo {
    fn of(c: &CompiledComponent) -> Self {
        Self {
            id: c.id.clone(),
            identifiers: c
                .identifiers
                .iter()
                .map(|(t, v, _)| (t.clone(), v.clone()))
                .collect(),
            hashes: c.hashes.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LintOut {
    pub code: &'static str,
    pub path: String,
    pub message: String,
}

impl From<&lint::Lint> for LintOut {
    fn from(l: &lint::Lint) -> Self {
        Self {
            code: l.code,
            path: l.path.clone(),
            message: l.message.clone(),
        }
    }
}

/// One report (one platform).
#[derive(Debug, Serialize)]
pub struct ReportExplanation {
    pub path: String,
    pub platform: Option<String>,
    pub artifact_name: String,
    pub artifact_type: String,
    pub identity: Identity,
    pub findings: Vec<FindingExplanation>,
    pub vendor_id_only: Vec<VendorIdOnly>,
    /// Findings of the ID the input report already lists as suppressed
    /// (`ExperimentalModifiedFindings`: Trivy applied VEX or an ignore file when it scanned).
    pub already_suppressed: Vec<AlreadySuppressed>,
}

/// A finding the report itself records as suppressed; `gate` counts it with origin `report`.
#[derive(Debug, Serialize)]
pub struct AlreadySuppressed {
    pub target: String,
    pub pkg_id: String,
    pub status: String,
    pub statement: String,
    pub source: String,
}

/// A finding that lists the ID among its `VendorIDs` only.
#[derive(Debug, Serialize)]
pub struct VendorIdOnly {
    pub target: String,
    pub pkg_id: String,
    pub vulnerability_id: String,
}

/// The image identity vexgate computed for the root of the report's graph.
#[derive(Debug, Serialize)]
pub struct Identity {
    pub purl: Option<String>,
    #[serde(flatten)]
    pub from: IdentitySource,
}

#[derive(Debug, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum IdentitySource {
    /// Trivy's image PURL from `Metadata.RepoDigests[0]` (a pushed image).
    RepoDigests { repo_digest: String },
    /// `RepoDigests[0]` does not parse: no image-scoped statement applies.
    RepoDigestUnparsable { repo_digest: String, error: String },
    /// An image without RepoDigests, with the identity `--image-repo` gives it.
    ImageRepo { image_repo: String },
    /// `--image-repo` given but not a repository.
    ImageRepoInvalid { image_repo: String, error: String },
    /// An image without RepoDigests (built, not pushed) and no `--image-repo`: the root
    /// has no PURL, so no image-scoped statement applies.
    Unpushed,
    /// Not a container image: the root has no PURL.
    NotAnImage { artifact_type: String },
}

/// One finding of the vulnerability.
#[derive(Debug, Serialize)]
pub struct FindingExplanation {
    pub target: String,
    pub class: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub pkg_id: String,
    pub pkg_name: String,
    pub pkg_path: String,
    pub installed_version: String,
    pub fixed_version: String,
    pub purl: Option<String>,
    pub uid: Option<String>,
    pub severity: String,
    pub status: String,
    pub policy: PolicyStep,
    pub vex: VexStep,
    pub effect: Effect,
}

/// The policy filters, which run before VEX (Trivy's pkg/result/filter.go order).
#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PolicyStep {
    Passed,
    /// Not selected by severity or status, but in the KEV catalog: `--block-kev` keeps it.
    Kev,
    /// The severity is not one of the blocking severities.
    Severity,
    /// The status is one the policy drops (ignore-unfixed / ignore-status).
    Status,
    /// The ignore file suppresses it.
    Ignorefile {
        statement: String,
        source: String,
    },
    /// Trivy's de-duplication kept another finding with the same key.
    Duplicate,
}

#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum VexStep {
    /// The policy removed the finding before VEX runs.
    NotReached,
    /// No VEX document given.
    NoVex,
    /// No statement of any source names the ID.
    NotNamed,
    /// The finding's package UID is not in `Packages`: Trivy keeps it.
    ComponentNotFound,
    Evaluated(Box<Evaluation>),
}

/// Trivy's search for one finding, question by question.
#[derive(Debug, Serialize)]
pub struct Evaluation {
    /// The vulnerable package's node.
    pub leaf: NodeRef,
    /// Each question, in the order the search asked it.
    pub queries: Vec<Query>,
    pub paths: Paths,
}

/// Trivy's every-path-to-root rule, as its search answered.
#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Paths {
    /// Every path from the vulnerable package to the root passes a not-affected node.
    Blocked {
        /// The package itself is not affected (asked as the product).
        leaf_itself: bool,
        /// The nodes the search found not affected.
        blocked_at: Vec<NodeRef>,
        recorded: SuppressionOut,
    },
    /// This path reaches the root (or a package nothing depends on) through nodes no
    /// statement covers: the finding is kept.
    Open { path: Vec<NodeRef> },
    /// No unblocked path, but the search met a dependency cycle (or its budget) and keeps
    /// the finding, as Trivy's does.
    FailSafe,
}

#[derive(Debug, Clone, Serialize)]
pub struct SuppressionOut {
    pub status: String,
    pub statement: String,
    pub source: String,
}

impl From<&Suppression> for SuppressionOut {
    fn from(s: &Suppression) -> Self {
        Self {
            status: s.status.to_string(),
            statement: s.statement.clone(),
            source: s.source.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKindOut {
    Root,
    Os,
    Application,
    Package,
    VulnerablePackage,
}

/// A node of the component graph.
#[derive(Debug, Clone, Serialize)]
pub struct NodeRef {
    pub index: usize,
    pub kind: NodeKindOut,
    pub package_id: Option<String>,
    pub purl: Option<String>,
    pub target: Option<String>,
}

/// One question the search asked: is `node` not affected (with `subcomponent` as the
/// subcomponent, or none)?
#[derive(Debug, Serialize)]
pub struct Query {
    pub node: NodeRef,
    pub subcomponent: Option<NodeRef>,
    /// The node has no PURL: no statement can name it (openvex.go:89-91).
    pub no_purl: bool,
    pub sources: Vec<SourceCheck>,
    pub result: Option<SuppressionOut>,
}

#[derive(Debug, Serialize)]
pub struct SourceCheck {
    pub source: usize,
    pub statements: Vec<StatementCheck>,
    /// Statements that matched, in document order.
    pub matched: Vec<usize>,
    /// The matched statements in go-vex's order (name, then timestamp); the last wins.
    pub order: Vec<usize>,
    pub winner: Option<usize>,
    pub suppresses: bool,
    pub csaf: Option<CsafAnswer>,
}

#[derive(Debug, Serialize)]
pub struct CsafAnswer {
    pub status: String,
    pub statement: String,
}

#[derive(Debug, Serialize)]
pub struct StatementCheck {
    pub statement: usize,
    pub matched: bool,
    pub products: Vec<ProductCheck>,
}

#[derive(Debug, Serialize)]
pub struct ProductCheck {
    pub product: usize,
    #[serde(flatten)]
    pub outcome: ProductOutcome,
    pub purl_misses: Vec<PurlMissOut>,
    pub lints: Vec<LintOut>,
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ProductOutcome {
    ProductMiss,
    NoSubcomponents {
        product_by: ComponentHit,
    },
    NoSubcomponentAsked {
        product_by: ComponentHit,
    },
    Subcomponent {
        product_by: ComponentHit,
        subcomponent: usize,
        subcomponent_by: ComponentHit,
    },
    SubcomponentMiss {
        product_by: ComponentHit,
    },
}

impl From<ProductMatch> for ProductOutcome {
    fn from(m: ProductMatch) -> Self {
        match m {
            ProductMatch::ProductMiss => Self::ProductMiss,
            ProductMatch::NoSubcomponents(h) => Self::NoSubcomponents { product_by: h },
            ProductMatch::NoSubcomponentAsked(h) => Self::NoSubcomponentAsked { product_by: h },
            ProductMatch::Subcomponent(h, i, s) => Self::Subcomponent {
                product_by: h,
                subcomponent: i,
                subcomponent_by: s,
            },
            ProductMatch::SubcomponentMiss(h) => Self::SubcomponentMiss { product_by: h },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PurlPart {
    Type,
    Namespace,
    Name,
    Version,
    Qualifier,
}

/// A PURL of a statement's component compared with the node's, and the part that differs.
#[derive(Debug, Serialize)]
pub struct PurlMissOut {
    /// Where in the statement: `products[0].@id`, `products[0].subcomponents[1].identifiers[0]`.
    pub component: String,
    pub part: PurlPart,
    pub qualifier: Option<String>,
    /// The statement's value of that part.
    pub statement: String,
    /// The scanned value (`None`: the scanned PURL lacks the qualifier).
    pub scanned: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Effect {
    Blocking,
    Suppressed {
        by: SuppressedBy,
        status: String,
        statement: String,
        source: String,
    },
    Dropped {
        by: DroppedBy,
    },
    /// Left after VEX, but the gate does not block on it.
    NotBlocking {
        by: NotBlockingBy,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotBlockingBy {
    /// The baseline of its platform has it (`--baseline-mode block-new`).
    Baseline,
    /// Its EPSS score is below `--epss-threshold` (or it has none, with `--epss-missing
    /// allow`).
    EpssThreshold,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressedBy {
    Vex,
    Ignorefile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DroppedBy {
    Severity,
    Status,
    Duplicate,
}

impl Explanation {
    /// How many findings of the ID the reports hold.
    pub fn findings(&self) -> usize {
        self.reports.iter().map(|r| r.findings.len()).sum()
    }
}

/// Explain `vuln` over the reports of `decision`, the gate's decision under `settings`
/// (its policy, ignore file, `--image-repo`, `--report-platform`, feeds and baselines:
/// [`gate::decide_with_feeds`] then [`gate::apply_baselines`]) with the loaded VEX `set`.
/// `now` is the clock for ignore-file expiry, as in the gate. The warnings are the
/// decision's.
pub fn explain(
    vuln: &str,
    decision: &Decision<'_>,
    settings: &Settings,
    now: Timestamp,
    set: &VexSet,
) -> Result<Explanation> {
    let policy = &settings.policy;
    // Its warnings are the decision's, given once.
    let ignore = gate::load_ignorefile(policy, now, &mut Vec::new())?;
    let keep_kev = |v: &Vulnerability<'_>| decision.facts(v).kev.is_some();
    let keep: Option<&dyn Fn(&Vulnerability<'_>) -> bool> =
        (settings.feeds.block_kev && decision.feeds.is_some()).then_some(&keep_kev);
    let sources = source_infos(set, vuln);
    let cands = set.candidates(vuln);
    let mut out = Vec::with_capacity(decision.reports.len());
    for rd in &decision.reports {
        let (file, report) = (rd.file, rd.report);
        let (root, _assumed) =
            super::root_identity(report, policy.image_repo.as_deref(), &mut Vec::new());
        let identity = identity(report, policy.image_repo.as_deref(), root.as_ref());
        let mut graph: Option<Graph> = None;
        let mut root = Some(root);
        let mut findings = Vec::new();
        let mut vendor_id_only = Vec::new();
        let mut already_suppressed = Vec::new();
        for (ri, result) in report.results.iter().enumerate() {
            for m in &result.modified_findings {
                if let Some(v) = m.vulnerability()
                    && v.vulnerability_id == vuln
                {
                    already_suppressed.push(AlreadySuppressed {
                        target: result.target.to_string(),
                        pkg_id: v.pkg_id.to_string(),
                        status: m.status.to_string(),
                        statement: m.statement.to_string(),
                        source: m.source.to_string(),
                    });
                }
            }
            for v in &result.vulnerabilities {
                if v.vulnerability_id != vuln
                    && v.vendor_ids.is_some()
                    && v.vendor_ids().iter().any(|x| x == vuln)
                {
                    vendor_id_only.push(VendorIdOnly {
                        target: result.target.to_string(),
                        pkg_id: v.pkg_id.to_string(),
                        vulnerability_id: v.vulnerability_id.to_string(),
                    });
                }
            }
            if !result
                .vulnerabilities
                .iter()
                .any(|v| v.vulnerability_id == vuln)
            {
                continue;
            }
            // The gate's filters, for this result as the gate runs them.
            let d = policy::filter_result_with(result, policy, &ignore, keep);
            for (vi, v) in result.vulnerabilities.iter().enumerate() {
                if v.vulnerability_id != vuln {
                    continue;
                }
                let policy_step = if d.kev_forced.contains(&vi) {
                    PolicyStep::Kev
                } else if d.vulnerabilities.contains(&vi) {
                    PolicyStep::Passed
                } else if let Some((_, _, s)) = d
                    .suppressed
                    .iter()
                    .find(|(k, i, _)| *k == FindingKind::Vulnerability && *i == vi)
                {
                    PolicyStep::Ignorefile {
                        statement: s.statement.clone(),
                        source: s.source.clone(),
                    }
                } else if !policy.severity_ok(v.effective_severity()) {
                    PolicyStep::Severity
                } else if policy.status_ignored(v.effective_status()) {
                    PolicyStep::Status
                } else {
                    PolicyStep::Duplicate
                };
                let vex = match (&policy_step, &cands) {
                    (PolicyStep::Passed | PolicyStep::Kev, _) if set.is_empty() => VexStep::NoVex,
                    (PolicyStep::Passed | PolicyStep::Kev, None) => VexStep::NotNamed,
                    (PolicyStep::Passed | PolicyStep::Kev, Some(cands)) => {
                        let g = graph
                            .get_or_insert_with(|| Graph::build(report, root.take().flatten()));
                        evaluate(report, g, set, cands, vuln, ri, v)
                    }
                    _ => VexStep::NotReached,
                };
                let effect = match effect(&policy_step, &vex) {
                    // After VEX, the gate's own later steps, in the order its outputs list
                    // them: a baseline's existing findings, then the EPSS threshold.
                    Effect::Blocking => {
                        let gd = &rd.results[ri];
                        if rd.only_new_blocks() && gd.is_existing(vi) {
                            Effect::NotBlocking {
                                by: NotBlockingBy::Baseline,
                            }
                        } else if gd.is_below_threshold(vi) {
                            Effect::NotBlocking {
                                by: NotBlockingBy::EpssThreshold,
                            }
                        } else {
                            Effect::Blocking
                        }
                    }
                    e => e,
                };
                findings.push(finding(result, v, policy_step, vex, effect));
            }
        }
        out.push(ReportExplanation {
            path: file.path.display().to_string(),
            platform: rd.platform.as_ref().map(|p| p.to_string()),
            artifact_name: report.artifact_name.to_string(),
            artifact_type: report.artifact_type.to_string(),
            identity,
            findings,
            vendor_id_only,
            already_suppressed,
        });
    }
    Ok(Explanation {
        schema: SCHEMA,
        vulnerability: vuln.to_string(),
        policy: policy.clone(),
        sources,
        reports: out,
        warnings: decision
            .warnings
            .iter()
            .map(|w: &Warning| WarningOut {
                code: w.code.as_str(),
                message: w.message.clone(),
            })
            .collect(),
    })
}

fn finding(
    result: &ScanResult<'_>,
    v: &Vulnerability<'_>,
    policy: PolicyStep,
    vex: VexStep,
    effect: Effect,
) -> FindingExplanation {
    FindingExplanation {
        target: result.target.to_string(),
        class: result.class.to_string(),
        kind: result.kind.to_string(),
        pkg_id: v.pkg_id.to_string(),
        pkg_name: v.pkg_name.to_string(),
        pkg_path: v.pkg_path.to_string(),
        installed_version: v.installed_version.to_string(),
        fixed_version: v.fixed_version.to_string(),
        purl: v.purl().map(str::to_string),
        uid: v.pkg_identifier.uid.as_deref().map(str::to_string),
        severity: v.effective_severity().to_string(),
        status: v.effective_status().as_str().to_string(),
        policy,
        vex,
        effect,
    }
}

/// The final effect, from the policy's and the search's answers.
fn effect(policy: &PolicyStep, vex: &VexStep) -> Effect {
    match policy {
        PolicyStep::Severity => Effect::Dropped {
            by: DroppedBy::Severity,
        },
        PolicyStep::Status => Effect::Dropped {
            by: DroppedBy::Status,
        },
        PolicyStep::Duplicate => Effect::Dropped {
            by: DroppedBy::Duplicate,
        },
        PolicyStep::Ignorefile { statement, source } => Effect::Suppressed {
            by: SuppressedBy::Ignorefile,
            status: "ignored".into(),
            statement: statement.clone(),
            source: source.clone(),
        },
        PolicyStep::Passed | PolicyStep::Kev => match vex {
            VexStep::Evaluated(ev) => match &ev.paths {
                Paths::Blocked { recorded, .. } => Effect::Suppressed {
                    by: SuppressedBy::Vex,
                    status: recorded.status.clone(),
                    statement: recorded.statement.clone(),
                    source: recorded.source.clone(),
                },
                Paths::Open { .. } | Paths::FailSafe => Effect::Blocking,
            },
            _ => Effect::Blocking,
        },
    }
}

fn identity(report: &Report<'_>, image_repo: Option<&str>, root: Option<&Purl>) -> Identity {
    let purl = root.map(Purl::to_purl_string);
    let from = if report.artifact_type != "container_image" {
        IdentitySource::NotAnImage {
            artifact_type: report.artifact_type.to_string(),
        }
    } else if let Some(first) = report.metadata.repo_digests.first() {
        match root {
            Some(_) => IdentitySource::RepoDigests {
                repo_digest: first.to_string(),
            },
            None => IdentitySource::RepoDigestUnparsable {
                repo_digest: first.to_string(),
                error: oci_purl_from_repo_digests(&report.metadata.repo_digests, None)
                    .err()
                    .unwrap_or_default(),
            },
        }
    } else if let Some(repo) = image_repo {
        match root {
            Some(_) => IdentitySource::ImageRepo {
                image_repo: repo.to_string(),
            },
            None => IdentitySource::ImageRepoInvalid {
                image_repo: repo.to_string(),
                error: oci_purl_from_image_repo(repo, None)
                    .err()
                    .unwrap_or_default(),
            },
        }
    } else {
        IdentitySource::Unpushed
    };
    Identity { purl, from }
}

fn source_infos(set: &VexSet, vuln: &str) -> Vec<SourceInfo> {
    set.sources
        .iter()
        .map(|s| match &s.kind {
            SourceKind::OpenVex { compiled } => SourceInfo {
                source: s.source.clone(),
                format: SourceFormat::Openvex,
                statements: compiled
                    .candidate_statements(vuln)
                    .map(|st| StatementInfo {
                        index: st.index,
                        named_by: named_by(st, vuln).unwrap_or(NamedBy::Name),
                        status: st.status.as_str().to_string(),
                        justification: st.justification.clone(),
                        timestamp: st.sort_time.to_string(),
                        products: st
                            .products
                            .iter()
                            .map(|p| ProductInfo {
                                component: ComponentInfo::of(&p.component),
                                subcomponents: p
                                    .subcomponents
                                    .iter()
                                    .map(ComponentInfo::of)
                                    .collect(),
                            })
                            .collect(),
                        lints: s
                            .lints
                            .iter()
                            .filter(|l| l.statement == st.index)
                            .map(LintOut::from)
                            .collect(),
                    })
                    .collect(),
            },
            SourceKind::Csaf(_) => SourceInfo {
                source: s.source.clone(),
                format: SourceFormat::Csaf,
                statements: Vec::new(),
            },
        })
        .collect()
}

fn node_ref(report: &Report<'_>, g: &Graph, n: usize) -> NodeRef {
    let node = &g.nodes[n];
    let target = |ri: usize| report.results.get(ri).map(|r| r.target.to_string());
    let (kind, package_id, target) = match &node.kind {
        NodeKind::Root => (NodeKindOut::Root, None, None),
        NodeKind::Os { result } => (NodeKindOut::Os, None, target(*result)),
        NodeKind::Application { result } => (NodeKindOut::Application, None, target(*result)),
        NodeKind::Package { result, package } => {
            let id = report
                .results
                .get(*result)
                .and_then(|r| r.packages.as_deref())
                .and_then(|p| p.get(*package))
                .map(|p| {
                    if p.id.is_empty() {
                        format!("{}@{}", p.name, p.version)
                    } else {
                        p.id.to_string()
                    }
                });
            (NodeKindOut::Package, id, target(*result))
        }
        NodeKind::VulnPackage { result, vuln } => {
            let id = report
                .results
                .get(*result)
                .and_then(|r| r.vulnerabilities.get(*vuln))
                .map(|v| v.pkg_id.to_string());
            (NodeKindOut::VulnerablePackage, id, target(*result))
        }
    };
    NodeRef {
        index: n,
        kind,
        package_id,
        purl: node.purl_text.clone(),
        target,
    }
}

/// What the [`Trace`] saw during one node's question, by indices (resolved afterwards).
#[derive(Default)]
struct Recorder {
    sources: Vec<RecSource>,
}

#[derive(Default)]
struct RecSource {
    source: usize,
    statements: Vec<RecStatement>,
    matched: Vec<usize>,
    winner: Option<usize>,
    suppresses: bool,
    csaf: Option<CsafAnswer>,
}

struct RecStatement {
    index: usize,
    products: Vec<(usize, ProductMatch, Vec<RecMiss>)>,
    pending: Vec<RecMiss>,
}

/// A failed PURL comparison: where, which field, which part.
type RecMiss = (Site, Field, OwnedMiss);

enum OwnedMiss {
    Part(PurlPart),
    QualifierMissing(String),
    QualifierDiffers(String),
}

impl Trace for Recorder {
    fn purl_miss(&mut self, site: Site, field: Field, miss: PurlMiss<'_>) {
        let m = match miss {
            PurlMiss::Type => OwnedMiss::Part(PurlPart::Type),
            PurlMiss::Namespace => OwnedMiss::Part(PurlPart::Namespace),
            PurlMiss::Name => OwnedMiss::Part(PurlPart::Name),
            PurlMiss::Version => OwnedMiss::Part(PurlPart::Version),
            PurlMiss::QualifierMissing(k) => OwnedMiss::QualifierMissing(k.to_string()),
            PurlMiss::QualifierDiffers(k) => OwnedMiss::QualifierDiffers(k.to_string()),
        };
        if let Some(st) = self
            .sources
            .last_mut()
            .and_then(|s| s.statements.last_mut())
        {
            st.pending.push((site, field, m));
        }
    }

    fn product(&mut self, product: usize, outcome: ProductMatch) {
        if let Some(st) = self
            .sources
            .last_mut()
            .and_then(|s| s.statements.last_mut())
        {
            let misses = std::mem::take(&mut st.pending);
            st.products.push((product, outcome, misses));
        }
    }

    fn source(&mut self, source: usize) {
        self.sources.push(RecSource {
            source,
            ..Default::default()
        });
    }

    fn statement(&mut self, st: &CompiledStatement) {
        if let Some(s) = self.sources.last_mut() {
            s.statements.push(RecStatement {
                index: st.index,
                products: Vec::new(),
                pending: Vec::new(),
            });
        }
    }

    fn winner(&mut self, matched: &[&CompiledStatement], winner: Option<&CompiledStatement>) {
        if let Some(s) = self.sources.last_mut() {
            s.matched = matched.iter().map(|st| st.index).collect();
            s.winner = winner.map(|w| w.index);
            s.suppresses = winner.is_some_and(|w| w.status.suppresses());
        }
    }

    fn csaf(&mut self, answer: Option<(&str, &str)>) {
        if let Some(s) = self.sources.last_mut() {
            s.suppresses = answer.is_some();
            s.csaf = answer.map(|(status, statement)| CsafAnswer {
                status: status.to_string(),
                statement: statement.to_string(),
            });
        }
    }
}

/// Run Trivy's search for one finding with the gate's functions, recording each question.
fn evaluate(
    report: &Report<'_>,
    g: &Graph,
    set: &VexSet,
    cands: &[(&super::VexSource, Candidates<'_>)],
    vuln: &str,
    ri: usize,
    v: &Vulnerability<'_>,
) -> VexStep {
    let Some(leaf) = g.leaf(ri, v) else {
        return VexStep::ComponentNotFound;
    };
    let mut asked: Vec<(usize, Option<usize>, Recorder, Option<Suppression>)> = Vec::new();
    let reach = reach_root(g, leaf, &mut |c, l| {
        let mut rec = Recorder::default();
        let r = node_not_affected(g, cands, vuln, c, l, &mut rec);
        asked.push((c, l, rec, r.clone()));
        r
    });
    let paths = match &reach {
        Reach::Blocked(s) => {
            let leaf_itself = asked
                .first()
                .is_some_and(|(c, l, _, r)| *c == leaf && l.is_none() && r.is_some());
            let mut blocked_at: Vec<NodeRef> = Vec::new();
            for (c, _, _, r) in &asked {
                if r.is_some() && !blocked_at.iter().any(|n| n.index == *c) {
                    blocked_at.push(node_ref(report, g, *c));
                }
            }
            Paths::Blocked {
                leaf_itself,
                blocked_at,
                recorded: s.into(),
            }
        }
        Reach::Root => {
            // The nodes asked and found unblocked, marked once: the search looks a node up
            // per edge.
            let mut is_open = vec![false; g.nodes.len()];
            for (c, l, _, r) in &asked {
                if l.is_some()
                    && r.is_none()
                    && let Some(o) = is_open.get_mut(*c)
                {
                    *o = true;
                }
            }
            let open = |n: usize| is_open.get(n).copied().unwrap_or(false);
            match open_path(g, leaf, open) {
                Some(path) => Paths::Open {
                    path: path.into_iter().map(|n| node_ref(report, g, n)).collect(),
                },
                None => Paths::FailSafe,
            }
        }
    };
    let queries = asked
        .into_iter()
        .map(|(c, l, rec, r)| {
            let node = node_ref(report, g, c);
            let sub = l.map(|l| node_ref(report, g, l));
            let ident_purl = g.nodes[c].purl.as_ref();
            let sub_purl = l.and_then(|l| g.nodes[l].purl.as_ref());
            Query {
                no_purl: g.nodes[c].purl_text.is_none(),
                node,
                subcomponent: sub,
                sources: rec
                    .sources
                    .into_iter()
                    .map(|s| resolve_source(set, s, ident_purl, sub_purl))
                    .collect(),
                result: r.as_ref().map(SuppressionOut::from),
            }
        })
        .collect();
    VexStep::Evaluated(Box::new(Evaluation {
        leaf: node_ref(report, g, leaf),
        queries,
        paths,
    }))
}

/// A path of nodes the search found unblocked, from `leaf` to the root or to a node nothing
/// depends on (what makes Trivy's search keep the finding). Breadth-first, so the shortest.
fn open_path(g: &Graph, leaf: usize, open: impl Fn(usize) -> bool) -> Option<Vec<usize>> {
    if !open(leaf) {
        return None;
    }
    let mut prev: Vec<Option<usize>> = vec![None; g.nodes.len()];
    let mut seen = vec![false; g.nodes.len()];
    let mut queue = VecDeque::from([leaf]);
    seen[leaf] = true;
    while let Some(c) = queue.pop_front() {
        if c == ROOT || g.parents[c].is_empty() {
            let mut path = vec![c];
            let mut n = c;
            while let Some(p) = prev[n] {
                path.push(p);
                n = p;
            }
            path.reverse();
            return Some(path);
        }
        for &p in &g.parents[c] {
            if !seen[p] && open(p) {
                seen[p] = true;
                prev[p] = Some(c);
                queue.push_back(p);
            }
        }
    }
    None
}

fn resolve_source(
    set: &VexSet,
    s: RecSource,
    ident: Option<&Purl>,
    sub: Option<&Purl>,
) -> SourceCheck {
    let statements_of = |i: usize| -> Option<&CompiledStatement> {
        match &set.sources.get(s.source)?.kind {
            SourceKind::OpenVex { compiled } => compiled.statements.get(i),
            SourceKind::Csaf(_) => None,
        }
    };
    let matched_refs: Vec<&CompiledStatement> =
        s.matched.iter().filter_map(|&i| statements_of(i)).collect();
    let order = go_vex_sorted(&matched_refs)
        .into_iter()
        .map(|st| st.index)
        .collect();
    let statements = s
        .statements
        .into_iter()
        .map(|rs| {
            let st = statements_of(rs.index);
            let matched = s.matched.contains(&rs.index);
            StatementCheck {
                statement: rs.index,
                matched,
                products: rs
                    .products
                    .into_iter()
                    .map(|(pi, m, misses)| product_check(st, pi, m, misses, ident, sub))
                    .collect(),
            }
        })
        .collect();
    SourceCheck {
        source: s.source,
        statements,
        matched: s.matched,
        order,
        winner: s.winner,
        suppresses: s.suppresses,
        csaf: s.csaf,
    }
}

fn product_check(
    st: Option<&CompiledStatement>,
    pi: usize,
    m: ProductMatch,
    misses: Vec<RecMiss>,
    ident: Option<&Purl>,
    sub: Option<&Purl>,
) -> ProductCheck {
    let product = st.and_then(|st| st.products.get(pi));
    let mut lints: Vec<LintOut> = Vec::new();
    let purl_misses = misses
        .into_iter()
        .filter_map(|(site, field, miss)| {
            let p = product?;
            let (comp, base) = match site.subcomponent {
                None => (&p.component, format!("products[{pi}]")),
                Some(i) => (
                    p.subcomponents.get(i)?,
                    format!("products[{pi}].subcomponents[{i}]"),
                ),
            };
            let (path, text, vex) = match field {
                Field::Id => (
                    format!("{base}.@id"),
                    comp.id.as_str(),
                    comp.id_purl.as_deref()?,
                ),
                Field::Identifier(n) => {
                    let (_, v, pu) = comp.identifiers.get(n)?;
                    (
                        format!("{base}.identifiers[{n}]"),
                        v.as_str(),
                        pu.as_deref()?,
                    )
                }
            };
            let scanned = if site.subcomponent.is_some() {
                sub?
            } else {
                ident?
            };
            // A never-match lint explains a miss on a statement about this very package
            // (same type, namespace and name); for another package it is noise.
            if matches!(
                miss,
                OwnedMiss::Part(PurlPart::Version)
                    | OwnedMiss::QualifierMissing(_)
                    | OwnedMiss::QualifierDiffers(_)
            ) {
                for l in lint::lint_purl(text, st.map_or(0, |s| s.index), &path) {
                    if !lints.iter().any(|x| x.code == l.code && x.path == l.path) {
                        lints.push(LintOut::from(&l));
                    }
                }
            }
            let (part, qualifier, statement, scanned) = match miss {
                OwnedMiss::Part(part) => {
                    let get = |p: &Purl| match part {
                        PurlPart::Type => p.ty.clone(),
                        PurlPart::Namespace => p.namespace.clone(),
                        PurlPart::Name => p.name.clone(),
                        PurlPart::Version => p.version.clone(),
                        PurlPart::Qualifier => String::new(),
                    };
                    (part, None, get(vex), Some(get(scanned)))
                }
                OwnedMiss::QualifierMissing(k) => (
                    PurlPart::Qualifier,
                    Some(k.clone()),
                    vex.qualifier(&k).unwrap_or_default().to_string(),
                    None,
                ),
                OwnedMiss::QualifierDiffers(k) => (
                    PurlPart::Qualifier,
                    Some(k.clone()),
                    vex.qualifier(&k).unwrap_or_default().to_string(),
                    scanned.qualifier(&k).map(str::to_string),
                ),
            };
            Some(PurlMissOut {
                component: path,
                part,
                qualifier,
                statement,
                scanned,
            })
        })
        .collect();
    ProductCheck {
        product: pi,
        outcome: m.into(),
        purl_misses,
        lints,
    }
}

/// `--format json`: the [`Explanation`] as documented in the module docs, log-safe.
pub fn render_json(e: &Explanation, out: &mut dyn Write) -> io::Result<()> {
    let mut ser =
        serde_json::Serializer::with_formatter(&mut *out, crate::render::LogSafe::default());
    e.serialize(&mut ser).map_err(io::Error::other)?;
    writeln!(out)
}

/// `--format table`: the steps for people. Every string from a report or VEX document goes
/// through [`term`](crate::escape::term), and every line starts with vexgate's own text.
pub fn render_table(e: &Explanation, out: &mut dyn Write) -> io::Result<()> {
    table::render(e, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vex::graph::Node;

    fn graph(parents: Vec<Vec<usize>>) -> Graph {
        Graph {
            nodes: parents
                .iter()
                .map(|_| Node {
                    kind: NodeKind::Root,
                    purl_text: None,
                    purl: None,
                })
                .collect(),
            parents,
            ..Default::default()
        }
    }

    /// The witness path goes through unblocked nodes only, and ends at the root or at a node
    /// nothing depends on; there is none when every way up is blocked.
    #[test]
    fn open_path_through_unblocked_nodes() {
        // 0 root; 1 and 2 under the root; 3 under both; 4 under 3; 5 a parentless node.
        let g = graph(vec![
            vec![],
            vec![0],
            vec![0],
            vec![1, 2],
            vec![3, 5],
            vec![],
        ]);
        let open = |blocked: &'static [usize]| move |n: usize| !blocked.contains(&n);
        assert_eq!(open_path(&g, 3, open(&[1])), Some(vec![3, 2, 0]));
        assert_eq!(open_path(&g, 3, open(&[])), Some(vec![3, 1, 0]));
        assert_eq!(open_path(&g, 3, open(&[1, 2])), None);
        assert_eq!(open_path(&g, 4, open(&[3])), Some(vec![4, 5]));
        assert_eq!(open_path(&g, 4, open(&[4])), None);
        // A not-affected root blocks too: the open way up ends at the parentless node.
        assert_eq!(open_path(&g, 4, open(&[0])), Some(vec![4, 5]));
        assert_eq!(open_path(&g, 3, open(&[0])), None);
    }
}
