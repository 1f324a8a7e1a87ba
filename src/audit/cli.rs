//! `subdomain-delegation audit`: the audit from the command line (docs/design.md, "Audit"). Reads
//! the arguments (clap), runs the audit, prints a table or JSON lines, a progress line on stderr
//! when it is a terminal, and exits with a code a pipeline can gate on (`report::EXIT_*`).

use super::report::{self, EXIT_USAGE};
use super::{Options, add_overrides, parent_role, parse_nameserver_address, parse_zone};
use crate::config::Config;
use crate::dns::prober::DEFAULT_TIMEOUT;
use crate::domain::properties::ParentZoneRef;
use crate::text::comma_list;
use crate::usecase::audit::{
    AuditRequest, DEFAULT_CONCURRENCY, DEFAULT_RECHECK_AFTER, Observer, RemovalRequest,
};
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::time::Duration;

/// The most delegations probed at once.
const MAX_CONCURRENCY: u16 = 1024;
/// The longest pause or timeout the command line takes, in seconds (a day).
const MAX_SECONDS: f64 = 86_400.0;
/// The shortest DNS try timeout: below it every answer would be a timeout.
const MIN_DNS_TIMEOUT: Duration = Duration::from_millis(10);

const EXIT_CODES: &str =
    "Exit codes: 0 every delegation ok; 1 findings (a verdict other than ok); 2 usage;
            3 errors (a zone could not be read, a removal failed, Security Hub refused findings)";

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// JSON lines (one per delegation, then a summary), for pipelines.
    Json,
}

/// The audit's command line, as clap reads it; [`AuditArgs::check`] turns it into [`Args`].
#[derive(Clone, Debug, clap::Args)]
#[command(after_help = EXIT_CODES)]
pub struct AuditArgs {
    /// Parent zones, by ID or name [default: every public zone the credentials can list]
    #[arg(value_name = "ZONE", value_parser = parse_zone)]
    zones: Vec<ParentZoneRef>,
    /// Output format. The table is the default wherever the output goes, a terminal or a pipe:
    /// scripts ask for JSON explicitly.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Ask ADDR instead of resolving HOST (repeatable; the port defaults to 53)
    #[arg(long, value_name = "HOST=ADDR[:PORT]", value_parser = parse_nameserver_address)]
    nameserver_address: Vec<(String, SocketAddr)>,
    /// Read (and change) the parent zones as this role
    #[arg(long, value_name = "ARN")]
    parent_role_arn: Option<String>,
    /// ExternalId for that role
    #[arg(long, value_name = "ID", requires = "parent_role_arn")]
    parent_external_id: Option<String>,
    /// Delegations probed at once
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY as u16,
          value_parser = clap::value_parser!(u16).range(1..=MAX_CONCURRENCY as i64))]
    concurrency: u16,
    /// One DNS try's timeout, in seconds (one retry) [default: 2]
    #[arg(long, value_name = "SECONDS", value_parser = seconds)]
    timeout: Option<Duration>,
    /// Delete the dangling delegations a second probe confirms
    #[arg(long, requires = "allowed_names")]
    remove_dangling: bool,
    /// With --remove-dangling: the names it may delete (comma-separated IAM StringLike patterns,
    /// like the template's AllowedRecordNames)
    #[arg(long, value_name = "PATTERNS", requires = "remove_dangling")]
    allowed_names: Option<String>,
    /// With --remove-dangling: pause between the two probes, in seconds [default: 60]
    #[arg(long, value_name = "SECONDS", value_parser = seconds, requires = "remove_dangling")]
    recheck_after: Option<Duration>,
    /// No progress line on stderr (it is shown only on a terminal anyway)
    #[arg(long)]
    no_progress: bool,
    /// Import the findings into AWS Security Hub (one per delegation: active when not ok,
    /// archived when ok)
    #[arg(long)]
    security_hub: bool,
}

/// The checked command line.
#[derive(Clone, Debug)]
pub struct Args {
    pub options: Options,
    pub format: Format,
    pub progress: bool,
}

fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s <= MAX_SECONDS)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("takes seconds from 0 to {MAX_SECONDS}, not {text:?}"))
}

