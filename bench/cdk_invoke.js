// Runs the peer — CDK's CrossAccountZoneDelegationRecord custom resource handler, exactly as
// aws-cdk-lib ships it — on one CloudFormation event, the way its Lambda function runs it:
// CDK's provider entrypoint (`__entrypoint__.handler`, custom-resource-handlers/dist/core/
// nodejs-entrypoint-handler) calls the handler (custom-resource-handlers/dist/aws-route53/
// cross-account-zone-delegation-handler), then PUTs the answer to the ResponseURL.
//
//   node bench/cdk_invoke.js EVENT.json
//
// The one change: the entrypoint PUTs with `https.request`; for the benchmark's loopback receiver
// (http://127.0.0.1:PORT) the same request goes out with `http.request`. The SDK clients reach the
// emulator through the SDK's own AWS_ENDPOINT_URL variable, with the test credentials in the
// environment. Prints the answer it PUT (JSON) on stdout as its last line.
"use strict";
const fs = require("fs");
const http = require("http");
const path = require("path");

const dist = path.join(
  path.dirname(require.resolve("aws-cdk-lib/package.json")),
  "custom-resource-handlers",
  "dist",
);
const entrypoint = require(path.join(dist, "core", "nodejs-entrypoint-handler", "index.js"));
entrypoint.external.userHandlerIndex = path.join(
  dist,
  "aws-route53",
  "cross-account-zone-delegation-handler",
  "index.js",
);

let answer = null;
const send = entrypoint.external.sendHttpRequest;
entrypoint.external.sendHttpRequest = (options, body) => {
  answer = body;
  if (!process.env.CDK_INVOKE_PLAIN_HTTP) return send(options, body);
  return new Promise((resolve, reject) => {
    const request = http.request({ ...options, port: process.env.CDK_INVOKE_PLAIN_HTTP }, (response) => {
      response.resume();
      if (!response.statusCode || response.statusCode >= 400) {
        reject(new Error(`Unsuccessful HTTP response: ${response.statusCode}`));
      } else {
        resolve();
      }
    });
    request.on("error", reject);
    request.write(body);
    request.end();
  });
};
// Keep stdout for the answer: the entrypoint logs the event and the response with console.log.
entrypoint.external.log = (...args) => console.error(...args);

async function main() {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: node bench/cdk_invoke.js EVENT.json");
    process.exit(2);
  }
  const event = JSON.parse(fs.readFileSync(file, "utf8"));
  const url = new URL(event.ResponseURL);
  if (url.protocol === "http:") {
    if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) {
      throw new Error("only loopback http ResponseURLs are allowed");
    }
    process.env.CDK_INVOKE_PLAIN_HTTP = url.port || "80";
  }
  const context = {
    functionName: "cdk-cross-account-zone-delegation",
    logStreamName: "local-invoke",
    getRemainingTimeInMillis: () => 300000,
  };
  await entrypoint.handler(event, context);
  console.log(answer === null ? "null" : answer);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
