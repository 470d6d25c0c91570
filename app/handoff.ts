import { aiChat } from "./aiChat";

export const { state, needsHuman, takeOver, reply, handBack, requestHuman, typing, heartbeat } = aiChat.handoff();
