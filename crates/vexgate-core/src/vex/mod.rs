//! OpenVEX (and CSAF) model, Trivy's VEX matching, and its application to saved reports.
//!
//! - [`model`]: the OpenVEX document types (shared with `vex add/validate/list/audit`);
//! - [`graph`]: the component graph Trivy's VEX filter walks (pkg/sbom/io/encode.go);
//! - [`matching`]: go-vex/Trivy matching rules, one function each;
//! - [`csaf`]: CSAF VEX input;
//! - [`decode`]: what Trivy's decoder reads from an OpenVEX file, and what it refuses;
//! - [`fast`]: the fast load of plain v0.2.0 OpenVEX documents (large ones, for `gate`),
//!   statement by statement into the [`model`] and compiled as read;
//! - [`lint`]: statements that can never match;
//! - [`explain`]: `vex explain`, the steps below for one vulnerability, recorded through the
//!   matching rules' [`matching::Trace`] (the gate passes [`matching::NoTrace`]).
//!
//! [`apply`] is Trivy's `vex.Filter` (pkg/vex/vex.go) over a report the policy already
//! filtered. It is O(findings + statements): statements are indexed by every vulnerability
//! key, and a finding whose ID no source mentions costs one hash lookup per source.

pub mod audit;
pub mod author;
pub mod csaf;
pub mod decode;
pub mod explain;
pub mod export;
pub mod fast;
pub mod graph;
pub mod import;
pub mod lint;
pub mod matching;
pub mod model;
pub mod validate;
pub mod write;

use crate::diags::Code;
use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::decision::{FindingKind, Origin, ResultDecision, Suppression, Warning};
use crate::error::{Error, Result};
use crate::purl::{ImageRepo, Purl, oci_purl_from_image_repo, oci_purl_from_repo_digests};
use crate::report::Report;
use crate::status::FindingStatus;

use self::csaf::CompiledCsaf;
use self::graph::Graph;
use self::matching::{
    CompiledOpenVex, CompiledStatement, Ident, NoTrace, Trace, go_vex_winner, statement_match,
    winner_suppresses,
};

/// One loaded `--vex` source.
#[derive(Debug)]
pub struct VexSource {
    /// The `--vex` argument exactly as given (ModifiedFinding `Source`).
    pub source: String,
    pub kind: SourceKind,
    /// Never-matching statements found at load.
    pub lints: Vec<lint::Lint>,
    /// What Trivy reads differently from what the document seems to say ([`decode::Note`]).
    pub notes: Vec<decode::Note>,
}

#[derive(Debug)]
pub enum SourceKind {
    OpenVex { compiled: CompiledOpenVex },
    Csaf(Box<CompiledCsaf>),
}

/// One finding's candidate statements in one source, looked up once per finding (every
/// node the every-path rule asks about has the same vulnerability ID).
enum Candidates<'s> {
    /// The statements whose vulnerability matches, in document order.
    OpenVex(Vec<&'s CompiledStatement>),
    Csaf(&'s CompiledCsaf),
}

impl VexSource {
    /// This source's notes (`vex-as-trivy-reads`) and never-matching statements
    /// (`vex-never-matches`, or `vex-may-never-match` for [`lint::UNCERTAIN`] ones) as
    /// `gate` warnings.
    pub fn warnings(&self) -> impl Iterator<Item = Warning> + '_ {
        let notes = self.notes.iter().map(|n| Warning {
            code: Code::VexAsTrivyReads,
            message: format!("{}: {} [{}]: {}", self.source, n.path, n.code, n.message),
        });
        let lints = self.lints.iter().map(|l| Warning {
            code: if lint::certain(l.code) {
                Code::VexNeverMatches
            } else {
                Code::VexMayNeverMatch
            },
            message: format!("{}: statement {}: {l}", self.source, l.statement),
        });
        notes.chain(lints)
    }
}

