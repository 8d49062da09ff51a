/**
 * Runs the real entry points (server and CLI) as child processes from the TypeScript sources, the way a user
 * runs them, and collects their output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
// Absolute, so that children started in a temporary folder still find the TypeScript loader.
const TSX = ['--import', import.meta.resolve('tsx')];

/** The environment for a child: this process's, minus anything that would configure WeChat by accident. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(WECHAT_|EXTERNAL_SERVICE_|REDIS_|LOG_|PORT$|HOST$|ADMIN_TOKEN$|TOKEN_FILE_PATH$)/.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

export interface Spawned {
  child: ChildProcess;
  output(): string;
  /** Resolves when the output matches, rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

export function spawnServer(cwd: string, env: NodeJS.ProcessEnv): Spawned {
  return spawnNode([...TSX, path.join(REPO_ROOT, 'src/server.ts')], cwd, env);
}

export function spawnNode(args: string[], cwd: string, env: NodeJS.ProcessEnv): Spawned {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) finish(() => resolve(match));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${output}`))), timeoutMs);
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        void exited.then((code) => finish(() => reject(new Error(`process exited with ${code} before ${pattern}; output:\n${output}`))));
        check();
      });
    },
  };
}

/** Runs the CLI to completion; returns its exit code and output. */
export async function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const spawned = spawnNode([...TSX, path.join(REPO_ROOT, 'src/cli/run.ts'), ...args], cwd, env);
  const code = await spawned.exited;
  return { code, output: spawned.output() };
}
