// The console works without this script; with it, "再加一条诉求" adds a demand block in
// place instead of asking the server for the form again.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[name=more]");
  if (!button) return;
  var blocks = document.querySelectorAll("fieldset.demand");
  var last = blocks[blocks.length - 1];
  if (!last) return;
  event.preventDefault();
  var copy = last.cloneNode(true);
  var index = blocks.length;
  copy.querySelectorAll("input, textarea").forEach(function (field) { field.value = ""; field.removeAttribute("aria-invalid"); });
  copy.querySelectorAll("select").forEach(function (field) { field.selectedIndex = field.name === "demand_priority" ? 1 : 0; });
  copy.querySelectorAll(".error").forEach(function (message) { message.remove(); });
  copy.querySelectorAll("[id]").forEach(function (field) { field.id = field.id.replace(/\d+$/, String(index)); });
  copy.querySelectorAll("label[for]").forEach(function (label) { label.htmlFor = label.htmlFor.replace(/\d+$/, String(index)); });
  var legend = copy.querySelector("legend");
  if (legend) legend.textContent = legend.textContent.replace(/\d+/, String(index + 1));
  last.after(copy);
  copy.querySelector("input").focus();
});
