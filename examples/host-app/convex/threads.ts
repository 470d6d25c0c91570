import { aiChat } from "./aiChat";

export const { create, get, listMine, remove, share, listShares, revokeShare } = aiChat.threads();
