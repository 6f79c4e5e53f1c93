//! `vexgate vex add|validate|list|audit|explain|export|import`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use vexgate_core::error::{EXIT_BLOCKED, EXIT_INPUT, EXIT_PASS, Error, Result};
use vexgate_core::escape::{line_start_path, term, term_path};
use vexgate_core::feeds::Feeds;
use vexgate_core::gate;
use vexgate_core::vex::author::{self, AddOptions, PurlDetail, Scope, StatusFields};
use vexgate_core::vex::model::{JUSTIFICATIONS, Status};
use vexgate_core::vex::{VexSet, audit, explain, validate};

#[derive(Debug, Subcommand)]
pub enum VexCommand {
    /// Append a statement for a CVE found in a Trivy report (replaces create_vex.sh).
    ///
    /// The subcomponents are the PURLs of every finding for the ID in the report (matched on
    /// VulnerabilityID, VendorIDs and Aliases, including already-suppressed findings). The
    /// image product is Trivy's: pkg:oci/<name>?repository_url=<registry>/<path>. History is
    /// kept: the statement is appended with its own timestamp, untouched statements get their
    /// inherited timestamp pinned, the version goes up by one. Adding an identical statement
    /// again changes nothing. The write is atomic and locked.
    Add(Box<AddArgs>),
    /// Check OpenVEX files: JSON schema, the spec's rules, never-match lints.
    ///
    /// Exit 0 valid (warnings allowed), 1 errors (or warnings with --strict), 2 unreadable or
    /// not JSON. iri/uri format problems are warnings.
    Validate(ValidateArgs),
    /// Print a table of the statements: CVE, status, justification, products, effective
    /// timestamp and age.
    List(ListArgs),
    /// Find stale statements (no finding in the reports), statements older than --max-age,
    /// findings whose VEX names another version, and statements Trivy and the spec order
    /// differently.
    Audit(AuditArgs),
    /// Explain, step by step, why the VEX statements for one vulnerability do or do not
    /// apply to each finding of it: the image identity, product and subcomponent matching,
    /// the every-path-to-root rule, status and statement precedence, and the final effect,
    /// which is gate's decision for that finding.
    #[command(after_long_help = EXPLAIN_HELP)]
    Explain(Box<ExplainArgs>),
    /// Write an OpenVEX document as a CycloneDX 1.6 or CSAF 2.0 VEX document.
    ///
    /// The document is first collapsed to the statements in force: for each vulnerability,
    /// product and subcomponent the statement gate applies wins (latest timestamp), and the
    /// number of statements and entries this drops is said on standard error. History is
    /// not exported. --report names Trivy reports whose package names label the components.
    Export(ExportArgs),
    /// Append the statements of a CycloneDX or CSAF VEX document to an OpenVEX document.
    ///
    /// History is kept as with `vex add`: one new version, every statement with the time of
    /// the import. A status, justification or product with no OpenVEX equivalent is listed,
    /// one line each, and nothing is written (exit 2) unless --skip-unmapped.
    Import(ImportArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// CycloneDX 1.6 VEX (vulnerabilities[].analysis, components by PURL).
    Cyclonedx,
    /// CSAF 2.0, profile csaf_vex.
    Csaf,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The OpenVEX document to export.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Trivy JSON report(s) whose packages give the components their names.
    #[arg(long = "report", value_name = "R", num_args = 1..)]
    pub reports: Vec<PathBuf>,
    /// Write here (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Export even when a suppressing statement and a later non-suppressing one overlap
    /// (e.g. `pkg:oci/app` and `pkg:oci/app?repository_url=…`): the gate applies the later
    /// one, a reader that checks known_not_affected first suppresses. Without it such pairs
    /// are listed and nothing is written (exit 2); resolve them with a newer statement that
    /// covers the wider product.
    #[arg(long)]
    pub allow_widening: bool,
    /// CSAF document.tracking.id. [default: the document's @id]
    #[arg(long, value_name = "ID")]
    pub tracking_id: Option<String>,
    /// CSAF document.publisher.namespace, a URI. [default: the scheme and host of the
    /// document's @id, or urn:NID of a URN]
    #[arg(long, value_name = "URI")]
    pub namespace: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CycloneDX or CSAF VEX document to read.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[arg(long = "from", value_enum)]
    pub from: ExportFormat,
    /// The OpenVEX file to create or append to.
    #[arg(long, value_name = "FILE", default_value = "vex.openvex.json")]
    pub out: PathBuf,
    /// Document author for a new document [default: $USER].
    #[arg(long, value_name = "NAME")]
    pub author: Option<String>,
    /// Import what maps and list the rest, instead of refusing the whole document.
    #[arg(long)]
    pub skip_unmapped: bool,
}

const EXPLAIN_HELP: &str = "\
The policy (--severity, --ignore-unfixed, --ignore-status, --ignorefile), the VEX documents
(--vex, default ./vex.openvex.json), --image-repo, --report-platform, the baselines, the
exploitation feeds and --config are read exactly as `gate` reads them (flag > VEXGATE_*
variable > vexgate.toml > default), and the explanation runs gate's own code, so each
finding ends with the effect gate gives it: BLOCKING, suppressed (by VEX or the ignore
file), dropped (by severity, status or de-duplication, before VEX runs) or not blocking
(existing in the baseline, or below the EPSS threshold, after VEX).

A finding is one whose VulnerabilityID is CVE-ID exactly, as Trivy's VEX filter compares
it; findings that list CVE-ID only among their VendorIDs are named in a note.

Exit codes: 0 explained (also when nothing applies, and when no report has a finding of
CVE-ID: that is said in the output), 2 bad input or usage.

Examples:
  vexgate vex explain CVE-2023-45853 --report trivy-linux-amd64.json --vex vex.openvex.json
  vexgate vex explain CVE-2023-45853 --report trivy.json --image-repo ghcr.io/acme/app --format json";

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The vulnerability ID, as the report's VulnerabilityID spells it.
    #[arg(value_name = "CVE-ID")]
    pub vuln: String,
    /// Trivy JSON report(s), repeatable (one per platform).
    #[arg(long = "report", value_name = "R", num_args = 1.., required = true)]
    pub reports: Vec<PathBuf>,
    /// `table` for people, `json` for machines (schema vexgate/explain/v1).
    #[arg(long, value_enum, default_value = "table")]
    pub format: ExplainFormat,
    #[command(flatten)]
    pub policy: crate::cli::PolicyArgs,
    #[command(flatten)]
    pub baseline: crate::cli::BaselineArgs,
    #[command(flatten)]
    pub feeds: crate::cli::FeedArgs,
}

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum ExplainFormat {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum ScopeArg {
    /// pkg:oci/<name>?repository_url=… with the package PURLs as subcomponents.
    #[default]
    Image,
    /// The package PURLs as products: works for unpushed images and in every scanner.
    Package,
}

#[derive(Debug, Default, Args)]
pub struct AddArgs {
    /// The vulnerability ID as the report shows it (CVE-…, GHSA-…, or a vendor ID such as DSA-…).
    #[arg(value_name = "CVE-ID")]
    pub vuln: String,

    /// The image repository, e.g. ghcr.io/OWNER/REPO. A tag or digest is stripped (with a warning).
    #[arg(long, value_name = "REPO")]
    pub image_repo: Option<String>,

    /// Trivy JSON report to take the package PURLs from. [default: trivy.json]
    #[arg(long, value_name = "FILE")]
    pub trivy_json: Option<PathBuf>,

    /// not_affected | affected | fixed | under_investigation
    #[arg(long, value_name = "STATUS")]
    pub status: String,

    /// Only with not_affected: component_not_present, vulnerable_code_not_present,
    /// vulnerable_code_not_in_execute_path, vulnerable_code_cannot_be_controlled_by_adversary,
    /// inline_mitigations_already_exist.
    #[arg(long, value_name = "LABEL")]
    pub justification: Option<String>,

    /// Free text, stored where the spec says: impact_statement (not_affected),
    /// action_statement (affected), status_notes (fixed, under_investigation).
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,

    /// The OpenVEX file to create or append to.
    #[arg(long, value_name = "FILE", default_value = "vex.openvex.json")]
    pub out: PathBuf,

    /// Document author for a new document [default: $USER]; on an existing document a
    /// different author replaces it, with a warning.
    #[arg(long, value_name = "NAME")]
    pub author: Option<String>,

    /// Document @id for a new document. [default: urn:uuid:<random v4>]
    #[arg(long, value_name = "IRI")]
    pub vex_id: Option<String>,

    /// Why the product is not affected (not_affected only).
    #[arg(long, value_name = "TEXT")]
    pub impact_statement: Option<String>,

    /// What users should do (affected only).
    #[arg(long, value_name = "TEXT")]
    pub action_statement: Option<String>,

    /// How the status was determined.
    #[arg(long, value_name = "TEXT")]
    pub status_notes: Option<String>,

    /// A product PURL or IRI, repeatable, for statements not tied to an image
    /// (--image-repo and --trivy-json become optional).
    #[arg(long = "product", value_name = "PURL")]
    pub products: Vec<String>,

    /// image: the image is the product, packages are subcomponents. package: the package
    /// PURLs are the products (works for local/unpushed images and in grype).
    #[arg(long, value_enum, default_value = "image")]
    pub scope: ScopeArg,

    /// Keep every PURL qualifier (distro, arch, …). By default only name, version and the
    /// epoch qualifier are kept, so a base-image point release does not break the match.
    #[arg(long, conflicts_with = "versionless")]
    pub exact: bool,

    /// Drop the version too: the statement holds for every version of the package.
    #[arg(long)]
    pub versionless: bool,

    /// Also name the image as grype (bare pkg:oci/<name>) and Docker Scout
    /// (pkg:docker/<ns>/<name>@<tag>) look for it. The bare form matches an image of that
    /// name in any registry.
    #[arg(long)]
    pub compat: bool,

    /// Print the diff and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Warnings fail too (exit 1).
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Trivy JSON report(s) of the current image, repeatable (one per platform).
    #[arg(long = "report", value_name = "R", num_args = 1.., required = true)]
    pub reports: Vec<PathBuf>,
    /// Statements whose effective timestamp is older than this are due for review
    /// (e.g. 180d, 26w, 12h).
    #[arg(long, default_value = "180d", value_name = "AGE")]
    pub max_age: String,
    /// Exit 1 when anything is found.
    #[arg(long)]
    pub strict: bool,
    /// Image identity for reports without RepoDigests (as `gate --image-repo`).
    #[arg(long, env = "VEXGATE_IMAGE_REPO", value_name = "REPO")]
    pub image_repo: Option<String>,
}

pub fn run(cmd: VexCommand) -> Result<i32> {
    match cmd {
        VexCommand::Add(a) => run_add(a),
        VexCommand::Validate(a) => run_validate(a),
        VexCommand::List(a) => run_list(a),
        VexCommand::Audit(a) => run_audit(a),
        VexCommand::Explain(a) => run_explain(*a),
        VexCommand::Export(a) => run_export(a),
        VexCommand::Import(a) => run_import(a),
    }
}

fn run_export(a: ExportArgs) -> Result<i32> {
    use vexgate_core::output::{Named, Sync, refuse_overlaps, write_atomic};
    use vexgate_core::vex::export;
    if let Some(out) = &a.out {
        let mut inputs = vec![Named::new("OpenVEX document", &a.file)];
        inputs.extend(a.reports.iter().map(|r| Named::new("--report", r)));
        refuse_overlaps(&inputs, &[Named::new("--out", out)])?;
    }
    let (doc, compiled) = audit::read_document(&a.file, true)?;
    let enrich = export::Enrichment::from_reports(&a.reports)?;
    let c = export::collapse(&doc, &compiled);
    eprintln!(
        "vexgate: {}: {} statement(s), {} in force after collapsing to the latest statement per vulnerability, product and subcomponent ({} of {} entries kept)",
        term_path(&a.file),
        doc.statements.len(),
        c.live_statements,
        c.entries.len(),
        c.total
    );
    for w in &c.warnings {
        eprintln!("vexgate: warning: {}", term(w));
    }
    let file = term_path(&a.file);
    for w in &c.conflicts {
        let kind = if a.allow_widening {
            "warning"
        } else {
            "conflict"
        };
        eprintln!("vexgate: {kind}: {file}: {}", term(w));
    }
    if !c.conflicts.is_empty() && !a.allow_widening {
        eprintln!(
            "vexgate: error: {file}: {} pair(s) of statements would suppress more in the export than in the gate; nothing written (--allow-widening exports anyway)",
            c.conflicts.len()
        );
        return Ok(EXIT_INPUT);
    }
    let value = match a.format {
        ExportFormat::Cyclonedx => {
            let (v, warnings) = export::to_cyclonedx(&doc, &c, &enrich)?;
            for w in &warnings {
                eprintln!("vexgate: warning: {}", term(w));
            }
            v
        }
        ExportFormat::Csaf => {
            let (v, warnings) = export::to_csaf(
                &doc,
                &c,
                &enrich,
                &a.file,
                &export::CsafOptions {
                    tracking_id: a.tracking_id.clone(),
                    namespace: a.namespace.clone(),
                },
            )?;
            for w in &warnings {
                eprintln!("vexgate: warning: {}", term(w));
            }
            v
        }
    };
    let text = export::render(&value);
    match &a.out {
        Some(out) => {
            write_atomic(out, Sync::Atomic, |w| w.write_all(text.as_bytes()))?;
            eprintln!("vexgate: wrote {}", term_path(out));
        }
        None => {
            let mut so = std::io::stdout().lock();
            if let Err(e) = std::io::Write::write_all(&mut so, text.as_bytes())
                .and_then(|_| std::io::Write::flush(&mut so))
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                return Err(Error::usage(format!("writing to standard output: {e}")));
            }
        }
    }
    Ok(EXIT_PASS)
}

