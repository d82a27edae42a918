// The browser suite: a visitor registers from the cart, checks out and finds the order; the
// salesperson confirms and ships it. Each journey runs at a phone and a desktop width in Debian's
// Chromium; every page on the way must pass axe-core with no serious or critical violation and
// must not hide anything off-screen. Needs a running shop with demo data:
//   SHOP_URL=http://127.0.0.1:18990 SHOP_DATA_DIR=<its data folder> npm test   (see .ci/run)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import { BASE, WIDTHS, browser, logIn, layoutProblems } from "./lib.mjs";

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const logins = Object.fromEntries(
  fs.readFileSync(`${process.env.SHOP_DATA_DIR || "data"}/demo-logins.txt`, "utf8")
    .split("\n")
    .map((line) => line.match(/^demo (\w+): (\S+) (\S+)$/))
    .filter(Boolean)
    .map((m) => [m[1], [m[2], m[3]]]),
);

let chromium;
before(async () => { chromium = await browser(); });
after(async () => { await chromium?.close(); });

// axe-core and the layout checks on the page as it is now.
async function checkPage(page, label) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  });
  assert.deepEqual(result, [], `${label} ${page.url()}: axe-core`);
  assert.deepEqual(await layoutProblems(page), [], `${label} ${page.url()}: layout`);
}

async function go(page, label, action) {
  await Promise.all([page.waitForNavigation(), action()]);
  await checkPage(page, label);
}

// Fills the registration form on the page and sends it.
async function register(page, label, email, password, name) {
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.fill("#password_again", password);
  await page.fill("#full_name", name);
  await page.fill("#postal_address", "5 Window Lane\n10115 Sampletown");
  await page.fill("#phone", "+1 555 0100 400");
  await go(page, label, () => page.locator("main button[type=submit]").click());
  assert.ok(await page.locator("#sent").isVisible(), "the shop says to look for its e-mail");
  // The account is made from the link the e-mail brings, by the button on the page it opens.
  const mail = await mailTo(email, "Confirm your e-mail address");
  const link = mail.match(/https?:\/\/\S+\/register\/confirm\/[0-9a-f]+/);
  assert.ok(link, `a confirmation link in the e-mail: ${mail}`);
  await page.goto(`${BASE}${new URL(link[0]).pathname}`);
  await checkPage(page, label);
  await go(page, label, () => page.getByRole("button", { name: "Make my account" }).click());
}

// The salesperson's first offer in stock: the shopper buys it, so the salesperson can ship it.
async function salespersonsOffer(viewport) {
  const ctx = await chromium.newContext({ viewport });
  const page = await ctx.newPage();
  await logIn(page, ...logins.salesperson);
  await page.goto(`${BASE}/sell/offers`);
  const code = await page.evaluate(() => {
    for (const row of document.querySelectorAll("table tbody tr")) {
      const link = row.querySelector("td a[href^='/catalog/']");
      if (link && !row.innerText.includes("sold out") && !row.innerText.includes("withdrawn")) return link.innerText.trim();
    }
    return null;
  });
  await ctx.close();
  assert.ok(code, "the demo salesperson has an offer in stock");
  return code;
}

