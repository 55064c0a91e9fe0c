/**
 * CPU by request stage from a V8 CPU profile (`node --cpu-prof`): every sample is charged to
 * the innermost frame on its stack that belongs to a known stage, so time in `JSON.stringify`
 * called by winston counts as logging and time in better-sqlite3 called by the store counts as
 * query (so are Node's socket calls made by the database driver). What no stage claims (Node's
 * HTTP parser and sockets, the garbage collector) is shown on its own lines. The profiler samples
 * the main thread's busy time: on a machine shared with other processes, time the thread spends
 * preempted inside a call (a system call, a socket write) is charged to that call.
 */

/** The stages of a request, in the order they are printed. */
export const STAGES = ['routing and auth', 'query', 'render', 'logging', 'node http and sockets', 'garbage collector', 'other'] as const;
export type Stage = (typeof STAGES)[number];

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/** The parts of a V8 CPU profile read here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

// Innermost first: the first rule that matches a frame's url decides its stage.
const rules: [RegExp, Stage][] = [
  [/node_modules\/(winston|logform|winston-transport|readable-stream|@colors|safe-stable-stringify|triple-beam|fecha|@dabh)\//, 'logging'],
  [/\/src\/logging\//, 'logging'],
  [/\/src\/http\/request-context\.js$/, 'logging'],
  [/node_modules\/(better-sqlite3|pg|pg-protocol|pg-pool|pg-types|postgres-[a-z]+|pgpass)\//, 'query'],
  [/\/src\/directory\//, 'query'],
  [/\/src\/scim\/(resources|projection|scope)\.js$/, 'render'],
  [/\/src\/scim\/users\.js$/, 'render'],
  [/\/src\/(scim|filter|http)\//, 'routing and auth'],
  [/node_modules\/(express|router|body-parser|raw-body|content-type|type-is|mime-types|finalhandler|qs|send|on-finished|parseurl|path-to-regexp|depd|debug|iconv-lite|media-typer|accepts|negotiator|proxy-addr|forwarded|ipaddr\.js|statuses|encodeurl|escape-html|http-errors|cookie|vary|fresh|range-parser|etag|content-disposition)\//, 'routing and auth'],
  [/^node:(crypto|internal\/crypto)/, 'routing and auth'],
  [/^node:(_http|http|net|internal\/http|internal\/stream|stream|internal\/streams|internal\/timers|timers|events|internal\/async_hooks|internal\/process)/, 'node http and sockets'],
];

function stageOfFrame(url: string, name: string): Stage | undefined {
  // The router's `send` serialises the rendered body.
  if (url.endsWith('/src/http/scim-router.js') && name === 'send') return 'render';
  // The floor of read.ts: its lookup functions are its query, the rest its routing and auth.
  if (url.endsWith('/bench/lib/floor-child.js')) return name.startsWith('lookup') ? 'query' : 'routing and auth';
  for (const [pattern, stage] of rules) if (pattern.test(url)) return stage;
  return undefined;
}

/** Milliseconds of CPU per stage (idle time excluded) in one profile. */
export function stagesOf(profile: CpuProfile): Record<Stage, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stageOf = new Map<number, Stage | 'idle'>();
  const resolve = (id: number): Stage | 'idle' => {
    const known = stageOf.get(id);
    if (known) return known;
    const node = byId.get(id) as ProfileNode;
    const name = node.callFrame.functionName;
    let stage: Stage | 'idle';
    if (name === '(idle)' || name === '(program)') stage = 'idle';
    else if (name === '(garbage collector)') stage = 'garbage collector';
    else {
      const own = stageOfFrame(node.callFrame.url, name);
      const up = parent.get(id);
      const above = up === undefined ? 'other' : resolve(up);
      // Node's sockets and streams count as the query when the database driver called them (pg writing to its socket).
      stage = own === 'node http and sockets' && above === 'query' ? 'query' : (own ?? above);
      if (stage === 'idle') stage = 'other';
    }
    stageOf.set(id, stage);
    return stage;
  };
  const totals = noStages();
  profile.samples.forEach((id, i) => {
    const stage = resolve(id);
    if (stage !== 'idle') totals[stage] += (profile.timeDeltas[i] ?? 0) / 1000;
  });
  return totals;
}

/** Adds `more` into `into`. */
export function addStages(into: Record<Stage, number>, more: Record<Stage, number>): Record<Stage, number> {
  for (const s of STAGES) into[s] += more[s];
  return into;
}

/** Zero for every stage. */
export const noStages = (): Record<Stage, number> => Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;

/** One profiled server of {@link stageTable}: its stage totals (ms) over `requests`. */
export interface StageColumn {
  name: string;
  totals: Record<Stage, number>;
  requests: number;
}

/** The table of CPU per request by stage, in microseconds and shares, one column per server, as Markdown lines. */
export function stageTable(columns: readonly StageColumn[]): string[] {
  const sums = columns.map((c) => STAGES.reduce((acc, s) => acc + c.totals[s], 0));
  const cell = (c: StageColumn, ms: number, sum: number): string => `${((ms * 1000) / c.requests).toFixed(0)} µs (${((ms / sum) * 100).toFixed(0)}%)`;
  return [
    `| stage | ${columns.map((c) => `${c.name}: CPU per request (share)`).join(' | ')} |`,
    `|---|${columns.map(() => '---|').join('')}`,
    ...STAGES.map((s) => `| ${s} | ${columns.map((c, i) => cell(c, c.totals[s], sums[i] as number)).join(' | ')} |`),
    `| total | ${columns.map((c, i) => cell(c, sums[i] as number, sums[i] as number)).join(' | ')} |`,
  ];
}

/**
 * Where the busy time went by code module, charged to the innermost frame: `src/<folder>` for the
 * bridge's own code, the package name for `node_modules`, `node:<module>` for Node's own
 * JavaScript, and the profiler's names for native work (`(garbage collector)`, `writev`, ...).
 * Milliseconds per module, largest first; idle time excluded.
 */
export function modulesOf(profile: CpuProfile): [string, number][] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const { functionName, url } = (byId.get(id) as ProfileNode).callFrame;
    if (functionName === '(idle)' || functionName === '(program)') return;
    const module = moduleOf(url, functionName);
    totals.set(module, (totals.get(module) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...totals].sort((a, b) => b[1] - a[1]);
}

function moduleOf(url: string, name: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1] as string;
  const own = /\/src\/([^/]+)\//.exec(url) ?? /\/src\/([^/]+)\.js$/.exec(url);
  if (own) return `src/${own[1] as string}`;
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').replace(/\/.*$/, '');
  return url === '' ? `${name || '(anonymous)'} (native)` : url;
}
