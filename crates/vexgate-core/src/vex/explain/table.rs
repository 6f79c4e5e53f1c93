//! The human rendering of an [`Explanation`]. Every line starts with vexgate's own words
//! or indentation followed by them; report and VEX text only ever follows a label and goes
//! through [`term`].

use std::io::{self, Write};

use super::{
    ComponentInfo, Effect, Explanation, FindingExplanation, IdentitySource, NodeKindOut, NodeRef,
    Paths, PolicyStep, ProductCheck, ProductOutcome, PurlPart, Query, SourceFormat, VexStep,
};
use crate::escape::term;
use crate::vex::matching::{ComponentHit, NamedBy};

pub(super) fn render(e: &Explanation, out: &mut dyn Write) -> io::Result<()> {
    let id = term(&e.vulnerability);
    let n = e.findings();
    writeln!(
        out,
        "Explaining {id}: {n} finding(s) in {} report(s) (a finding's VulnerabilityID must be {id} exactly, as in Trivy's VEX filter).",
        e.reports.len()
    )?;
    sources(e, out)?;
    for r in &e.reports {
        writeln!(out)?;
        writeln!(
            out,
            "Report {} (platform {}, artifact {} of type {})",
            term(&r.path),
            term(r.platform.as_deref().unwrap_or("unknown")),
            quoted(&r.artifact_name),
            term(&r.artifact_type)
        )?;
        identity(&r.identity.from, r.identity.purl.as_deref(), out)?;
        if r.findings.is_empty() {
            writeln!(out, "  No finding of {id} in this report.")?;
        }
        for (i, f) in r.findings.iter().enumerate() {
            finding(e, i + 1, f, out)?;
        }
        for a in &r.already_suppressed {
            writeln!(
                out,
                "  Note: the report already records {} in {} as suppressed: {}{} ({}); gate counts it as suppressed by the report",
                term(&a.pkg_id),
                term(&a.target),
                term(&a.status),
                if a.statement.is_empty() {
                    String::new()
                } else {
                    format!(" {}", quoted(&a.statement))
                },
                term(&a.source)
            )?;
        }
        for o in &r.vendor_id_only {
            writeln!(
                out,
                "  Note: {} in {} is reported as {} and lists {id} only among its VendorIDs: statements for {id} do not apply to it (Trivy's VEX compares VulnerabilityID).",
                term(&o.pkg_id),
                term(&o.target),
                term(&o.vulnerability_id)
            )?;
        }
    }
    if n == 0 {
        writeln!(out)?;
        if e.reports.iter().any(|r| !r.already_suppressed.is_empty()) {
            writeln!(
                out,
                "No finding of {id} reaches the gate: the reports already record it as suppressed (above)."
            )?;
        } else {
            writeln!(
                out,
                "No report has a finding of {id}: there is nothing to explain."
            )?;
        }
    }
    Ok(())
}

