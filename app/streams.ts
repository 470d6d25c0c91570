import { aiChat } from "./aiChat";

export const { read, tail } = aiChat.streams();
