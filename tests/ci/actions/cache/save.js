// actions/cache's post step: saves PATH under KEY unless KEY was restored.
const fs = require("fs");
const path = require("path");
const { saved, store } = require("./io.js");

if (saved("hit") === "true") {
  console.log(`Cache hit occurred on the primary key ${saved("key")}, not saving cache.`);
} else if (!fs.existsSync(saved("path"))) {
  console.log(`::warning::Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved.`);
} else {
  fs.mkdirSync(store, { recursive: true });
  fs.cpSync(saved("path"), path.join(store, saved("key")), { recursive: true });
  console.log(`Cache saved with key: ${saved("key")}`);
}
