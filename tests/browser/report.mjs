// Opens a gauntlet HTML report in headless Chromium and checks what a reader sees and does:
// the verdict first, the filters (verdict, then binding) showing exactly the rows the JSON
// report has, the reason of a not-judged row in the row itself, a transcript that opens, and
// a copy button that copies.
//
//   node report.mjs REPORT.html REPORT.json
//
// CHROMIUM names the browser (default /usr/bin/chromium). Exit 0 when every check holds.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const [html, json] = process.argv.slice(2);
if (!html || !json) {
  console.error("usage: node report.mjs REPORT.html REPORT.json");
  process.exit(2);
}
const report = JSON.parse(readFileSync(json, "utf8"));
const results = report.results;
const failures = [];
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // This machine's network is closed: no background connections, no sandbox as root.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  timeout: 30000,
});
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(10000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(pathToFileURL(html).href);

  const verdict = (await page.textContent("#verdict")).trim();
  check(verdict === (report.conformant ? "CONFORMANT" : "NOT CONFORMANT"), `verdict banner says ${verdict}`);
  const first = await page.evaluate(() => document.body.firstElementChild.id || document.body.firstElementChild.className);
  check(first.includes("banner"), "the verdict is the first thing on the page");

  const visible = () => page.$$eval("#matrix tbody tr", (rs) => rs.filter((r) => !r.hidden).length);
  check((await visible()) === results.length, `all ${results.length} rows shown before filtering`);

  const fails = results.filter((r) => r.verdict === "FAIL");
  check(fails.length > 0, `the report has FAIL rows to filter (${fails.length})`);
  await page.selectOption("#f-verdict", "fail");
  const shownFail = await page.$$eval("#matrix tbody tr", (rs) =>
    rs.filter((r) => !r.hidden).map((r) => r.dataset.verdict));
  check(shownFail.length === fails.length && shownFail.every((v) => v === "fail"),
    `verdict filter FAIL shows exactly the ${fails.length} FAIL rows (saw ${shownFail.length})`);
  check((await page.textContent("#shown")).startsWith(`${fails.length} of `), "the counter follows the filter");

  const restFails = fails.filter((r) => r.binding === "rest").length;
  await page.selectOption("#f-binding", "rest");
  check((await visible()) === restFails, `adding binding rest shows the ${restFails} FAIL rows on REST`);
  await page.selectOption("#f-verdict", "");
  await page.selectOption("#f-binding", "");
  check((await visible()) === results.length, "clearing the filters shows every row again");

  const na = results.find((r) => r.verdict === "NOT-APPLICABLE" || r.verdict === "UNTESTED");
  if (na) {
    const id = na.binding ? `${na.id}-${na.binding}` : na.id;
    const text = await page.textContent(`[id="${id}"]`);
    check(text.includes(na.summary.slice(0, 40)), `the reason of ${id} is visible in its row`);
  }

  const f = fails[0];
  const ev = `ev-${f.binding ? `${f.id}-${f.binding}` : f.id}`;
  await page.click(`#matrix a[href="#${ev}"] >> nth=0`).catch(() => {});
  const details = page.locator(`[id="${ev}"] details`).first();
  if ((await details.count()) > 0) {
    await details.locator("summary").click();
    check(await details.evaluate((d) => d.open), `the transcript of ${f.id} opens`);
    const button = details.locator("button.copy").first();
    await button.click();
    await page.waitForFunction((b) => b.textContent === "copied", await button.elementHandle());
    check(true, "the copy button copies the curl reproducer");
  } else {
    check(false, `${ev} has a transcript`);
  }
  check(errors.length === 0, `no script errors (${errors.join("; ")})`);
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log("browser: the HTML report reads and filters as it should");
