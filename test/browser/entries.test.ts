// The package entries, imported in the order a page might: the class entries register nothing,
// the define entries register their tags. This file imports no other source module, so the
// page's registry starts empty (web-test-runner gives each test file its own page).
import { expect } from "@open-wc/testing";

const defined = () => ["ai-chat-stream", "ai-chat-console"].filter((tag) => customElements.get(tag));

describe("package entries", () => {
  it("ai-chat-stream and ai-chat-stream/console register no element", async () => {
    const chat = await import("../../src/index.js");
    const console = await import("../../src/console.js");
    expect(chat.AiChatStream).to.be.a("function");
    expect(console.AiChatConsole).to.be.a("function");
    expect(defined()).to.deep.equal([]);
  });

  it("ai-chat-stream exports every event class the element fires, for `instanceof` on a page", async () => {
    const chat = (await import("../../src/index.js")) as Record<string, unknown>;
    const events = (await import("../../src/events.js")) as Record<string, unknown>;
    const classes = Object.keys(events).filter((name) => /^AiChat\w+Event$/.test(name) && !/Console/.test(name));
    expect(classes).to.include.members(["AiChatFeedbackEvent", "AiChatHandoffEvent"]);
    for (const name of classes) expect(chat[name], name).to.equal(events[name]);
  });

  it("ai-chat-stream/define registers <ai-chat-stream> only", async () => {
    const { AiChatStream } = await import("../../src/ai-chat-stream-define.js");
    expect(defined()).to.deep.equal(["ai-chat-stream"]);
    expect(customElements.get("ai-chat-stream")).to.equal(AiChatStream);
  });

  it("ai-chat-stream/console/define registers <ai-chat-console> as well", async () => {
    const { AiChatConsole } = await import("../../src/ai-chat-console-define.js");
    expect(defined()).to.deep.equal(["ai-chat-stream", "ai-chat-console"]);
    expect(customElements.get("ai-chat-console")).to.equal(AiChatConsole);
  });
});
