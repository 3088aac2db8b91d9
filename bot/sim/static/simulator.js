// The simulator page: act as a LINE user. Every action becomes a LINE-shaped event that
// the server signs with the local channel secret; the page POSTs it to /callback as LINE
// would, then polls what the bot sent through the LINE emulator.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { user: null, since: 0, polling: null, inFlight: Promise.resolve(), newest: null };

function newUserId() {
  const hex = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  return "U" + hex;
}

// The emulator keeps profiles in memory: tell it this user's LINE language (also after a restart).
function setProfile() {
  return postJson("/simulator/api/profile", { user: state.user, language: $("language").value });
}

function startAs(user) {
  state.user = user;
  state.profile = setProfile().catch(() => {});
  state.since = 0;
  localStorage.setItem("adai-sim-user", user);
  $("user").textContent = "LINE user: " + user;
  $("chat").innerHTML = "";
  $("quick").innerHTML = "";
  state.newest = null;
  poll();  // a reload shows the conversation again: the bot's messages and, from the log, ours
}

// What this user sent, kept in the browser so that a reload shows it again: [{at, text}], `at`
// being the index of the first bot message after it.
function userLog() { return JSON.parse(localStorage.getItem("adai-sim-log-" + state.user) || "[]"); }

function remember(text) {
  const log = userLog();
  log.push({ at: state.since, text });
  localStorage.setItem("adai-sim-log-" + state.user, JSON.stringify(log.slice(-500)));
}

async function postJson(url, body) {
  const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(url + " " + response.status);
  return response.json();
}

// --- sending -------------------------------------------------------------------------

async function send(kind, fields, shown) {
  if (shown) {
    addBubble("user-side", shown);
    remember(typeof shown === "string" ? shown : "(" + kind + ")");
  }
  $("quick").innerHTML = "";
  try {
    const signed = await postJson("/simulator/api/event", { user: state.user, kind, ...fields });
    const response = await fetch("/callback", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Line-Signature": signed.signature },
      body: signed.body,
    });
    if (!response.ok) addBubble("note", "(webhook answered " + response.status + ")");
  } catch (error) {  // never silent: say what the simulator could not send
    addBubble("note", "(not sent: " + error.message + ")");
  }
  poll();
}

async function base64Of(file) {
  const data = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
  return btoa(binary);
}

// Photos picked together go as one LINE image set, as the LINE app sends them.
async function sendPhotos(files) {
  if (!files.length) return;
  const shown = document.createElement("span");
  for (const file of files) {
    const img = document.createElement("img");
    img.src = URL.createObjectURL(file);
    shown.appendChild(img);
  }
  const photos = [];
  for (const file of files) photos.push({ image: await base64Of(file), contentType: file.type || "image/jpeg" });
  if (photos.length === 1) await send("image", photos[0], shown);
  else await send("images", { images: photos }, shown);
}

async function sendFile(file) {
  const kind = file.type.startsWith("video/") ? "video" : file.type.startsWith("audio/") ? "audio" : "file";
  await send(kind, { content: await base64Of(file), contentType: file.type || "application/octet-stream",
                     fileName: file.name }, "(" + kind + ": " + file.name + ")");
}

// An action from a quick reply, a Flex button or the rich menu.
function runAction(action) {
  const kinds = {
    postback: () => send("postback", { data: action.data }, action.displayText || null),
    message: () => send("text", { text: action.text }, action.text),
    uri: () => window.open(action.uri, "_blank", "noopener"),
    camera: () => $("photo").click(),
    cameraRoll: () => $("photo").click(),
    location: () => { $("location-form").hidden = false; },
    datetimepicker: () => {
      const mode = action.mode || "datetime";
      const picked = prompt("date/time (" + mode + ")", action.initial || "");
      if (picked) send("postback", { data: action.data, params: { [mode]: picked } }, picked);
    },
  };
  (kinds[action.type] || (() => addBubble("bot-side", "(action " + action.type + " is not simulated)")))();
}

// --- receiving -----------------------------------------------------------------------

// One poll at a time: two overlapping polls (the timer's and the one after sending) would
// read from the same index and show the same message twice.
function poll() {
  state.inFlight = state.inFlight.then(pollOnce, pollOnce);
  return state.inFlight;
}

