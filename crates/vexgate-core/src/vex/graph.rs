//! The component graph Trivy's VEX filter walks, rebuilt from a report's `Packages`
//! exactly as Trivy's SBOM encoder builds it (pkg/sbom/io/encode.go).
//!
//! Node 0 is the root (the artifact). Each OS / lock-file result gets an intermediate node
//! without a PURL; packages of the aggregating types hang directly under the root. Parent
//! lists keep Trivy's insertion order, because the order of the depth-first search decides
//! which statement a suppressed finding records.

use std::collections::HashMap;

use crate::purl::Purl;
use crate::report::{Package, Report, ScanResult, Vulnerability};

/// Result types whose packages hang directly under the root
/// (pkg/fanal/types/const.go:177-183 `AggregatingTypes`).
pub const AGGREGATING_TYPES: [&str; 5] = ["python-pkg", "conda-pkg", "gemspec", "node-pkg", "jar"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    Root,
    /// The "Operating System" component of an `os-pkgs` result (no PURL).
    Os {
        result: usize,
    },
    /// The "Application" component of a lock-file result (no PURL).
    Application {
        result: usize,
    },
    /// A package of `Results[result].Packages[package]`.
    Package {
        result: usize,
        package: usize,
    },
    /// vexgate's fallback for a result without `Packages`: a package known only from a
    /// vulnerability (`Results[result].Vulnerabilities[vuln]`).
    VulnPackage {
        result: usize,
        vuln: usize,
    },
}

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: NodeKind,
    /// The PURL text as Trivy would pass it to go-vex (`PURL.String()`), if any.
    pub purl_text: Option<String>,
    /// The parsed PURL; `None` when there is none or it does not parse.
    pub purl: Option<Purl>,
}

/// The graph. `parents[n]` lists n's parents in Trivy's order.
#[derive(Debug, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub parents: Vec<Vec<usize>>,
    /// Per result: package UID → node (the last package with that UID, as in Trivy's map).
    pub(crate) uids: Vec<HashMap<String, usize>>,
    /// Every UID in the report → node (Trivy looks UIDs up report-wide).
    pub(crate) all_uids: HashMap<String, usize>,
    /// Per result: package ID → node, for old reports whose findings carry no UID.
    pub(crate) pkg_ids: Vec<HashMap<String, usize>>,
    /// Results that had no `Packages` and were built with the fallback.
    pub fallback_results: Vec<usize>,
}

pub const ROOT: usize = 0;

impl Graph {
    /// Build the graph. `root_purl` is the image PURL or vexgate's
    /// `--image-repo` identity, `None` for a root without a PURL.
    pub fn build(report: &Report<'_>, root_purl: Option<Purl>) -> Self {
        let mut g = Graph {
            nodes: Vec::new(),
            parents: Vec::new(),
            uids: vec![HashMap::new(); report.results.len()],
            all_uids: HashMap::new(),
            pkg_ids: vec![HashMap::new(); report.results.len()],
            fallback_results: Vec::new(),
        };
        let root_text = root_purl.as_ref().map(Purl::to_purl_string);
        g.add(NodeKind::Root, root_text, root_purl);
        for (ri, result) in report.results.iter().enumerate() {
            g.encode_result(ri, result);
        }
        g
    }

    fn add(&mut self, kind: NodeKind, purl_text: Option<String>, purl: Option<Purl>) -> usize {
        self.nodes.push(Node {
            kind,
            purl_text,
            purl,
        });
        self.parents.push(Vec::new());
        self.nodes.len() - 1
    }

    fn edge(&mut self, parent: usize, child: usize) {
        // core.BOM.AddRelationship appends; a repeated DependsOn entry would repeat the
        // parent, which changes nothing in the search, so keep each parent once.
        if !self.parents[child].contains(&parent) {
            self.parents[child].push(parent);
        }
    }

    /// encode.go encodeResult:182-219.
    fn encode_result(&mut self, ri: usize, result: &ScanResult<'_>) {
        let parent = if is_aggregating(&result.kind) {
            ROOT
        } else if result.class == "os-pkgs" {
            let n = self.add(NodeKind::Os { result: ri }, None, None);
            self.edge(ROOT, n);
            n
        } else if result.class == "lang-pkgs" {
            let n = self.add(NodeKind::Application { result: ri }, None, None);
            self.edge(ROOT, n);
            n
        } else {
            return;
        };
        match result.packages.as_deref() {
            Some(pkgs) if !pkgs.is_empty() => self.encode_packages(ri, parent, pkgs),
            _ if !result.vulnerabilities.is_empty() => {
                self.encode_fallback(ri, parent, &result.vulnerabilities)
            }
            _ => {}
        }
    }

