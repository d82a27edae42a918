// Screenshots of pages at a phone and a desktop width, for looking at what was built:
//   node tests/browser/shoot.mjs '{"shopper":["/cart","/orders"],"":["/catalog"]}' [out-dir]
// Roles log in with the demo logins in $SHOP_DATA_DIR/demo-logins.txt (default ./data).
import fs from "node:fs";
import { BASE, WIDTHS, browser, logIn, layoutProblems } from "./lib.mjs";

const plan = JSON.parse(process.argv[2] || '{"":["/"]}');
const out = process.argv[3] || "/tmp/shots";
fs.mkdirSync(out, { recursive: true });
const logins = {};
const file = `${process.env.SHOP_DATA_DIR || "data"}/demo-logins.txt`;
for (const line of fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n") : []) {
  const m = line.match(/^demo (\w+): (\S+) (\S+)$/);
  if (m) logins[m[1]] = [m[2], m[3]];
}
const b = await browser();
for (const [role, paths] of Object.entries(plan)) {
  for (const [name, size] of Object.entries(WIDTHS)) {
    const page = await b.newPage({ viewport: size });
    if (role) await logIn(page, ...logins[role]);
    for (const path of paths) {
      const res = await page.goto(BASE + path);
      const shot = `${out}/${role || "visitor"}${path.replace(/[^a-z0-9]+/gi, "_")}-${name}.png`;
      await page.screenshot({ path: shot, fullPage: true });
      const problems = await layoutProblems(page);
      console.log(`${res.status()} ${role || "visitor"} ${path} ${name} ${problems.length ? "PROBLEMS: " + problems.join("; ") : "ok"} → ${shot}`);
    }
    await page.close();
  }
}
await b.close();
