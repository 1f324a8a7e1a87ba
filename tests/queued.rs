//! The batched mode end to end, as it runs in AWS: CloudFormation publishes each request to an SNS
//! topic, SNS delivers it to an SQS queue (the body is the SNS notification), and Lambda's event
//! source mapping hands the queue's messages to the function in batches. Here moto serves SNS and
//! SQS, `tests/esm/esm_driver.py` stands in for the event source mapping (moto has none), the
//! packaged `bootstrap` handles each batch, and Route 53 (moto) sits behind the fault proxy, whose
//! log counts the parent account's calls. Every answer, every record and the call count are
//! checked; so are a message whose answer cannot be PUT (a batch item failure, delivered again
//! after the visibility timeout and answered then, with no second write) and a batch of Deletes.

use crate::support::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::Stdio;

/// The function's timeout, and the queue's visibility timeout: short, so that a reported failure
/// comes back soon, and longer than the function's timeout, as Lambda requires of a queue it
/// reads (an invocation still running must not see its messages delivered again).
const FUNCTION_TIMEOUT_S: u32 = 15;
const VISIBILITY_TIMEOUT_S: u32 = 20;
/// The event source mapping's settings, as the provider template's defaults.
const WINDOW_S: &str = "2";
const CONCURRENCY: &str = "2";

/// moto's SNS and SQS over their query protocols. moto picks the service from the credential
/// scope of the Authorization header; it checks no signature.
struct Messaging {
    endpoint: String,
    http: reqwest::Client,
}

impl Messaging {
    async fn call(&self, service: &str, path: &str, params: &[(&str, &str)]) -> String {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=test/20260730/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
        );
        let resp = self
            .http
            .post(format!("{}{path}", self.endpoint))
            .header("Authorization", auth)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{service} {params:?}: {e}"));
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(status.is_success(), "{service} {params:?}: {status} {text}");
        text
    }

    /// A standard topic and a queue subscribed to it (not raw delivery: each body is the SNS
    /// notification). Returns (topic ARN, queue URL).
    async fn topic_and_queue(&self, name: &str) -> (String, String) {
        let visibility = VISIBILITY_TIMEOUT_S.to_string();
        let created = self
            .call(
                "sqs",
                "/",
                &[
                    ("Action", "CreateQueue"),
                    ("Version", "2012-11-05"),
                    ("QueueName", name),
                    ("Attribute.1.Name", "VisibilityTimeout"),
                    ("Attribute.1.Value", &visibility),
                ],
            )
            .await;
        let queue_url = xml_text(&created, "QueueUrl");
        let created = self
            .call(
                "sns",
                "/",
                &[
                    ("Action", "CreateTopic"),
                    ("Version", "2010-03-31"),
                    ("Name", name),
                ],
            )
            .await;
        let topic = xml_text(&created, "TopicArn");
        let queue_arn = format!("arn:aws:sqs:us-east-1:{PARENT_ACCOUNT}:{name}");
        self.call(
            "sns",
            "/",
            &[
                ("Action", "Subscribe"),
                ("Version", "2010-03-31"),
                ("TopicArn", &topic),
                ("Protocol", "sqs"),
                ("Endpoint", &queue_arn),
            ],
        )
        .await;
        (topic, queue_url)
    }

    /// Publishes a request as CloudFormation does for an SNS ServiceToken: the request JSON is the
    /// message.
    async fn publish(&self, topic: &str, request: &Value) {
        self.call(
            "sns",
            "/",
            &[
                ("Action", "Publish"),
                ("Version", "2010-03-31"),
                ("TopicArn", topic),
                ("Subject", "AWS CloudFormation custom resource request"),
                ("Message", &request.to_string()),
            ],
        )
        .await;
    }

    /// ApproximateNumberOfMessages + ...NotVisible: what is left on the queue.
    async fn left_on_queue(&self, queue_url: &str) -> u64 {
        let path = queue_url
            .strip_prefix(&self.endpoint)
            .expect("the queue URL is on the emulator");
        let text = self
            .call(
                "sqs",
                path,
                &[
                    ("Action", "GetQueueAttributes"),
                    ("Version", "2012-11-05"),
                    ("AttributeName.1", "All"),
                ],
            )
            .await;
        [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
        ]
        .iter()
        .map(|name| {
            let at = text
                .find(&format!("<Name>{name}</Name>"))
                .unwrap_or_else(|| panic!("no {name} in {text}"));
            xml_text(&text[at..], "Value").parse::<u64>().unwrap()
        })
        .sum()
    }
}