fn run_import(a: ImportArgs) -> Result<i32> {
    use vexgate_core::output::{Named, refuse_overlaps};
    use vexgate_core::vex::import;
    refuse_overlaps(
        &[Named::new("imported document", &a.file)],
        &[Named::new("--out", &a.out)],
    )?;
    let format = match a.from {
        ExportFormat::Cyclonedx => import::Format::CycloneDx,
        ExportFormat::Csaf => import::Format::Csaf,
    };
    let imported = import::read(&a.file, format)?;
    let file = term_path(&a.file);
    for n in &imported.notes {
        eprintln!("vexgate: note: {file}: {}", term(n));
    }
    for u in &imported.unmapped {
        eprintln!("vexgate: unmapped: {file}: {}", term(u));
    }
    if !imported.unmapped.is_empty() && !a.skip_unmapped {
        eprintln!(
            "vexgate: error: {file}: {} part(s) have no OpenVEX equivalent; nothing imported (--skip-unmapped imports the rest)",
            imported.unmapped.len()
        );
        return Ok(EXIT_INPUT);
    }
    if imported.statements.is_empty() {
        eprintln!("vexgate: {file}: no statements to import; nothing written");
        return Ok(EXIT_PASS);
    }
    let o = AddOptions {
        out: a.out.clone(),
        author: a.author,
        ..AddOptions::default()
    };
    let mut outcome = author::AddOutcome::default();
    vexgate_core::vex::write::update(&a.out, |existing| {
        let t = author::now()?;
        let text = author::apply_statements(&o, existing, &imported.statements, t, &mut outcome)?;
        Ok((text, ()))
    })?;
    for w in &outcome.warnings {
        eprintln!("vexgate: warning: {}", term(w));
    }
    for n in &outcome.notes {
        eprintln!("vexgate: {}", term(n));
    }
    if outcome.changed {
        eprintln!(
            "vexgate: wrote {} (version {}, {} statement(s), {} imported)",
            term_path(&a.out),
            outcome.version,
            outcome.statements,
            imported.statements.len()
        );
    }
    Ok(EXIT_PASS)
}

