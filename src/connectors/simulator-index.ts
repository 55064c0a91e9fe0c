/**
 * A case-insensitive index of a simulator's records by one text field (an email, a name): the
 * lower-cased value to the ids holding it, in the order they were added, so a lookup costs the
 * same with one record or thousands.
 */
export class CaseInsensitiveIndex<Id> {
  private readonly ids = new Map<string, Set<Id>>();

  /** The first id added under this value (any case) and not removed since. */
  first(value: string): Id | undefined {
    return this.ids.get(value.toLowerCase())?.values().next().value;
  }

  /** Every id under this value (any case), in the order they were added. */
  all(value: string): Id[] {
    return [...(this.ids.get(value.toLowerCase()) ?? [])];
  }

  add(value: string, id: Id): void {
    const key = value.toLowerCase();
    const ids = this.ids.get(key);
    if (ids) ids.add(id);
    else this.ids.set(key, new Set([id]));
  }

  remove(value: string, id: Id): void {
    const key = value.toLowerCase();
    const ids = this.ids.get(key);
    if (!ids) return;
    ids.delete(id);
    if (ids.size === 0) this.ids.delete(key);
  }

  /** Moves an id from one value to another; a change of case only keeps its place. */
  move(from: string, to: string, id: Id): void {
    if (from.toLowerCase() === to.toLowerCase()) return;
    this.remove(from, id);
    this.add(to, id);
  }

  clear(): void {
    this.ids.clear();
  }
}
