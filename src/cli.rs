//! The command line (docs/design.md, "Command line"): without a subcommand the binary serves the
//! Lambda Runtime API; `invoke` handles one event outside Lambda; `audit` checks delegations.

use crate::audit::cli::AuditArgs;
use std::io::Read;

/// What `--version` prints, and what every summary line and audit summary carries.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The deadline `invoke` handles its event under by default: the provider template's timeout.
pub const DEFAULT_INVOKE_TIMEOUT_SECS: u64 = 300;

const ABOUT: &str = "Custom::SubdomainDelegation: delegates a subdomain from a parent Route 53 \
zone to the hosted zone a child account owns.\n\
Without a subcommand it serves the Lambda Runtime API (as the function's `bootstrap`).";

#[derive(Debug, clap::Parser)]
#[command(name = "subdomain-delegation", version = VERSION, about = ABOUT)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Handle one event outside Lambda: print the answer on stdout (logs go to stderr) and PUT
    /// it when the ResponseURL is allowed
    Invoke(InvokeArgs),
    /// Check every delegation of parent zones over DNS
    Audit(AuditArgs),
}

#[derive(Debug, clap::Args)]
pub struct InvokeArgs {
    /// The event: a JSON file, or - for standard input
    #[arg(value_name = "EVENT.json|-")]
    pub event: String,
    /// The deadline the event is handled under, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_INVOKE_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=900))]
    pub timeout: u64,
}

impl InvokeArgs {
    /// The event's bytes, from the file or standard input.
    pub fn read_event(&self) -> Result<Vec<u8>, String> {
        if self.event == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| format!("reading the event from standard input: {e}"))?;
            Ok(bytes)
        } else {
            std::fs::read(&self.event).map_err(|e| format!("reading {}: {e}", self.event))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use clap::error::ErrorKind;

    fn parse(words: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("subdomain-delegation").chain(words.iter().copied()))
    }

    #[test]
    fn version_and_help_are_answers_not_errors() {
        for (words, kind) in [
            (&["--version"][..], ErrorKind::DisplayVersion),
            (&["-V"], ErrorKind::DisplayVersion),
            (&["--help"], ErrorKind::DisplayHelp),
            (&["audit", "--help"], ErrorKind::DisplayHelp),
            (&["invoke", "--help"], ErrorKind::DisplayHelp),
        ] {
            let e = parse(words).unwrap_err();
            assert_eq!(e.kind(), kind, "{words:?}");
            // clap prints these on stdout and exits 0.
            assert!(!e.use_stderr(), "{words:?}");
            assert_eq!(e.exit_code(), 0, "{words:?}");
        }
        let version = parse(&["--version"]).unwrap_err().render().to_string();
        assert_eq!(version.trim(), format!("subdomain-delegation {VERSION}"));
        let help = parse(&["audit", "--help"])
            .unwrap_err()
            .render()
            .to_string();
        assert!(help.contains("The table is the default"), "{help}");
        assert!(help.contains("Exit codes: 0 every delegation ok"), "{help}");
    }

    #[test]
    fn subcommands_and_their_flags_are_read() {
        assert!(
            parse(&[]).unwrap().command.is_none(),
            "the Lambda runtime loop"
        );
        let Some(Command::Invoke(invoke)) =
            parse(&["invoke", "-", "--timeout=30"]).unwrap().command
        else {
            panic!("invoke")
        };
        assert_eq!((invoke.event.as_str(), invoke.timeout), ("-", 30));
        let Some(Command::Invoke(invoke)) = parse(&["invoke", "e.json"]).unwrap().command else {
            panic!("invoke")
        };
        assert_eq!(invoke.timeout, DEFAULT_INVOKE_TIMEOUT_SECS);
        for bad in [
            &["bogus"][..],
            &["invoke"],
            &["invoke", "e.json", "--timeout", "x"],
            &["invoke", "e.json", "--timeout", "0"],
            &["audit", "--format", "xml"],
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.use_stderr(), "{bad:?}");
            assert_eq!(e.exit_code(), 2, "{bad:?}: the documented usage exit code");
        }
    }
}