fn run_explain(a: ExplainArgs) -> Result<i32> {
    if a.vuln.trim().is_empty() {
        return Err(Error::usage("CVE-ID must not be empty"));
    }
    // The gate's settings layers, without its output options, and the gate's decision
    // from them: what reaches VEX, how VEX applies and what blocks after it is then gate's
    // to the letter.
    let gate_args = crate::cli::GateArgs {
        policy: a.policy,
        baseline: a.baseline,
        feeds: a.feeds,
        ..Default::default()
    };
    let settings = crate::settings::resolve(&gate_args)?;
    let now = jiff::Timestamp::now();
    let files = gate::read_reports(&a.reports)?;
    let reports = gate::parse_reports(&files)?;
    let feeds = if settings.feeds.any() {
        Feeds::read(
            settings.feeds.kev.as_deref(),
            settings.feeds.epss.as_deref(),
        )?
    } else {
        Feeds::default()
    };
    let baseline_paths = settings.baseline.as_ref().map_or(&[][..], |b| &b.files[..]);
    let baseline_files = gate::read_reports(baseline_paths)?;
    let baseline_reports = gate::parse_reports(&baseline_files)?;
    let set = VexSet::read(&settings.policy.vex)?;
    let mut decision = gate::decide_with_feeds(&files, &reports, &settings, now, Ok(&set), feeds)?;
    gate::apply_baselines(
        &mut decision,
        &baseline_files,
        &baseline_reports,
        &settings,
        now,
        &set,
    )?;
    let e = explain::explain(&a.vuln, &decision, &settings, now, &set)?;
    for w in &e.warnings {
        eprintln!("vexgate: warning: {}", term(&w.message));
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let r = match a.format {
        ExplainFormat::Table => explain::render_table(&e, &mut out),
        ExplainFormat::Json => explain::render_json(&e, &mut out),
    }
    .and_then(|_| std::io::Write::flush(&mut out));
    if let Err(e) = r
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(Error::usage(format!("writing to standard output: {e}")));
    }
    Ok(EXIT_PASS)
}