for (const [width, viewport] of Object.entries(WIDTHS)) {
  test(`a visitor registers from the cart, checks out, and the salesperson ships (${width})`, async () => {
    const code = await salespersonsOffer(viewport);
    const ctx = await chromium.newContext({ viewport, bypassCSP: true });
    const page = await ctx.newPage();

    // The visitor finds the product and puts it into the cart.
    await page.goto(`${BASE}/catalog`);
    await checkPage(page, width);
    await page.goto(`${BASE}/catalog/${code}`);
    await checkPage(page, width);
    const row = page.locator("tr.asked");
    await go(page, width, () => row.getByRole("link", { name: "Add to cart" }).or(row.getByRole("button", { name: "Add to cart" })).first().click());
    if (new URL(page.url()).pathname === "/cart/add") {
      await go(page, width, () => page.locator("main form button[type=submit]").click());
    }
    assert.match(page.url(), /\/cart\?added=/);
    assert.ok(await page.locator(".badge").isVisible(), "the header counts the cart");

    // Registering from the cart comes back to the checkout, with the cart.
    await go(page, width, () => page.locator("main").getByRole("link", { name: "register", exact: true }).click());
    const email = `browser-${width}-${Date.now()}@example.com`;
    await register(page, width, email, "a-long-browser-password", "Bruno Browser");
    assert.equal(new URL(page.url()).pathname, "/checkout", "registering from the cart leads on to the checkout");
    assert.ok(await page.getByText(/available:/).isVisible(), "the checkout shows the e-check credit");

    // The order is placed and found under Orders.
    await go(page, width, () => page.locator("main form button[type=submit]").click());
    const number = (await page.locator("h1 code").innerText()).trim();
    assert.match(number, /^\S{5}-\S{5}$/);
    await go(page, width, () => page.locator("header").getByRole("link", { name: "Orders" }).click());
    assert.ok(await page.getByText(number).isVisible(), "the order is listed");

    // The salesperson confirms the price and ships it.
    const sellerCtx = await chromium.newContext({ viewport, bypassCSP: true });
    const seller = await sellerCtx.newPage();
    await logIn(seller, ...logins.salesperson);
    assert.equal(new URL(seller.url()).pathname, "/sell", "staff land on their dashboard");
    await seller.goto(`${BASE}/sell/orders/${number}`);
    await checkPage(seller, width);
    await go(seller, width, () => seller.getByRole("button", { name: "Confirm the price" }).click());
    await go(seller, width, () => seller.getByRole("button", { name: "Ship" }).click());
    assert.match(await seller.locator("#state").innerText(), /shipped|on its way/i);
    await sellerCtx.close();
    await ctx.close();
  });
}

for (const [width, viewport] of Object.entries(WIDTHS)) {
  test(`a salesperson adds a picture that the product page shows, then removes it (${width})`, async () => {
    const code = await salespersonsOffer(viewport);
    const ctx = await chromium.newContext({ viewport, bypassCSP: true });
    const page = await ctx.newPage();
    await logIn(page, ...logins.salesperson);
    await page.goto(`${BASE}/sell/offers/${code}/pictures`);
    await checkPage(page, width);
    // Any picture will do: the browser's own screenshot of the page is a PNG.
    const file = `${fs.mkdtempSync("/tmp/shop-browser-")}/photo.png`;
    await page.screenshot({ path: file });
    const alt = `Seen from the front (${width})`;
    await page.fill("#alt", alt);
    await page.setInputFiles("#picture", file);
    await go(page, width, () => page.getByRole("button", { name: "Upload" }).click());
    const kept = page.getByAltText(alt);
    assert.ok(await kept.isVisible(), "the pictures page shows the upload");
    assert.ok(await kept.evaluate((img) => img.complete && img.naturalWidth > 0), "its thumbnail loads");

    await page.goto(`${BASE}/catalog/${code}`);
    await checkPage(page, width);
    const shown = page.getByAltText(alt).first();
    assert.ok(await shown.evaluate((img) => img.complete && img.naturalWidth > 0), "the product page shows it");

    await page.goto(`${BASE}/sell/offers/${code}/pictures`);
    const item = page.locator("ul.gallery li", { has: page.getByAltText(alt) });
    await go(page, width, () => item.getByRole("button", { name: "Remove" }).click());
    assert.equal(await page.getByAltText(alt).count(), 0, "removed");
    await ctx.close();
  });
}

