// actions/cache's restore half, on a local directory; no npm modules needed.
const fs = require("fs");
const path = require("path");
const { input, output, state, store } = require("./io.js");

const key = input("key");
const target = input("path");
const prefixes = input("restore-keys").split("\n").map((s) => s.trim()).filter(Boolean);
const entries = fs.existsSync(store) ? fs.readdirSync(store) : [];
let hit = entries.includes(key) ? key : "";
if (!hit) {
  for (const prefix of prefixes) {
    const matches = entries.filter((e) => e.startsWith(prefix)).sort();
    if (matches.length) { hit = matches[matches.length - 1]; break; }
  }
}
if (hit) {
  fs.mkdirSync(target, { recursive: true });
  fs.cpSync(path.join(store, hit), target, { recursive: true });
  console.log(`Cache restored from key: ${hit}`);
} else {
  console.log(`Cache not found for input keys: ${[key, ...prefixes].join(", ")}`);
}
output("cache-hit", String(hit === key));
state("hit", hit === key ? "true" : "false");
state("key", key);
state("path", target);