/// The VEX documents given to the gate, loaded and indexed, in priority order.
#[derive(Debug, Default)]
pub struct VexSet {
    pub sources: Vec<VexSource>,
}

impl VexSet {
    /// Load each `--vex` argument (a path; `none` handled by the caller). Bad VEX input is an
    /// error naming the file (and the statement index where there is one). Never-matching
    /// statements become warnings, which [`Self::warnings`] gives. A caller may load the VEX
    /// on another thread (as `gate` does, while the reports parse).
    pub fn read(sources: &[String]) -> Result<Self> {
        let sources = sources
            .iter()
            .map(|s| load_file(s))
            .collect::<Result<_>>()?;
        Ok(VexSet { sources })
    }

    /// The `vex-never-matches` warnings of every source, in priority order.
    pub fn warnings(&self) -> impl Iterator<Item = Warning> + '_ {
        self.sources.iter().flat_map(VexSource::warnings)
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Each source's candidates for `vuln`, in priority order; `None` when no source
    /// mentions it (the finding is kept without looking at the graph).
    fn candidates<'s>(&'s self, vuln: &'s str) -> Option<Vec<(&'s VexSource, Candidates<'s>)>> {
        let mut any = false;
        let out = self
            .sources
            .iter()
            .map(|s| {
                let c = match &s.kind {
                    SourceKind::OpenVex { compiled } => {
                        let c: Vec<_> = compiled.candidate_statements(vuln).collect();
                        any |= !c.is_empty();
                        Candidates::OpenVex(c)
                    }
                    SourceKind::Csaf(c) => {
                        any |= c.has_candidates(vuln);
                        Candidates::Csaf(c)
                    }
                };
                (s, c)
            })
            .collect();
        any.then_some(out)
    }
}

