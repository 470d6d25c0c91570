import { aiChat } from "./aiChat";

export const { listThreads, signIn, signOut, session, usage } = aiChat.operator();
