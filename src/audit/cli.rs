//! `subdomain-delegation audit`: the audit from the command line (docs/design.md, "Audit"). Reads
//! the arguments, runs the audit, prints a table (on a terminal) or JSON lines, a progress line on
//! stderr when it is a terminal, and exits with a code a pipeline can gate on (`report::EXIT_*`).

use super::report::{self, EXIT_USAGE};
use super::{Options, add_overrides, parent_role, parse_nameserver_address, parse_zone};
use crate::config::Config;
use crate::dns::prober::DEFAULT_TIMEOUT;
use crate::text::comma_list;
use crate::usecase::audit::{
    AuditRequest, DEFAULT_CONCURRENCY, DEFAULT_RECHECK_AFTER, Observer, RemovalRequest,
};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::time::Duration;

pub const USAGE: &str = "usage: subdomain-delegation audit [ZONE...] [options]
  ZONE                        a parent zone, by ID or name (repeatable; default: every public
                              zone the credentials can list)
  --format table|json         a table for people (default on a terminal) or JSON lines
  --nameserver-address HOST=ADDR[:PORT]
                              ask ADDR instead of resolving HOST (repeatable)
  --parent-role-arn ARN       read (and change) the parent zones as this role
  --parent-external-id ID     ExternalId for that role
  --concurrency N             delegations probed at once (default 64)
  --timeout SECONDS           one DNS try's timeout (default 2; one retry)
  --remove-dangling           delete the dangling delegations a second probe confirms
  --allowed-names PATTERNS    with --remove-dangling: the names it may delete (comma-separated
                              IAM StringLike patterns, like the template's AllowedRecordNames)
  --recheck-after SECONDS     with --remove-dangling: pause between the two probes (default 60)
  --no-progress               no progress line on stderr
  --security-hub              import the findings into AWS Security Hub (one per delegation:
                              active when not ok, archived when ok)
exit codes: 0 every delegation ok; 1 findings (a verdict other than ok); 2 usage;
            3 errors (a zone could not be read, a removal failed, Security Hub refused findings)";

/// Imports the findings into Security Hub; a switch of its own, read apart from the others.
const SECURITY_HUB_FLAG: &str = "--security-hub";

/// Whether `flag` is among the arguments, and the arguments without it.
fn take_flag(args: &[String], flag: &str) -> (bool, Vec<String>) {
    let rest: Vec<String> = args.iter().filter(|a| *a != flag).cloned().collect();
    (rest.len() < args.len(), rest)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

/// The parsed command line.
#[derive(Clone, Debug)]
pub struct Args {
    pub options: Options,
    pub format: Format,
    pub progress: bool,
}

fn value<'a>(flag: &str, it: &mut impl Iterator<Item = &'a String>) -> Result<&'a String, String> {
    it.next().ok_or_else(|| format!("{flag} needs a value"))
}

fn seconds(flag: &str, text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{flag} takes seconds from 0 to 86400, not {text:?}"))
}

/// Reads the arguments after `audit`.
pub fn parse(args: &[String], stdout_is_terminal: bool) -> Result<Args, String> {
    let (security_hub, args) = take_flag(args, SECURITY_HUB_FLAG);
    let mut zones = Vec::new();
    let mut overrides = HashMap::new();
    let (mut role, mut external_id) = (None, None);
    let mut format = None;
    let (mut concurrency, mut timeout) = (DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT);
    let (mut remove, mut allowed, mut recheck) = (false, None, DEFAULT_RECHECK_AFTER);
    let mut progress = true;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--format" => {
                format = Some(match value(arg, &mut it)?.as_str() {
                    "table" => Format::Table,
                    "json" => Format::Json,
                    other => return Err(format!("--format is table or json, not {other:?}")),
                });
            }
            "--nameserver-address" => {
                add_overrides(
                    &mut overrides,
                    [parse_nameserver_address(value(arg, &mut it)?)?],
                );
            }
            "--parent-role-arn" => role = Some(value(arg, &mut it)?.clone()),
            "--parent-external-id" => external_id = Some(value(arg, &mut it)?.clone()),
            "--concurrency" => {
                concurrency = value(arg, &mut it)?
                    .parse()
                    .ok()
                    .filter(|n| (1..=1024).contains(n))
                    .ok_or("--concurrency takes a number from 1 to 1024")?;
            }
            "--timeout" => {
                timeout = seconds(arg, value(arg, &mut it)?)?.max(Duration::from_millis(10))
            }
            "--remove-dangling" => remove = true,
            "--allowed-names" => allowed = Some(value(arg, &mut it)?.clone()),
            "--recheck-after" => recheck = seconds(arg, value(arg, &mut it)?)?,
            "--no-progress" => progress = false,
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            zone => zones.push(parse_zone(zone)?),
        }
    }
    if external_id.is_some() && role.is_none() {
        return Err("--parent-external-id needs --parent-role-arn".into());
    }
    let allowed_names = allowed_names(remove, allowed.as_deref())?;
    Ok(Args {
        options: Options {
            request: AuditRequest {
                zones,
                concurrency,
                removal: remove.then(|| RemovalRequest {
                    allowed_names,
                    recheck_after: recheck,
                    comment: "subdomain-delegation audit --remove-dangling".into(),
                }),
            },
            nameserver_addresses: overrides,
            parent_role: role.map(|arn| parent_role(&arn, external_id)).transpose()?,
            dns_timeout: timeout,
            security_hub,
        },
        format: format.unwrap_or(if stdout_is_terminal {
            Format::Table
        } else {
            Format::Json
        }),
        progress,
    })
}

