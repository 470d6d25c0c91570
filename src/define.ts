/**
 * Registers `ctor` as `tag` and returns the class that backs it. Idempotent: a tag already
 * defined returns its class. A class can back only one tag, so a second name gets a subclass.
 */
export function defineElement<T extends CustomElementConstructor>(
  ctor: T,
  tag: string,
  registry: CustomElementRegistry,
): T {
  const existing = registry.get(tag) as T | undefined;
  if (existing) return existing;
  const chosen = registry.getName?.(ctor) ? (class extends (ctor as new () => HTMLElement) {} as unknown as T) : ctor;
  registry.define(tag, chosen);
  return chosen;
}