async function pollOnce() {
  if (!state.user) return;
  const user = state.user;
  const response = await fetch("/simulator/api/messages?user=" + encodeURIComponent(user) + "&since=" + state.since);
  if (!response.ok || user !== state.user) return;
  const restoring = state.since === 0 && !$("chat").children.length;
  const log = restoring ? userLog() : [];
  for (const batch of await response.json()) {
    while (log.length && log[0].at <= batch.index) addBubble("user-side", log.shift().text);
    state.since = batch.index + 1;
    for (const message of batch.messages) showMessage(message);
  }
  for (const entry of log) addBubble("user-side", entry.text);
}

function showMessage(message) {
  const render = RENDERERS[message.type] || ((m) => textNode("(" + m.type + " message)"));
  addBubble("bot-side", render(message), message.type === "flex");
  const items = (message.quickReply && message.quickReply.items) || [];
  $("quick").innerHTML = "";
  for (const item of items) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = item.action.label || item.action.type;
    button.addEventListener("click", () => runAction(item.action));
    $("quick").appendChild(button);
  }
  if (state.newest) reveal(state.newest);  // the quick replies took room from the chat
}

const RENDERERS = {
  text: (m) => textNode(m.text),
  image: (m) => { const img = document.createElement("img"); img.src = m.previewImageUrl || m.originalContentUrl; img.alt = "image"; return img; },
  flex: (m) => flexNode(m.contents),
  template: (m) => textNode(m.altText),
  location: (m) => textNode("[位置] " + m.title + "\n" + m.address),
  sticker: () => textNode("(sticker)"),
};

function textNode(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span;
}

function addBubble(side, content, bare) {
  const row = document.createElement("div");
  row.className = "row " + side;
  const bubble = document.createElement("div");
  bubble.className = bare ? "" : "bubble";
  if (typeof content === "string") bubble.textContent = content; else bubble.appendChild(content);
  row.appendChild(bubble);
  $("chat").appendChild(row);
  state.newest = row;
  // A picture changes its row's height once it has loaded, which moves every later message:
  // show the newest message again then (a chart above the trend sentence loads after both).
  for (const img of row.querySelectorAll("img")) img.addEventListener("load", () => reveal(state.newest));
  reveal(row);
}

// Scroll the chat to the newest message: to the bottom, or, for a message taller than the chat
// (a result card on a small phone), to its top, so that its first line (the level) is read first.
function reveal(row) {
  const chat = $("chat");
  chat.scrollTop = Math.min(row.offsetTop - 8, chat.scrollHeight - chat.clientHeight);
}

// --- Flex ----------------------------------------------------------------------------

const SIZES = { xxs: "10px", xs: "11px", sm: "13px", md: "14px", lg: "16px", xl: "19px", xxl: "23px", "3xl": "27px" };
const SPACES = { none: "0", xs: "2px", sm: "4px", md: "8px", lg: "12px", xl: "16px", xxl: "20px" };

function space(value) { return SPACES[value] || value; }

function styleBox(el, node) {
  if (node.backgroundColor) el.style.background = node.backgroundColor;
  if (node.paddingAll) el.style.padding = space(node.paddingAll);
  if (node.spacing) el.style.gap = space(node.spacing);
  if (node.cornerRadius) el.style.borderRadius = space(node.cornerRadius);
  if (node.width) el.style.width = node.width;
  if (node.height) el.style.height = node.height;
  if (node.alignItems) el.style.alignItems = node.alignItems === "center" ? "center" : node.alignItems;
}

function styleCommon(el, node, parent) {
  if (node.margin) el.style.marginTop = space(node.margin);
  // LINE: flex 0 keeps the component's own width; any other value shares the free space.
  if (node.flex === 0) el.style.flex = "0 0 auto";
  else if (node.flex !== undefined) el.style.flex = String(node.flex) + " 1 0";
  else if (parent === "horizontal" || parent === "baseline") el.style.flex = "1 1 0";
}

function flexNode(node, parent) {
  const make = FLEX[node.type] || (() => textNode(""));
  const el = make(node);
  styleCommon(el, node, parent);
  return el;
}