impl AuditArgs {
    /// What clap cannot check alone: the role ARN and the allowed names.
    pub fn check(self) -> Result<Args, String> {
        let parent_role = self
            .parent_role_arn
            .map(|arn| parent_role(&arn, self.parent_external_id))
            .transpose()?;
        let removal = if self.remove_dangling {
            Some(RemovalRequest {
                allowed_names: allowed_names(self.allowed_names.as_deref())?,
                recheck_after: self.recheck_after.unwrap_or(DEFAULT_RECHECK_AFTER),
                comment: "subdomain-delegation audit --remove-dangling".into(),
            })
        } else {
            None
        };
        let mut nameserver_addresses = Default::default();
        add_overrides(&mut nameserver_addresses, self.nameserver_address);
        Ok(Args {
            options: Options {
                request: AuditRequest {
                    zones: self.zones,
                    concurrency: usize::from(self.concurrency),
                    removal,
                },
                nameserver_addresses,
                parent_role,
                dns_timeout: self
                    .timeout
                    .map_or(DEFAULT_TIMEOUT, |t| t.max(MIN_DNS_TIMEOUT)),
                security_hub: self.security_hub,
            },
            format: self.format,
            progress: !self.no_progress,
        })
    }
}

/// `--allowed-names`, which `--remove-dangling` needs.
fn allowed_names(allowed: Option<&str>) -> Result<Vec<String>, String> {
    let names = comma_list(allowed);
    if names.is_empty() {
        return Err("--remove-dangling needs --allowed-names (the names it may delete, e.g. \"*.example.com\")".into());
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
pub async fn main(args: AuditArgs) -> i32 {
    let args = match args.check() {
        Ok(args) => args,
        Err(why) => {
            eprintln!(
                "error: {why}\n\nFor more information, try 'subdomain-delegation audit --help'."
            );
            return EXIT_USAGE;
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
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    report::exit_code(&run.report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        audit: AuditArgs,
    }

    fn args(text: &str) -> Result<Args, String> {
        let words = std::iter::once("audit").chain(text.split_whitespace());
        Command::try_parse_from(words)
            .map_err(|e| e.to_string())?
            .audit
            .check()
    }

    #[test]
    fn the_command_line_is_read_and_checked() {
        let a = args("example.com Z0ABC --format=table --nameserver-address ns1=127.0.0.1:53 --nameserver-address ns1=127.0.0.2 --concurrency 8 --timeout 0.5").unwrap();
        assert_eq!(a.format, Format::Table);
        assert_eq!(a.options.request.zones.len(), 2);
        assert_eq!(a.options.nameserver_addresses["ns1"].len(), 2);
        assert_eq!(a.options.request.concurrency, 8);
        assert_eq!(a.options.dns_timeout, Duration::from_millis(500));
        assert!(a.options.request.removal.is_none());
        let a = args("").unwrap();
        assert_eq!(a.format, Format::Table, "the table, whatever stdout is");
        assert_eq!(a.options.request.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(a.options.dns_timeout, DEFAULT_TIMEOUT);
        assert_eq!(args("--format=json").unwrap().format, Format::Json);
        assert!(!a.options.security_hub);
        assert!(
            args("example.com --security-hub")
                .unwrap()
                .options
                .security_hub
        );
        let a = args("--remove-dangling --allowed-names *.example.com,dev.example.org --recheck-after 2 --parent-role-arn arn:aws:iam::111111111111:role/r --parent-external-id x").unwrap();
        let removal = a.options.request.removal.unwrap();
        assert_eq!(removal.allowed_names, ["*.example.com", "dev.example.org"]);
        assert_eq!(removal.recheck_after, Duration::from_secs(2));
        assert_eq!(a.options.parent_role.unwrap().account, "111111111111");
        assert_eq!(
            args("--remove-dangling --allowed-names ,").unwrap_err(),
            "--remove-dangling needs --allowed-names (the names it may delete, e.g. \"*.example.com\")"
        );
        for bad in [
            "--format xml",
            "--bogus",
            "--concurrency 0",
            "--concurrency 1025",
            "--timeout -1",
            "--remove-dangling",
            "--allowed-names *",
            "--recheck-after 2",
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
