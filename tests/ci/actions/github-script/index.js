// actions/github-script's contract, built on the npm packages it is built on itself.
const core = require("@actions/core");
const github = require("@actions/github");

async function main() {
  const token = core.getInput("github-token", { required: true });
  // getOctokit reads GITHUB_API_URL for its base URL, as on a GitHub Enterprise runner.
  const octokit = github.getOctokit(token);
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;
  const body = core.getInput("script", { required: true });
  const run = new AsyncFunction("require", "github", "octokit", "context", "core", body);
  const result = await run(require, octokit, octokit, github.context, core);
  const encoding = core.getInput("result-encoding") || "json";
  core.setOutput("result", encoding === "string" ? String(result) : JSON.stringify(result));
}

main().catch((error) => {
  core.setFailed(`Unhandled error: ${error}`);
});
