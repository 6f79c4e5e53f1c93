//! `vexgate gate`.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args;

use super::GateArgs;
use vexgate_core::config::{self, Format};
use vexgate_core::decision::Decision;
use vexgate_core::error::{EXIT_BLOCKED, EXIT_PASS, Error, Result};
use vexgate_core::escape::term;
use vexgate_core::expect::{ExpectSpec, Expected};
use vexgate_core::feeds::Feeds;
use vexgate_core::gate;
use vexgate_core::output::{self, Named, Sync};
use vexgate_core::render::{self, RenderOptions};
use vexgate_core::vex::VexSet;

#[derive(Debug, Args)]
#[command(after_long_help = GATE_HELP)]
pub struct GateCommand {
    /// Trivy JSON reports (`trivy ... --format json`), typically one per platform.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,
    #[command(flatten)]
    pub args: GateArgs,
}

const GATE_HELP: &str = "\
Filters, in Trivy's order (pkg/result/filter.go): severity, then status (--ignore-unfixed /
--ignore-status), then the ignore file, then de-duplication; VEX runs afterwards. Findings
dropped by severity or status vanish; ignore-file and VEX suppressions are recorded (see
--show-suppressed and --output-report). Secrets, licenses and FAIL misconfigurations left
after the filters block too, as in Trivy's exit code.

