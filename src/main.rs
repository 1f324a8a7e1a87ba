//! Entry points: the Lambda runtime loop (CloudFormation requests, and the scheduled audit event),
//! `subdomain-delegation invoke EVENT.json` outside Lambda, and `subdomain-delegation audit`.
#![recursion_limit = "256"]
#![deny(clippy::too_many_lines)]

use aws_lambda_events::event::sqs::SqsBatchResponse;
use clap::Parser;
use lambda_runtime::tracing;
use lambda_runtime::tracing::subscriber::EnvFilter;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use subdomain_delegation::audit::scheduled;
use subdomain_delegation::aws::SdkConnector;
use subdomain_delegation::cfn::queue::sqs_records;
use subdomain_delegation::cfn::responder::Responder;
use subdomain_delegation::cfn::runner::Provider;
use subdomain_delegation::cli::{Cli, Command, InvokeArgs, VERSION};
use subdomain_delegation::config::{self, Config};
use tokio::time::Instant;

/// Lambda's log format settings (`AWS_LAMBDA_LOG_FORMAT`, `AWS_LAMBDA_LOG_LEVEL`, `RUST_LOG`), with
/// HTTP client internals held at INFO: at DEBUG they print request URLs, and a ResponseURL's query
/// string is a credential.
fn init_logging<W>(writer: W)
where
    W: for<'w> lambda_runtime::tracing::subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into());
    let filter = EnvFilter::builder()
        .parse_lossy(level)
        .add_directive("reqwest=info".parse().expect("a valid directive"))
        .add_directive("hyper=info".parse().expect("a valid directive"))
        .add_directive("hyper_util=info".parse().expect("a valid directive"));
    let fmt = lambda_runtime::tracing::subscriber::fmt()
        .with_target(false)
        .with_env_filter(filter)
        .with_writer(writer);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    if json {
        fmt.json().flatten_event(true).init();
    } else {
        fmt.init();
    }
}

/// The provider and (sharing its caches) its connector. An invalid setting (`DELEGATION_POLICY`,
/// the verification switch outside an emulator, be it by the environment or by the shared config
/// file, …) stops the process here, at start, rather than at the first request.
async fn provider() -> (Provider<SdkConnector>, SdkConnector) {
    let var = |name: &str| std::env::var(name).ok();
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    let started = match Config::from_lookup(var) {
        Ok(config) => match (
            config.load_sdk_config(loader).await,
            config::response_buckets(&var),
        ) {
            (Ok(sdk), Ok(buckets)) => Ok((config, sdk, buckets)),
            (Err(e), _) | (_, Err(e)) => Err(e),
        },
        Err(e) => Err(e),
    };
    let (config, sdk, buckets) = match started {
        Ok(started) => started,
        Err(e) => {
            tracing::error!(error = %e, "refusing to start");
            std::process::exit(1);
        }
    };
    let connector = SdkConnector::new(sdk, subdomain_delegation::aws::retry_config())
        .with_requests_per_second(config.route53_requests_per_second);
    let responder = Responder::default().with_buckets(buckets);
    let provider = Provider::new(connector.clone(), config, responder);
    (provider, connector)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // Help and --version go to stdout with exit 0; usage errors to stderr with exit 2.
    match Cli::parse().command {
        None => run_lambda().await,
        Some(Command::Invoke(args)) => invoke(args).await,
        Some(Command::Audit(args)) => {
            init_logging(std::io::stderr);
            std::process::exit(subdomain_delegation::audit::cli::main(args).await)
        }
    }
}

/// Lambda's longest timeout.
const MAX_BUDGET: Duration = Duration::from_secs(900);
/// The budget assumed when the runtime's deadline is not in the future.
const UNKNOWN_DEADLINE_BUDGET: Duration = Duration::from_secs(60);

/// Time left before the runtime's deadline (epoch milliseconds). Lambda always sends one in the
/// future; an emulator may not (`cargo lambda watch` sends the constant 600000, a duration): a
/// deadline already past would make the guard answer FAILED at once and too late to be PUT, so
/// a fixed budget is assumed instead.
fn budget(deadline_ms: u64, now_ms: u64) -> Duration {
    match deadline_ms.checked_sub(now_ms) {
        Some(left) if left > 0 => Duration::from_millis(left).min(MAX_BUDGET),
        _ => {
            tracing::warn!(
                deadline_ms,
                now_ms,
                "the runtime's deadline is not in the future; assuming {} s",
                UNKNOWN_DEADLINE_BUDGET.as_secs()
            );
            UNKNOWN_DEADLINE_BUDGET
        }
    }
}

/// What an event was, once handled.
enum Handled {
    /// The scheduled audit's result.
    Audit(Value),
    /// An SQS batch: the messages for the event source mapping to deliver again.
    Queue(SqsBatchResponse),
    /// One CloudFormation request: the answer's body, when one was due.
    Request(Option<Vec<u8>>),
}

/// The one dispatch of an event to its runner, for Lambda and `invoke` alike.
async fn dispatch(
    provider: &Provider<SdkConnector>,
    event: Value,
    deadline: Instant,
    log_stream: &str,
) -> Handled {
    if scheduled::is_audit_event(&event) {
        Handled::Audit(scheduled::handle(&event, provider.config(), deadline).await)
    } else if sqs_records(&event).is_some() {
        Handled::Queue(provider.handle_queue(&event, deadline, log_stream).await)
    } else {
        Handled::Request(provider.handle(event, deadline, log_stream).await)
    }
}

async fn run_lambda() -> Result<(), lambda_runtime::Error> {
    init_logging(std::io::stdout);
    tracing::info!(version = VERSION, "subdomain-delegation starting");
    let (provider, connector) = provider().await;
    let (provider, connector) = (&provider, &connector);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let deadline = Instant::now() + budget(event.context.deadline, now_ms);
        // arn:aws:lambda:<region>:<account>:function:<name> names the provider's own account.
        if let Some(account) = event.context.invoked_function_arn.split(':').nth(4) {
            connector.set_own_account(account);
        }
        let log_stream = &event.context.env_config.log_stream;
        let result = match dispatch(provider, event.payload, deadline, log_stream).await {
            Handled::Audit(result) => result,
            // An SQS batch answers its event source mapping with the messages to deliver again.
            Handled::Queue(failures) => serde_json::to_value(failures)?,
            Handled::Request(_) => Value::Null,
        };
        Ok::<Value, lambda_runtime::Error>(result)
    }))
    .await
}

async fn invoke(args: InvokeArgs) -> Result<(), lambda_runtime::Error> {
    init_logging(std::io::stderr);
    let bytes = args.read_event()?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    // A file that is not JSON is handled like Lambda would hand it over: as a JSON string.
    let event = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    let (provider, _) = provider().await;
    match dispatch(&provider, event, deadline, "local-invoke").await {
        Handled::Audit(_) => {}
        Handled::Queue(failures) => println!("{}", serde_json::to_value(failures)?),
        Handled::Request(Some(body)) => println!("{}", String::from_utf8_lossy(&body)),
        Handled::Request(None) => println!("null"),
    }
    Ok(())
}
