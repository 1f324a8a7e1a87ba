//! Handling an admitted audit event (docs/design.md, "Events", "Audit"): one run at a time per
//! execution environment, stopped before the Lambda deadline; it prints one JSON line per finding,
//! per removal and per error, the metrics (Embedded Metric Format) and the summary line.

use super::event::options;
use super::refusal::Refusal;
use super::settings::{AuditSettings, AuditSettingsError};
use crate::audit::report::{
    self, delegation_json, error_json, removal_json, security_hub_json, summary_json,
};
use crate::config::Config;
use crate::domain::verdict::Verdict;
use crate::usecase::audit::Quiet;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// The audit stops this long before the Lambda deadline, to print what it has.
const DEADLINE_MARGIN: Duration = Duration::from_secs(5);

/// Set while an audit runs in this process: a second audit event is refused at once rather than
/// run beside the first (two runs would spend the DNS account's Route 53 rate twice).
static AUDIT_RUNNING: AtomicBool = AtomicBool::new(false);

/// Marks an audit as running in this process until dropped (also when the run is cut short).
struct Running<'a>(&'a AtomicBool);

impl<'a> Running<'a> {
    fn start(flag: &'a AtomicBool) -> Result<Self, Refusal> {
        flag.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .map(|_| Running(flag))
            .map_err(|_| Refusal::AlreadyRunning)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Logs a refused audit event and prints its summary line, which is also the function's result.
fn refuse(refusal: &Refusal) -> Value {
    tracing::error!(rule = refusal.rule(), problem = %refusal, "refusing an audit event");
    let line = json!({
        "record": "summary",
        "version": crate::cli::VERSION,
        "refused": refusal.rule(),
        "error": refusal.to_string(),
        "route53_calls": 0,
        "dns_queries": 0,
        "exit_code": report::EXIT_USAGE,
    });
    println!("{line}");
    line
}

/// Handles one audit event before `deadline`; prints the lines and returns the summary.
pub async fn handle(event: &Value, config: &Config, deadline: Instant) -> Value {
    handle_with(
        event,
        config,
        AuditSettings::from_env(),
        &AUDIT_RUNNING,
        deadline,
    )
    .await
}

async fn handle_with(
    event: &Value,
    config: &Config,
    settings: Result<AuditSettings, AuditSettingsError>,
    running: &AtomicBool,
    deadline: Instant,
) -> Value {
    // Every check before the guard and the SDK: a refusal reads and asks nothing.
    let admitted = settings
        .map_err(Refusal::from)
        .and_then(|settings| options(event, config, &settings))
        .and_then(|options| Running::start(running).map(|guard| (options, guard)));
    let (options, _running) = match admitted {
        Ok(admitted) => admitted,
        Err(refusal) => return refuse(&refusal),
    };
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let stop = deadline
        .checked_sub(DEADLINE_MARGIN)
        .unwrap_or_else(Instant::now);
    let run = match tokio::time::timeout_at(stop, crate::audit::run(&sdk, config, &options, &Quiet))
        .await
    {
        Ok(Ok(run)) => run,
        Ok(Err(why)) => {
            tracing::error!(problem = %why, "the audit could not start");
            return json!({"record": "summary", "version": crate::cli::VERSION, "error": why, "exit_code": report::EXIT_ERRORS});
        }
        Err(_) => {
            let why = "the audit did not finish before the Lambda deadline; raise the function's timeout or audit fewer zones per event";
            tracing::error!(problem = why, "audit timed out");
            return json!({"record": "summary", "version": crate::cli::VERSION, "error": why, "exit_code": report::EXIT_ERRORS});
        }
    };
    let r = &run.report;
    // A finding: a delegation that is not ok, or that carries warnings.
    let findings = r
        .audited
        .iter()
        .filter(|a| a.judgement.verdict != Verdict::Ok || !a.warnings.is_empty());
    let lines = findings
        .map(delegation_json)
        .chain(r.removals.iter().map(removal_json))
        .chain(r.errors.iter().map(error_json))
        .chain(r.security_hub.iter().map(security_hub_json));
    for line in lines {
        println!("{line}");
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    for line in report::emf_lines(r, now_ms) {
        println!("{line}");
    }
    let summary = summary_json(
        r,
        run.route53_calls,
        run.dns_queries,
        run.elapsed.as_millis(),
    );
    println!("{summary}");
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::scheduled::fixtures::{config, settings};
    use crate::audit::scheduled::{EVENT_KEY, ZONES_VAR};

    #[tokio::test]
    async fn an_overlapping_run_is_refused_at_once() {
        let running = AtomicBool::new(false);
        let first = Running::start(&running).unwrap();
        assert_eq!(
            Running::start(&running).err(),
            Some(Refusal::AlreadyRunning)
        );
        // The handler refuses before it loads the SDK or asks anything: a deadline already past
        // would otherwise end in a timeout, not a refusal.
        let summary = handle_with(
            &json!({EVENT_KEY: {}}),
            &config(&[]),
            Ok(settings(&[])),
            &running,
            Instant::now(),
        )
        .await;
        assert_eq!(summary["refused"], "overlap", "{summary}");
        assert_eq!(summary["exit_code"], report::EXIT_USAGE);
        assert_eq!(summary["route53_calls"], 0);
        assert!(
            running.load(Ordering::Acquire),
            "the first run still holds it"
        );
        drop(first);
        assert!(Running::start(&running).is_ok(), "free once the first ends");
    }

    #[tokio::test]
    async fn a_refused_event_leaves_no_run_behind() {
        let running = AtomicBool::new(false);
        let s = settings(&[(ZONES_VAR, "example.com")]);
        let summary = handle_with(
            &json!({EVENT_KEY: {"zones": ["example.org"]}}),
            &config(&[]),
            Ok(s),
            &running,
            Instant::now(),
        )
        .await;
        assert_eq!(summary["refused"], "zones", "{summary}");
        assert!(
            summary["error"]
                .as_str()
                .unwrap()
                .contains("zone example.org is not one of the deployment's audit zones")
        );
        assert!(!running.load(Ordering::Acquire));
        let bad = Err(AuditSettingsError::Zones("x".into()));
        let summary = handle_with(
            &json!({EVENT_KEY: {}}),
            &config(&[]),
            bad,
            &running,
            Instant::now(),
        )
        .await;
        assert_eq!(summary["refused"], "settings", "{summary}");
    }
}
