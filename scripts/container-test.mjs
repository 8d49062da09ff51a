#!/usr/bin/env node
// The container test (`npm run test:container`, run by .ci/run when podman is installed):
//  1. builds the image from the repository's Dockerfile, unmodified, with podman (tagged `wx-backend`, the name
//     docker-compose.yml gives it; the image stays as the next run's build cache);
//  2. runs Redis and the image on a podman network with random WeChat credentials and REDIS_URL, the service's port
//     published on a free host port, and checks: non-root, healthy, /healthz and /readyz (Redis ok), an encrypted
//     message answered through the published port exactly as WeChat expects, a retry answered the same from Redis,
//     a forged signature refused, the dashboard's files served, no secret in the logs, a clean exit on `podman stop`;
//  3. starts the two services of docker-compose.yml with podman-compose (or, where podman-compose cannot run, by
//     hand from the compose file's settings, saying so) and checks them the same way through the published port.
// Containers, networks and volumes are removed whatever happens. Exit status 0 only when every check passed.
// Needs podman and the base images: `scripts/container/make-base-images.sh` (as root, once) makes them; this
// script runs it itself when it is root and they are missing.
// Usage: node --import tsx scripts/container-test.mjs   (CONTAINER_TEST_COMPOSE=by-hand skips podman-compose)
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateDemoCredentials } from '../src/config/demo-credentials.ts';
import { textMessageXml, WeChatEmulator } from '../src/simulator/wechat-emulator.ts';
import { composeToPodman } from './container/compose-by-hand.mjs';

const root = path.resolve(import.meta.dirname, '..');
const helpers = path.join(root, 'scripts/container/podman-env.sh');
const image = 'localhost/wx-backend:latest';
const run = `${process.pid}-${randomBytes(3).toString('hex')}`;
const work = mkdtempSync(path.join(tmpdir(), 'wx-container-test-'));
const results = [];
const cleanups = [];

// ---- helpers ------------------------------------------------------------------------------------------------