    /// encode.go encodePackages:221-290.
    fn encode_packages(&mut self, ri: usize, parent: usize, pkgs: &[Package<'_>]) {
        // pkgID defaults to name@version (encode.go:238).
        let ids: Vec<String> = pkgs.iter().map(package_id).collect();
        let has_root = pkgs
            .iter()
            .any(|p| p.relationship.as_deref() == Some("root"));
        let mut node_of = Vec::with_capacity(pkgs.len());
        let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(pkgs.len());
        for (pi, pkg) in pkgs.iter().enumerate() {
            let text = pkg
                .identifier
                .purl
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            let purl = text.as_deref().and_then(|t| Purl::parse(t).ok());
            let n = self.add(
                NodeKind::Package {
                    result: ri,
                    package: pi,
                },
                text,
                purl,
            );
            node_of.push(n);
            let uid = pkg.identifier.uid.as_deref().unwrap_or("");
            self.uids[ri].insert(uid.to_string(), n);
            self.all_uids.insert(uid.to_string(), n);
            by_id.insert(&ids[pi], n);
            self.pkg_ids[ri].insert(ids[pi].clone(), n);
        }
        // Parents of each package ID (ftypes.Packages.ParentDeps).
        let mut has_parent: HashMap<&str, bool> = HashMap::new();
        for pkg in pkgs {
            for d in &pkg.depends_on {
                has_parent.insert(d.as_ref(), true);
            }
        }
        for (pi, pkg) in pkgs.iter().enumerate() {
            // Trivy re-resolves the component through the UID map (last UID wins).
            let uid = pkg.identifier.uid.as_deref().unwrap_or("");
            let c = self.uids[ri].get(uid).copied().unwrap_or(node_of[pi]);
            if belongs_to_parent(pkg, &ids[pi], &has_parent, has_root) {
                self.edge(parent, c);
            }
            for d in &pkg.depends_on {
                if let Some(&dep) = by_id.get(d.as_ref()) {
                    self.edge(c, dep);
                }
            }
        }
    }

    /// vexgate's fallback for a result without `Packages` (`--list-all-pkgs=false`): each
    /// vulnerable package (one node per UID, else per PkgID/PURL) hangs directly under the
    /// result's OS/application node. The every-path rule cannot be known.
    fn encode_fallback(&mut self, ri: usize, parent: usize, vulns: &[Vulnerability<'_>]) {
        self.fallback_results.push(ri);
        for (vi, v) in vulns.iter().enumerate() {
            let key = fallback_key(v);
            if self.uids[ri].contains_key(&key) {
                continue;
            }
            let text = v.purl().map(str::to_string);
            let purl = text.as_deref().and_then(|t| Purl::parse(t).ok());
            let n = self.add(
                NodeKind::VulnPackage {
                    result: ri,
                    vuln: vi,
                },
                text,
                purl,
            );
            self.edge(parent, n);
            self.uids[ri].insert(key, n);
        }
    }

    /// The component a vulnerability belongs to (vex.go:149-157: by `PkgIdentifier.UID`).
    /// Looks in the vulnerability's own result first, then report-wide. `None`: Trivy
    /// keeps the vulnerability ("Component not found").
    pub fn leaf(&self, result: usize, v: &Vulnerability<'_>) -> Option<usize> {
        let uids = self.uids.get(result)?;
        if self.fallback_results.contains(&result) {
            return uids.get(&fallback_key(v)).copied();
        }
        match v.pkg_identifier.uid.as_deref().filter(|u| !u.is_empty()) {
            Some(uid) => uids.get(uid).or_else(|| self.all_uids.get(uid)).copied(),
            // A pre-UID report (Trivy's `convert` back-fills UIDs): fall back to PkgID.
            None => self.pkg_ids[result].get(v.pkg_id.as_ref()).copied(),
        }
    }

    pub fn is_root(&self, n: usize) -> bool {
        n == ROOT
    }
}

fn fallback_key(v: &Vulnerability<'_>) -> String {
    match v.pkg_identifier.uid.as_deref().filter(|s| !s.is_empty()) {
        Some(uid) => uid.to_string(),
        None => format!(
            "{}\u{0}{}\u{0}{}",
            v.pkg_id,
            v.purl().unwrap_or(""),
            v.pkg_name
        ),
    }
}

fn package_id(p: &Package<'_>) -> String {
    if p.id.is_empty() {
        format!("{}@{}", p.name, p.version)
    } else {
        p.id.to_string()
    }
}

/// Is a result's packages attached to the root rather than to an intermediate node?
pub fn is_aggregating(result_type: &str) -> bool {
    AGGREGATING_TYPES.contains(&result_type)
}

/// encode.go belongToParent:503-525: a `direct` package attaches to the result's node iff
/// the result has no `root` package; any other package iff no package depends on it.
pub fn belongs_to_parent(
    pkg: &Package<'_>,
    id: &str,
    has_parent: &HashMap<&str, bool>,
    has_root: bool,
) -> bool {
    if pkg.relationship.as_deref() == Some("direct") {
        return !has_root;
    }
    !has_parent.contains_key(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::parse_report;
    use std::path::Path;

    fn graph(json: &str) -> (Graph, String) {
        let text = json.to_string();
        let leaked: &'static str = Box::leak(text.into_boxed_str());
        let r = parse_report(Path::new("t.json"), leaked).unwrap();
        let r: &'static Report<'static> = Box::leak(Box::new(r));
        (Graph::build(r, None), String::new())
    }

    fn pkg(id: &str, uid: &str, rel: Option<&str>, deps: &[&str]) -> String {
        format!(
            r#"{{"ID":"{id}","Name":"{id}","Identifier":{{"UID":"{uid}","PURL":"pkg:golang/x/{id}@v1"}}{}, "DependsOn":{}}}"#,
            rel.map(|r| format!(r#","Relationship":"{r}""#))
                .unwrap_or_default(),
            serde_json::to_string(deps).unwrap()
        )
    }

    #[test]
    fn belong_to_parent_rules() {
        // root → direct1, direct2; direct1 → t; with a root package, direct ones do not
        // attach to the application node; the root package does (nobody depends on it).
        let pk = [
            pkg("m", "1", Some("root"), &["d1", "d2"]),
            pkg("d1", "2", Some("direct"), &["t"]),
            pkg("d2", "3", Some("direct"), &[]),
            pkg("t", "4", Some("indirect"), &[]),
        ]
        .join(",");
        let (g, _) = graph(&format!(
            r#"{{"SchemaVersion":2,"Results":[{{"Target":"go.mod","Class":"lang-pkgs","Type":"gomod","Packages":[{pk}]}}]}}"#
        ));
        // nodes: 0 root, 1 app, 2 m, 3 d1, 4 d2, 5 t
        assert_eq!(g.parents[1], vec![ROOT]);
        assert_eq!(g.parents[2], vec![1]);
        assert_eq!(g.parents[3], vec![2]);
        assert_eq!(g.parents[4], vec![2]);
        assert_eq!(g.parents[5], vec![3]);
        // Without a root package, direct packages attach to the application node.
        let pk = [
            pkg("d1", "2", Some("direct"), &["t"]),
            pkg("t", "4", None, &[]),
        ]
        .join(",");
        let (g, _) = graph(&format!(
            r#"{{"SchemaVersion":2,"Results":[{{"Target":"poetry.lock","Class":"lang-pkgs","Type":"poetry","Packages":[{pk}]}}]}}"#
        ));
        assert_eq!(g.parents[2], vec![1]);
        assert_eq!(g.parents[3], vec![2]);
    }

    #[test]
    fn aggregating_types_hang_under_root() {
        let pk = pkg("spring", "01", None, &[]);
        let (g, _) = graph(&format!(
            r#"{{"SchemaVersion":2,"Results":[{{"Target":"Java","Class":"lang-pkgs","Type":"jar","Packages":[{pk}]}}]}}"#
        ));
        assert_eq!(g.nodes.len(), 2);
        assert_eq!(g.parents[1], vec![ROOT]);
    }

    #[test]
    fn fallback_without_packages() {
        let (g, _) = graph(
            r#"{"SchemaVersion":2,"Results":[{"Target":"x (debian 12)","Class":"os-pkgs","Type":"debian",
              "Vulnerabilities":[{"VulnerabilityID":"CVE-1","PkgName":"bash","PkgIdentifier":{"UID":"u1","PURL":"pkg:deb/debian/bash@5"}},
                                 {"VulnerabilityID":"CVE-2","PkgName":"bash","PkgIdentifier":{"UID":"u1","PURL":"pkg:deb/debian/bash@5"}}]}]}"#,
        );
        assert_eq!(g.fallback_results, vec![0]);
        assert_eq!(g.nodes.len(), 3);
        assert_eq!(g.parents[2], vec![1]);
    }
}
