// Link reference definitions (`[1]: https://…`) apply to the whole reply, wherever they stand,
// as in a whole render. A streamed reply renders its blocks in several passes, so it must know
// which definitions each pass saw and which labels each block looked up: a block is rendered
// again when a definition it looked up arrives or changes.
import type { Token, Tokens, TokensList } from "marked";

export type Links = TokensList["links"];
export type Link = Links[string];
/** Labels a block looked up while it was lexed, with the definition it saw (undefined: none). */
export type Lookups = Map<string, Link | undefined>;

export const noLinks = (): Links => Object.create(null) as Links;

/** Every `def` token in `tokens`, nested ones included (a definition inside a quote or list counts for the whole document). */
export function collectDefs(tokens: Token[], into: Tokens.Def[] = []): Tokens.Def[] {
  for (const t of tokens) {
    if (t.type === "def") into.push(t as Tokens.Def);
    else if (t.type === "list") for (const item of (t as Tokens.List).items) collectDefs(item.tokens, into);
    else if ("tokens" in t && t.tokens && t.type === "blockquote") collectDefs(t.tokens, into);
  }
  return into;
}

/** Adds `defs` to `links`; as in marked, the first definition of a label wins. */
export function addDefs(links: Links, defs: Tokens.Def[]): Links {
  for (const d of defs) links[d.tag] ??= { href: d.href, title: d.title };
  return links;
}

/** A copy of `links` that records in `lookups` every label marked looks up in it. */
export function recordingLookups(links: Links, lookups: Lookups): Links {
  const seen = (key: string | symbol) => {
    if (typeof key === "string") lookups.set(key, links[key]);
  };
  return new Proxy(Object.assign(noLinks(), links), {
    get: (target, key) => (seen(key), Reflect.get(target, key)),
    has: (target, key) => (seen(key), Reflect.has(target, key)),
    getOwnPropertyDescriptor: (target, key) => (seen(key), Reflect.getOwnPropertyDescriptor(target, key)),
  });
}

const sameLink = (a: Link | undefined, b: Link | undefined): boolean =>
  a === b || (!!a && !!b && a.href === b.href && a.title === b.title);

/** True when a label in `lookups` now has another definition in `links` than the one it saw. */
export function lookupsChanged(lookups: Lookups, links: Links): boolean {
  for (const [label, link] of lookups) if (!sameLink(links[label], link)) return true;
  return false;
}
