import { aiChat } from "./aiChat";

export const { get } = aiChat.config();