Defaults: --severity HIGH,CRITICAL --ignore-unfixed (a release gate's usual policy). Trivy's own defaults
are --severity UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL --ignore-unfixed=false. An explicit
--ignore-status replaces the default ignore-unfixed silently; when --ignore-unfixed is also
given explicitly, --ignore-status wins with a warning (as in Trivy).

Like Trivy, ./.trivyignore is loaded when it exists and no --ignorefile is given; a
.trivyignore.yaml is used only when named (by its .yml/.yaml extension). An --ignorefile that
does not exist is an error. ./vex.openvex.json is applied when it exists and no --vex is
given; --vex none disables it.

Settings precedence: flag > environment variable VEXGATE_<FLAG> (e.g. VEXGATE_SEVERITY,
VEXGATE_IGNORE_UNFIXED) > vexgate.toml (--config FILE, else ./vexgate.toml when present) >
default. vexgate.toml keys are the flag names: severity, ignore-unfixed, ignore-status,
ignorefile, vex, image-repo, format, summary-md, sarif, show-suppressed, require-coverage,
baseline, baseline-mode, baseline-missing, expect-platforms, expect-platforms-from, kev, epss,
block-kev, epss-threshold, epss-missing, kev-suppression, feed-max-age, strict-feeds;
relative paths in it are relative to the file. TRIVY_* variables are never read.

Platforms come from each report's Metadata.ImageConfig, or --report-platform FILE=OS/ARCH
(which wins). Two reports with the same platform are an error.

Baselines (--baseline FILE, repeatable; VEXGATE_BASELINE; `baseline` in vexgate.toml) are
saved Trivy JSON reports, matched to the reports by platform by the same rules. Findings are
compared by identity: vulnerability ID, package without version (PURL type/namespace/name,
else PkgName), PkgPath (or a non-OS result's Target) and the result's Class and Type, so a
version bump keeping the CVE is `existing` and a second copy at another path is `new`. With
--baseline-mode block-new (the default) only new vulnerabilities block; `report` blocks as
usual and only marks them. Secrets, misconfigurations and licenses always gate in full. A
report platform without a baseline is an error unless --baseline-missing allow. Outputs
list the vulnerabilities fixed since the baseline. A baseline hides existing debt: use it
for PR gates and for adopting the gate on a legacy image, never for a release gate.

With two or more reports, all with a platform, vulnerabilities left on only some platforms
are marked (Drift) and counted.

Exploitation feeds (--kev FILE: the CISA KEV catalog JSON; --epss FILE: the FIRST EPSS CSV,
plain or gzip; `vexgate feeds fetch` downloads both) add each finding's KEV entry and EPSS
score to every output. A finding is looked up by its ID when that is a CVE, else by a CVE
among its VendorIDs; one with no CVE has no score. In this order: --block-kev lets KEV
findings through the severity and status filters (--ignore-unfixed too); the ignore file
and VEX still suppress them, and each such suppression is listed as a suppressed KEV finding
(--kev-suppression deny: it blocks, exit 1); then --epss-threshold P keeps the findings that
are not KEV-blocked and score below P (or have no score, with --epss-missing allow) from
blocking. A threshold above 1, or above every score in the file, is an error. A feed whose
own date is older than --feed-max-age (default 7d, against the real clock) is a warning, an
error with --strict-feeds.

Output files are written to a temp file in their directory and renamed, so a failed write
leaves the previous file. An output that is one of the inputs (same file, also through a
link) or another output is refused before anything is written. A setting that could never
block (an empty severity set, an ignore-status listing every status) is an error. Text from
the reports and VEX documents is escaped in every output: it cannot start a line, carry
control or bidi characters, or add Markdown or HTML to the summary.

The platform check (--expect-platforms LIST, or --expect-platforms-from INDEX with the raw
image index of `docker buildx imagetools inspect --raw IMAGE`): after the verdict, exit 1 when
an expected platform has no report, or a report's platform is not expected or unknown, with a
warning line naming each. The index is an input: no output may overwrite it.

Exit codes: 0 pass, 1 something blocks (or --require-coverage or the platform check fails),
2 bad input or usage.

Examples:
  vexgate gate trivy-linux-amd64.json trivy-linux-arm64.json
  vexgate gate report.json --severity UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL --ignore-unfixed=false
  vexgate gate report.json --ignorefile .trivyignore.yaml --output-report filtered.json
  vexgate gate trivy-*.json --summary-md \"$GITHUB_STEP_SUMMARY\" --sarif trivy.sarif
  vexgate gate report.json --kev feeds/kev.json --epss feeds/epss.csv.gz --block-kev --epss-threshold 0.1
  vexgate gate trivy-linux-*.json --baseline main/trivy-linux-amd64.json --baseline main/trivy-linux-arm64.json";

pub fn run(cmd: GateCommand) -> Result<i32> {
    run_with(cmd, None)
}

/// [`run`], with the platforms `scan` read from its target as the platform check when
/// neither --expect-platforms nor --expect-platforms-from is set.
pub(super) fn run_with(cmd: GateCommand, scanned: Option<Expected>) -> Result<i32> {
    let mut settings = crate::settings::resolve(&cmd.args)?;
    if settings.expect_platforms.is_none() {
        settings.expect_platforms = scanned.map(ExpectSpec::Resolved);
    }
    if settings.outputs.output_report.is_some() && cmd.reports.len() > 1 {
        return Err(Error::usage(format!(
            "--output-report writes one report but {} were given; use --output-dir DIR to \
             write one filtered report per input",
            cmd.reports.len()
        )));
    }
    let out_dir_names = match &settings.outputs.output_dir {
        Some(dir) => Some(output_dir_paths(dir, &cmd.reports)?),
        None => None,
    };
    refuse_overwriting_inputs(&cmd.reports, &settings, out_dir_names.as_deref())?;

    let now = jiff::Timestamp::now();
    // The VEX documents load on a second thread while the reports are read and parsed;
    // errors keep their order (report errors first, then the ignore file, then VEX).
    // A thread that cannot be started leaves the loading to this one.
    let vex_loader = (!settings.policy.vex.is_empty()).then(|| {
        let sources = settings.policy.vex.clone();
        std::thread::Builder::new()
            .spawn(move || VexSet::read(&sources))
            .map_err(|_| ())
    });
    // The feeds (an EPSS file holds some 300 000 scores) load on a third thread the same
    // way; their errors come after the reports'.
    let feeds_loader = settings.feeds.any().then(|| {
        let (kev, epss) = (settings.feeds.kev.clone(), settings.feeds.epss.clone());
        std::thread::Builder::new()
            .spawn(move || Feeds::read(kev.as_deref(), epss.as_deref()))
            .map_err(|_| ())
    });
    let files = gate::read_reports(&cmd.reports)?;
    let reports = gate::parse_reports(&files)?;
    let feeds = match feeds_loader {
        None => Feeds::default(),
        Some(Ok(h)) => h
            .join()
            .unwrap_or_else(|_| Err(Error::usage("internal error: feed loader panicked")))?,
        Some(Err(())) => Feeds::read(
            settings.feeds.kev.as_deref(),
            settings.feeds.epss.as_deref(),
        )?,
    };
    let baseline_paths = settings.baseline.as_ref().map_or(&[][..], |b| &b.files[..]);
    let baseline_files = gate::read_reports(baseline_paths)?;
    let baseline_reports = gate::parse_reports(&baseline_files)?;
    let vex = match vex_loader {
        None => Ok(VexSet::default()),
        Some(Ok(h)) => h
            .join()
            .unwrap_or_else(|_| Err(Error::usage("internal error: VEX loader panicked"))),
        Some(Err(())) => VexSet::read(&settings.policy.vex),
    };
    let (vex_set, vex_err) = match vex {
        Ok(set) => (set, None),
        Err(e) => (VexSet::default(), Some(e)),
    };
    let mut decision = gate::decide_with_feeds(
        &files,
        &reports,
        &settings,
        now,
        vex_err.map_or(Ok(&vex_set), Err),
        feeds,
    )?;
    gate::apply_baselines(
        &mut decision,
        &baseline_files,
        &baseline_reports,
        &settings,
        now,
        &vex_set,
    )?;
    let decision = decision;

    {
        let stderr = io::stderr();
        let mut err = stderr.lock();
        for w in &decision.warnings {
            let _ = writeln!(err, "vexgate: warning: {}", term(&w.message));
        }
    }

    let opts = RenderOptions {
        show_suppressed: settings.outputs.show_suppressed,
        color: io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        ..RenderOptions::default()
    };
    // The files (--output-report, --summary-md, --sarif) are written on a second thread
    // while stdout is rendered: re-reading a 100 MB report for --output-report and
    // formatting a table of thousands of rows are independent.
    let any_files = settings.outputs.output_report.is_some()
        || settings.outputs.output_dir.is_some()
        || settings.outputs.summary_md.is_some()
        || settings.outputs.sarif.is_some();
    let (printed, written) = std::thread::scope(|s| {
        let files = any_files.then(|| {
            s.spawn(|| write_outputs(&decision, &settings, &opts, out_dir_names.as_deref()))
        });
        let stdout = io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        let printed = match settings.outputs.format {
            Format::Table => render::table(&decision, &opts, &mut out),
            Format::Json => render::json(&decision, &opts, &mut out),
        }
        .and_then(|_| out.flush());
        let written = files.map_or(Ok(()), |h| {
            h.join()
                .unwrap_or_else(|_| Err(Error::usage("internal error: output writer panicked")))
        });
        (printed, written)
    });
    if let Err(e) = printed
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        return Err(Error::usage(format!("writing to standard output: {e}")));
    }
    written?;

    let code = if decision.blocked() {
        EXIT_BLOCKED
    } else {
        EXIT_PASS
    };
    Ok(code)
}

/// `--output-dir DIR`: one file per input, under the input's file name; two inputs with
/// the same name would overwrite each other, so that is a usage error.
fn output_dir_paths(dir: &Path, inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let name = input
            .file_name()
            .ok_or_else(|| Error::input(input, "has no file name to use under --output-dir"))?;
        let path = dir.join(name);
        if let Some(j) = out.iter().position(|p| *p == path) {
            return Err(Error::usage(format!(
                "--output-dir: {} and {} would both be written to {}",
                inputs[j].display(),
                input.display(),
                path.display()
            )));
        }
        out.push(path);
    }
    Ok(out)
}

