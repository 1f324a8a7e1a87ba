//! Start-up refusals of the built binary (`subdomain-delegation invoke`), configured as in Lambda
//! by its environment and, here, a shared config file: the verification switch is judged on the
//! endpoints the loaded SDK configuration really uses (docs/design.md, "Configuration"), and an
//! invalid ResponseURL bucket setting stops the function at start. Nothing here reaches a network:
//! every endpoint is loopback or the function stops before its first call.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const SWITCH: &str = "DELEGATION_UNSAFE_SKIP_REQUEST_VERIFICATION";
/// A port nothing listens on: a call that got out would fail, never reach AWS.
const LOCAL: &str = "http://127.0.0.1:9";
/// A refusal at start takes no network calls, so it is quick.
const START_REFUSAL_BUDGET: Duration = Duration::from_secs(5);

struct Run {
    code: Option<i32>,
    stdout: String,
    logs: String,
    elapsed: Duration,
}

/// A scratch directory of this test process under target/.
fn scratch() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-startup")
        .join(std::process::id().to_string());
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `subdomain-delegation invoke` on an event it cannot answer (`{}`: handled at once, no
/// call made) with only these variables besides a Lambda-like base: every SDK endpoint variable
/// on loopback and `config_file` as the shared config file.
fn start(name: &str, config_file: &str, extra: &[(&str, &str)]) -> Run {
    let dir = scratch();
    let (event, config) = (
        dir.join(format!("{name}.json")),
        dir.join(format!("{name}.config")),
    );
    std::fs::write(&event, "{}").unwrap();
    std::fs::write(&config, config_file).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_subdomain-delegation"));
    cmd.arg("invoke").arg(&event).env_clear();
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_ENDPOINT_URL", LOCAL),
        ("AWS_ENDPOINT_URL_ROUTE_53", LOCAL),
        ("AWS_ENDPOINT_URL_STS", LOCAL),
        ("AWS_ENDPOINT_URL_CLOUDFORMATION", LOCAL),
        ("DELEGATION_ALLOW_LOOPBACK_RESPONSE_URL", "true"),
    ]
    .into_iter()
    .chain(extra.iter().copied())
    {
        cmd.env(k, v);
    }
    cmd.env("AWS_CONFIG_FILE", &config);
    let started = Instant::now();
    let out = cmd.output().expect("running subdomain-delegation");
    std::fs::remove_file(&event).ok();
    std::fs::remove_file(&config).ok();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        logs: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

fn assert_refused(run: &Run, what: &str, says: &[&str]) {
    assert_eq!(run.code, Some(1), "{what}: must not start\n{}", run.logs);
    assert!(!run.logs.contains("panicked"), "{what}\n{}", run.logs);
    for s in says {
        assert!(
            run.logs.contains(s),
            "{what}: the init error says {s:?}\n{}",
            run.logs
        );
    }
    assert!(run.stdout.is_empty(), "{what}: nothing was handled");
    assert!(
        run.elapsed < START_REFUSAL_BUDGET,
        "{what}: it stops at start: {:?}",
        run.elapsed
    );
}

#[test]
fn the_verification_switch_refuses_a_config_file_that_sends_calls_to_aws() {
    // The control: loopback endpoint variables and a config file that changes nothing start.
    let ok = start("control", "[default]\n", &[(SWITCH, "true")]);
    assert_eq!(ok.code, Some(0), "{}", ok.logs);
    assert_eq!(ok.stdout.trim(), "null", "{}", ok.logs);

    // The environment check passes (every endpoint variable is loopback); the file makes the SDK
    // ignore them all.
    let ignored = start(
        "ignore",
        "[default]\nignore_configured_endpoint_urls = true\n",
        &[(SWITCH, "true")],
    );
    assert_refused(
        &ignored,
        "ignore_configured_endpoint_urls in the file",
        &[
            "honoured only against a local emulator",
            "https://route53.amazonaws.com",
            "ignore_configured_endpoint_urls",
        ],
    );

    // The same in a named profile.
    let profile = start(
        "profile",
        "[profile emulator]\nignore_configured_endpoint_urls = true\n",
        &[(SWITCH, "true"), ("AWS_PROFILE", "emulator")],
    );
    assert_refused(
        &profile,
        "ignore_configured_endpoint_urls in AWS_PROFILE's profile",
        &["honoured only against a local emulator"],
    );

    // Without the switch the same file is the SDK's business.
    let off = start(
        "off",
        "[default]\nignore_configured_endpoint_urls = true\n",
        &[],
    );
    assert_eq!(off.code, Some(0), "{}", off.logs);
}

#[test]
fn an_invalid_response_url_bucket_setting_stops_the_function_at_start() {
    let run = start(
        "buckets",
        "[default]\n",
        &[("DELEGATION_RESPONSE_URL_BUCKET_PREFIXES", "Not_A_Bucket")],
    );
    assert_refused(
        &run,
        "DELEGATION_RESPONSE_URL_BUCKET_PREFIXES=Not_A_Bucket",
        &[
            "DELEGATION_RESPONSE_URL_BUCKET_PREFIXES is invalid",
            "Not_A_Bucket",
        ],
    );
}
