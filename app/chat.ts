import { aiChat } from "./aiChat";

export const { queue } = aiChat.chat();