/// Every file the gate reads and every file it would write; an output that is one of the
/// inputs (or another output) is refused before anything is read or written. `scan` calls
/// it before Trivy runs too, without the reports it has yet to save.
pub(super) fn refuse_overwriting_inputs(
    reports: &[PathBuf],
    settings: &config::Settings,
    out_dir_names: Option<&[PathBuf]>,
) -> Result<()> {
    let mut inputs: Vec<Named<'_>> = reports.iter().map(|p| Named::new("report", p)).collect();
    if let Some(c) = &settings.config_file {
        inputs.push(Named::new("settings file", c));
    }
    if let Some(i) = &settings.policy.ignorefile {
        inputs.push(Named::new("ignore file", &i.path));
    }
    if let Some(ExpectSpec::From(p)) = &settings.expect_platforms {
        inputs.push(Named::new("image index", p));
    }
    inputs.extend(
        settings
            .policy
            .vex
            .iter()
            .map(|v| Named::new("VEX document", Path::new(v))),
    );
    if let Some(b) = &settings.baseline {
        inputs.extend(b.files.iter().map(|p| Named::new("baseline", p)));
    }
    if let Some(p) = &settings.feeds.kev {
        inputs.push(Named::new("KEV catalog", p));
    }
    if let Some(p) = &settings.feeds.epss {
        inputs.push(Named::new("EPSS scores", p));
    }
    let mut outputs = Vec::new();
    if let Some(p) = &settings.outputs.output_report {
        outputs.push(Named::new("--output-report", p));
    }
    for p in out_dir_names.unwrap_or_default() {
        outputs.push(Named::new("--output-dir file", p));
    }
    if let Some(p) = &settings.outputs.summary_md {
        outputs.push(Named::new("--summary-md", p));
    }
    if let Some(p) = &settings.outputs.sarif {
        outputs.push(Named::new("--sarif", p));
    }
    output::refuse_overlaps(&inputs, &outputs)
}

fn write_file(path: &Path, f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    output::write_atomic(path, Sync::Atomic, f)
}

fn write_outputs(
    decision: &Decision<'_>,
    settings: &config::Settings,
    opts: &RenderOptions,
    out_dir_names: Option<&[PathBuf]>,
) -> Result<()> {
    if let Some(path) = &settings.outputs.output_report {
        write_file(path, |w| render::trivy_report(&decision.reports[0], w))?;
    }
    if let (Some(dir), Some(names)) = (&settings.outputs.output_dir, out_dir_names) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        for (rd, path) in decision.reports.iter().zip(names) {
            write_file(path, |w| render::trivy_report(rd, w))?;
        }
    }
    if let Some(path) = &settings.outputs.summary_md {
        write_file(path, |w| render::markdown(decision, opts, w))?;
    }
    if let Some(path) = &settings.outputs.sarif {
        write_file(path, |w| render::sarif(decision, opts, w))?;
    }
    Ok(())
}
