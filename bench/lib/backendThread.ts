// Worker thread for `BenchBackend.startThread`: a bench backend on a thread of its own, so the
// bench's clients and the fake model do not take CPU from it (a deployment does not share its CPU
// with its clients). Its thread's CPU is read here (/proc/thread-self is this thread's).
import { parentPort, workerData } from "node:worker_threads";
import {
  BenchBackend,
  type BackendThreadCall,
  type BackendThreadInput,
  type BackendThreadReady,
  type BackendThreadReply,
} from "./backend.ts";
import { threadCpuSeconds } from "./util.ts";

const input = workerData as BackendThreadInput;
const b = await BenchBackend.start(input.env, input.concurrency);
parentPort!.on("message", async (msg: BackendThreadCall) => {
  const reply = (r: Omit<BackendThreadReply, "type" | "id">) =>
    parentPort!.postMessage({ type: "reply", id: msg.id, ...r });
  try {
    if (msg.type === "cpu") reply({ value: threadCpuSeconds() });
    else if (msg.type === "flush") reply({ value: await b.backend.flush() });
    else reply({ value: await b.stop() });
  } catch (e) {
    reply({ error: e instanceof Error ? e.message : String(e) });
  }
});
parentPort!.postMessage({
  type: "ready",
  convexUrl: b.convexUrl,
  siteUrl: b.siteUrl,
  adminKey: b.backend.adminKey,
  dir: b.dir,
} satisfies BackendThreadReady);