fn sources(e: &Explanation, out: &mut dyn Write) -> io::Result<()> {
    if e.sources.is_empty() {
        writeln!(
            out,
            "VEX: no documents given (--vex): nothing can suppress."
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "VEX documents, in priority order (the first that says not affected wins):"
    )?;
    for (i, s) in e.sources.iter().enumerate() {
        match s.format {
            SourceFormat::Csaf => {
                writeln!(out, "  [{}] {} (CSAF)", i + 1, term(&s.source))?;
                continue;
            }
            SourceFormat::Openvex => {}
        }
        writeln!(
            out,
            "  [{}] {} (OpenVEX): {} statement(s) name {}",
            i + 1,
            term(&s.source),
            s.statements.len(),
            term(&e.vulnerability)
        )?;
        for st in &s.statements {
            let by = match st.named_by {
                NamedBy::Id => "@id",
                NamedBy::Name => "name",
                NamedBy::Alias => "an alias",
            };
            let just = if st.justification.is_empty() {
                String::new()
            } else {
                format!(" ({})", term(&st.justification))
            };
            writeln!(
                out,
                "      statement {} (named by {by}): {}{just}, effective timestamp {}",
                st.index,
                term(&st.status),
                term(&st.timestamp)
            )?;
            for (pi, p) in st.products.iter().enumerate() {
                let subs: Vec<String> = p.subcomponents.iter().map(component).collect();
                if subs.is_empty() {
                    writeln!(out, "        products[{pi}]: {}", component(&p.component))?;
                } else {
                    writeln!(
                        out,
                        "        products[{pi}]: {} with subcomponents {}",
                        component(&p.component),
                        subs.join(", ")
                    )?;
                }
            }
            for l in &st.lints {
                writeln!(
                    out,
                    "        never matches: {} [{}]: {}",
                    term(&l.path),
                    l.code,
                    term(&l.message)
                )?;
            }
        }
    }
    Ok(())
}

/// `"text"`, escaped by [`term`] (a `"` inside stays as it is: the text is shown, not parsed).
fn quoted(s: &str) -> String {
    format!("\"{}\"", term(s))
}

fn component(c: &ComponentInfo) -> String {
    let mut parts = Vec::new();
    if !c.id.is_empty() {
        parts.push(term(&c.id).into_owned());
    }
    for (t, v) in &c.identifiers {
        parts.push(format!("{}={}", term(t), term(v)));
    }
    for h in &c.hashes {
        parts.push(format!("hash {}", term(h)));
    }
    if parts.is_empty() {
        "(empty component)".into()
    } else {
        parts.join(" / ")
    }
}

fn identity(from: &IdentitySource, purl: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
    let purl = term(purl.unwrap_or(""));
    match from {
        IdentitySource::RepoDigests { repo_digest } => writeln!(
            out,
            "  Image identity: {purl} (Trivy's image PURL, from RepoDigests[0] {})",
            term(repo_digest)
        ),
        IdentitySource::RepoDigestUnparsable { repo_digest, error } => writeln!(
            out,
            "  Image identity: none: RepoDigests[0] {} does not parse ({}); no statement about the image applies",
            term(repo_digest),
            term(error)
        ),
        IdentitySource::ImageRepo { image_repo } => writeln!(
            out,
            "  Image identity: {purl} (assumed from --image-repo {}: the image has no RepoDigests)",
            term(image_repo)
        ),
        IdentitySource::ImageRepoInvalid { image_repo, error } => writeln!(
            out,
            "  Image identity: none: --image-repo {} is not a repository ({}); no statement about the image applies",
            term(image_repo),
            term(error)
        ),
        IdentitySource::Unpushed => writeln!(
            out,
            "  Image identity: none: unpushed image: no RepoDigests and no --image-repo, so no statement whose product is the image applies (give --image-repo REGISTRY/PATH, or name the packages as products)"
        ),
        IdentitySource::NotAnImage { artifact_type } => writeln!(
            out,
            "  Image identity: none: the artifact is a {}, not a container image, so the root has no PURL",
            term(artifact_type)
        ),
    }
}

fn node(n: &NodeRef) -> String {
    let purl = n
        .purl
        .as_deref()
        .map(|p| term(p).into_owned())
        .unwrap_or_else(|| "no PURL".into());
    match n.kind {
        NodeKindOut::Root => format!("the root #{} ({purl})", n.index),
        NodeKindOut::Os => format!(
            "the Operating System node #{} of {} (no PURL)",
            n.index,
            term(n.target.as_deref().unwrap_or(""))
        ),
        NodeKindOut::Application => format!(
            "the Application node #{} of {} (no PURL)",
            n.index,
            term(n.target.as_deref().unwrap_or(""))
        ),
        NodeKindOut::Package => format!(
            "package {} #{} ({purl})",
            term(n.package_id.as_deref().unwrap_or("")),
            n.index
        ),
        NodeKindOut::VulnerablePackage => format!(
            "package {} #{} ({purl}; known only from its finding: the result has no Packages, so its parents are unknown)",
            term(n.package_id.as_deref().unwrap_or("")),
            n.index
        ),
    }
}

fn short(n: &NodeRef) -> String {
    match n.kind {
        NodeKindOut::Root => "the root".into(),
        NodeKindOut::Os => format!("OS #{}", n.index),
        NodeKindOut::Application => format!("Application #{}", n.index),
        NodeKindOut::Package | NodeKindOut::VulnerablePackage => format!(
            "{} #{}",
            term(n.package_id.as_deref().unwrap_or("")),
            n.index
        ),
    }
}

fn finding(
    e: &Explanation,
    i: usize,
    f: &FindingExplanation,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        out,
        "  Finding {i}: {} {} in {} ({}/{})",
        term(&f.pkg_name),
        term(&f.installed_version),
        term(&f.target),
        term(&f.class),
        term(&f.kind)
    )?;
    writeln!(
        out,
        "    package: PkgID {}, PURL {}{}",
        term(&f.pkg_id),
        term(f.purl.as_deref().unwrap_or("(none)")),
        if f.pkg_path.is_empty() {
            String::new()
        } else {
            format!(", PkgPath {}", term(&f.pkg_path))
        }
    )?;
    let sev = term(&f.severity);
    let status = term(&f.status);
    match &f.policy {
        PolicyStep::Passed => writeln!(
            out,
            "    policy: passes (severity {sev}, status {status}); VEX runs next"
        )?,
        PolicyStep::Kev => writeln!(
            out,
            "    policy: passes only as a KEV finding (severity {sev}, status {status}; --block-kev keeps KEV findings whatever their severity and status); VEX runs next"
        )?,
        PolicyStep::Severity => writeln!(
            out,
            "    policy: dropped: severity {sev} is not one of the blocking severities ({})",
            severities(e)
        )?,
        PolicyStep::Status => writeln!(
            out,
            "    policy: dropped: status {status} is ignored ({})",
            if e.policy.ignore_unfixed {
                "--ignore-unfixed"
            } else {
                "--ignore-status"
            }
        )?,
        PolicyStep::Ignorefile { statement, source } => writeln!(
            out,
            "    policy: suppressed by the ignore file {}{}",
            term(source),
            if statement.is_empty() {
                String::new()
            } else {
                format!(" ({})", term(statement))
            }
        )?,
        PolicyStep::Duplicate => writeln!(
            out,
            "    policy: dropped: Trivy's de-duplication keeps another finding with the same ID, PkgID, name, version and path"
        )?,
    }
    match &f.vex {
        VexStep::NotReached => writeln!(
            out,
            "    VEX: not reached (the policy removed the finding first)"
        )?,
        VexStep::NoVex => writeln!(out, "    VEX: no documents given")?,
        VexStep::NotNamed => writeln!(
            out,
            "    VEX: no statement in any document names {}",
            term(&e.vulnerability)
        )?,
        VexStep::ComponentNotFound => writeln!(
            out,
            "    VEX: the finding's package UID is not in the report's Packages: Trivy keeps it (\"Component not found\")"
        )?,
        VexStep::Evaluated(ev) => {
            writeln!(out, "    VEX: the vulnerable package is {}", node(&ev.leaf))?;
            for q in &ev.queries {
                query(e, &ev.leaf, q, out)?;
            }
            every_path(&ev.leaf, &ev.paths, out)?;
        }
    }
    match &f.effect {
        Effect::Blocking => writeln!(out, "    effect: BLOCKING")?,
        Effect::Suppressed {
            by,
            status,
            statement,
            source,
        } => writeln!(
            out,
            "    effect: suppressed by {}: {}{} ({})",
            match by {
                super::SuppressedBy::Vex => "VEX",
                super::SuppressedBy::Ignorefile => "the ignore file",
            },
            term(status),
            if statement.is_empty() {
                String::new()
            } else {
                format!(" {}", quoted(statement))
            },
            term(source)
        )?,
        Effect::Dropped { by } => writeln!(
            out,
            "    effect: dropped by the {} filter (not shown by gate)",
            match by {
                super::DroppedBy::Severity => "severity",
                super::DroppedBy::Status => "status",
                super::DroppedBy::Duplicate => "de-duplication",
            }
        )?,
        Effect::NotBlocking { by } => writeln!(
            out,
            "    effect: not blocking: {}",
            match by {
                super::NotBlockingBy::Baseline =>
                    "the baseline of its platform has it (--baseline-mode block-new; gate lists it as existing)",
                super::NotBlockingBy::EpssThreshold =>
                    "below the EPSS threshold (gate lists it under \"Below the EPSS threshold\")",
            }
        )?,
    }
    Ok(())
}

