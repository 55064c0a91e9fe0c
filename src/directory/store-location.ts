import { accessSync, constants, mkdirSync, statfsSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { BridgeError } from '../errors.js';

/**
 * Where a store lives, checked before it is opened: a SQLite file needs a folder that exists or
 * can be made, on a filesystem that holds files, and that the bridge may write in. A bad place
 * then fails within milliseconds with the path named (creating a folder under /proc with
 * `mkdir -p` semantics never returns in Node), and every store error can say which file or
 * which PostgreSQL database it is about, without the password.
 */

// Linux filesystems that hold no ordinary files, by their statfs f_type (linux/magic.h).
const specialFilesystems = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0x42494e4d, 'binfmt_misc'],
  [0x19800202, 'mqueue'],
]);

/** The file or database a store URL names, fit to print: `./data/bridge.db`, `postgres://scim@db:5432/bridge`. */
export function describeStoreLocation(url: string): string {
  const sqlite = /^sqlite:(.*)$/is.exec(url);
  if (sqlite) return (sqlite[1] ?? '').replace(/^\/\/(?=[/.~]|[A-Za-z]:)/, '');
  try {
    const parsed = new URL(url);
    const user = parsed.username === '' ? '' : `${decodeURIComponent(parsed.username)}@`;
    return `postgres://${user}${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'postgres (unparsable URL)';
  }
}

/**
 * Checks that a SQLite file can live at `file`; with `create`, makes the missing folders (one at
 * a time). Throws CONFIG_INVALID naming the path and the reason. `:memory:` always passes.
 */
export function checkSqliteLocation(file: string, options: { create: boolean }): void {
  if (file === ':memory:' || file === '') return;
  const absolute = path.resolve(file);
  const fail = (reason: string): never => {
    throw new BridgeError('CONFIG_INVALID', `${file} cannot be used: ${reason}`, { details: { path: absolute } });
  };
  const existing = statOrNull(absolute);
  if (existing?.isDirectory()) fail(`${absolute} is a folder, not a database file`);
  if (existing && !existing.isFile()) fail(`${absolute} is not a regular file`);
  const missing: string[] = [];
  let folder = path.dirname(absolute);
  let stats = statOrNull(folder);
  while (stats === null && path.dirname(folder) !== folder) {
    missing.unshift(folder);
    folder = path.dirname(folder);
    stats = statOrNull(folder);
  }
  if (stats === null) return fail(`no folder of ${absolute} exists`);
  if (!stats.isDirectory()) fail(`${folder} is a file, not a folder`);
  const special = filesystemOf(folder);
  if (special) fail(`${folder} is on the special filesystem ${special}, which holds no database files: choose a folder on a disk`);
  try {
    accessSync(existing ? absolute : folder, constants.W_OK);
  } catch (err) {
    fail(`cannot write in ${existing ? absolute : folder} (${codeOf(err)})`);
  }
  if (!options.create) return;
  for (const created of missing) {
    try {
      mkdirSync(created);
    } catch (err) {
      if (codeOf(err) !== 'EEXIST') fail(`cannot create the folder ${created} (${codeOf(err)})`);
    }
  }
}

function statOrNull(file: string): Stats | null {
  try {
    return statSync(file);
  } catch (err) {
    // ENOTDIR: a part of the path is a file, which the walk up then names.
    if (codeOf(err) === 'ENOENT' || codeOf(err) === 'ENOTDIR') return null;
    throw new BridgeError('CONFIG_INVALID', `${file} cannot be used: ${codeOf(err)}`, { cause: err });
  }
}

/** The name of a special filesystem `folder` is on, or null (always null outside Linux). */
function filesystemOf(folder: string): string | null {
  if (process.platform !== 'linux') return null;
  try {
    return specialFilesystems.get(Number(statfsSync(folder).type)) ?? null;
  } catch {
    return null;
  }
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}
