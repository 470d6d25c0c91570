import { aiChat } from "./aiChat";

export const { list, live, send, retry, stop } = aiChat.messages();
