// The standalone app's one AiChat: the widget's and console's functions, forwarding to the
// component with the caller's identity from `auth.config.ts` JWTs (`authorizeFromJwt`).
import { components } from "./_generated/api";
import { AiChat } from "../convex/client";

export const aiChat = new AiChat(components.aiChat);
