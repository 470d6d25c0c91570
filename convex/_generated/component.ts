/* eslint-disable */
/**
 * Generated `ComponentApi` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type { FunctionReference } from "convex/server";

/**
 * A utility for referencing a Convex component's exposed API.
 *
 * Useful when expecting a parameter like `components.myComponent`.
 * Usage:
 * ```ts
 * async function myFunction(ctx: QueryCtx, component: ComponentApi) {
 *   return ctx.runQuery(component.someFile.someQuery, { ...args });
 * }
 * ```
 */
export type ComponentApi<Name extends string | undefined = string | undefined> =
  {
    chat: {
      checkHuman: FunctionReference<
        "action",
        "internal",
        { ticket: string; turnstileToken: string },
        { ticket: string },
        Name
      >;
      queue: FunctionReference<
        "mutation",
        "internal",
        {
          token?: string;
          ticket?: string;
          pow?: string;
          identity?: { userId: string; operator: boolean };
          threadId?: string;
          prompt?: string;
          retry?: string;
          requestId?: string;
          visitor?: Record<string, string | number | boolean>;
        },
        | {
            threadId: string;
            userMessageId?: string;
            assistantMessageId: string;
            streamId: string;
            token?: string;
          }
        | {
            threadId: string;
            userMessageId: string;
            heldBy: string;
            token?: string;
          },
        Name
      >;
    };
    config: {
      get: FunctionReference<
        "query",
        "internal",
        {},
        {
          model: string;
          demo: boolean;
          maxPromptChars: number;
          maxFileBytes: number;
          maxFilesPerMessage: number;
        },
        Name
      >;
    };
    feedback: {
      list: FunctionReference<
        "query",
        "internal",
        {
          token?: string;
          identity?: { userId: string; operator: boolean };
          paginationOpts: {
            numItems: number;
            cursor: string | null;
            endCursor?: string | null;
            id?: number;
            maximumRowsRead?: number;
            maximumBytesRead?: number;
          };
        },
        {
          page: Array<{
            _id: string;
            _creationTime: number;
            rating: "up" | "down";
            comment?: string;
            updatedAt: number;
            threadId: string;
            messageId: string;
            prompt: string;
            reply: string;
          }>;
          continueCursor: string;
          isDone: boolean;
          splitCursor?: string | null;
          pageStatus?: "SplitRecommended" | "SplitRequired" | null;
        },
        Name
      >;
      rate: FunctionReference<
        "mutation",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
          messageId: string;
          rating: "up" | "down" | null;
          comment?: string;
        },
        null,
        Name
      >;
    };
    handoff: {
      handBack: FunctionReference<
        "mutation",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
          force?: boolean;
        },
        null,
        Name
      >;
      heartbeat: FunctionReference<
        "mutation",
        "internal",
        { token?: string; identity?: { userId: string; operator: boolean } },
        { onlineUntil: number },
        Name
      >;
      needsHuman: FunctionReference<
        "query",
        "internal",
        { token?: string; identity?: { userId: string; operator: boolean } },
        Array<{
          _id: string;
          title: string;
          status: "idle" | "streaming" | "error";
          createdAt: number;
          updatedAt: number;
          lastMessageAt: number;
          origin: string | null;
          model: string;
          access: "visitor" | "observer" | "operator";
          heldBy?: string;
          needsHumanAt?: number;
          messageCount?: number;
          preview?: string;
          heldByMe?: boolean;
          visitor?: {
            id: string;
            name?: string;
            email?: string;
            fields?: Record<string, string | number | boolean>;
            verified: boolean;
          };
          language?: string;
        }>,
        Name
      >;
      reply: FunctionReference<
        "mutation",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
          text: string;
          name?: string;
        },
        { messageId: string },
        Name
      >;
      requestHuman: FunctionReference<
        "mutation",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
        },
        null,
        Name
      >;
      state: FunctionReference<
        "query",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
        },
        {
          heldBy: string | null;
          heldByMe: boolean;
          needsHumanAt: number | null;
          operatorOnlineUntil: number;
          visitorTypingAt: number | null;
          operatorTypingAt: number | null;
          now: number;
        },
        Name
      >;
      takeOver: FunctionReference<
        "mutation",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
          force?: boolean;
          name?: string;
        },
        { heldBy: string },
        Name
      >;
      typing: FunctionReference<
        "mutation",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
        },
        null,
        Name
      >;
    };
    messages: {
      list: FunctionReference<
        "query",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
          before?: number;
        },
        Array<{
          _id: string;
          _creationTime: number;
          role: "user" | "assistant" | "operator";
          status:
            "pending" | "streaming" | "done" | "error" | "timeout" | "stopped";
          text: string;
          streamId: string | null;
          error: string | null;
          model: string | null;
          createdAt: number;
          updatedAt: number;
          queued?: boolean;
          length: number;
          author?: string;
          attachments?: Array<{
            name: string;
            contentType: string;
            size: number;
            url: string | null;
          }>;
          feedback?: { rating: "up" | "down"; comment?: string };
          supersededBy?: string;
        }>,
        Name
      >;
      live: FunctionReference<
        "query",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
          after?: number;
        },
        Array<{
          _id: string;
          _creationTime: number;
          role: "user" | "assistant" | "operator";
          status:
            "pending" | "streaming" | "done" | "error" | "timeout" | "stopped";
          text: string;
          streamId: string | null;
          error: string | null;
          model: string | null;
          createdAt: number;
          updatedAt: number;
          queued?: boolean;
          length: number;
          author?: string;
          attachments?: Array<{
            name: string;
            contentType: string;
            size: number;
            url: string | null;
          }>;
          feedback?: { rating: "up" | "down"; comment?: string };
          supersededBy?: string;
        }>,
        Name
      >;
      retry: FunctionReference<
        "mutation",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
          messageId: string;
        },
        { assistantMessageId: string; streamId: string },
        Name
      >;
      send: FunctionReference<
        "mutation",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
          prompt: string;
          attachments?: Array<string>;
          visitor?: Record<string, string | number | boolean>;
        },
        {
          userMessageId: string;
          assistantMessageId?: string;
          streamId?: string;
          heldBy?: string;
        },
        Name
      >;
      stop: FunctionReference<
        "mutation",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
        },
        null,
        Name
      >;
    };
    operator: {
      listThreads: FunctionReference<
        "query",
        "internal",
        {
          token?: string;
          identity?: { userId: string; operator: boolean };
          paginationOpts: {
            numItems: number;
            cursor: string | null;
            endCursor?: string | null;
            id?: number;
            maximumRowsRead?: number;
            maximumBytesRead?: number;
          };
        },
        {
          page: Array<{
            _id: string;
            title: string;
            status: "idle" | "streaming" | "error";
            createdAt: number;
            updatedAt: number;
            lastMessageAt: number;
            origin: string | null;
            model: string;
            access: "visitor" | "observer" | "operator";
            heldBy?: string;
            needsHumanAt?: number;
            messageCount?: number;
            preview?: string;
            heldByMe?: boolean;
            visitor?: {
              id: string;
              name?: string;
              email?: string;
              fields?: Record<string, string | number | boolean>;
              verified: boolean;
            };
            language?: string;
          }>;
          continueCursor: string;
          isDone: boolean;
          splitCursor?: string | null;
          pageStatus?: "SplitRecommended" | "SplitRequired" | null;
        },
        Name
      >;
      removeThread: FunctionReference<
        "mutation",
        "internal",
        {
          token?: string;
          identity?: { userId: string; operator: boolean };
          threadId: string;
        },
        null,
        Name
      >;
      searchThreads: FunctionReference<
        "query",
        "internal",
        {
          token?: string;
          identity?: { userId: string; operator: boolean };
          text: string;
        },
        Array<{
          _id: string;
          title: string;
          status: "idle" | "streaming" | "error";
          createdAt: number;
          updatedAt: number;
          lastMessageAt: number;
          origin: string | null;
          model: string;
          access: "visitor" | "observer" | "operator";
          heldBy?: string;
          needsHumanAt?: number;
          messageCount?: number;
          preview?: string;
          heldByMe?: boolean;
          visitor?: {
            id: string;
            name?: string;
            email?: string;
            fields?: Record<string, string | number | boolean>;
            verified: boolean;
          };
          language?: string;
        }>,
        Name
      >;
      session: FunctionReference<
        "query",
        "internal",
        { token: string },
        { name: string; expiresAt: number },
        Name
      >;
      signIn: FunctionReference<
        "mutation",
        "internal",
        { secret: string; name: string },
        | { ok: true; sessionToken: string; expiresAt: number; name: string }
        | {
            ok: false;
            code: "UNAUTHORIZED" | "RATE_LIMITED";
            message: string;
            retryAfterMs?: number;
          },
        Name
      >;
      signOut: FunctionReference<
        "mutation",
        "internal",
        { token: string },
        null,
        Name
      >;
      usage: FunctionReference<
        "query",
        "internal",
        { token?: string; identity?: { userId: string; operator: boolean } },
        { day: string; tokens: number; budget: number; resetsAt: number },
        Name
      >;
    };
    streams: {
      catchUp: FunctionReference<
        "query",
        "internal",
        {
          streamId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
          from: number;
          to?: number;
        },
        {
          status:
            "pending" | "streaming" | "done" | "error" | "timeout" | "stopped";
          start: number;
          text: string;
          cursor: number;
          more: boolean;
        },
        Name
      >;
      read: FunctionReference<
        "query",
        "internal",
        {
          streamId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
          cursor: number;
          from?: number;
          to?: number;
        },
        {
          status:
            "pending" | "streaming" | "done" | "error" | "timeout" | "stopped";
          start: number;
          text: string;
          cursor: number;
          more: boolean;
        },
        Name
      >;
      tail: FunctionReference<
        "query",
        "internal",
        {
          streamId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
        },
        { seq: number; start: number; text: string } | null,
        Name
      >;
    };
    threads: {
      create: FunctionReference<
        "mutation",
        "internal",
        {
          token?: string;
          identity?: { userId: string; operator: boolean };
          origin?: string;
          visitor?: Record<string, string | number | boolean>;
        },
        { threadId: string; token: string },
        Name
      >;
      get: FunctionReference<
        "query",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
        },
        {
          _id: string;
          title: string;
          status: "idle" | "streaming" | "error";
          createdAt: number;
          updatedAt: number;
          lastMessageAt: number;
          origin: string | null;
          model: string;
          access: "visitor" | "observer" | "operator";
          heldBy?: string;
          needsHumanAt?: number;
          messageCount?: number;
          preview?: string;
          heldByMe?: boolean;
          visitor?: {
            id: string;
            name?: string;
            email?: string;
            fields?: Record<string, string | number | boolean>;
            verified: boolean;
          };
          language?: string;
        },
        Name
      >;
      listMine: FunctionReference<
        "query",
        "internal",
        {
          token?: string;
          identity?: { userId: string; operator: boolean };
          limit?: number;
        },
        Array<{
          _id: string;
          title: string;
          status: "idle" | "streaming" | "error";
          createdAt: number;
          updatedAt: number;
          lastMessageAt: number;
          origin: string | null;
          model: string;
          access: "visitor" | "observer" | "operator";
          heldBy?: string;
          needsHumanAt?: number;
          messageCount?: number;
          preview?: string;
          heldByMe?: boolean;
          visitor?: {
            id: string;
            name?: string;
            email?: string;
            fields?: Record<string, string | number | boolean>;
            verified: boolean;
          };
          language?: string;
        }>,
        Name
      >;
      listShares: FunctionReference<
        "query",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
        },
        Array<{
          _id: string;
          createdAt: number;
          expiresAt: number;
          revokedAt: number | null;
        }>,
        Name
      >;
      remove: FunctionReference<
        "mutation",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
        },
        null,
        Name
      >;
      revokeShare: FunctionReference<
        "mutation",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
          shareId: string;
        },
        null,
        Name
      >;
      share: FunctionReference<
        "mutation",
        "internal",
        {
          threadId: string;
          token?: string;
          identity?: { userId: string; operator: boolean };
          expiresInMs?: number;
        },
        { observerToken: string; shareId: string; expiresAt: number },
        Name
      >;
    };
  };
