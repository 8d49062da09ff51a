// Turns the services of a compose file into `podman run` commands, for machines where podman-compose cannot run.
// Covers what docker-compose.yml uses — image, command, env_file, environment, ports, volumes (bind and named),
// restart, healthcheck, depends_on (start order) — with `${NAME}` / `${NAME:-default}` taken from the environment
// and the project's .env, as compose does. Containers, networks and volumes carry compose's project label, so
// whatever removes a compose project removes these too.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const projectLabel = 'io.podman.compose.project';

/** `NAME=value` lines of a .env file (no quotes, no export: the subset .env.example uses). */
export function readEnvFile(file) {
  const values = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) values[match[1]] = match[2].trim();
  }
  return values;
}

function interpolate(text, variables) {
  return String(text).replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name, fallback) =>
    variables[name] !== undefined && variables[name] !== '' ? variables[name] : (fallback ?? ''));
}

const durations = ['interval', 'timeout', 'start_period', 'retries'];
const healthFlags = { interval: '--health-interval', timeout: '--health-timeout', start_period: '--health-start-period', retries: '--health-retries' };

/** Services in start order (each after the ones it depends on). */
function startOrder(services) {
  const ordered = [];
  const visit = (name) => {
    if (ordered.includes(name)) return;
    const dependsOn = services[name].depends_on ?? [];
    for (const dependency of Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn)) visit(dependency);
    ordered.push(name);
  };
  Object.keys(services).forEach(visit);
  return ordered;
}

/**
 * The podman commands (argument lists, without `podman`) that start `composeFile`'s services as project
 * `project`: `setup` makes the network and the named volumes; `containers` lists one `run -d` per service in
 * dependency order, each container named `<project>_<service>_1`, reachable from the others by its service name,
 * with the containers that must be healthy before it starts (`depends_on: … condition: service_healthy`).
 */
export function composeToPodman(composeFile, project, environment = process.env) {
  const directory = path.dirname(path.resolve(composeFile));
  const compose = parse(readFileSync(composeFile, 'utf8'));
  let dotEnv = {};
  try {
    dotEnv = readEnvFile(path.join(directory, '.env'));
  } catch {
    // No .env: compose interpolates from the environment alone.
  }
  const variables = { ...dotEnv, ...environment };
  const label = ['--label', `${projectLabel}=${project}`];
  const network = `${project}_default`;
  const setup = [['network', 'create', ...label, network]];
  for (const volume of Object.keys(compose.volumes ?? {})) setup.push(['volume', 'create', ...label, `${project}_${volume}`]);
  const containers = [];
  for (const service of startOrder(compose.services)) {
    const definition = compose.services[service];
    const name = `${project}_${service}_1`;
    const args = ['run', '-d', '--name', name, ...label, '--network', network, '--network-alias', service];
    const envFiles = definition.env_file === undefined ? [] : [definition.env_file].flat();
    for (const file of envFiles) args.push('--env-file', path.resolve(directory, file));
    const env = definition.environment ?? {};
    for (const entry of Array.isArray(env) ? env : Object.entries(env).map(([key, value]) => `${key}=${value}`)) {
      args.push('-e', interpolate(entry, variables));
    }
    for (const port of definition.ports ?? []) args.push('-p', interpolate(port, variables));
    for (const volume of definition.volumes ?? []) {
      const [source, ...rest] = interpolate(volume, variables).split(':');
      const host = source.startsWith('.') || source.startsWith('/') ? path.resolve(directory, source) : `${project}_${source}`;
      args.push('-v', [host, ...rest].join(':'));
    }
    if (definition.restart) args.push('--restart', definition.restart);
    const health = definition.healthcheck;
    if (health?.test) {
      const [kind, ...test] = health.test;
      args.push('--health-cmd', kind === 'CMD-SHELL' ? test[0] : JSON.stringify(test));
      for (const key of durations) if (health[key] !== undefined) args.push(healthFlags[key], String(health[key]));
    }
    args.push(definition.image, ...(definition.command ?? []));
    const dependsOn = Array.isArray(definition.depends_on) ? {} : (definition.depends_on ?? {});
    const healthyFirst = Object.entries(dependsOn)
      .filter(([, condition]) => condition?.condition === 'service_healthy')
      .map(([dependency]) => `${project}_${dependency}_1`);
    containers.push({ service, name, run: args, healthyFirst });
  }
  return { setup, containers, network, volumes: Object.keys(compose.volumes ?? {}).map((volume) => `${project}_${volume}`) };
}
