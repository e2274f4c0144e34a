// Opens the live operations page in headless Chromium and checks it as a person would: no key, no figures; with a
// key, figures that appear and move; a failing provider's dead letters rising. Saves a screenshot.
// Run by LivePageIT: node live-page.mjs with BURSAR_URL, BURSAR_KEY, BURSAR_PROVIDER, BURSAR_SCREENSHOT and
// CHROMIUM (the browser's executable). Exits 0 when every check passed, 1 naming the first that did not.
import { chromium } from "playwright-core";

const base = process.env.BURSAR_URL;
const key = process.env.BURSAR_KEY;
const provider = process.env.BURSAR_PROVIDER;
const screenshot = process.env.BURSAR_SCREENSHOT;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

function check(condition, what) {
  if (!condition) {
    throw new Error("check failed: " + what);
  }
  console.log("ok: " + what);
}

const figure = (page, id) => page.$eval(id, (e) => e.textContent.trim());
const count = async (page, id) => Number((await figure(page, id)).replace(/,/g, ""));

const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });

  // Without a key: no data, neither the figures nor the stream; the page asks for a key.
  const figures = await page.request.get(base + "/v1/live");
  check(figures.status() === 401, "GET /v1/live without a key answers 401 (was " + figures.status() + ")");
  check(!(await figures.text()).includes("rates"), "and carries no figure");
  const stream = await page.request.get(base + "/v1/live/stream", { headers: { Accept: "text/event-stream" } });
  check(stream.status() === 401, "GET /v1/live/stream without a key answers 401 (was " + stream.status() + ")");
  await page.goto(base + "/ui");
  await page.waitForSelector("#key-form:not([hidden])", { timeout: 10000 });
  check(await page.$eval("#figures", (e) => e.hidden), "the page without a key shows the key form, no figures");

  // With the key in the address: the figures appear, and the key leaves the address bar.
  await page.goto(base + "/ui#key=" + encodeURIComponent(key));
  await page.waitForFunction(() => document.getElementById("commands-total").textContent !== "–", null,
    { timeout: 20000 });
  check(!page.url().includes("key="), "the key is gone from the address");
  check(await figure(page, "#status") === "live", "the page says it is live");
  const commandsBefore = await count(page, "#commands-total");
  const updatedBefore = await figure(page, "#updated");
  const lettersId = "[data-figure=provider-dead-letters-" + provider + "]";
  await page.waitForSelector(lettersId, { timeout: 10000 });
  const lettersBefore = await count(page, lettersId);
  console.log("figures: commands " + commandsBefore + ", dead letters of " + provider + " " + lettersBefore
    + ", p50 " + await figure(page, "#latency-p50"));

  // Over a few seconds, the figures move.
  await page.waitForTimeout(4000);
  const commandsAfter = await count(page, "#commands-total");
  check(commandsAfter > commandsBefore, "commands since start grew over 4 s: " + commandsBefore + " → " + commandsAfter);
  check(await figure(page, "#updated") !== updatedBefore, "the sample time moved");
  check((await figure(page, "#commands-rate")) !== "0.0", "commands/s is not zero");
  check((await figure(page, "#latency-p99")).endsWith(" ms"), "command → result p99 is shown in ms");
  const instanceState = await page.$eval("#instances", (e) => e.textContent);
  check(instanceState.includes("RUNNING"), "the instance is RUNNING");

  // The failing provider's dead letters rise.
  await page.waitForFunction(([id, before]) => {
    const shown = document.querySelector(id);
    return shown && Number(shown.textContent.replace(/,/g, "")) > before;
  }, [lettersId, lettersBefore], { timeout: 45000, polling: 500 });
  const lettersAfter = await count(page, lettersId);
  check(lettersAfter > lettersBefore, "dead letters of " + provider + " rose: " + lettersBefore + " → " + lettersAfter);
  check(await count(page, "#dead-letters-total") >= lettersAfter, "the dead-letter total counts them");
  const latest = await page.$eval("#dead-letters-latest", (e) => e.textContent);
  check(latest.includes("provider-requests-dlq"), "the latest dead letters name their topic and reason");

  await page.waitForTimeout(1500);
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log("screenshot: " + screenshot);
} finally {
  await browser.close();
}
