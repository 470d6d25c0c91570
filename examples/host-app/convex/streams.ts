import { aiChat } from "./aiChat";

export const { read, tail, catchUp } = aiChat.streams();
