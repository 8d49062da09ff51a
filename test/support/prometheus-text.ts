/**
 * Reads Prometheus' text exposition format (what `GET /metrics` answers) for tests: the families it declares and
 * the value of any series, so that a test can compare counters before and after sending messages.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  /** Names declared by `# TYPE` lines, with their type. */
  families: Map<string, string>;
  samples: Sample[];
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Exposition {
  const families = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [name = '', type = ''] = line.slice('# TYPE '.length).split(' ');
      families.set(name, type);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(LABEL)) labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_escape, character: string) => (character === 'n' ? '\n' : character));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { families, samples };
}

/** The sum of every series of `name` whose labels include `labels` (0 when there is none). */
export function valueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  return exposition.samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([label, value]) => sample.labels[label] === value))
    .reduce((total, sample) => total + sample.value, 0);
}

/** Whether a series of `name` with (at least) `labels` is present. */
export function hasSeries(exposition: Exposition, name: string, labels: Record<string, string> = {}): boolean {
  return exposition.samples.some((sample) => sample.name === name && Object.entries(labels).every(([label, value]) => sample.labels[label] === value));
}
