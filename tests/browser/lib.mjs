// What the browser suite and the screenshot script share: a Chromium, log-ins, and the checks a
// page must pass at every width (no sideways scroll, every button reachable).
import { chromium } from "playwright-core";

export const BASE = process.env.SHOP_URL || "http://127.0.0.1:18990";
export const WIDTHS = { phone: { width: 390, height: 844 }, desktop: { width: 1366, height: 900 } };

export async function browser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
}

export async function logIn(page, email, password) {
  await page.goto(`${BASE}/login`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation(), page.click("main button[type=submit]")]);
}

// Problems a phone user would meet: the page scrolls sideways, or a button or link sits outside
// the screen where nothing scrolls to it.
export async function layoutProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width + 1) {
      problems.push(`page is ${document.documentElement.scrollWidth}px wide in a ${width}px window`);
    }
    for (const el of document.querySelectorAll("main button, main a, main input, main select")) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const style = getComputedStyle(el);
      if (style.visibility === "hidden" || el.closest(".visually-hidden")) continue;
      if (r.right > width + 1 || r.left < -1) {
        problems.push(`${el.tagName.toLowerCase()} "${(el.innerText || el.value || el.name || "").trim().slice(0, 30)}" at x=${Math.round(r.left)}..${Math.round(r.right)}`);
      }
    }
    return problems;
  });
}
