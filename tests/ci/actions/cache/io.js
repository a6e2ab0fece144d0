// The runner's file protocol for inputs, outputs and state, as @actions/core speaks it.
const fs = require("fs");

const input = (name) => (process.env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] || "").trim();
const append = (file, name, value) => fs.appendFileSync(file, `${name}=${value}\n`);
module.exports = {
  input,
  output: (name, value) => append(process.env.GITHUB_OUTPUT, name, value),
  state: (name, value) => append(process.env.GITHUB_STATE, name, value),
  saved: (name) => process.env[`STATE_${name}`] || "",
  store: process.env.GG_TEST_CACHE,
};
