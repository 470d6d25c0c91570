// The console's announcement of new requests for a person (WaitingAnnouncer): the count in the
// document title, and with `sound` a Web Audio tone per new request, never before the page's
// first user gesture. Tones are counted with a spy on the browser's OscillatorNode.start.
import { expect } from "@open-wc/testing";
import { sendKeys } from "@web/test-runner-commands";
import { WaitingAnnouncer } from "../../src/console/announce-waiting.js";

let notes = 0;
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (this: OscillatorNode, ...args: Parameters<typeof start>) {
  notes++;
  return start.apply(this, args);
};

describe("WaitingAnnouncer", () => {
  it("is silent before the page's first user gesture, then chimes once for each update that brings a new request, with sound on only", async () => {
    const announcer = new WaitingAnnouncer();
    expect(navigator.userActivation.hasBeenActive).to.equal(false);
    announcer.update(["t1"], "1 waiting", true);
    expect(notes).to.equal(0);

    const input = document.createElement("input");
    document.body.append(input);
    input.focus();
    await sendKeys({ press: "a" });
    input.remove();
    expect(navigator.userActivation.hasBeenActive).to.equal(true);

    announcer.update(["t1"], "1 waiting", true);
    expect(notes, "the same request again").to.equal(0);
    announcer.update(["t1", "t2"], "2 waiting", false);
    expect(notes, "sound off").to.equal(0);
    announcer.update(["t1", "t2", "t3"], "3 waiting", true);
    expect(notes, "one chime: two notes").to.equal(2);
    announcer.update(["t3"], "1 waiting", true);
    expect(notes, "fewer waiting, none new").to.equal(2);
    announcer.update([], "", true);
  });

  it("puts the count in the document title while any wait, and gives the page its title back after", () => {
    const announcer = new WaitingAnnouncer();
    document.title = "Support desk";
    const title = document.title;
    announcer.update(["t1", "t2"], "2 waiting", false);
    expect(document.title).to.equal(`(2 waiting) ${title}`);
    announcer.update(["t2"], "1 waiting", false);
    expect(document.title).to.equal(`(1 waiting) ${title}`);
    announcer.update([], "", false);
    expect(document.title).to.equal(title);
  });
});