fn severities(e: &Explanation) -> String {
    e.policy
        .severities
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn query(e: &Explanation, leaf: &NodeRef, q: &Query, out: &mut dyn Write) -> io::Result<()> {
    // The leaf was described in full just above.
    let this = if q.node.index == leaf.index {
        format!("the vulnerable package {}", short(&q.node))
    } else {
        node(&q.node)
    };
    match &q.subcomponent {
        None => writeln!(
            out,
            "    ask: is {this} not affected (as the product, no subcomponent)?"
        )?,
        Some(s) => writeln!(
            out,
            "    ask: is {this} not affected, with {} as the subcomponent?",
            short(s)
        )?,
    }
    if q.no_purl {
        if q.node.kind == NodeKindOut::Root {
            writeln!(
                out,
                "      answer: no: the root has no PURL (see the image identity), so no statement about the image applies"
            )?;
        } else {
            writeln!(
                out,
                "      answer: no: the node has no PURL, and no statement can name a node without one"
            )?;
        }
        return Ok(());
    }
    for s in &q.sources {
        let name = e
            .sources
            .get(s.source)
            .map(|x| term(&x.source).into_owned())
            .unwrap_or_default();
        writeln!(out, "      [{}] {name}:", s.source + 1)?;
        let csaf = e
            .sources
            .get(s.source)
            .is_some_and(|x| x.format == SourceFormat::Csaf);
        if csaf {
            match &s.csaf {
                Some(c) => writeln!(
                    out,
                    "        CSAF lists it as {}{}",
                    term(&c.status),
                    if c.statement.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", quoted(&c.statement))
                    }
                )?,
                None => writeln!(
                    out,
                    "        CSAF lists no matching product as not affected or fixed"
                )?,
            }
            continue;
        }
        for st in &s.statements {
            for p in &st.products {
                product(st.statement, p, out)?;
            }
        }
        match (s.matched.len(), s.winner) {
            (0, _) => writeln!(out, "        no statement matches")?,
            (_, None) => {}
            (1, Some(w)) => writeln!(
                out,
                "        statement {w} matches: {}",
                status_word(e, s.source, w)
            )?,
            (_, Some(w)) => {
                let order: Vec<String> = s.order.iter().map(|i| i.to_string()).collect();
                writeln!(
                    out,
                    "        statements {} match; go-vex sorts them by vulnerability name, then timestamp ({}), and Trivy takes the last: statement {w} overrides {}: {}",
                    order.join(", "),
                    order.join(" < "),
                    s.order
                        .iter()
                        .filter(|&&i| i != w)
                        .map(|i| format!("statement {i}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    status_word(e, s.source, w)
                )?;
            }
        }
    }
    match &q.result {
        Some(r) => {
            let asked = q.sources.last().map_or(0, |s| s.source + 1);
            if asked < e.sources.len() {
                writeln!(
                    out,
                    "      (the later documents are not asked: the first that says not affected wins)"
                )?;
            }
            writeln!(
                out,
                "      answer: yes, {} (source {})",
                term(&r.status),
                term(&r.source)
            )?
        }
        None => writeln!(out, "      answer: no")?,
    }
    Ok(())
}

fn status_word(e: &Explanation, source: usize, statement: usize) -> String {
    let st = e
        .sources
        .get(source)
        .and_then(|s| s.statements.iter().find(|x| x.index == statement));
    match st {
        Some(st) => {
            let effect = match st.status.as_str() {
                "not_affected" | "fixed" => "suppresses",
                _ => "does not suppress (only not_affected and fixed do)",
            };
            format!("{} at {}, {effect}", term(&st.status), term(&st.timestamp))
        }
        None => String::new(),
    }
}

fn hit(h: ComponentHit) -> String {
    match h {
        ComponentHit::IdText => "@id is its PURL exactly".into(),
        ComponentHit::IdPurl => "@id PURL matches".into(),
        ComponentHit::IdentifierText(i) => format!("identifiers[{i}] is its PURL exactly"),
        ComponentHit::IdentifierPurl(i) => format!("identifiers[{i}] PURL matches"),
        ComponentHit::Hash(i) => format!("hashes[{i}] equals it"),
    }
}

fn product(statement: usize, p: &ProductCheck, out: &mut dyn Write) -> io::Result<()> {
    let head = format!("        statement {statement} products[{}]", p.product);
    match p.outcome {
        ProductOutcome::ProductMiss => writeln!(out, "{head}: the product does not match")?,
        ProductOutcome::NoSubcomponents { product_by } => writeln!(
            out,
            "{head}: matches ({}; no subcomponents listed)",
            hit(product_by)
        )?,
        ProductOutcome::NoSubcomponentAsked { product_by } => writeln!(
            out,
            "{head}: matches ({}; asked without a subcomponent, so the listed ones are not checked)",
            hit(product_by)
        )?,
        ProductOutcome::Subcomponent {
            product_by,
            subcomponent,
            subcomponent_by,
        } => writeln!(
            out,
            "{head}: matches ({}), and subcomponents[{subcomponent}] matches ({})",
            hit(product_by),
            hit(subcomponent_by)
        )?,
        ProductOutcome::SubcomponentMiss { product_by } => writeln!(
            out,
            "{head}: the product matches ({}), but no listed subcomponent matches",
            hit(product_by)
        )?,
    }
    for m in &p.purl_misses {
        let what = match (m.part, &m.qualifier) {
            (PurlPart::Qualifier, Some(q)) => format!("qualifier {}", term(q)),
            (PurlPart::Type, _) => "type".into(),
            (PurlPart::Namespace, _) => "namespace".into(),
            (PurlPart::Name, _) => "name".into(),
            (PurlPart::Version, _) => "version".into(),
            (PurlPart::Qualifier, None) => "qualifier".into(),
        };
        match &m.scanned {
            Some(s) => writeln!(
                out,
                "          {}: {what} differs: statement {}, scanned {}",
                term(&m.component),
                quoted(&m.statement),
                quoted(s)
            )?,
            None => writeln!(
                out,
                "          {}: {what}={} is in the statement, the scanned PURL has no {what}",
                term(&m.component),
                quoted(&m.statement)
            )?,
        }
    }
    for l in &p.lints {
        writeln!(
            out,
            "          never matches [{}]: {}",
            l.code,
            term(&l.message)
        )?;
    }
    Ok(())
}

fn every_path(leaf: &NodeRef, paths: &Paths, out: &mut dyn Write) -> io::Result<()> {
    match paths {
        Paths::Blocked {
            leaf_itself: true,
            recorded,
            ..
        } => writeln!(
            out,
            "    every path to the root: covered: the package itself is not affected ({})",
            term(&recorded.status)
        ),
        Paths::Blocked { blocked_at, .. } => writeln!(
            out,
            "    every path to the root: covered: every path from {} passes a not-affected node ({})",
            short(leaf),
            blocked_at.iter().map(short).collect::<Vec<_>>().join(", ")
        ),
        Paths::Open { path } => writeln!(
            out,
            "    every path to the root: NOT covered: the path {} passes no not-affected node",
            path.iter().map(short).collect::<Vec<_>>().join(" <- ")
        ),
        Paths::FailSafe => writeln!(
            out,
            "    every path to the root: the unblocked ancestors form a dependency cycle; Trivy's search keeps the finding (fail safe)"
        ),
    }
}