/// The text of the first `<tag>` element.
fn xml_text(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{tag}> in {xml}"))
        + open.len();
    let end = start + xml[start..].find(&format!("</{tag}>")).unwrap();
    xml[start..end].to_owned()
}

/// What the event source mapping's stand-in reported (its JSON summary line).
struct EsmRun {
    summary: Value,
    stderr: String,
}

impl EsmRun {
    fn count(&self, key: &str) -> u64 {
        self.summary[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} in {}", self.summary))
    }

    fn batches(&self) -> Vec<Value> {
        self.summary["batches"].as_array().unwrap().clone()
    }
}

/// moto (Route 53, STS, SNS, SQS), the fault proxy before its Route 53 and STS, the receiver, a
/// topic with its queue, and the binary's environment (pointed at the proxy).
struct Rig {
    w: World,
    proxy: FaultProxy,
    receiver: Receiver,
    messaging: Messaging,
    topic: String,
    queue_url: String,
    env: Vec<(String, String)>,
    workdir: PathBuf,
}

impl Rig {
    async fn new() -> Rig {
        let w = World::new().await;
        let proxy = FaultProxy::start(&w.moto.endpoint);
        let receiver = Receiver::start().await;
        let messaging = Messaging {
            endpoint: w.moto.endpoint.clone(),
            http: reqwest::Client::new(),
        };
        let (topic, queue_url) = messaging.topic_and_queue("subdomain-delegation").await;
        let env = lambda_env(&proxy.endpoint);
        let workdir = repo_root().join(format!("target/test-esm/{}", uuid()));
        std::fs::create_dir_all(&workdir).unwrap();
        Rig {
            w,
            proxy,
            receiver,
            messaging,
            topic,
            queue_url,
            env,
            workdir,
        }
    }

    /// Child zones `<prefix><i>.example.com` in the child account; the properties delegating
    /// each, and each zone's name servers.
    async fn children(&self, prefix: &str, n: usize) -> Vec<(String, Value, Vec<String>)> {
        let mut out = Vec::new();
        for i in 0..n {
            let name = format!("{prefix}{i}.example.com");
            let zone = create_zone(&self.w.child, &name).await;
            let ns = name_servers(&self.w.child, &zone).await;
            let mut props = self.w.props();
            props["ChildHostedZoneId"] = json!(zone);
            out.push((name, props, ns));
        }
        out
    }

    /// Runs the event source mapping's stand-in until `expect` messages were deleted (or it
    /// gives up), off the async runtime so that the receiver keeps answering. `on_line` sees each
    /// line it logs (one per batch) as it comes.
    async fn drain(
        &self,
        expect: usize,
        batch_size: usize,
        mut on_line: impl FnMut(&str) + Send + 'static,
    ) -> EsmRun {
        // Each run its own folder: the stand-in numbers its batches from 1.
        let workdir = self.workdir.join(format!("esm-{}", uuid()));
        std::fs::create_dir_all(&workdir).unwrap();
        let env_file = workdir.join("env.json");
        let env: BTreeMap<&str, &str> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        std::fs::write(&env_file, serde_json::to_vec(&env).unwrap()).unwrap();
        let mut cmd = std::process::Command::new(python());
        cmd.arg(repo_root().join("tests/esm/esm_driver.py"))
            .args(["--endpoint", &self.w.moto.endpoint])
            .args(["--queue-url", &self.queue_url])
            .arg("--binary")
            .arg(bootstrap())
            .arg("--env-json")
            .arg(&env_file)
            .args(["--batch-size", &batch_size.to_string()])
            .args(["--window", WINDOW_S, "--concurrency", CONCURRENCY])
            .args(["--timeout", &FUNCTION_TIMEOUT_S.to_string()])
            .args(["--expect", &expect.to_string()])
            .args(["--idle-exit", "60", "--max-seconds", "150"])
            .arg("--workdir")
            .arg(&workdir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let (status, stdout, stderr) = tokio::task::spawn_blocking(move || {
            let mut child = cmd.spawn().expect("running esm_driver.py");
            let mut stderr = String::new();
            for line in BufReader::new(child.stderr.take().unwrap()).lines() {
                let line = line.unwrap();
                on_line(&line);
                stderr.push_str(&line);
                stderr.push('\n');
            }
            let mut stdout = String::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut stdout)
                .unwrap();
            (child.wait().unwrap(), stdout, stderr)
        })
        .await
        .unwrap();
        let summary: Value = stdout
            .lines()
            .last()
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or_else(|| panic!("no summary from esm_driver.py:\n{stdout}\n{stderr}"));
        assert_eq!(status.code(), Some(0), "esm_driver.py: {summary}\n{stderr}");
        EsmRun { summary, stderr }
    }

