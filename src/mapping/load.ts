import path from 'node:path';
import { formatIssue, readYamlSource, zodIssues, type SourceIssue } from '../config/yaml-source.js';
import { BridgeError } from '../errors.js';
import type { MappingTarget } from './roles.js';
import { mappingSchema, type Mapping } from './schema.js';

/** A mapping file that cannot be used; `issues` lists every problem with its file, line and field. */
export class MappingError extends BridgeError {
  readonly issues: SourceIssue[];
  constructor(issues: SourceIssue[]) {
    super('MAPPING_INVALID', `invalid mapping:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
    this.issues = issues;
  }
}

/**
 * Reads and validates a mapping file for a connection to `target` (its type and the role model
 * of its connector); throws {@link MappingError} listing every issue
 * (`mappings/redis-cloud.yaml:12 roles.rules[1].role: ...`). `text` replaces the file's content
 * (tests, the sandbox).
 */
export function loadMappingFile(file: string, target: MappingTarget, text?: string): Mapping {
  const display = path.relative(process.cwd(), file) || file;
  const { source, issues } = readYamlSource(display, text);
  if (!source) throw new MappingError(issues);
  const parsed = mappingSchema(target).safeParse(source.value ?? {});
  if (!parsed.success) throw new MappingError(zodIssues(source, parsed.error.issues));
  return parsed.data;
}
