// A page that already has its own element under the widget's tag name.
window.PageOwnChat = class extends HTMLElement {};
customElements.define("ai-chat-stream", window.PageOwnChat);