    /// The latest answer per RequestId, from every receiver given.
    fn answers(receivers: &[&Receiver]) -> BTreeMap<String, Value> {
        receivers
            .iter()
            .flat_map(|r| r.puts())
            .map(|p| {
                let v = p.json();
                (v["RequestId"].as_str().unwrap().to_owned(), v)
            })
            .collect()
    }

    /// The proxy's log entries of Route 53 calls in the parent account, by operation.
    async fn parent_calls(&self) -> Vec<String> {
        self.proxy
            .log()
            .await
            .iter()
            .filter(|e| e["service"] == "route53" && e["account"] == PARENT_ACCOUNT)
            .map(|e| e["operation"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.workdir);
    }
}

fn request_id(event: &Value) -> &str {
    event["RequestId"].as_str().unwrap()
}

fn changes(calls: &[String]) -> usize {
    calls
        .iter()
        .filter(|c| *c == "ChangeResourceRecordSets")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_creates_through_sns_and_sqs_take_a_few_parent_calls_and_a_delete_batch_removes_them()
{
    const N: usize = 50;
    let rig = Rig::new().await;
    let children = rig.children("q", N).await;
    // One stack per child, as N workload accounts' stacks (here all in the child account).
    let drivers: Vec<Driver> = (0..N)
        .map(|i| {
            Driver::new(
                CHILD_ACCOUNT,
                &format!("dev-dns-{i}"),
                "Delegation",
                &rig.receiver,
            )
        })
        .collect();
    let creates: Vec<Value> = children
        .iter()
        .zip(&drivers)
        .map(|((_, props, _), d)| d.create(props))
        .collect();
    rig.proxy.reset().await;
    for request in &creates {
        rig.messaging.publish(&rig.topic, request).await;
    }
    let run = rig.drain(N, 100, |_| {}).await;
    assert_eq!(run.count("deleted"), N as u64, "{}", run.stderr);
    assert_eq!(run.count("failures_reported"), 0, "{}", run.summary);
    assert_eq!(run.count("whole_batch_failures"), 0, "{}", run.summary);
    assert!(run.count("invocations") <= 2, "{}", run.summary);
    assert_eq!(rig.messaging.left_on_queue(&rig.queue_url).await, 0);

    let answers = Rig::answers(&[&rig.receiver]);
    assert_eq!(answers.len(), N, "one answer per request");
    assert_eq!(rig.receiver.puts().len(), N, "each answered once");
    for ((name, props, ns), request) in children.iter().zip(&creates) {
        let a = &answers[request_id(request)];
        assert_eq!(a["Status"], "SUCCESS", "{a}");
        assert!(a.get("Reason").is_none(), "{a}");
        assert_eq!(
            a["PhysicalResourceId"],
            format!("{}/{name}", rig.w.parent_zone),
            "{a}"
        );
        assert_eq!(a["StackId"], request["StackId"]);
        assert_eq!(a["LogicalResourceId"], "Delegation");
        let data = &a["Data"];
        assert_eq!(data["DelegatedName"], name.as_str(), "{a}");
        assert_eq!(data["ParentHostedZoneId"], rig.w.parent_zone.as_str());
        assert_eq!(data["ChildHostedZoneId"], props["ChildHostedZoneId"]);
        assert_eq!(data["TTL"], "172800");
        assert!(data["ChangeId"].as_str().is_some_and(|c| !c.is_empty()));
        let answered: Vec<String> = data["NameServers"]
            .as_str()
            .unwrap()
            .split(',')
            .map(str::to_owned)
            .collect();
        assert_eq!(fqdn_sorted(&answered), fqdn_sorted(ns), "{a}");
    }
    let mut expected: Vec<Rec> = children
        .iter()
        .map(|(name, _, ns)| (format!("{name}."), "NS".into(), 172800, fqdn_sorted(ns)))
        .collect();
    expected.sort();
    assert_eq!(
        rig.w.delegations().await,
        expected,
        "exactly the N delegations"
    );

    // The parent account's Route 53 calls: a zone read, a record read and one change batch per
    // invocation — against 3 per request (150) in the direct mode.
    let calls = rig.parent_calls().await;
    assert!(calls.len() <= 10, "{} parent calls: {calls:?}", calls.len());
    assert!(changes(&calls) <= 2, "{calls:?}");
    let provider_calls: u64 = run
        .batches()
        .iter()
        .map(|b| b["provider"]["parent_calls"].as_u64().unwrap())
        .sum();
    assert_eq!(
        provider_calls as usize,
        calls.len(),
        "the provider's batch summaries count what the proxy saw"
    );

    // A batch of Deletes, one per stack, each with the ID its Create answered.
    rig.proxy.reset().await;
    rig.receiver.clear();
    let deletes: Vec<Value> = children
        .iter()
        .zip(&drivers)
        .zip(&creates)
        .map(|(((_, props, _), d), create)| {
            d.delete(
                answers[request_id(create)]["PhysicalResourceId"]
                    .as_str()
                    .unwrap(),
                props,
            )
        })
        .collect();
    for request in &deletes {
        rig.messaging.publish(&rig.topic, request).await;
    }
    let run = rig.drain(N, 100, |_| {}).await;
    assert_eq!(run.count("deleted"), N as u64, "{}", run.stderr);
    assert_eq!(run.count("failures_reported"), 0, "{}", run.summary);
    let answers = Rig::answers(&[&rig.receiver]);
    for ((name, _, _), request) in children.iter().zip(&deletes) {
        let a = &answers[request_id(request)];
        assert_eq!(a["Status"], "SUCCESS", "{a}");
        assert_eq!(
            a["PhysicalResourceId"],
            format!("{}/{name}", rig.w.parent_zone)
        );
    }
    assert!(
        rig.w.delegations().await.is_empty(),
        "{:?}",
        rig.w.delegations().await
    );
    let calls = rig.parent_calls().await;
    assert!(calls.len() <= 10, "{} parent calls: {calls:?}", calls.len());
    assert!(changes(&calls) <= 2, "{calls:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_cannot_be_put_is_a_batch_item_failure_redelivered_and_answered_without_a_second_write()
 {
    let rig = Rig::new().await;
    let children = rig.children("r", 4).await;
    // The last request's ResponseURL answers 500 to every attempt of the first delivery, and
    // 200 once that invocation has ended.
    let broken = Receiver::start().await;
    broken.program(&[500; 100]);
    let requests: Vec<Value> = children
        .iter()
        .enumerate()
        .map(|(i, (_, props, _))| {
            let to = if i == 3 { &broken } else { &rig.receiver };
            Driver::new(CHILD_ACCOUNT, &format!("dev-dns-{i}"), "Delegation", to).create(props)
        })
        .collect();
    rig.proxy.reset().await;
    for request in &requests {
        rig.messaging.publish(&rig.topic, request).await;
    }
    let mended = broken.clone();
    let run = rig
        .drain(4, 10, move |line| {
            if line.starts_with("esm: batch 1:") {
                mended.program(&[]);
            }
        })
        .await;
    let batches = run.batches();
    assert_eq!(batches.len(), 2, "{}", run.summary);
    assert_eq!(batches[0]["size"], 4, "{}", run.summary);
    assert_eq!(batches[0]["failures"], 1, "{}", run.summary);
    assert_eq!(batches[0]["deleted"], 3, "{}", run.summary);
    assert_eq!(batches[0]["whole_batch_failed"], false, "{}", run.summary);
    assert_eq!(batches[1]["size"], 1, "the failure, delivered again");
    assert_eq!(batches[1]["failures"], 0, "{}", run.summary);
    assert_eq!(batches[1]["deleted"], 1, "{}", run.summary);
    let redelivered = run.summary["redelivered"].as_array().unwrap();
    assert_eq!(redelivered.len(), 1, "{}", run.summary);
    assert_eq!(rig.messaging.left_on_queue(&rig.queue_url).await, 0);
    // Delivered again only after the visibility timeout (moto keeps time in whole seconds).
    let arrived =
        |b: &Value| b["started_s"].as_f64().unwrap() - b["waited_ms"].as_f64().unwrap() / 1e3;
    let gap = arrived(&batches[1]) - arrived(&batches[0]);
    assert!(
        gap >= f64::from(VISIBILITY_TIMEOUT_S) - 1.0,
        "redelivered {gap:.1} s after the first receipt: {}",
        run.summary
    );

    let puts = broken.puts();
    assert!(puts.len() >= 2, "{} PUTs", puts.len());
    let (first, last) = (puts[0].json(), puts[puts.len() - 1].json());
    assert_eq!(last["Status"], "SUCCESS", "{last}");
    assert_eq!(last["RequestId"], requests[3]["RequestId"]);
    assert_eq!(
        last["PhysicalResourceId"], first["PhysicalResourceId"],
        "the redelivery gives the same answer"
    );
    // The same answer, but for the change ID: the redelivery found its record as desired and
    // wrote nothing.
    let without_change_id = |answer: &Value| {
        let mut data = answer["Data"].clone();
        data["ChangeId"].take();
        data
    };
    assert_eq!(without_change_id(&last), without_change_id(&first));
    assert!(
        first["Data"]["ChangeId"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
    );
    assert_eq!(last["Data"]["ChangeId"], "", "{last}");
    assert!(
        puts[puts.len() - 1]
            .at
            .duration_since(puts[puts.len() - 2].at)
            .as_secs_f64()
            >= f64::from(VISIBILITY_TIMEOUT_S - FUNCTION_TIMEOUT_S),
        "the last PUT is the redelivery's"
    );
    let answers = Rig::answers(&[&rig.receiver, &broken]);
    for request in &requests {
        assert_eq!(answers[request_id(request)]["Status"], "SUCCESS");
    }
    assert_eq!(rig.receiver.puts().len(), 3, "the others answered once");

    let mut expected: Vec<Rec> = children
        .iter()
        .map(|(name, _, ns)| (format!("{name}."), "NS".into(), 172800, fqdn_sorted(ns)))
        .collect();
    expected.sort();
    assert_eq!(rig.w.delegations().await, expected);
    // No second write: the redelivered Create finds the record its first delivery wrote, exactly
    // as desired, and adopts it without a change call (src/domain/plan.rs, UpsertPlan).
    let logs = std::fs::read_to_string(batches[1]["logs"].as_str().unwrap()).unwrap();
    let summaries = summary_lines(&logs);
    assert_eq!(summaries.len(), 1, "{logs}");
    assert_eq!(summaries[0]["action"], "adopted", "{}", summaries[0]);
    assert_eq!(summaries[0]["request_id"], requests[3]["RequestId"]);
    let second = &batches[1]["provider"];
    assert_eq!(second["changes_written"], 0, "{second}");
    assert_eq!(second["change_calls"], 0, "{second}");
    assert_eq!(second["undelivered"], 0, "{second}");
    let calls = rig.parent_calls().await;
    assert_eq!(changes(&calls), 1, "{calls:?}");
}