/// `--allowed-names`, which `--remove-dangling` needs and nothing else takes.
fn allowed_names(remove: bool, allowed: Option<&str>) -> Result<Vec<String>, String> {
    let names = comma_list(allowed);
    if remove && names.is_empty() {
        return Err("--remove-dangling needs --allowed-names (the names it may delete, e.g. \"*.example.com\")".into());
    }
    if !remove && !names.is_empty() {
        return Err("--allowed-names applies only with --remove-dangling".into());
    }
    Ok(names)
}

/// Progress and the recheck notice on stderr; the progress line only on a terminal.
struct Stderr {
    progress: bool,
}

impl Observer for Stderr {
    fn progress(&self, done: usize, total: usize) {
        if self.progress && (done == total || done.is_multiple_of(25)) {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\raudited {done}/{total} delegations");
            if done == total {
                let _ = writeln!(err);
            }
        }
    }

    fn rechecking(&self, count: usize, after: Duration) {
        eprintln!(
            "rechecking {count} dangling delegation(s) in {} s before removing them",
            after.as_secs_f64()
        );
    }
}

/// Runs `audit` and returns the process's exit code.
pub async fn main(args: &[String]) -> i32 {
    let stdout = std::io::stdout();
    let args = match parse(args, stdout.is_terminal()) {
        Ok(args) => args,
        Err(why) => {
            if !why.is_empty() {
                eprintln!("{why}");
            }
            eprintln!("{USAGE}");
            return if why.is_empty() { 0 } else { EXIT_USAGE };
        }
    };
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return report::EXIT_ERRORS;
        }
    };
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let observer = Stderr {
        progress: args.progress && std::io::stderr().is_terminal(),
    };
    let run = match super::run(&sdk, &config, &args.options, &observer).await {
        Ok(run) => run,
        Err(e) => {
            eprintln!("audit failed: {e}");
            return report::EXIT_ERRORS;
        }
    };
    let text = match args.format {
        Format::Table => report::table(&run.report),
        Format::Json => report::json_lines(
            &run.report,
            &report::summary_json(
                &run.report,
                run.route53_calls,
                run.dns_queries,
                run.elapsed.as_millis(),
            ),
        ),
    };
    let mut out = stdout.lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    report::exit_code(&run.report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Result<Args, String> {
        let v: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        parse(&v, false)
    }

    #[test]
    fn the_command_line_is_read_and_checked() {
        let a = args("example.com Z0ABC --format table --nameserver-address ns1=127.0.0.1:53 --nameserver-address ns1=127.0.0.2 --concurrency 8 --timeout 0.5").unwrap();
        assert_eq!(a.format, Format::Table);
        assert_eq!(a.options.request.zones.len(), 2);
        assert_eq!(a.options.nameserver_addresses["ns1"].len(), 2);
        assert_eq!(a.options.request.concurrency, 8);
        assert_eq!(a.options.dns_timeout, Duration::from_millis(500));
        assert!(a.options.request.removal.is_none());
        assert!(!a.options.security_hub);
        assert!(
            args("example.com --security-hub")
                .unwrap()
                .options
                .security_hub
        );
        assert_eq!(
            args("").unwrap().format,
            Format::Json,
            "not a terminal: JSON"
        );
        let a = args("--remove-dangling --allowed-names *.example.com,dev.example.org --recheck-after 2 --parent-role-arn arn:aws:iam::111111111111:role/r --parent-external-id x").unwrap();
        let removal = a.options.request.removal.unwrap();
        assert_eq!(removal.allowed_names, ["*.example.com", "dev.example.org"]);
        assert_eq!(removal.recheck_after, Duration::from_secs(2));
        assert_eq!(a.options.parent_role.unwrap().account, "111111111111");
        assert_eq!(
            args("--remove-dangling").unwrap_err(),
            "--remove-dangling needs --allowed-names (the names it may delete, e.g. \"*.example.com\")"
        );
        for bad in [
            "--format xml",
            "--bogus",
            "--concurrency 0",
            "--timeout -1",
            "--allowed-names *",
            "--parent-external-id x",
            "--parent-role-arn nope",
            "--nameserver-address ns1",
            "bad..zone",
            "--format",
        ] {
            assert!(args(bad).is_err(), "{bad}");
        }
    }
}
