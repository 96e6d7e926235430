/**
 * Immutable updates of the `ReadonlyMap`s the state keeps.
 *
 * Why maps: the state is keyed by what people and servers choose (room
 * names, user ids, names), and a plain object answers keys nobody stored:
 * `{}["constructor"]` is `Object`, `"toString" in {}` is true, and
 * `o["__proto__"] = v` sets the prototype instead of a key. A room named
 * `constructor` once crashed the app, and kept crashing it after a reload.
 * A `Map` has only what was put in it. (A room's messages stay a record keyed
 * by seq: integer keys never meet a prototype property.)
 */

/** An empty map, shared: nothing can be added to a `ReadonlyMap`. */
export function emptyMap<K, V>(): ReadonlyMap<K, V> {
  return EMPTY;
}
const EMPTY: ReadonlyMap<never, never> = new Map<never, never>();

/** `map` with `key` set to `value`: a new map, or `map` itself when it already holds exactly that. */
export function withEntry<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> {
  if (map.get(key) === value && map.has(key)) return map;
  const next = new Map(map);
  next.set(key, value);
  return next;
}

/** `map` without `key`: a new map, or `map` itself when it has no such key. */
export function withoutEntry<K, V>(map: ReadonlyMap<K, V>, key: K): ReadonlyMap<K, V> {
  if (!map.has(key)) return map;
  const next = new Map(map);
  next.delete(key);
  return next;
}

/**
 * Each value of `map` passed through `update`; `map` itself when every value
 * came back unchanged (the same reference), so subscribers see no change.
 */
export function mapValues<K, V>(map: ReadonlyMap<K, V>, update: (value: V, key: K) => V): ReadonlyMap<K, V> {
  let next: Map<K, V> | null = null;
  for (const [key, value] of map) {
    const updated = update(value, key);
    if (updated === value) continue;
    next ??= new Map(map);
    next.set(key, updated);
  }
  return next ?? map;
}
