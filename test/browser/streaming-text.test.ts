import { expect } from "@open-wc/testing";
import { settledText } from "../../src/streaming-text.js";

describe("settledText (what a reply still being written shows)", () => {
  it("holds back table rows until a complete delimiter row is under the header", () => {
    expect(settledText("Intro\n\n| a | b |")).to.equal("Intro\n");
    expect(settledText("Intro\n\n| a | b |\n")).to.equal("Intro\n");
    expect(settledText("Intro\n\n| a | b |\n|---|--")).to.equal("Intro\n");
    expect(settledText("Intro\n\n| a | b |\n|---|---|\n")).to.equal("Intro\n\n| a | b |\n|---|---|\n");
    expect(settledText("| a | b |\n|---|---|\n| 1 | 2")).to.equal("| a | b |\n|---|---|\n| 1 | 2");
  });

  it("shows an unclosed link as its text and an unclosed image as nothing", () => {
    expect(settledText("See [Convex ")).to.equal("See Convex ");
    expect(settledText("See [Convex docs](https://docs.con")).to.equal("See Convex docs");
    expect(settledText("See [Convex docs]")).to.equal("See Convex docs");
    expect(settledText("See [Convex docs](https://docs.convex.dev)")).to.equal(
      "See [Convex docs](https://docs.convex.dev)",
    );
    expect(settledText("A picture ![a cat](https://img")).to.equal("A picture ");
  });

  it("changes nothing inside an open code fence or inline code", () => {
    expect(settledText("```\n| a | b |\nx = [1, ")).to.equal("```\n| a | b |\nx = [1, ");
    expect(settledText("Use `arr[")).to.equal("Use `arr[");
  });

  it("only ever shows a prefix-stable view: every settled text of a growing reply is a prefix of the whole or drops only its unfinished end", () => {
    const whole = "Intro\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nSee [docs](https://x.dev) and **bold**.";
    for (let i = 0; i <= whole.length; i++) {
      const shown = settledText(whole.slice(0, i));
      expect(shown.length).to.be.at.most(i);
    }
    expect(settledText(whole)).to.equal(whole);
  });
});