/// Trivy `Client.NotAffected` (pkg/vex/vex.go, v0.76.0) over candidates already looked up
/// (no lookup per node): sources in priority order, the first that says not-affected wins.
/// `trace` sees each step (the gate passes [`NoTrace`]).
fn candidates_not_affected<T: Trace>(
    cands: &[(&VexSource, Candidates<'_>)],
    vuln: &str,
    product: Ident<'_>,
    sub: Option<Ident<'_>>,
    trace: &mut T,
) -> Option<Suppression> {
    cands.iter().enumerate().find_map(|(si, (source, c))| {
        trace.source(si);
        let (status, statement) = match c {
            Candidates::OpenVex(cands) => {
                let sub = sub.unwrap_or(Ident {
                    text: "",
                    purl: None,
                });
                let mut matches = cands.iter().copied().filter(|st| {
                    trace.statement(st);
                    statement_match(st, vuln, product, sub, trace)
                });
                let Some(first) = matches.next() else {
                    trace.winner(&[], None);
                    return None;
                };
                let winner = match matches.next() {
                    None => {
                        trace.winner(&[first], Some(first));
                        Some(first)
                    }
                    Some(second) => {
                        let mut all = vec![first, second];
                        all.extend(matches);
                        let w = go_vex_winner(&all);
                        trace.winner(&all, w);
                        w
                    }
                };
                let st = winner_suppresses(winner)?;
                (
                    FindingStatus::parse(st.status.as_str()),
                    st.justification.clone(),
                )
            }
            Candidates::Csaf(c) => {
                let answer = c.not_affected(vuln, product, sub);
                trace.csaf(answer);
                let (status, statement) = answer?;
                (FindingStatus::parse(status), statement.to_string())
            }
        };
        Some(Suppression {
            status,
            statement,
            source: source.source.clone(),
            origin: Origin::Vex,
        })
    })
}

/// Read and parse one `--vex` file.
fn load_file(src: &str) -> Result<VexSource> {
    let path = Path::new(src);
    let text = crate::report::text::read_text(path)?;
    load_text(src, &text)
}

/// Parse one VEX file's text. `src` names it in errors and in ModifiedFindings.
/// Format detection follows pkg/vex/document.go:37-61: CycloneDX (`bomFormat`), then
/// OpenVEX (decodes, and `@context` is non-empty), then CSAF (`vulnerabilities` present).
/// An OpenVEX document is read as Trivy reads it ([`decode::read`]): whatever Trivy's decoder
/// refuses is an input error quoting the field, the expected type and Trivy's message.
///
/// A plain v0.2.0 OpenVEX document takes [`fast::load_openvex`]; anything else (and every
/// error) the general path below.
pub fn load_text(src: &str, text: &str) -> Result<VexSource> {
    let path = Path::new(src);
    if let Some((compiled, lints)) = fast::load_openvex(text) {
        return Ok(VexSource {
            source: src.to_string(),
            kind: SourceKind::OpenVex { compiled },
            lints,
            notes: Vec::new(),
        });
    }
    let value: Value = serde_json::from_str(text).map_err(|e| Error::json(path, &e))?;
    let Value::Object(root) = value else {
        return Err(Error::input(
            path,
            "is JSON but not a VEX document (expected an object)",
        ));
    };
    if root.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        return Err(Error::input(
            path,
            "CycloneDX VEX is not supported: Trivy applies it only to `trivy sbom` scans of the same BOM (use OpenVEX or CSAF)",
        ));
    }
    let context = root
        .iter()
        .find(|(k, _)| decode::go_field(k, &["@context"]).is_some())
        .map(|(_, v)| v);
    let refusal = match context {
        Some(c) if c.as_str() != Some("") && !c.is_null() => {
            match decode::read(Value::Object(root.clone())) {
                decode::Read::Ok(doc, notes) => return openvex_source(src, doc, notes),
                decode::Read::Invalid(e) => return Err(Error::input(path, e)),
                decode::Read::Refused(r) => Some(r),
            }
        }
        // No @context: Trivy's OpenVEX decode still runs, and its error is the one it
        // reports when the document is not CSAF either.
        _ => decode::refusals(&Value::Object(root.clone()))
            .0
            .into_iter()
            .next(),
    };
    if root.contains_key("vulnerabilities") {
        // Trivy tries CSAF when the OpenVEX decode fails or finds no @context.
        let csaf = serde_json::from_value::<csaf::Advisory>(Value::Object(root));
        let adv = match (csaf, refusal) {
            (Ok(adv), _) => adv,
            (Err(_), Some(r)) => return Err(Error::input(path, r.gate_message())),
            (Err(e), None) => return Err(Error::input(path, format!("CSAF document: {e}"))),
        };
        let compiled = CompiledCsaf::compile(&adv);
        let lints = compiled
            .invalid_purls
            .iter()
            .map(|p| lint::Lint {
                code: "purl-unparsable",
                statement: 0,
                path: "product_tree".into(),
                message: format!(
                    "product_identification_helper.purl {p:?} does not parse; Trivy skips it"
                ),
            })
            .collect();
        return Ok(VexSource {
            source: src.to_string(),
            kind: SourceKind::Csaf(Box::new(compiled)),
            lints,
            notes: Vec::new(),
        });
    }
    if let Some(r) = refusal {
        return Err(Error::input(path, r.gate_message()));
    }
    Err(Error::input(
        path,
        "unable to load VEX: not OpenVEX (no @context), CSAF (no vulnerabilities) or CycloneDX",
    ))
}

/// Compile an OpenVEX document for matching; a bad statement is an input error naming the
/// file and the statement index.
pub fn compile_document(path: &Path, doc: &model::Document) -> Result<CompiledOpenVex> {
    CompiledOpenVex::compile(doc).map_err(|(i, m)| {
        Error::input(
            path,
            model::ModelError {
                statement: i,
                message: m,
            },
        )
    })
}

fn openvex_source(src: &str, doc: model::Document, notes: Vec<decode::Note>) -> Result<VexSource> {
    let compiled = compile_document(Path::new(src), &doc)?;
    let lints = lint::lint_document(&doc);
    Ok(VexSource {
        source: src.to_string(),
        kind: SourceKind::OpenVex { compiled },
        lints,
        notes,
    })
}

/// The root identity of a report for VEX: Trivy's image PURL, or the `--image-repo`
/// identity for an image report without RepoDigests. Returns (PURL, assumed?).
pub fn root_identity(
    report: &Report<'_>,
    image_repo: Option<&str>,
    warnings: &mut Vec<Warning>,
) -> (Option<Purl>, bool) {
    if report.artifact_type != "container_image" {
        return (None, false);
    }
    let arch = report
        .metadata
        .image_config
        .as_ref()
        .and_then(|c| c.architecture.as_deref());
    let digests = &report.metadata.repo_digests;
    if !digests.is_empty() {
        return match oci_purl_from_repo_digests(digests, arch) {
            Ok(p) => {
                if let (Some(repo), Some(p)) = (image_repo, &p) {
                    check_image_repo_mismatch(&report.artifact_name, repo, p, warnings);
                }
                (p, false)
            }
            Err(e) => {
                warnings.push(Warning {
                    code: Code::ImagePurl,
                    message: format!(
                        "{}: RepoDigests[0] {:?}: {e}; Trivy fails here, vexgate applies no image-scoped statement",
                        report.artifact_name, digests[0]
                    ),
                });
                (None, false)
            }
        };
    }
    match image_repo {
        Some(repo) => match oci_purl_from_image_repo(repo, arch) {
            Ok(p) => (Some(p), true),
            Err(e) => {
                warnings.push(Warning {
                    code: Code::ImageRepo,
                    message: e,
                });
                (None, false)
            }
        },
        None => (None, false),
    }
}

fn check_image_repo_mismatch(artifact: &str, repo: &str, p: &Purl, warnings: &mut Vec<Warning>) {
    let Ok(want) = ImageRepo::parse(&repo.trim().to_lowercase()) else {
        return;
    };
    if p.qualifier("repository_url") != Some(want.name().as_str()) {
        warnings.push(Warning {
            code: Code::ImageRepoMismatch,
            message: format!(
                "{artifact}: --image-repo {repo} differs from the report's RepoDigests repository {}; the report's identity is used",
                p.qualifier("repository_url").unwrap_or("")
            ),
        });
    }
}

/// Apply VEX to one report with Trivy's exact semantics (pkg/vex/vex.go Filter), after the
/// policy filters: move suppressed vulnerabilities from `results[i].vulnerabilities` into
/// `results[i].suppressed`. `image_repo` is vexgate's PR-image identity (`--image-repo`).
/// Returns the image PURL vexgate assumed, when it assumed one.
pub fn apply(
    report: &Report<'_>,
    results: &mut [ResultDecision],
    set: &VexSet,
    image_repo: Option<&str>,
    warnings: &mut Vec<Warning>,
) -> Option<String> {
    if set.is_empty() {
        return None;
    }
    let (root, assumed) = root_identity(report, image_repo, warnings);
    let assumed_text = if assumed {
        root.as_ref().map(Purl::to_purl_string)
    } else {
        None
    };
    let mut root = Some(root);
    let mut graph: Option<Graph> = None;
    let mut not_found = 0usize;
    for (ri, decision) in results.iter_mut().enumerate() {
        let Some(result) = report.results.get(ri) else {
            continue;
        };
        let mut kept = Vec::with_capacity(decision.vulnerabilities.len());
        for &vi in &decision.vulnerabilities {
            let v = &result.vulnerabilities[vi];
            let Some(cands) = set.candidates(&v.vulnerability_id) else {
                kept.push(vi);
                continue;
            };
            let g = graph.get_or_insert_with(|| Graph::build(report, root.take().flatten()));
            let Some(leaf) = g.leaf(ri, v) else {
                not_found += 1;
                kept.push(vi);
                continue;
            };
            match reach_root(g, leaf, &mut |c, l| {
                node_not_affected(g, &cands, &v.vulnerability_id, c, l, &mut NoTrace)
            }) {
                Reach::Blocked(s) => decision
                    .suppressed
                    .push((FindingKind::Vulnerability, vi, s)),
                Reach::Root => kept.push(vi),
            }
        }
        decision.vulnerabilities = kept;
    }
    if let Some(g) = &graph
        && !g.fallback_results.is_empty()
    {
        let targets: Vec<&str> = g
            .fallback_results
            .iter()
            .map(|&ri| report.results[ri].target.as_ref())
            .collect();
        warnings.push(Warning {
            code: Code::NoPackages,
            message: format!(
                "{}: {} has no Packages (scanned with --list-all-pkgs=false?): each vulnerable package is placed directly under its OS/application node, so statements about parent packages (the every-path-to-root rule) cannot be evaluated; rescan with --list-all-pkgs for Trivy's exact result",
                report.artifact_name,
                targets.join(", ")
            ),
        });
    }
    if not_found > 0 {
        warnings.push(Warning {
            code: Code::VexComponentNotFound,
            message: format!(
                "{}: {not_found} vulnerabilities name a package UID that is not in Packages; kept, as Trivy does (\"Component not found\")",
                report.artifact_name
            ),
        });
    }
    assumed_text
}

fn ident(g: &Graph, n: usize) -> Option<Ident<'_>> {
    let node = &g.nodes[n];
    Some(Ident {
        text: node.purl_text.as_deref()?,
        purl: node.purl.as_ref(),
    })
}

