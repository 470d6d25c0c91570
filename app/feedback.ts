import { aiChat } from "./aiChat";

export const { rate, list } = aiChat.feedback();
