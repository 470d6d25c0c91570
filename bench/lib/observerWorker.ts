// Worker thread for the load test: the observers' ConvexClients run here, off the thread that
// hosts the local backend, so client-side work does not queue behind the backend's.
import { ConvexClient } from "convex/browser";
import { parentPort, workerData } from "node:worker_threads";
import WebSocket from "ws";
import { api } from "../../src/api.ts";
import { followBaseline, followOurs, settle, type Follower, type Receipt } from "./backend.ts";

export type WorkerInput = {
  convexUrl: string;
  kind: "ours" | "baseline";
  observers: { threadId: string; streamId: string; token: string }[];
  timeoutMs: number;
};
export type WorkerObserver = {
  text: string;
  status: string;
  receipts: Receipt[];
  doubled: number;
  gaps: number;
  settled: boolean;
};

const input = workerData as WorkerInput;
const clients = input.observers.map(
  () =>
    new ConvexClient(input.convexUrl, {
      webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket,
      unsavedChangesWarning: false,
    }),
);
let followers: Follower[] = [];
parentPort!.on("message", async (msg: { type: "start" | "stop" }) => {
  if (msg.type === "start") {
    followers = input.observers.map((o, i) =>
      input.kind === "ours" ? followOurs(clients[i]!, o) : followBaseline(clients[i]!, o.streamId),
    );
    const results = await Promise.allSettled(followers.map((f, i) => settle(f, input.timeoutMs, `observer ${i}`)));
    parentPort!.postMessage({
      type: "done",
      observers: followers.map((f, i): WorkerObserver => ({
        text: f.text,
        status: f.status,
        receipts: f.receipts,
        doubled: f.doubled,
        gaps: f.gaps,
        settled: results[i]!.status === "fulfilled",
      })),
    });
  } else {
    for (const f of followers) f.stop();
    await Promise.all(clients.map((c) => c.close()));
    parentPort!.postMessage({ type: "stopped" });
  }
});
// Connect every socket before the measured subscriptions (a query opens the WebSocket).
await Promise.all(clients.map((c) => c.query(api.config.get, {})));
parentPort!.postMessage({ type: "ready" });
