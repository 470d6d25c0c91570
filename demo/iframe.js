// Support desk: puts the shared thread into the observer iframe. The token stays in URL
// fragments, which browsers never send to servers.
const form = document.getElementById("open-form");
const frame = document.getElementById("observer");

function show(thread, token) {
  frame.src = `./observe.html#${new URLSearchParams({ thread, token })}`;
  form.thread.value = thread;
}

const shared = new URLSearchParams(location.hash.slice(1));
if (shared.get("thread") && shared.get("token")) show(shared.get("thread"), shared.get("token"));

form.addEventListener("submit", (event) => {
  event.preventDefault();
  show(form.thread.value.trim(), form.token.value.trim());
});
