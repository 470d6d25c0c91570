import { aiChat } from "./aiChat";

export const { queue, checkHuman } = aiChat.chat();
