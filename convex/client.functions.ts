/**
 * `ai-chat-stream/functions`: every public function the widget and the console call, in one
 * module, for a host app to re-export in one line beside its own `AiChat`:
 *
 *   // convex/aiChat.ts of the host app; the element takes functions-path="aiChat:"
 *   export * from "ai-chat-stream/functions";
 *   export const aiChat = new AiChat<DataModel>(components.aiChat, { authorize });
 *
 * `threads:create` is `threadsCreate` here (`singleModuleName`). Each forwards through the AiChat
 * the app built, with its `authorize`; a function added to the component is added here, so the
 * host's line covers it (test/backend/client.test.ts checks that every one is).
 * Two dots in the name: not a module of the component (the Convex bundler skips such files).
 */
import { singleModule } from "./client";

export const {
  threadsCreate,
  threadsGet,
  threadsListMine,
  threadsRemove,
  threadsShare,
  threadsListShares,
  threadsRevokeShare,
  messagesList,
  messagesLive,
  messagesSend,
  messagesRetry,
  messagesStop,
  streamsRead,
  streamsTail,
  streamsCatchUp,
  chatQueue,
  chatCheckHuman,
  operatorListThreads,
  operatorSignIn,
  operatorSignOut,
  operatorSession,
  operatorUsage,
  operatorSearchThreads,
  operatorRemoveThread,
  configGet,
  handoffState,
  handoffNeedsHuman,
  handoffTakeOver,
  handoffReply,
  handoffHandBack,
  handoffRequestHuman,
  handoffTyping,
  handoffHeartbeat,
  feedbackRate,
  feedbackList,
} = singleModule();
