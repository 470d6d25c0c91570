// @vitest-environment node
// What the model is sent for a prompt with files, against the fake provider servers: images as
// image parts (OpenAI chat completions and Responses, Anthropic), PDFs as file parts, text files
// inlined with their name; earlier turns' files only named; a model that refuses images gets a
// plain sentence, not a crash.
import { afterEach, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import {
  startFakeAnthropic,
  startFakeOpenAI,
  startFakeOpenAIResponses,
  words,
  type FakeProvider,
} from "../support/fake-providers";
import { drive, newThread, readBody, restoreEnv, setEnv, setup, type T } from "./setup";

let fake: FakeProvider | undefined;
const realFetch = globalThis.fetch;
afterEach(async () => {
  restoreEnv();
  globalThis.fetch = realFetch;
  await fake?.close();
  fake = undefined;
});

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
const PNG_B64 = Buffer.from(PNG).toString("base64");
const PDF = new TextEncoder().encode("%PDF-1.4\n%%EOF\n");

async function upload(t: T, token: string, body: Uint8Array<ArrayBuffer> | string, type: string, name: string) {
  const res = await t.fetch("/chat-upload", {
    method: "POST",
    headers: { "Content-Type": type, "X-File-Name": name, Authorization: `Bearer ${token}` },
    body,
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { attachmentId: string }).attachmentId;
}

/** A thread whose prompt carries a PNG, a PDF and a text file; the reply driven to its end. */
async function sendFiles(prompt = "what is this?") {
  const t = setup();
  const { threadId, token } = await newThread(t);
  const attachments = [
    await upload(t, token, PNG, "image/png", "shot.png"),
    await upload(t, token, PDF, "application/pdf", "invoice.pdf"),
    await upload(t, token, "line one\nline two", "text/plain", "log.txt"),
  ];
  const { streamId } = await t.mutation(api.messages.send, { threadId, token, prompt, attachments });
  const body = await readBody(await drive(t, token, { streamId }));
  return { t, threadId, token, body };
}

describe("the model request carries the files", () => {
  test("OpenAI chat completions: image_url (data URL), file (PDF), text inlined with its name", async () => {
    fake = await startFakeOpenAI(() => ({ tokens: words("A screenshot.") }));
    setEnv({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: "sk-local" });
    const { body } = await sendFiles();
    expect(body.text).toBe("A screenshot.");
    const content = fake.requests[0].body.messages.at(-1).content;
    expect(content[0]).toEqual({ type: "image_url", image_url: { url: `data:image/png;base64,${PNG_B64}` } });
    expect(content[1]).toMatchObject({ type: "file", file: { filename: "invoice.pdf" } });
    expect(content[1].file.file_data).toContain(Buffer.from(PDF).toString("base64"));
    expect(content[2]).toEqual({ type: "text", text: "File log.txt:\nline one\nline two" });
    expect(content[3]).toEqual({ type: "text", text: "what is this?" });
  });

  test("OpenAI Responses: input_image and input_file parts", async () => {
    fake = await startFakeOpenAIResponses(() => ({ tokens: words("Seen.") }));
    const base = fake.baseUrl;
    globalThis.fetch = (input, init) =>
      realFetch(String(input instanceof Request ? input.url : input).replace("https://api.openai.com/v1", base), init);
    setEnv({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: undefined });
    await sendFiles();
    const content = fake.requests[0].body.input.at(-1).content;
    expect(content[0]).toEqual({ type: "input_image", image_url: `data:image/png;base64,${PNG_B64}` });
    expect(content[1]).toMatchObject({ type: "input_file", filename: "invoice.pdf" });
  });

  test("Anthropic: image and document blocks (base64)", async () => {
    fake = await startFakeAnthropic(() => ({ tokens: words("Seen.") }));
    setEnv({ ANTHROPIC_API_KEY: "sk-ant-test", ANTHROPIC_BASE_URL: fake.baseUrl });
    await sendFiles();
    const content = fake.requests[0].body.messages.at(-1).content;
    expect(content[0]).toEqual({ type: "image", source: { type: "base64", media_type: "image/png", data: PNG_B64 } });
    expect(content[1]).toMatchObject({
      type: "document",
      source: { type: "base64", media_type: "application/pdf", data: Buffer.from(PDF).toString("base64") },
    });
    expect(content[2]).toMatchObject({ type: "text", text: "File log.txt:\nline one\nline two" });
  });

  test("a later prompt names the earlier files instead of sending them again", async () => {
    fake = await startFakeOpenAI(() => ({ tokens: words("Ok.") }));
    setEnv({ OPENAI_BASE_URL: fake.baseUrl });
    const { t, threadId, token } = await sendFiles();
    const { streamId } = await t.mutation(api.messages.send, { threadId, token, prompt: "and now?" });
    await readBody(await drive(t, token, { streamId }));
    const earlier = fake.requests[1].body.messages.find((m: { role: string }) => m.role === "user").content;
    expect(earlier.map((p: { text?: string }) => p.text)).toEqual([
      "[Attached earlier: shot.png (16 bytes)]",
      "[Attached earlier: invoice.pdf (15 bytes)]",
      "[Attached earlier: log.txt (17 bytes)]",
      "what is this?",
    ]);
  });

  test("a model that refuses images: the reply says so plainly", async () => {
    fake = await startFakeOpenAI(() => ({ tokens: [], status: 400, errorMessage: "image input is not supported" }));
    setEnv({ OPENAI_BASE_URL: fake.baseUrl });
    const { t, threadId, token } = await sendFiles();
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply).toMatchObject({ status: "error" });
    expect(reply!.error).toMatch(/^This model could not take the attached files/);
  });
});