// Links come by e-mail: without SMTP the shop writes each into <data dir>/outbox.
async function mailTo(email, subject) {
  const dir = `${process.env.SHOP_DATA_DIR || "data"}/outbox`;
  for (let i = 0; i < 100; i++) {
    for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      // Quoted-printable: join the soft line breaks and decode "=".
      const text = fs.readFileSync(`${dir}/${name}`, "utf8").replace(/=\r?\n/g, "").replace(/=3D/g, "=");
      if (text.includes(email) && text.includes(subject)) return text;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  assert.fail(`no e-mail "${subject}" to ${email} in ${dir}`);
}

test("a shopper who forgot the password sets a new one through the e-mailed link (phone)", async () => {
  const ctx = await chromium.newContext({ viewport: WIDTHS.phone, bypassCSP: true });
  const page = await ctx.newPage();
  const email = `forgetful-${Date.now()}@example.com`;
  await page.goto(`${BASE}/register`);
  await register(page, "phone", email, "the-first-long-password", "Fiona Forgetful");
  await ctx.clearCookies();

  await page.goto(`${BASE}/login`);
  await go(page, "phone", () => page.getByRole("link", { name: "Forgot your password?" }).click());
  await page.fill("#email", email);
  await go(page, "phone", () => page.getByRole("button", { name: "Send the link" }).click());
  const mail = await mailTo(email, "Choose a new password");
  const link = mail.match(/https?:\/\/\S+\/password\/reset\/[A-Za-z0-9_-]+/);
  assert.ok(link, `a reset link in the e-mail: ${mail}`);
  await page.goto(`${BASE}${new URL(link[0]).pathname}`);
  await checkPage(page, "phone");
  await page.fill("#new_password", "the-second-long-password");
  await page.fill("#new_password_again", "the-second-long-password");
  await go(page, "phone", () => page.getByRole("button", { name: "Set the new password" }).click());
  assert.equal(new URL(page.url()).pathname, "/login", "back to the login page");

  await logIn(page, email, "the-second-long-password");
  assert.notEqual(new URL(page.url()).pathname, "/login", "the new password lets the shopper in");
  await ctx.close();
});

// The demo prepaid cards printed at the first start.
const cards = fs.readFileSync(`${process.env.SHOP_DATA_DIR || "data"}/demo-logins.txt`, "utf8")
  .split("\n")
  .map((line) => line.match(/^demo prepaid card: (\S+) /))
  .filter(Boolean)
  .map((m) => m[1]);

for (const [n, [width, viewport]] of Object.entries(WIDTHS).entries()) {
  test(`a visitor buys anonymously: request, pick, pay by prepaid card (${width})`, async () => {
    assert.ok(cards[n], "the demo prints prepaid cards");
    const ctx = await chromium.newContext({ viewport, bypassCSP: true });
    const page = await ctx.newPage();
    await page.goto(`${BASE}/anon`);
    await checkPage(page, width);
    // Each kind in turn until one has offers within the card's 500.00.
    const kinds = await page.locator("#kind option[value]:not([value=''])").evaluateAll((os) => os.map((o) => o.value));
    let found = false;
    for (const kind of kinds) {
      await page.goto(`${BASE}/anon?kind=${kind}`);
      await checkPage(page, width);
      await page.fill("#price_max", "500");
      await go(page, width, () => page.getByRole("button", { name: "Find offers" }).click());
      if (await page.getByRole("heading", { name: "Offers that match" }).count()) { found = true; break; }
      assert.ok(await page.locator("#nothing").isVisible(), "nothing matches is said plainly");
    }
    assert.ok(found, "some demo offer costs at most 500.00");
    await go(page, width, () => page.getByRole("button", { name: "Choose this" }).first().click());
    assert.match(new URL(page.url()).pathname, /^\/anon\/orders\/[0-9a-f]{40}$/);
    const pin = (await page.locator("#pin").innerText()).trim();
    assert.match(pin, /^\d{8}$/);
    assert.ok(await page.locator("#keep-these").isVisible(), "the buyer is told to keep the ID, the PIN and the link");

    // A wrong card code comes back next to its field, then the demo card pays.
    await page.fill("#card", "ABCD-EFGH-JKMN-PQRS");
    await page.locator("input[name=point]").first().check();
    await go(page, width, () => page.getByRole("button", { name: /^Pay / }).click());
    assert.ok(await page.locator("#card-error").isVisible(), "the wrong code is marked");
    await page.fill("#card", cards[n]);
    await page.locator("input[name=point]").first().check();
    await go(page, width, () => page.getByRole("button", { name: /^Pay / }).click());
    assert.match(await page.locator("#state").innerText(), /paid/);
    assert.equal((await page.locator("#pin").innerText()).trim(), pin, "the link shows the same PIN");
    await ctx.close();

    // The staff's new pages pass the same checks.
    for (const [role, paths] of [["pickup", ["/pickup"]], ["carrier", ["/carrier/shipments"]], ["salesperson", ["/sell/anon"]], ["admin", ["/admin/prepaid", "/admin/pickup-points", "/admin/pickup-points/CORNER"]]]) {
      const staffCtx = await chromium.newContext({ viewport, bypassCSP: true });
      const staff = await staffCtx.newPage();
      await logIn(staff, ...logins[role]);
      for (const path of paths) {
        await staff.goto(`${BASE}${path}`);
        await checkPage(staff, `${width} ${role}`);
      }
      await staffCtx.close();
    }
  });
}

for (const [width, viewport] of Object.entries(WIDTHS)) {
  test(`the clerk records cartridges and the shopper uses points at checkout (${width})`, async () => {
    // The demo shopper is a member: the consumables page shows the display with the card number.
    const ctx = await chromium.newContext({ viewport, bypassCSP: true });
    const page = await ctx.newPage();
    await logIn(page, ...logins.shopper);
    await page.goto(`${BASE}/consumables`);
    await checkPage(page, width);
    assert.ok(await page.locator("#points").isVisible(), "the collection display shows the points");
    await page.goto(`${BASE}/collection`);
    await checkPage(page, width);
    const card = (await page.locator("#card-number").innerText()).trim();
    const before = Number((await page.locator("#points").innerText()).replace(/,/g, ""));

    // The clerk finds the card as typed and records two reusable cartridges.
    const deskCtx = await chromium.newContext({ viewport, bypassCSP: true });
    const desk = await deskCtx.newPage();
    await logIn(desk, ...logins.clerk);
    await desk.goto(`${BASE}/clerk/collection`);
    await checkPage(desk, width);
    await desk.fill("#card", card.toLowerCase());
    await go(desk, width, () => desk.getByRole("button", { name: "Find" }).click());
    await desk.selectOption("#cartridge", { index: 1 });
    await desk.fill("#quantity", "2");
    await desk.getByLabel("Reusable", { exact: true }).check();
    await go(desk, width, () => desk.getByRole("button", { name: "Record", exact: true }).click());
    assert.match(await desk.locator(".flash").first().innerText(), /Recorded 2 ×/);
    await deskCtx.close();

    await page.goto(`${BASE}/collection`);
    const after = Number((await page.locator("#points").innerText()).replace(/,/g, ""));
    assert.ok(after > before, `the points grew (${before} → ${after})`);

    // Points as a price reduction: the checkout offers them and the order shows the reduction.
    const code = await salespersonsOffer(viewport);
    await page.goto(`${BASE}/cart/add?offer=${code}`);
    await go(page, width, () => page.locator("main form button[type=submit]").click());
    await page.goto(`${BASE}/checkout`);
    await checkPage(page, width);
    await page.fill("#points", "10");
    await go(page, width, () => page.locator("main form.card button[type=submit]").click());
    assert.ok(await page.locator("#points-discount").isVisible(), "the order shows the points' reduction");
    await ctx.close();

    // The admins' page passes the same checks.
    const adminCtx = await chromium.newContext({ viewport, bypassCSP: true });
    const admin = await adminCtx.newPage();
    await logIn(admin, ...logins.admin);
    await admin.goto(`${BASE}/admin/collection`);
    await checkPage(admin, width);
    await adminCtx.close();
  });
}

// The demo shopper's delivered order is of a trade-in offer: it is traded in once, at a phone's
// width; at a desktop's width the same pages are looked at again as each role sees them.
test("a shopper trades in a used item, the clerk grades and pays, the salesperson sees the result (phone)", async () => {
  const viewport = WIDTHS.phone;
  const ctx = await chromium.newContext({ viewport, bypassCSP: true });
  const page = await ctx.newPage();
  await logIn(page, ...logins.shopper);
  await page.goto(`${BASE}/orders`);
  const order = await page.evaluate(() => {
    for (const row of document.querySelectorAll("table tbody tr")) {
      const link = row.querySelector("a[href^='/orders/']");
      if (link && row.innerText.toLowerCase().includes("delivered")) return link.getAttribute("href");
    }
    return null;
  });
  assert.ok(order, "the demo shopper has a delivered order");
  await page.goto(`${BASE}${order}`);
  await checkPage(page, "phone");
  await go(page, "phone", () => page.locator("#trade-in a").click());
  assert.ok(await page.locator(".serving").first().isVisible(), "the designated center is shown");
  await page.fill("#full_name", "Sam Shopper");
  await page.fill("#postal_code", "10115");
  await page.fill("#maker", "Zeta");
  await page.fill("#model", "Z9");
  await page.selectOption("#grade", "good");
  await go(page, "phone", () => page.getByRole("button", { name: "See the estimate" }).click());
  await go(page, "phone", () => page.getByRole("button", { name: "Apply" }).click());
  assert.ok(await page.locator("#keep").isVisible(), "the applicant is told to keep the link");
  const number = (await page.locator("#number").innerText()).trim();
  const status = page.url().replace(/\?new$/, "");

  const deskCtx = await chromium.newContext({ viewport, bypassCSP: true });
  const desk = await deskCtx.newPage();
  await logIn(desk, ...logins.clerk);
  await desk.goto(`${BASE}/clerk/buyback`);
  await checkPage(desk, "phone");
  await desk.goto(`${BASE}/clerk/buyback/${number}`);
  await checkPage(desk, "phone");
  await go(desk, "phone", () => desk.getByRole("button", { name: "The item is here: receive it" }).click());
  await desk.fill("#price", "1.00");
  await desk.fill("#reason", "the case is cracked");
  await go(desk, "phone", () => desk.getByRole("button", { name: "Offer", exact: true }).click());

  await page.goto(status);
  await checkPage(page, "phone");
  await go(page, "phone", () => page.getByRole("button", { name: /^Accept/ }).click());
  await desk.reload();
  await go(desk, "phone", () => desk.getByRole("button", { name: "Pay", exact: true }).click());
  assert.equal((await desk.locator("#state").innerText()).trim(), "Paid");
  await deskCtx.close();
  await ctx.close();

  const sellCtx = await chromium.newContext({ viewport, bypassCSP: true });
  const sell = await sellCtx.newPage();
  await logIn(sell, ...logins.salesperson);
  await sell.goto(`${BASE}/sell/buyback`);
  await checkPage(sell, "phone");
  assert.ok((await sell.locator("#results").innerText()).includes("Zeta Z9"), "the result reaches the salesperson");
  await sellCtx.close();
});

test("the buy-back pages of every role (desktop)", async () => {
  const viewport = WIDTHS.desktop;
  for (const [role, paths] of [
    ["shopper", ["/buyback"]],
    ["clerk", ["/clerk/buyback"]],
    ["salesperson", ["/sell/buyback"]],
    ["admin", ["/admin/buyback", "/admin/buyback/centers", "/admin/buyback/centers/BB-NORTH"]],
  ]) {
    const ctx = await chromium.newContext({ viewport, bypassCSP: true });
    const page = await ctx.newPage();
    await logIn(page, ...logins[role]);
    for (const path of paths) {
      await page.goto(`${BASE}${path}`);
      await checkPage(page, "desktop");
    }
    if (role === "shopper") {
      await page.locator("#mine a").first().click();
      await page.waitForLoadState();
      await checkPage(page, "desktop");
    }
    if (role === "clerk") {
      await page.locator("#ended a").first().click();
      await page.waitForLoadState();
      await checkPage(page, "desktop");
    }
    await ctx.close();
  }
});

// The demo history holds a year of sales and requests: the salesperson buys an analysis, reads
// its chart and table, finds it again among their reports and downloads its CSV; the admin's page
// of prices and privacy is looked at too.
for (const [width, viewport] of Object.entries(WIDTHS)) {
  test(`a salesperson buys an analysis, views it again and downloads it (${width})`, async () => {
    const ctx = await chromium.newContext({ viewport, bypassCSP: true });
    const page = await ctx.newPage();
    await logIn(page, ...logins.salesperson);
    await page.goto(`${BASE}/sell/analytics`);
    await checkPage(page, width);
    const year = new Date(Date.now() - 360 * 86400000).toISOString().slice(0, 10);
    await page.selectOption("#analysis", width === "phone" ? "volume" : "price-bands");
    await page.fill("#from", year);
    await go(page, width, () => page.getByRole("button", { name: "Buy", exact: true }).click());
    assert.match(new URL(page.url()).pathname, /^\/sell\/analytics\/[0-9a-f-]{36}$/, "the report's page");
    const report = page.url();
    assert.ok(await page.locator("figure.chart-figure svg").first().isVisible(), "a chart is drawn");
    const shown = await page.locator("table.stack tbody tr").count();
    assert.ok(shown > 0, "the table has rows");
    const csv = await page.request.get(`${report}/csv`);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()["content-type"], /^text\/csv/);
    assert.ok((await csv.text()).includes("Total of shown cells"), "the CSV has the table and its total");

    await page.goto(`${BASE}/sell/analytics`);
    await go(page, width, () => page.locator(`#reports a[href="${new URL(report).pathname}"]`).click());
    assert.equal(await page.locator("table.stack tbody tr").count(), shown, "viewed again as bought");
    await ctx.close();

    const adminCtx = await chromium.newContext({ viewport, bypassCSP: true });
    const admin = await adminCtx.newPage();
    await logIn(admin, ...logins.admin);
    await admin.goto(`${BASE}/admin/analytics`);
    await checkPage(admin, width);
    await adminCtx.close();
  });
}
