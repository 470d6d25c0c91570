// The composer's file texts (the `attach` part's, kept out of the chat's bytes). A locale or the
// page's `strings` overrides each; `attachFiles` (the button's label) is the chat's own.
export default {
  /** The list of files that go with the next message. */
  attachedFiles: "Files to send",
  attachRemove: "Remove {name}",
  attachCancel: "Cancel the upload of {name}",
  attachUploading: "Uploading {name}",
  /** Under the composer when a file is refused before upload (nothing is uploaded; the text stays). */
  attachTooLarge: "{name} is larger than {limit}, the most a file may be.",
  attachTypeRefused: "{name} is not a type of file that can be sent here.",
  attachTooMany: "At most {limit} files can go with one message.",
};