/** Runs `command` (wxpodman, wxbuild, podman-compose…) in a shell that sourced podman-env.sh. */
function sh(command, args, { timeoutSeconds = 120, cwd = root, env = process.env } = {}) {
  const result = spawnSync('bash', ['-c', `. "$0" && ${command} "$@"`, helpers, ...args], {
    cwd, env, encoding: 'utf8', timeout: timeoutSeconds * 1000, maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? '', output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}
const podman = (args, options) => sh('wxpodman', args, options);

function check(name, passed, detail = '') {
  results.push({ name, passed });
  console.log(`  ${passed ? 'ok  ' : 'FAIL'}  ${name}${detail ? ` — ${detail}` : ''}`);
  return passed;
}

const section = (title) => console.log(`\n== ${title}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

async function waitForHealthz(baseUrl, seconds) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return true;
    } catch {
      // Not listening yet.
    }
    await sleep(250);
  }
  return false;
}

async function waitForHealthy(container, seconds) {
  const deadline = Date.now() + seconds * 1000;
  let last;
  while (Date.now() < deadline) {
    // The health timer podman would start needs systemd, absent here; `healthcheck run` runs the check now.
    last = podman(['healthcheck', 'run', container]);
    if (last.status === 0) return { healthy: true, output: last.output.trim() };
    await sleep(1000);
  }
  return { healthy: false, output: last?.output.trim() ?? '' };
}

async function getJson(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

/** The checks every running deployment passes: health endpoints and an encrypted message, via `baseUrl`. */
async function checkDeployment(label, baseUrl, credentials) {
  const health = await getJson(`${baseUrl}/healthz`).catch((error) => ({ status: 0, body: String(error) }));
  check(`${label}: GET /healthz through the published port`, health.status === 200 && health.body?.status === 'ok', JSON.stringify(health.body));
  const ready = await getJson(`${baseUrl}/readyz`).catch((error) => ({ status: 0, body: String(error) }));
  check(`${label}: GET /readyz shows Redis ok`, ready.status === 200 && ready.body?.checks?.redis?.status === 'ok', JSON.stringify(ready.body?.checks?.redis));

  const emulator = new WeChatEmulator(credentials, `${baseUrl}/wechat`);
  const openid = `o${randomBytes(20).toString('base64url').slice(0, 27)}`;
  const account = 'gh_0123456789ab';
  const content = `容器里的回声 ${run} <&>`;
  const delivery = emulator.sign(textMessageXml({ from: openid, to: account, content }), 'safe');
  let answer;
  try {
    answer = await emulator.deliver(delivery);
  } catch (error) {
    check(`${label}: encrypted message answered`, false, String(error));
    return {};
  }
  const reply = answer.reply ?? {};
  check(`${label}: encrypted message answered with a signed, encrypted echo`,
    answer.status === 200 && answer.signatureValid === true && reply.MsgType === 'text' && reply.Content === content &&
      reply.ToUserName === openid && reply.FromUserName === account,
    `status ${answer.status}, signature ${answer.signatureValid ? 'valid' : 'INVALID'}, reply ${JSON.stringify(reply.Content)}`);
  return { emulator, delivery, reply };
}

function cleanup() {
  while (cleanups.length > 0) {
    const step = cleanups.pop();
    try {
      step();
    } catch (error) {
      console.error(`cleanup: ${String(error)}`);
    }
  }
  rmSync(work, { recursive: true, force: true });
  const conf = process.env.CONTAINERS_CONF;
  if (conf?.includes('wx-containers.')) rmSync(conf, { force: true });
}

function removeProject(project) {
  const ids = podman(['ps', '-a', '-q', '--filter', `label=io.podman.compose.project=${project}`]).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) podman(['rm', '-f', '-t', '5', ...ids]);
  for (const kind of ['network', 'volume']) {
    const names = podman([kind, 'ls', '-q', '--filter', `label=io.podman.compose.project=${project}`]).stdout.split('\n').filter(Boolean);
    if (names.length > 0) podman([kind, 'rm', '-f', ...names]);
  }
}

// ---- 1. the image -------------------------------------------------------------------------------------------

async function buildImage() {
  section('image');
  if (spawnSync('sh', ['-c', 'command -v podman'], { encoding: 'utf8' }).status !== 0) {
    console.log('podman is not installed: run scripts/container/make-base-images.sh as root (it installs podman too).');
    return false;
  }
  // One containers.conf for the whole run (podman-env.sh reuses it when CONTAINERS_CONF names it).
  process.env.CONTAINERS_CONF = sh('printf %s "$CONTAINERS_CONF"', []).stdout;
  const bases = ['docker.io/library/node:20-bookworm-slim', 'docker.io/library/redis:7-bookworm'];
  if (bases.some((base) => podman(['image', 'exists', base]).status !== 0)) {
    if (process.getuid?.() !== 0) {
      console.log('the base images are missing: run scripts/container/make-base-images.sh as root once.');
      return false;
    }
    console.log('making the base images (scripts/container/make-base-images.sh, about 2 minutes)…');
    const made = spawnSync(path.join(root, 'scripts/container/make-base-images.sh'), { stdio: 'inherit' });
    if (made.status !== 0) return check('base images made', false);
  }
  const previous = podman(['image', 'inspect', '--format', '{{.Id}}', image]).stdout.trim();
  const started = Date.now();
  // --format docker: the OCI image format has no HEALTHCHECK; Docker's keeps it, as `docker build` does.
  const build = sh('wxbuild', ['--format', 'docker', '-t', image, '-f', 'Dockerfile', '.'], { timeoutSeconds: 1200 });
  writeFileSync(path.join(work, 'build.log'), build.output);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (!check('image built from the unmodified Dockerfile', build.status === 0, `${seconds} s`)) {
    console.log(build.output.split('\n').slice(-40).join('\n'));
    return false;
  }
  const inspect = JSON.parse(podman(['image', 'inspect', image]).stdout)[0];
  // The image this build replaced under the tag would stay behind untagged: remove it (not while a container uses it).
  if (previous !== '' && previous !== inspect.Id) podman(['rmi', previous]);
  const megabytes = (inspect.Size / 1e6).toFixed(0);
  const baseMegabytes = (JSON.parse(podman(['image', 'inspect', bases[0]]).stdout)[0].Size / 1e6).toFixed(0);
  console.log(`  image ${image}: ${megabytes} MB (the node:20-bookworm-slim base here: ${baseMegabytes} MB)`);
  check('image runs as user node, with a HEALTHCHECK and `node dist/server.js`',
    inspect.Config.User === 'node' && (inspect.Healthcheck ?? inspect.Config.Healthcheck)?.Test?.[0] === 'CMD' && inspect.Config.Cmd?.join(' ') === 'node dist/server.js',
    `user ${inspect.Config.User}, cmd ${JSON.stringify(inspect.Config.Cmd)}`);
  const listing = podman(['run', '--rm', '--entrypoint', 'sh', image, '-c',
    'ls -A /app | tr "\\n" " "; for name in typescript tsx eslint; do [ ! -e node_modules/$name ] || echo "dev dependency $name"; done']).stdout.trim();
  check('image holds dist/, bin/, examples/, public/ and production dependencies only (no source, tests, .env or dev dependencies)',
    listing === 'bin data dist examples logs node_modules package-lock.json package.json public', listing);
  return true;
}

// ---- 2. the image with Redis, by hand -----------------------------------------------------------------------

async function runContainers() {
  section('the image with Redis on a podman network');
  const network = `wx-ct-${run}`;
  const redis = `wx-ct-redis-${run}`;
  const service = `wx-ct-service-${run}`;
  cleanups.push(() => podman(['network', 'rm', '-f', network]));
  cleanups.push(() => podman(['rm', '-f', '-t', '5', redis, service]));
  podman(['network', 'create', network]);
  const redisStart = podman(['run', '-d', '--name', redis, '--network', network, 'docker.io/library/redis:7-bookworm']);
  if (!check('Redis container started', redisStart.status === 0, redisStart.status === 0 ? redis : redisStart.stderr.trim())) return;

  const credentials = generateDemoCredentials();
  const adminToken = randomBytes(24).toString('base64url');
  const serviceStart = podman(['run', '-d', '--name', service, '--network', network, '-p', '127.0.0.1::5080',
    '-e', `ADMIN_TOKEN=${adminToken}`, '-e', `WECHAT_TOKEN=${credentials.token}`, '-e', `WECHAT_AES_KEY=${credentials.aesKey}`, '-e', `WECHAT_APPID=${credentials.appId}`,
    '-e', 'EXTERNAL_SERVICE_TYPE=echo', '-e', `REDIS_URL=redis://${redis}:6379`, image]);
  if (!check('service container started', serviceStart.status === 0, serviceStart.status === 0 ? service : serviceStart.stderr.trim())) return;
  const published = podman(['port', service, '5080/tcp']).stdout.trim().split('\n')[0];
  const baseUrl = `http://${published}`;
  console.log(`  service published at ${baseUrl}`);
  if (!check('service answers /healthz within 60 s', await waitForHealthz(baseUrl, 60))) {
    console.log(podman(['logs', '--tail', '30', service]).output);
    return;
  }

  const uid = podman(['exec', service, 'sh', '-c', "awk '/^Uid:/ { print $2 }' /proc/1/status; id -un"]).stdout.trim().split('\n');
  check('runs as non-root (uid 1000, user node)', uid[0] === '1000' && uid[1] === 'node', `pid 1 uid ${uid[0]}, exec user ${uid[1]}`);
  const health = await waitForHealthy(service, 30);
  const status = podman(['inspect', '--format', '{{.State.Health.Status}}', service]).stdout.trim();
  check("image's HEALTHCHECK passes (podman healthcheck run)", health.healthy && status === 'healthy', `status ${status}`);

  const deployment = await checkDeployment('container', baseUrl, credentials);
  if (deployment.delivery) {
    const retry = await deployment.emulator.deliver(deployment.delivery);
    check("WeChat's retry of the same message gets the same reply", retry.status === 200 && retry.reply?.Content === deployment.reply.Content);
    const keys = podman(['exec', redis, 'redis-cli', '--scan', '--pattern', `wx:${credentials.appId}:*`]).stdout.split('\n').filter(Boolean);
    check('the service keeps its state in the Redis container', keys.length > 0, `${keys.length} keys under wx:${credentials.appId}:`);
    const forged = new URL(deployment.delivery.url);
    forged.searchParams.set('msg_signature', '0'.repeat(40));
    const refused = await fetch(forged, { method: 'POST', body: deployment.delivery.body, headers: { 'content-type': 'text/xml' } });
    check('a forged msg_signature is refused with 403', refused.status === 403, `status ${refused.status}`);
  }

  // public/ ships in the image: the dashboard's page and its files, behind ADMIN_TOKEN.
  const asAdmin = { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(5000) };
  const page = await fetch(`${baseUrl}/dashboard`, asAdmin);
  const script = await fetch(`${baseUrl}/dashboard/assets/dashboard.js`, asAdmin);
  const anonymous = await fetch(`${baseUrl}/dashboard`, { signal: AbortSignal.timeout(5000) });
  check('the dashboard page and its script are served from the image, 401 without ADMIN_TOKEN',
    page.status === 200 && (page.headers.get('content-type') ?? '').startsWith('text/html') && script.status === 200 && anonymous.status === 401,
    `page ${page.status}, script ${script.status}, without the token ${anonymous.status}`);

  const logs = podman(['logs', service]).output;
  check('no secret in the container log', ![credentials.token, credentials.aesKey, adminToken].some((secret) => logs.includes(secret)),
    `${logs.split('\n').filter(Boolean).length} lines`);
  const stopStarted = Date.now();
  podman(['stop', '-t', '20', service], { timeoutSeconds: 30 });
  const exitCode = podman(['inspect', '--format', '{{.State.ExitCode}}', service]).stdout.trim();
  const stopSeconds = (Date.now() - stopStarted) / 1000;
  check('podman stop: graceful shutdown on SIGTERM, exit code 0', exitCode === '0' && stopSeconds < 15, `exit ${exitCode} after ${stopSeconds.toFixed(1)} s`);
}

// ---- 3. docker-compose.yml ----------------------------------------------------------------------------------

async function startWithPodmanCompose(project, directory, env) {
  if (process.env.CONTAINER_TEST_COMPOSE === 'by-hand') return 'CONTAINER_TEST_COMPOSE=by-hand was set';
  if (sh('command -v podman-compose >/dev/null && podman-compose version', []).status !== 0) return 'podman-compose is not installed';
  // The image named in the file was just built from the same Dockerfile; --no-build uses it (compose's own build
  // would run without the host network that `npm ci` needs on these machines).
  const up = sh('podman-compose', ['-p', project, 'up', '-d', '--no-build'], { cwd: directory, env, timeoutSeconds: 180 });
  writeFileSync(path.join(work, 'podman-compose.log'), up.output);
  if (up.status !== 0) return `podman-compose up failed (exit ${up.status}): ${up.output.trim().split('\n').at(-1)}`;
  const running = podman(['ps', '-q', '--filter', `label=io.podman.compose.project=${project}`]).stdout.split('\n').filter(Boolean);
  if (running.length !== 2) return `podman-compose up started ${running.length} running containers instead of 2`;
  return undefined;
}

async function startByHand(project, directory, env) {
  const plan = composeToPodman(path.join(directory, 'docker-compose.yml'), project, env);
  for (const command of plan.setup) podman(command);
  for (const container of plan.containers) {
    for (const dependency of container.healthyFirst) {
      if (!(await waitForHealthy(dependency, 60)).healthy) return `${dependency} did not become healthy`;
    }
    console.log(`  podman ${container.run.map((arg) => (/[\s|"']/.test(arg) ? `'${arg.replace(/'/g, `'\\''`)}'` : arg)).join(' ')}`);
    const started = podman(container.run, { cwd: directory });
    if (started.status !== 0) return `${container.service}: ${started.output.trim().split('\n').at(-1)}`;
  }
  return undefined;
}

async function runCompose() {
  section('docker-compose.yml: the service and Redis');
  const project = `wxct${run.replace(/-/g, '')}`;
  const directory = path.join(work, 'compose');
  mkdirSync(directory);
  copyFileSync(path.join(root, 'docker-compose.yml'), path.join(directory, 'docker-compose.yml'));
  // As a user would set it up: .env from their settings, data/ and logs/ writable by the container's uid 1000.
  const credentials = generateDemoCredentials();
  const port = await freePort();
  writeFileSync(path.join(directory, '.env'), [
    `WECHAT_TOKEN=${credentials.token}`, `WECHAT_AES_KEY=${credentials.aesKey}`, `WECHAT_APPID=${credentials.appId}`,
    'EXTERNAL_SERVICE_TYPE=echo', `PORT=${port}`, '',
  ].join('\n'));
  for (const folder of ['data', 'logs']) {
    mkdirSync(path.join(directory, folder));
    if (process.getuid?.() === 0) chownSync(path.join(directory, folder), 1000, 1000);
  }
  const env = { ...process.env, PORT: String(port) };
  // Everything either way of starting made carries the project label (podman-compose's `down` keeps networks).
  cleanups.push(() => removeProject(project));

  const failure = await startWithPodmanCompose(project, directory, env);
  if (failure === undefined) {
    // podman-compose 1.0 starts Redis first but does not wait for `condition: service_healthy`.
    console.log(`  started with podman-compose (project ${project})`);
  } else {
    console.log(`  NOTE: podman-compose could not be used (${failure}).`);
    console.log('  NOTE: starting the same two services BY HAND with podman run, from docker-compose.yml\'s settings:');
    removeProject(project);
    const byHand = await startByHand(project, directory, env);
    if (!check('services started by hand from docker-compose.yml', byHand === undefined, byHand)) return;
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  const service = `${project}_wx-backend_1`;
  if (!check('compose service answers /healthz within 60 s', await waitForHealthz(baseUrl, 60))) {
    console.log(podman(['logs', '--tail', '30', service]).output);
    return;
  }
  const redisHealth = await waitForHealthy(`${project}_redis_1`, 30);
  const serviceHealth = await waitForHealthy(service, 30);
  check("both compose healthchecks pass (redis-cli ping, the service's /healthz)", redisHealth.healthy && serviceHealth.healthy,
    `redis ${redisHealth.healthy ? 'healthy' : 'unhealthy'}, wx-backend ${serviceHealth.healthy ? 'healthy' : 'unhealthy'}`);
  await checkDeployment('compose', baseUrl, credentials);
  const logFiles = readdirSync(path.join(directory, 'logs'));
  check('the service writes its log files into the ./logs volume', logFiles.length > 0, logFiles.join(', '));
}

// ---- main ---------------------------------------------------------------------------------------------------

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    interrupted = true;
    console.log(`\n${signal}: cleaning up`);
    cleanup();
    process.exit(130);
  });
}

try {
  if (await buildImage()) {
    await runContainers();
    await runCompose();
  } else if (results.length === 0) {
    results.push({ name: 'podman and the base images', passed: false });
  }
} catch (error) {
  check('container test ran to the end', false, error instanceof Error ? error.stack : String(error));
} finally {
  if (!interrupted) cleanup();
}
const failed = results.filter((result) => !result.passed);
console.log(`\ncontainer test: ${failed.length === 0 ? 'PASS' : 'FAIL'} — ${results.length - failed.length} passed, ${failed.length} failed`);
for (const result of failed) console.log(`  failed: ${result.name}`);
process.exit(failed.length === 0 ? 0 : 1);
