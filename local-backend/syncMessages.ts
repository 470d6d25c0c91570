// Client -> server sync messages, checked field by field before anything acts on them.
//
// A deployment parses every frame into a typed ClientMessage (convex-backend
// crates/convex/sync_types/src/json.rs: versions and ids are u32, udfPath a string, args a
// JSON array, modifications an array of Add/Remove) and answers one that does not fit with
// a FatalError "Received Invalid JSON on websocket: ..." and a close. We do the same, so a
// hostile frame costs its sender the connection and never reaches code that assumes a shape.
// Argument values are left as JSON here: a deployment converts them when it runs the
// function, so a bad value (e.g. a `$`-prefixed key) fails that query or mutation, not the
// connection.
import type { JSONValue } from "convex/values";

export type ClientMessage =
  | { type: "Connect" }
  | { type: "Event" }
  | { type: "ModifyQuerySet"; baseVersion: number; newVersion: number; modifications: QuerySetModification[] }
  | {
      type: "Authenticate";
      baseVersion: number;
      tokenType: "User" | "Admin" | "None";
      value?: string;
      impersonating?: JSONValue;
    }
  | { type: "Mutation" | "Action"; requestId: number; udfPath: string; args: JSONValue[] };

export type QuerySetModification =
  { type: "Add"; queryId: number; udfPath: string; args: JSONValue[] } | { type: "Remove"; queryId: number };

export class InvalidMessage extends Error {}

type Obj = Record<string, unknown>;

/** A hostile value as a short, escaped excerpt for an error message (and the log line it becomes). */
function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function object(v: unknown, what: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new InvalidMessage(`${what} is not an object`);
  return v as Obj;
}

function u32(o: Obj, key: string): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
    throw new InvalidMessage(`${key} is not a u32`);
  }
  return v;
}

function string(o: Obj, key: string): string {
  const v = o[key];
  if (typeof v !== "string") throw new InvalidMessage(`${key} is not a string`);
  return v;
}

function array(o: Obj, key: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new InvalidMessage(`${key} is not an array`);
  return v;
}

function modification(v: unknown): QuerySetModification {
  const m = object(v, "modification");
  if (m.type === "Add") {
    return {
      type: "Add",
      queryId: u32(m, "queryId"),
      udfPath: string(m, "udfPath"),
      args: array(m, "args") as JSONValue[],
    };
  }
  if (m.type === "Remove") return { type: "Remove", queryId: u32(m, "queryId") };
  throw new InvalidMessage(`unknown modification type ${show(m.type)}`);
}

/** The frame's text as a ClientMessage, or an InvalidMessage naming the first thing wrong. */
export function parseClientMessage(text: string): ClientMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InvalidMessage(e instanceof Error ? e.message : String(e));
  }
  const msg = object(json, "message");
  switch (msg.type) {
    case "Connect":
      string(msg, "sessionId");
      u32(msg, "connectionCount");
      return { type: "Connect" };
    case "Event":
      string(msg, "eventType");
      return { type: "Event" };
    case "ModifyQuerySet":
      return {
        type: "ModifyQuerySet",
        baseVersion: u32(msg, "baseVersion"),
        newVersion: u32(msg, "newVersion"),
        modifications: array(msg, "modifications").map(modification),
      };
    case "Authenticate": {
      const baseVersion = u32(msg, "baseVersion");
      if (msg.tokenType === "None") return { type: "Authenticate", baseVersion, tokenType: "None" };
      if (msg.tokenType === "User")
        return { type: "Authenticate", baseVersion, tokenType: "User", value: string(msg, "value") };
      if (msg.tokenType === "Admin") {
        return {
          type: "Authenticate",
          baseVersion,
          tokenType: "Admin",
          value: string(msg, "value"),
          impersonating: (msg.impersonating ?? undefined) as JSONValue | undefined,
        };
      }
      throw new InvalidMessage(`unknown tokenType ${show(msg.tokenType)}`);
    }
    case "Mutation":
    case "Action":
      return {
        type: msg.type,
        requestId: u32(msg, "requestId"),
        udfPath: string(msg, "udfPath"),
        args: array(msg, "args") as JSONValue[],
      };
    default:
      throw new InvalidMessage(`unknown message type ${show(msg.type)}`);
  }
}
