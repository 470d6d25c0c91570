// Reads the thread and observer token from the fragment and hands them to the element.
const params = new URLSearchParams(location.hash.slice(1));
const view = document.querySelector("ai-chat-stream");
if (params.get("token")) view.setAttribute("observer-token", params.get("token"));
if (params.get("thread")) view.setAttribute("thread", params.get("thread"));