fn run_add(a: Box<AddArgs>) -> Result<i32> {
    let a = *a;
    let fields = status_fields(&a)?;
    let o = AddOptions {
        vuln: a.vuln,
        image_repo: a.image_repo,
        trivy_json: a.trivy_json,
        fields,
        out: a.out,
        author: a.author,
        vex_id: a.vex_id,
        products: a.products,
        scope: match a.scope {
            ScopeArg::Image => Scope::Image,
            ScopeArg::Package => Scope::Package,
        },
        detail: if a.exact {
            PurlDetail::Exact
        } else if a.versionless {
            PurlDetail::Versionless
        } else {
            PurlDetail::Default
        },
        compat: a.compat,
        dry_run: a.dry_run,
    };
    let out = author::add(&o)?;
    for w in &out.warnings {
        eprintln!("vexgate: warning: {}", term(w));
    }
    for n in &out.notes {
        eprintln!("vexgate: {}", term(n));
    }
    if o.dry_run {
        // Every diff line starts with the diff's own `+`, `-`, ` ` or `@@`.
        for line in out.diff.lines() {
            println!("{}", term(line));
        }
        if out.changed {
            eprintln!(
                "vexgate: dry run: {} would be version {} with {} statement(s); nothing written",
                term_path(&o.out),
                out.version,
                out.statements
            );
        }
    } else if out.changed {
        eprintln!(
            "vexgate: wrote {} (version {}, {} statement(s))",
            term_path(&o.out),
            out.version,
            out.statements
        );
    }
    Ok(EXIT_PASS)
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Validate status and justification and place the comment where the spec says
/// (OPENVEX-SPEC.md "Statement Fields"; go-vex `Statement.Validate`): `impact_statement` for
/// not_affected, `action_statement` for affected, `status_notes` otherwise. not_affected
/// needs a justification or an impact statement; affected needs an action statement; a
/// justification or impact statement on another status, or an action statement on a
/// status other than affected, is refused.
fn status_fields(o: &AddArgs) -> Result<StatusFields> {
    let status = o.status.trim();
    if !Status::parse(status).is_spec() {
        return Err(Error::usage(format!(
            "--status {status:?} is not an OpenVEX status (one of: {})",
            Status::spec_names()
        )));
    }
    let justification = nonempty(&o.justification);
    if let Some(j) = &justification {
        if !JUSTIFICATIONS.contains(&j.as_str()) {
            return Err(Error::usage(format!(
                "--justification {j:?} is not an OpenVEX justification (one of: {})",
                JUSTIFICATIONS.join(", ")
            )));
        }
        if status != "not_affected" {
            return Err(Error::usage(format!(
                "--justification is only allowed with --status not_affected, not {status} \
                 (use --comment or --status-notes to explain)"
            )));
        }
    }
    let comment = nonempty(&o.comment);
    let mut f = StatusFields {
        status: status.to_string(),
        justification,
        impact_statement: nonempty(&o.impact_statement),
        action_statement: nonempty(&o.action_statement),
        status_notes: nonempty(&o.status_notes),
    };
    let slot = match status {
        "not_affected" => (&mut f.impact_statement, "--impact-statement"),
        "affected" => (&mut f.action_statement, "--action-statement"),
        _ => (&mut f.status_notes, "--status-notes"),
    };
    if let Some(c) = comment {
        if slot.0.is_some() {
            return Err(Error::usage(format!(
                "--comment goes to the same field as {} for status {status}; give only one",
                slot.1
            )));
        }
        *slot.0 = Some(c);
    }
    if f.impact_statement.is_some() && status != "not_affected" {
        return Err(Error::usage(format!(
            "--impact-statement is only allowed with --status not_affected, not {status}"
        )));
    }
    if f.action_statement.is_some() && status != "affected" {
        return Err(Error::usage(format!(
            "--action-statement is only allowed with --status affected, not {status}"
        )));
    }
    if status == "not_affected" && f.justification.is_none() && f.impact_statement.is_none() {
        return Err(Error::usage(
            "--status not_affected needs --justification (one of the five labels) or an impact \
             statement (--comment or --impact-statement)",
        ));
    }
    if status == "affected" && f.action_statement.is_none() {
        return Err(Error::usage(
            "--status affected needs an action statement (--comment or --action-statement): \
             what users should do",
        ));
    }
    Ok(f)
}

fn run_validate(a: ValidateArgs) -> Result<i32> {
    let now = author::now()?;
    let mut code = EXIT_PASS;
    for f in &a.files {
        match validate::validate_file(f, now) {
            Err(e) => {
                eprintln!("vexgate: error: {}", term(&e.to_string()));
                code = EXIT_INPUT;
            }
            Ok(problems) => {
                let file = line_start_path(f);
                for p in &problems {
                    println!("{file}: {}", term(&p.to_string()));
                }
                let errors = problems
                    .iter()
                    .filter(|p| p.severity == validate::Severity::Error)
                    .count();
                let warnings = problems.len() - errors;
                let v = validate::verdict(&problems, a.strict);
                println!(
                    "{file}: {} ({errors} error(s), {warnings} warning(s))",
                    if v == 0 { "valid" } else { "invalid" }
                );
                if v != 0 && code == EXIT_PASS {
                    code = EXIT_BLOCKED;
                }
            }
        }
    }
    Ok(code)
}

fn run_list(a: ListArgs) -> Result<i32> {
    let now = author::now()?;
    let (doc, compiled) = audit::read_document(&a.file, false)?;
    println!(
        "{}: {} (version {}, {} statement(s))",
        line_start_path(&a.file),
        if doc.id.is_empty() {
            "(no @id)".into()
        } else {
            term(&doc.id)
        },
        doc.version
            .map(|v| v.to_string())
            .unwrap_or_else(|| "?".into()),
        doc.statements.len()
    );
    println!("{}", audit::list_table(&doc, &compiled, now));
    Ok(EXIT_PASS)
}

fn run_audit(a: AuditArgs) -> Result<i32> {
    let now = author::now()?;
    let max_age = audit::parse_max_age(&a.max_age)?;
    let (doc, compiled) = audit::read_document(&a.file, true)?;
    let mut warnings = Vec::new();
    let items = audit::audit(
        &doc,
        &compiled,
        &a.reports,
        a.image_repo.as_deref(),
        max_age,
        now,
        &mut warnings,
    )?;
    for w in &warnings {
        eprintln!("vexgate: warning: {}", term(w));
    }
    let file = line_start_path(&a.file);
    for i in &items {
        match i.statement {
            Some(s) => println!("{file}: {} statement {s}: {}", i.kind, term(&i.message)),
            None => println!("{file}: {}: {}", i.kind, term(&i.message)),
        }
    }
    println!(
        "{file}: {} finding(s) in {} statement(s)",
        items.len(),
        doc.statements.len()
    );
    Ok(if a.strict && !items.is_empty() {
        EXIT_BLOCKED
    } else {
        EXIT_PASS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(status: &str) -> AddArgs {
        AddArgs {
            vuln: "CVE-1".into(),
            status: status.into(),
            ..AddArgs::default()
        }
    }

    #[test]
    fn comment_goes_where_the_spec_says() {
        let mut o = opts("not_affected");
        o.comment = Some("c".into());
        let f = status_fields(&o).unwrap();
        assert_eq!(f.impact_statement.as_deref(), Some("c"));
        assert_eq!(f.action_statement, None);
        let mut o = opts("affected");
        o.comment = Some("c".into());
        assert_eq!(
            status_fields(&o).unwrap().action_statement.as_deref(),
            Some("c")
        );
        for s in ["fixed", "under_investigation"] {
            let mut o = opts(s);
            o.comment = Some("c".into());
            let f = status_fields(&o).unwrap();
            assert_eq!(f.status_notes.as_deref(), Some("c"));
            assert_eq!((f.impact_statement, f.action_statement), (None, None));
        }
    }

    #[test]
    fn status_rules() {
        assert!(status_fields(&opts("bogus")).is_err());
        assert!(
            status_fields(&opts("not_affected")).is_err(),
            "needs justification or impact"
        );
        assert!(
            status_fields(&opts("affected")).is_err(),
            "needs an action statement"
        );
        assert!(status_fields(&opts("fixed")).is_ok());
        let mut o = opts("fixed");
        o.justification = Some("component_not_present".into());
        assert!(
            status_fields(&o)
                .unwrap_err()
                .to_string()
                .contains("only allowed with --status not_affected")
        );
        let mut o = opts("not_affected");
        o.justification = Some("not_a_label".into());
        assert!(status_fields(&o).is_err());
        o.justification = Some("component_not_present".into());
        assert!(status_fields(&o).is_ok());
        let mut o = opts("under_investigation");
        o.impact_statement = Some("x".into());
        assert!(status_fields(&o).is_err());
        let mut o = opts("fixed");
        o.action_statement = Some("x".into());
        assert!(status_fields(&o).is_err());
        // An empty --comment (create_vex.sh's default) is no comment.
        let mut o = opts("affected");
        o.comment = Some("  ".into());
        assert!(status_fields(&o).is_err());
    }
}
