// theme.html?theme=hostile links hostile-theme.css before the widget's script runs, so one page
// serves as the themed host and as the plain one the test compares it with.
if (new URLSearchParams(location.search).get("theme") === "hostile") {
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = "/pages/hostile-theme.css";
  document.head.append(link);
}
