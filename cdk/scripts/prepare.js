#!/usr/bin/env node
// npm's `prepare` for this package. npm runs it after `npm ci` or `npm install` here, and when
// another project installs this folder (a `file:` dependency with `install-links=true`, as
// examples/cdk has): npm then packs the folder, running `prepare` first, so the packed library is
// built even on a fresh clone.
//
// It builds with jsii unless the compiled assembly (.jsii) is newer than every source. When this
// folder has no node_modules yet (packed for another project first), it installs the pinned tools
// with `npm ci --ignore-scripts` before building.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const jsii = path.join(root, 'node_modules', '.bin', 'jsii');

// The parent npm's lifecycle variables (npm_config_local_prefix, npm_package_*, ...) describe the
// project being installed, not this one: a nested npm must not see them. Registry and cache
// settings are kept.
const KEEP = /^npm_config_(registry|cache|userconfig|globalconfig|cafile|strict_ssl|proxy|https_proxy|noproxy|fetch_.*)$/i;
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || KEEP.test(k)));
env.JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = env.JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?? '20';

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function upToDate() {
  const assembly = path.join(root, '.jsii');
  if (!fs.existsSync(assembly) || !fs.existsSync(path.join(root, 'lib', 'index.js'))) return false;
  const built = fs.statSync(assembly).mtimeMs;
  const sources = Math.max(
    newestSource(path.join(root, 'lib')),
    newestSource(path.join(root, 'test')),
    fs.statSync(path.join(root, 'package.json')).mtimeMs,
    fs.statSync(path.join(root, 'README.md')).mtimeMs,
  );
  return built >= sources;
}

if (!fs.existsSync(jsii)) {
  console.error('subdomain-delegation-cdk: installing the build tools (npm ci --ignore-scripts)');
  execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, env, stdio: 'inherit' });
}
if (upToDate()) {
  console.error('subdomain-delegation-cdk: the jsii build is up to date');
} else {
  console.error('subdomain-delegation-cdk: building with jsii');
  execFileSync(jsii, ['--fail-on-warnings'], { cwd: root, env, stdio: 'inherit' });
}
