/** What the widget needs to know about this deployment before the first prompt. */
import { query } from "./_generated/server";
import { getLimits } from "./lib/limits";
import { attachmentLimits } from "./lib/attachments";
import { modelConfig } from "./lib/modelConfig";
import { vChatConfig } from "./lib/validators";

export const get = query({
  args: {},
  returns: vChatConfig,
  handler: async () => {
    const config = modelConfig();
    const { maxFileBytes, maxFiles } = attachmentLimits();
    return {
      model: config.model,
      demo: config.provider === "demo",
      maxPromptChars: getLimits().maxPromptChars,
      maxFileBytes,
      maxFilesPerMessage: maxFiles,
    };
  },
});
