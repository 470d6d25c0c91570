import { aiChat } from "./aiChat";

export const { listThreads, signIn, signOut, session, usage, searchThreads, removeThread } = aiChat.operator();