const FLEX = {
  bubble: (node) => {
    const el = document.createElement("div");
    el.className = "flex-bubble";
    for (const part of ["header", "hero", "body", "footer"]) {
      if (!node[part]) continue;
      const section = flexNode(node[part], "vertical");
      if (part !== "hero") section.classList.add("fx-section");
      if (node[part].paddingAll) section.style.padding = space(node[part].paddingAll);
      el.appendChild(section);
    }
    return el;
  },
  carousel: (node) => {
    const el = document.createElement("div");
    el.className = "flex-carousel";
    for (const bubble of node.contents) el.appendChild(flexNode(bubble));
    return el;
  },
  box: (node) => {
    const el = document.createElement("div");
    const layout = node.layout || "vertical";
    el.className = "fx-box fx-" + layout;
    styleBox(el, node);
    for (const child of node.contents || []) el.appendChild(flexNode(child, layout));
    return el;
  },
  text: (node) => {
    const el = document.createElement("div");
    el.className = "fx-text";
    el.textContent = node.text;
    if (node.size) el.style.fontSize = SIZES[node.size] || node.size;
    if (node.color) el.style.color = node.color;
    if (node.weight === "bold") el.style.fontWeight = "bold";
    if (node.align) el.style.textAlign = node.align === "end" ? "right" : node.align;
    return el;
  },
  button: (node) => {
    const el = document.createElement("button");
    el.type = "button";
    el.className = "fx-button " + (node.style || "link");
    el.textContent = node.action.label || node.action.type;
    if (node.color && node.style === "primary") el.style.background = node.color;
    el.addEventListener("click", () => runAction(node.action));
    return el;
  },
  separator: () => { const el = document.createElement("div"); el.className = "fx-separator"; return el; },
  filler: () => document.createElement("div"),
  spacer: () => document.createElement("div"),
  image: (node) => { const el = document.createElement("img"); el.className = "fx-image"; el.src = node.url; return el; },
};

// --- rich menu ------------------------------------------------------------------------

async function loadRichMenu() {
  const menu = await (await fetch("/simulator/api/richmenu")).json();
  for (const area of menu.areas) {
    const b = area.bounds;
    const button = document.createElement("button");
    button.type = "button";
    button.title = area.action.label;
    Object.assign(button.style, {
      left: (100 * b.x / menu.size.width) + "%", top: (100 * b.y / menu.size.height) + "%",
      width: (100 * b.width / menu.size.width) + "%", height: (100 * b.height / menu.size.height) + "%",
    });
    // The camera link only works inside LINE; here it opens the file picker.
    const action = area.action.type === "uri" && area.action.uri.includes("/nv/camera") ? { type: "camera" } : area.action;
    button.addEventListener("click", () => runAction(action));
    $("richmenu").appendChild(button);
  }
}

function showMenu(open) {
  $("richmenu").hidden = !open;
  $("menu-toggle").setAttribute("aria-expanded", String(open));
  $("menu-toggle").textContent = "メニュー / Menu " + (open ? "▾" : "▴");
  if (state.newest) reveal(state.newest);
}

// --- wiring ---------------------------------------------------------------------------

function wire() {
  // The LINE app's language, as the phone sets it: LINE sends the bot no event when it changes,
  // so this only changes the emulator's profile; the bot reads the profile at the next message
  // (unless the user chose a language with the bot's own "language" command).
  $("language").value = localStorage.getItem("adai-sim-language") || "ja";
  $("language").addEventListener("change", async () => {
    localStorage.setItem("adai-sim-language", $("language").value);
    await setProfile();
  });
  startAs(localStorage.getItem("adai-sim-user") || newUserId());
  $("new-user").addEventListener("click", () => startAs(newUserId()));
  $("sticker").addEventListener("click", () => send("sticker", {}, "(スタンプ / sticker)"));
  $("file").addEventListener("change", (e) => { if (e.target.files[0]) sendFile(e.target.files[0]); e.target.value = ""; });
  $("follow").addEventListener("click", async () => {
    await setProfile();
    send("follow", {}, "(友だち追加 / follow)");
  });
  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    $("text").value = "";
    send("text", { text }, text);
  });
  $("photo").addEventListener("change", (e) => { sendPhotos(Array.from(e.target.files)); e.target.value = ""; });
  $("location-toggle").addEventListener("click", () => { $("location-form").hidden = !$("location-form").hidden; });
  $("location-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const latitude = $("lat").value, longitude = $("lon").value;
    $("location-form").hidden = true;
    send("location", { latitude, longitude }, "[位置] " + latitude + ", " + longitude);
  });
  loadRichMenu();
  // The rich menu folds away as in LINE; on a phone-sized screen it starts folded, so the chat has room.
  showMenu(window.innerHeight >= 900);
  $("menu-toggle").addEventListener("click", () => showMenu($("richmenu").hidden));
  window.addEventListener("resize", () => { if (state.newest) reveal(state.newest); });
  state.polling = setInterval(poll, 800);
}

wire();