/// `notAffected(c, leaf)` (vex.go:158-166): nodes without a PURL never match
/// (openvex.go:89-91, csaf.go:52-54).
fn node_not_affected<T: Trace>(
    g: &Graph,
    cands: &[(&VexSource, Candidates<'_>)],
    vuln: &str,
    c: usize,
    leaf: Option<usize>,
    trace: &mut T,
) -> Option<Suppression> {
    let product = ident(g, c)?;
    let sub = leaf.and_then(|l| ident(g, l));
    candidates_not_affected(cands, vuln, product, sub, trace)
}

/// A map keyed by graph node index. The keys are small integers chosen by vexgate, not by
/// the input, so foldhash's fast hasher is safe here, and much cheaper than SipHash on the
/// every-path rule's hot path.
pub type NodeMap<V> = HashMap<usize, V, foldhash::fast::RandomState>;

/// The outcome of [`reach_root`].
#[derive(Debug, PartialEq)]
pub enum Reach {
    /// Some path reaches the root unblocked (or a cycle failed safe): keep.
    Root,
    /// Every path is blocked: suppress, recording the last suppression returned.
    Blocked(Suppression),
}

/// Upper bound on DFS node visits per finding; past it vexgate keeps the finding (fail
/// safe). Trivy has no bound (its search is exponential in diamond-shaped graphs).
pub const DFS_BUDGET: usize = 1_000_000;

/// Trivy `reachRoot` (pkg/vex/vex.go:170-219): first ask about the leaf as the product;
/// then DFS from the leaf: a node that is not-affected (product = node, subcomponent =
/// leaf) blocks its path, reaching the root keeps the finding, a node whose parents were
/// all visited fails safe (keep), each branch gets its own copy of the visited set.
///
/// Trivy's search enumerates every simple path, which is exponential in diamond-shaped
/// graphs. vexgate computes the same answer in linear time where it can (see
/// [`reach_root_fast`]) and runs the literal search only when the unblocked ancestors
/// contain a cycle.
pub fn reach_root(
    g: &Graph,
    leaf: usize,
    not_affected: &mut dyn FnMut(usize, Option<usize>) -> Option<Suppression>,
) -> Reach {
    if let Some(s) = not_affected(leaf, None) {
        return Reach::Blocked(s);
    }
    // Memoise notAffected(c, leaf): it does not depend on the path.
    let mut memo: NodeMap<Option<Suppression>> = NodeMap::default();
    if let Some(r) = reach_root_fast(g, leaf, &mut memo, not_affected) {
        return r;
    }
    reach_root_dfs(g, leaf, &mut memo, not_affected)
}

/// The literal port of Trivy's DFS (with a node-visit budget that fails safe).
pub fn reach_root_dfs(
    g: &Graph,
    leaf: usize,
    memo: &mut NodeMap<Option<Suppression>>,
    not_affected: &mut dyn FnMut(usize, Option<usize>) -> Option<Suppression>,
) -> Reach {
    let mut last: Option<Suppression> = None;
    let reached = dfs(g, leaf, memo, not_affected, &mut last);
    match (reached, last) {
        (false, Some(s)) => Reach::Blocked(s),
        _ => Reach::Root,
    }
}

/// Trivy's DFS answer without enumerating paths. Let U be the ancestors of the leaf
/// reachable through nodes that are not blocked (the leaf included).
/// - The root in U, or a node of U without parents: a simple unblocked path ends there,
///   and Trivy's search finds it: keep.
/// - Otherwise, if U has no cycle, no node's parents can lie on its own path, so every
///   path ends at a blocked node: suppress. The search then visits parents in order and
///   never returns early, so the last blocked node it meets is reached by following the
///   last parent from the leaf; its statement is the one Trivy records.
/// - U with a cycle: `None`, the caller runs the literal search.
pub fn reach_root_fast(
    g: &Graph,
    leaf: usize,
    memo: &mut NodeMap<Option<Suppression>>,
    not_affected: &mut dyn FnMut(usize, Option<usize>) -> Option<Suppression>,
) -> Option<Reach> {
    let mut blocked = |c: usize, memo: &mut NodeMap<Option<Suppression>>| {
        memo.entry(c)
            .or_insert_with(|| not_affected(c, Some(leaf)))
            .is_some()
    };
    if blocked(leaf, memo) {
        return Some(Reach::Blocked(memo[&leaf].clone()?));
    }
    // U by a walk over unblocked nodes.
    let mut in_u: NodeMap<()> = NodeMap::default();
    let mut stack = vec![leaf];
    in_u.insert(leaf, ());
    while let Some(c) = stack.pop() {
        if g.is_root(c) || g.parents[c].is_empty() {
            return Some(Reach::Root);
        }
        for &p in &g.parents[c] {
            if in_u.contains_key(&p) || blocked(p, memo) {
                continue;
            }
            in_u.insert(p, ());
            stack.push(p);
        }
    }
    // Cycle check in U (edges child → unblocked parent), iterative three-colour DFS.
    let mut state: NodeMap<u8> = NodeMap::default(); // 1 = on stack, 2 = done
    for &start in in_u.keys() {
        if state.contains_key(&start) {
            continue;
        }
        let mut st: Vec<(usize, usize)> = vec![(start, 0)];
        state.insert(start, 1);
        while let Some((c, i)) = st.pop() {
            let ps = &g.parents[c];
            if i < ps.len() {
                st.push((c, i + 1));
                let p = ps[i];
                if !in_u.contains_key(&p) {
                    continue;
                }
                match state.get(&p) {
                    Some(1) => return None,
                    Some(_) => {}
                    None => {
                        state.insert(p, 1);
                        st.push((p, 0));
                    }
                }
            } else {
                state.insert(c, 2);
            }
        }
    }
    // Acyclic: follow the last parent until a blocked node.
    let mut c = leaf;
    for _ in 0..=g.nodes.len() {
        if let Some(Some(s)) = memo.get(&c) {
            return Some(Reach::Blocked(s.clone()));
        }
        c = *g.parents[c].last()?;
        blocked(c, memo);
    }
    None
}

/// Trivy's `reachRoot` search (pkg/vex/vex.go:170-219) with an explicit stack, so a deep
/// dependency chain cannot overflow the thread's stack, and an on-path bit per node, so
/// "is this node on the current path" is O(1). Returns whether the root (or a fail-safe
/// end) was reached; `last` holds the last blocking statement met.
fn dfs(
    g: &Graph,
    leaf: usize,
    memo: &mut NodeMap<Option<Suppression>>,
    not_affected: &mut dyn FnMut(usize, Option<usize>) -> Option<Suppression>,
    last: &mut Option<Suppression>,
) -> bool {
    let mut budget = DFS_BUDGET;
    let mut on_path = vec![false; g.nodes.len().max(g.parents.len())];
    // Frames of nodes on the current path: (node, index of the next parent to try).
    let mut stack: Vec<(usize, usize)> = Vec::new();
    // Visit `c`: `Some(answer)` when it ends the branch at once, `None` when it was
    // pushed and its parents are to be searched.
    let mut enter = |c: usize,
                     on_path: &mut Vec<bool>,
                     stack: &mut Vec<(usize, usize)>,
                     last: &mut Option<Suppression>|
     -> Option<bool> {
        if budget == 0 {
            return Some(true);
        }
        budget -= 1;
        let r = memo
            .entry(c)
            .or_insert_with(|| not_affected(c, Some(leaf)))
            .clone();
        if let Some(s) = r {
            *last = Some(s);
            return Some(false);
        }
        if g.is_root(c) {
            return Some(true);
        }
        if g.parents[c].iter().all(|&p| on_path[p]) {
            return Some(true);
        }
        on_path[c] = true;
        stack.push((c, 0));
        None
    };
    let mut answer = enter(leaf, &mut on_path, &mut stack, last);
    loop {
        match answer {
            // A branch reached the root: every frame on the path returns true at once.
            Some(true) => return true,
            Some(false) if stack.is_empty() => return false,
            _ => {}
        }
        let Some(top) = stack.last_mut() else {
            return answer.unwrap_or(false);
        };
        let (c, from) = *top;
        let parents = &g.parents[c];
        match (from..parents.len()).find(|&i| !on_path[parents[i]]) {
            Some(i) => {
                top.1 = i + 1;
                answer = enter(parents[i], &mut on_path, &mut stack, last);
            }
            None => {
                stack.pop();
                on_path[c] = false;
                answer = Some(false);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::graph::{Node, NodeKind};
    use super::*;

    /// The previous, recursive port of Trivy's search: the oracle the explicit-stack
    /// search is compared with.
    #[allow(clippy::too_many_arguments)]
    fn dfs_recursive(
        g: &Graph,
        c: usize,
        leaf: usize,
        visited: &mut Vec<usize>,
        memo: &mut NodeMap<Option<Suppression>>,
        not_affected: &mut dyn FnMut(usize, Option<usize>) -> Option<Suppression>,
        last: &mut Option<Suppression>,
        budget: &mut usize,
    ) -> bool {
        if *budget == 0 {
            return true;
        }
        *budget -= 1;
        let r = memo
            .entry(c)
            .or_insert_with(|| not_affected(c, Some(leaf)))
            .clone();
        if let Some(s) = r {
            *last = Some(s);
            return false;
        }
        if g.is_root(c) {
            return true;
        }
        let parents = &g.parents[c];
        if parents.iter().all(|p| visited.contains(p)) {
            return true;
        }
        // The path's visited set: push on entry, pop on exit (same as Trivy's per-branch copy).
        visited.push(c);
        let mut reached = false;
        for &p in parents {
            if visited.contains(&p) {
                continue;
            }
            if dfs_recursive(g, p, leaf, visited, memo, not_affected, last, budget) {
                reached = true;
                break;
            }
        }
        visited.pop();
        reached
    }

    fn dfs_reference(
        g: &Graph,
        leaf: usize,
        not_affected: &mut dyn FnMut(usize, Option<usize>) -> Option<Suppression>,
    ) -> Reach {
        let (mut last, mut budget, mut visited) = (None, DFS_BUDGET, Vec::new());
        let mut memo = NodeMap::default();
        let reached = dfs_recursive(
            g,
            leaf,
            leaf,
            &mut visited,
            &mut memo,
            not_affected,
            &mut last,
            &mut budget,
        );
        match (reached, last) {
            (false, Some(s)) => Reach::Blocked(s),
            _ => Reach::Root,
        }
    }

    fn sup(n: usize) -> Suppression {
        Suppression {
            status: FindingStatus::NotAffected,
            statement: format!("node {n}"),
            source: "t".into(),
            origin: Origin::Vex,
        }
    }

    /// The linear-time answer equals the literal port of Trivy's DFS (keep/suppress and
    /// the recorded statement) on many deterministic pseudo-random graphs, cyclic ones
    /// included (there the fast path declines and the literal search runs).
    #[test]
    fn fast_reach_root_equals_trivy_dfs() {
        let mut seed: u64 = 0x5eed;
        let mut rnd = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let (mut fast, mut declined) = (0, 0);
        for _ in 0..3000 {
            let n = 2 + rnd(9) as usize;
            let cyclic = rnd(3) == 0;
            let mut parents = vec![Vec::new(); n];
            for (c, ps) in parents.iter_mut().enumerate().skip(1) {
                for _ in 0..1 + rnd(3) {
                    let p = if cyclic {
                        rnd(n as u64) as usize
                    } else {
                        rnd(c as u64) as usize
                    };
                    if p != c && !ps.contains(&p) {
                        ps.push(p);
                    }
                }
                if rnd(8) == 0 {
                    ps.clear(); // a disconnected node
                }
            }
            let blocked: Vec<bool> = (0..n).map(|_| rnd(3) == 0).collect();
            let g = Graph {
                nodes: (0..n)
                    .map(|_| Node {
                        kind: NodeKind::Root,
                        purl_text: None,
                        purl: None,
                    })
                    .collect(),
                parents,
                ..Default::default()
            };
            let leaf = n - 1;
            let mut na = |c: usize, l: Option<usize>| (l.is_some() && blocked[c]).then(|| sup(c));
            let want = reach_root_dfs(&g, leaf, &mut NodeMap::default(), &mut na);
            assert_eq!(
                want,
                dfs_reference(&g, leaf, &mut na),
                "parents {:?}",
                g.parents
            );
            match reach_root_fast(&g, leaf, &mut NodeMap::default(), &mut na) {
                Some(got) => {
                    fast += 1;
                    assert_eq!(got, want, "parents {:?} blocked {blocked:?}", g.parents);
                }
                None => declined += 1,
            }
            assert_eq!(reach_root(&g, leaf, &mut na), want);
        }
        assert!(
            fast > 2000 && declined >= 30,
            "fast {fast}, declined {declined}"
        );
    }

    /// A dependency cycle 100,000 packages long: the search walks it without recursion
    /// (the recursive port overflowed a test thread's stack here) and keeps the finding.
    #[test]
    fn deep_cycle_does_not_overflow_the_stack() {
        let n: usize = 100_001;
        let mut parents: Vec<Vec<usize>> = (0..n).map(|c| vec![c.saturating_sub(1)]).collect();
        parents[0].clear(); // the root, never reached
        parents[1] = vec![n - 1]; // closes the cycle
        let g = Graph {
            nodes: (0..n)
                .map(|_| Node {
                    kind: NodeKind::Root,
                    purl_text: None,
                    purl: None,
                })
                .collect(),
            parents,
            ..Default::default()
        };
        let mut calls = 0;
        let mut na = |_: usize, _: Option<usize>| {
            calls += 1;
            None
        };
        assert_eq!(reach_root(&g, n - 1, &mut na), Reach::Root);
        assert!(calls >= n - 1, "{calls}");
    }
}
