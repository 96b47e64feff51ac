/**
 * The bot detectors against simulated traffic (bench/simulator.ts): every scenario on a fixed seed, shortened
 * (15 simulated minutes of people first, then 10 measured), the decision pipeline in process on the memory store.
 * Floors: the targets (request recall after the attack's first minute and client recall >= 90%; people
 * flagged on <= 0.5% of their requests and <= 1% of them; a campaign's visitors on <= 0.5%). The server over gRPC
 * decides exactly as the pipeline in process (checked on one scenario); Redis is checked in redis.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { MIN, generateScenario, type TrafficVariant } from '../../bench/sim-traffic.ts';
import { generateScenarioB } from '../../bench/sim-traffic-b.ts';
import { generateScenarioC } from '../../bench/sim-traffic-c.ts';
import { generateScenarioE } from '../../bench/sim-traffic-e.ts';
import { SCENARIOS, renderTable, runScenario, type ScenarioName, type ScenarioResult } from '../../bench/simulator.ts';
import { BOT_SIGNAL_NAMES } from '../../lib/policy/schema.ts';

const SHORT = { warmupMs: 15 * MIN, measuredMs: 10 * MIN };
const SEED = 1;
const results: ScenarioResult[] = [];

/** The recall floors on a run with more than `minBotRequests` attack requests after its first minute. */
function expectCaught(r: ScenarioResult, minBotRequests: number): void {
  expect(r.botAfterMinute).toBeGreaterThan(minBotRequests);
  expect(r.requestRecall).toBeGreaterThanOrEqual(0.9);
  expect(r.clientRecall).toBeGreaterThanOrEqual(0.9);
  expectNamedSignals(r);
}

/**
 * Every signal that fired is one a policy can name (`ignoreSignals`), with whole points: the runs count signals by
 * their `name+points` label, so a fractional score (once fresh-relanding's) leaves a label that is no name.
 */
function expectNamedSignals(r: ScenarioResult): void {
  const named = new Set<string>(BOT_SIGNAL_NAMES);
  expect([...Object.keys(r.tpSignals), ...Object.keys(r.fpSignals)].filter((name) => !named.has(name))).toEqual([]);
}

/** People within the targets: at most 0.5% of their requests flagged, and 1% of them. */
function expectPeopleSpared(r: ScenarioResult): void {
  expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.01);
}

/** Model e's low-and-slow attack of `seed`: every client caught, at least `minRecall` of its requests after the first minute. */
async function expectLowAndSlowCaught(seed: number, minRecall: number): Promise<ScenarioResult> {
  const r = await runScenario('low-and-slow', seed, { inProcess: true, model: 'e' });
  expect(r.clientRecall).toBe(1);
  expect(r.requestRecall).toBeGreaterThanOrEqual(minRecall);
  return r;
}

/** A distributed surge at full length, on `route`: caught within the targets, people within theirs. */
async function expectSurgeCaught(seed: number, variants: TrafficVariant[], route: string): Promise<ScenarioResult> {
  const r = await runScenario('distributed-surge', seed, { inProcess: true, variants });
  expect(r.params['route']).toBe(route);
  expectCaught(r, 1000);
  expectPeopleSpared(r);
  return r;
}

describe('bot detection on simulated traffic', () => {
  it('generates the same traffic for the same seed, other traffic for another, attacks inside the run', () => {
    const a = generateScenario('residential-proxy', 1, SHORT);
    expect(generateScenario('residential-proxy', 1, SHORT).events).toEqual(a.events);
    expect(generateScenario('residential-proxy', 2, SHORT).events).not.toEqual(a.events);
    expect(a.events.some((e) => e.kind === 'bot') && a.events.some((e) => e.kind === 'person')).toBe(true);
    expect(a.attackStartMs).toBeGreaterThanOrEqual(a.warmupMs);
    expect(generateScenario('burst-cold', 1, SHORT).warmupMs).toBe(0);
  });

  for (const scenario of SCENARIOS as readonly ScenarioName[]) {
    it(`${scenario}: targets on seed ${SEED}`, { timeout: 120_000 }, async () => {
      const r = await runScenario(scenario, SEED, { ...SHORT, inProcess: true });
      results.push(r);
      expectNamedSignals(r);
      expect(r.people).toBeGreaterThan(50);
      expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
      expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.01);
      if (scenario === 'people' || scenario === 'campaign') {
        expect(r.botRequests).toBe(0);
        if (scenario === 'campaign') {
          expect(r.campaignRequests).toBeGreaterThan(500);
          expect(r.campaignFpRate).toBeLessThanOrEqual(0.005);
        }
        return;
      }
      expectCaught(r, 100);
      expect(r.precision).toBeGreaterThanOrEqual(0.95);
    });
  }

  it('token abuse copying the app\'s whole header set (variant exact-mimicry): the crowd is still caught', { timeout: 120_000 }, async () => {
    // Seed 2 (shortened) draws the app's key and user agent; the variant copies the app's header set and TLS stack too, so only
    // the crowd of addresses new to the token (including those learned before the surge was significant) tells it.
    const r = await runScenario('token-abuse', 2, { ...SHORT, inProcess: true, variants: ['exact-mimicry'] });
    expect(r.params['userAgent']).toBe('ShopApp/4.2.7');
    expectCaught(r, 100);
  });

  // Every address wears the people's browsers and languages with a fingerprint of its own, so every route x
  // fingerprint cell is the crowd's only one. A build number per address (spread-builds): before version numbers left
  // the fingerprint the route's surge was held against none of them (4% of requests flagged on this seed). A made-up
  // word per address (junk-tokens): no version to strip, every cell new and thin, the class the people's; what
  // gives the crowd away is how many of the site's newcomers land in cells never seen before (surge-novel), without
  // which 29.5% were flagged here. People who land on the attacked routes in the attacked minutes are challenged with
  // the crowd, as designed: bounded here on their requests.
  it.each([
    ['spread-builds', null],
    ['junk-tokens', 'surge-novel'],
  ] as const)('residential proxies giving each address a fingerprint of its own (variant %s) are still a crowd', { timeout: 120_000 }, async (variant, signal) => {
    const r = await runScenario('residential-proxy', SEED, { ...SHORT, inProcess: true, variants: [variant] });
    expect(r.params['mimicry']).toBe('people');
    expectCaught(r, 1000);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.01);
    if (signal) expect(r.tpSignals[signal] ?? 0).toBeGreaterThan(0);
  });

  it.each([[['page-first-proxies']], [['page-first-proxies', 'dressed-calls']]] as const)("residential proxies that load a page from each address, then call its API without the cookie (variants %j), are still caught", { timeout: 120_000 }, async (variants) => {
    // A person who blocks cookies does the same, so an address's calls after a page it loaded are left out of the API
    // route's recent landings (the return deficit of people typing into a search box); the crowd's calls are caught by
    // the site's deficit and their addresses' own signals instead. Seeds 1-10 at full length: 78.3-100 % of requests
    // (mean 95.6), the same as before the calls were left out (78.3-99.8, mean 95.6). Calls named and dressed as the
    // page's images (dressed-calls), which a page's files are not judged as a crowd: 28.2-47.7 % (mean 43.2) while
    // their claims were taken; 78.3-100 % (mean 96.0) once the upstream's data for them makes them calls (ClaimAnswers).
    const r = await runScenario('residential-proxy', SEED, { ...SHORT, inProcess: true, variants: [...variants] });
    expectCaught(r, 1000);
    expectPeopleSpared(r);
  });

  it('residential proxies spread thin over the people\'s own fingerprints: the route\'s surge still counts in thin cells', { timeout: 120_000 }, async () => {
    // Seed 5 at full length: 1411 addresses drawn like the people, one or two requests a minute per route x
    // fingerprint cell. When a thin cell voided the route's surge, 68.4% of requests were flagged (71.1% with the
    // fingerprint without versions); capped at thinCellMax, an address's cookieless requests add up with it.
    const r = await runScenario('residential-proxy', 5, { inProcess: true });
    expect(r.params['mimicry']).toBe('people');
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.8);
    expect(r.clientRecall).toBeGreaterThanOrEqual(0.85);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.01);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  });

  it('credential stuffing stays a failure surge while its tries are challenged', { timeout: 120_000 }, async () => {
    // Seed 5 at full length: about a hundred addresses, a dozen failed logins a minute. A challenged try never reaches
    // the upstream and adds no 401, so the more of the crowd was challenged the smaller its surge looked, and 87.5%
    // of its requests were flagged; its stops now count at the failing rate of what still reaches /login.
    const r = await runScenario('credential-stuffing', 5, { inProcess: true });
    expect(r.params['addresses']).toBe(122);
    expect(r.botAfterMinute).toBeGreaterThan(300);
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.95);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.01);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  });

  it('the second, third and fifth traffic models: the same traffic for the same seed, time order, people in every scenario, attacks inside the run', () => {
    for (const generate of [generateScenarioB, generateScenarioC, generateScenarioE]) {
      const a = generate('residential-proxy', 1, SHORT);
      expect(generate('residential-proxy', 1, SHORT).events).toEqual(a.events);
      expect(generate('residential-proxy', 2, SHORT).events).not.toEqual(a.events);
      for (const scenario of SCENARIOS) {
        const sc = generate(scenario, 3, SHORT);
        expect(sc.events.every((e, i) => i === 0 || sc.events[i - 1]!.at <= e.at)).toBe(true);
        expect(sc.events.every((e) => e.at >= 0 && e.at < sc.endMs)).toBe(true);
        expect(sc.events.some((e) => e.kind === 'person' && e.at >= sc.warmupMs)).toBe(true);
        const bots = sc.events.filter((e) => e.kind === 'bot');
        if (scenario === 'people' || scenario === 'campaign') expect(bots).toEqual([]);
        else {
          expect(bots.length).toBeGreaterThan(0);
          expect(bots.every((e) => e.at >= sc.attackStartMs! && e.at < sc.endMs)).toBe(true);
        }
      }
      expect(generate('burst-cold', 1, SHORT).warmupMs).toBe(0);
    }
  });

  it("residential proxies spread over a site's slug pages, one to three requests each (model c, seed 2), are caught once the slugs are learned as one route", { timeout: 120_000 }, async () => {
    // Each of its thousands of journey pages was a route of its own, none of them surging: 0 % caught before
    // route-shapes.ts.
    const r = await runScenario('residential-proxy', 2, { inProcess: true, model: 'c' });
    expect(r.params['target']).toBe('journey-pages');
    expectCaught(r, 1000);
    // The crowd's surge on the journeys' one route, in its cells (route x fingerprint).
    expect((r.tpSignals['surge-route'] ?? 0) + (r.tpSignals['surge-cell'] ?? 0)).toBeGreaterThan(r.botFlagged / 2);
  });

  it('an uptime monitor naming itself in the crawlers\' way, once a minute without cookies (model c, seed 1), is left alone', { timeout: 120_000 }, async () => {
    const sc = generateScenarioC('people', 1, SHORT);
    expect(sc.events.filter((e) => e.actor.startsWith('monitor-')).length).toBeGreaterThan(40);
    const r = await runScenario('people', 1, { ...SHORT, inProcess: true, model: 'c' });
    expect(r.fpSignals['browser-without-accept-language'] ?? 0).toBe(0);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  });

  it("credential stuffers that load the sign-in form, keep the cookie it set and post with it (model b, seed 6) are caught", { timeout: 120_000 }, async () => {
    // Each address's first try is its session's first request with the cookie: judged with the path's failure surge
    // only since that request is (76.5 % of requests caught before).
    const r = await runScenario('credential-stuffing', 6, { inProcess: true, model: 'b' });
    expect(r.params['stuffingKeepsCookie']).toBe(true);
    expectCaught(r, 1000);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  });

  it("credential stuffers that load the sign-in page and its files with a new client before each try (model d, seed 2) are caught, the page and files included", { timeout: 120_000 }, async () => {
    // Only the tries were caught before (40.0 % of requests, 100 % of clients): the page they are posted from (their
    // Referer) is held as the path's form while they are challenged.
    const r = await runScenario('credential-stuffing', 2, { inProcess: true, model: 'd' });
    expect(r.params['mode']).not.toBe('mobile');
    expectCaught(r, 1000);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.05);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  });

  it("a scanner keeping a made-up cookie for a few probes, then another (model b, seed 10), is judged on its address's errors", { timeout: 120_000 }, async () => {
    // Its sessions never had enough errors of their own and counted as what the address kept: 49.3 % caught before.
    const r = await runScenario('low-and-slow', 10, { inProcess: true, model: 'b' });
    expect(r.params['slowSession']).toBe('throwaway');
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.75);
    expect(r.clientRecall).toBe(1);
    // The address's errors, or of them the scanners' targets (one signal of the errors family counts).
    expect((r.tpSignals['errors-address'] ?? 0) + (r.tpSignals['probes'] ?? 0)).toBeGreaterThan(r.botFlagged / 2);
  });

  it("slow scanners asking for what scanners ask every site for (model d, seed 8: .env, .git, phpmyadmin, cgi-bin) are held by their probes", { timeout: 120_000 }, async () => {
    // Three addresses, a request every 27-45 s: their errors alone stayed under the challenge (83.8 % caught before).
    const r = await runScenario('low-and-slow', 8, { inProcess: true, model: 'd' });
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.9);
    expect(r.clientRecall).toBe(1);
    expect(r.tpSignals['probes'] ?? 0).toBeGreaterThan(r.botFlagged / 3);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.01);
  });

  it("crawlers rendering pages with a desktop Chrome's user agent at a reader's pace, cookie kept (model d, seed 8), are caught once their pages reach people's threshold", { timeout: 120_000 }, async () => {
    // 3.5 pages a minute per address, each page's images and none of its calls: 16.9 % of requests and 2 of 4 clients
    // caught before; now every client, from about its thirtieth page.
    const r = await runScenario('crawler', 8, { inProcess: true, model: 'd' });
    expect(r.params['headless']).toBe('stealth');
    expect(r.clientRecall).toBe(1);
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.3);
    expect(r.tpSignals['pages-only'] ?? 0).toBeGreaterThan(0);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.01);
  });

  it("an app's users who keep their session in a header of their own (model d credential stuffing through the app's login, seed 4) are not held with a crowd using the app's key", { timeout: 120_000 }, async () => {
    // The crowd copies the app's key, user agent and header set, not its users' x-tb-session: 33 people (4.5 %) and
    // 0.79 % of people's requests were held with it before.
    const r = await runScenario('credential-stuffing', 4, { inProcess: true, model: 'd' });
    expect(r.params['mode']).toBe('mobile');
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.95);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.003);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.015);
  });

  it("slow probers whose errors add up over twenty minutes, and whose stops do not dilute them (model b, seed 6), are held", { timeout: 120_000 }, async () => {
    // Two addresses, a request every 5-30 s, a quarter to a half of them 404s: over ten minutes their errors stayed
    // just under the challenge, and each stop counted as a request answered lowered them (65.1 % caught before).
    // Since scanners' targets count as probes, 93.8 %: the address's errors, or of them its probes (one signal of the
    // errors family counts).
    const r = await runScenario('low-and-slow', 6, { inProcess: true, model: 'b' });
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.9);
    expect(r.clientRecall).toBe(1);
    expect((r.tpSignals['errors-address'] ?? 0) + (r.tpSignals['probes'] ?? 0)).toBeGreaterThan(r.botFlagged / 2);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  });

  it("an app's users who arrive while a crowd copying the app exactly sweeps its events' availability (model b token-abuse, seed 1) are not held with it", { timeout: 120_000 }, async () => {
    // The crowd sends the app's user agent, headers, TLS stack and one install id from 206 addresses; new users were
    // held by the (token, kind) cell's surge on every route they called, and by the failures of the crowd's id
    // enumeration on the availability they read: 5.3 % of people's requests, 7.6 % of people before.
    const r = await runScenario('token-abuse', 1, { inProcess: true, model: 'b' });
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.01);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.03);
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.9);
    expect(r.tpSignals['surge-token-cell'] ?? 0).toBeGreaterThan(r.botFlagged / 2);
  });

  it("a push notification bringing the app's signed-in users back at once to a promotion new to the app (model e campaign, seed 5) holds none of them", { timeout: 120_000 }, async () => {
    // Twelve times the usual newcomers of the app's signed-in kind, on every route they use and on the promotion's two
    // new routes: the (token, kind) cell's surge held 40 % of the campaign's requests and 33 % of all people's before
    // its routes' shares were weighed and a new route could be carried by the usual routes' surge.
    const r = await runScenario('campaign', 5, { inProcess: true, model: 'e' });
    expect(r.params['channel']).toBe('push');
    expect(r.campaignRequests).toBeGreaterThan(5000);
    expect(r.campaignFpRate).toBeLessThanOrEqual(0.005);
    expectPeopleSpared(r);
  });

  it("a crowd sharing a few stolen bearer tokens over 133 addresses, two calls a minute each with the app's exact headers (model e token-abuse, seed 3), is held for each token's spread", { timeout: 120_000 }, async () => {
    // Nothing held it before (0 %): each address sends at the app's pace, its kind is the signed-in users', and the
    // token's crowd was learned as it grew. Each token turns up on a new network with every address it is copied to;
    // the first minutes go by while each token reaches seven networks (85 % of requests after the first minute).
    const r = await runScenario('token-abuse', 3, { inProcess: true, model: 'e' });
    expect(r.params['tokens']).toBe('few');
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.8);
    expect(r.clientRecall).toBeGreaterThanOrEqual(0.9);
    expect(r.tpSignals['credential-spread'] ?? 0).toBeGreaterThan(r.botFlagged / 2);
    expectPeopleSpared(r);
  });

  it("the app's users who arrive while a crowd copying the app, a bearer token per address, scrapes its menus (model e token-abuse, seed 8) are not held on the routes the crowd is not on, nor on its menus once their calls spread over the app's other routes", { timeout: 120_000 }, async () => {
    // Every route of the app was one its newcomers hardly use, and the crowd's surge held a new address of the app's
    // kind on any of them: 8.6 % of people's requests, a fifth of the people, before the crowd had to be on the route.
    // Then every menu a user opened while the crowd fetched menus from 288 addresses was held with it: 45 of 517
    // people (110 requests). Their calls alternate a restaurant and its menu after the app's opening calls; the
    // crowd's are nine in ten on menus.
    const r = await runScenario('token-abuse', 8, { inProcess: true, model: 'e' });
    expect(r.params['tokens']).toBe('per-address');
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.96);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.01);
    expect(r.peopleWithFlag).toBeLessThanOrEqual(20);
    expect(r.peopleFlagged).toBeLessThanOrEqual(30);
  });

  it("a crowd of 230 addresses copying the app exactly, without a bearer, fetching menus at 3.5 a minute each (model e token-abuse, seed 19) is held on the menu route's own surge", { timeout: 120_000 }, async () => {
    // A small part of the app's traffic: the token's whole surge held it at 35-40 points, and its addresses, let through,
    // were learned by the key (57.3 % before an address's calls on the route were weighed against its other calls).
    const r = await runScenario('token-abuse', 19, { inProcess: true, model: 'e' });
    expect(r.params['tokens']).toBe('none');
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.8);
    expect(r.clientRecall).toBeGreaterThanOrEqual(0.9);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.01);
  });

  it("a crowd loading the checkout page for its cookie, then looking up addresses from it (model e distributed-surge, seed 13), is held on its first lookup and after", { timeout: 120_000 }, async () => {
    // It comes back with the cookie like people and is dressed like them: no surge of newcomers or return deficit held
    // it (44.2 % of its requests before where a lander's first call goes from its page was judged).
    const r = await runScenario('distributed-surge', 13, { inProcess: true, model: 'e' });
    expect(r.params['target']).toBe('autocomplete');
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.75);
    expect(r.clientRecall).toBeGreaterThanOrEqual(0.9);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  });

  it("a browser crowd searching templates with the cookie, its calls sent without a Referer (model d distributed-surge, seed 9), is held on its first call", { timeout: 180_000 }, async () => {
    // Its calls name no page of the site, where people's name theirs: 90.1 % of its requests before a first call naming
    // no page was judged against where landers' first calls go.
    const r = await runScenario('distributed-surge', 9, { inProcess: true, model: 'd' });
    expect(r.params['style']).toBe('browser');
    expect(r.tpSignals['surge-first-call'] ?? 0).toBeGreaterThan(200);
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.94);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  });

  it("a partner key's crowd fetching a fare per pair of stations (model c token-abuse, seed 8) is held on every one of those pages", { timeout: 120_000 }, async () => {
    // Each pair of stations is a route of its own until the route shapes collapse them; counted apart, the crowd's
    // addresses learned before its surge were let through on the pairs no other address had asked for in the last
    // minute (98.8 %) until the token's route counters took a segment of joined words as one slug.
    const r = await runScenario('token-abuse', 8, { inProcess: true, model: 'c' });
    expect(r.params['key']).toBe('partner');
    expect(r.requestRecall).toBe(1);
    expect(r.clientRecall).toBe(1);
  });

  it("a push notification whose users fail the app's searches and expired sessions at their usual share (model e campaign, seed 8) is no failure surge", { timeout: 120_000 }, async () => {
    // The usual failing share of a path's reads was learned from cookie sessions only: 3 % of people were held for the
    // push's 401s on /api/v2/me and 429s on /api/v2/search.
    const r = await runScenario('campaign', 8, { inProcess: true, model: 'e' });
    expect(r.params['channel']).toBe('push');
    expect(r.campaignFpRate).toBeLessThanOrEqual(0.005);
    expect(r.fpSignals['surge-failures'] ?? 0).toBe(0);
    expectPeopleSpared(r);
  });

  it("an order-id enumeration by curl from a carrier's address, one call every 34 s (model e low-and-slow, seed 5), is held on its own errors", { timeout: 120_000 }, async () => {
    // The carrier's people answered thousands of requests there: the address's errors were theirs as much as the
    // script's, and its 403s and 404s were never enough (66.7 % of the clients, 49.3 % of requests after the first minute).
    const r = await expectLowAndSlowCaught(5, 0.8);
    expect(r.params['task']).toBe('order-enum');
    expect(r.tpSignals['errors-source'] ?? 0).toBeGreaterThan(0);
    expectPeopleSpared(r);
  });

  it("an order-id enumeration with the app's user agent and key from a carrier's address (model e low-and-slow, seed 11) is held for failing far more often than the app does", { timeout: 120_000 }, async () => {
    // Judged against the site's error rate, the app's users behind carriers' addresses, polling their orders, were held
    // on their own sources' errors, so a token's calls were left out at first, and the enumerator kept on with the key
    // (75 % of the clients, 70.2 % of requests after the first minute). Against the key's own error rate it is held.
    const r = await expectLowAndSlowCaught(11, 0.85);
    expect(r.params['clients']).toMatch(/\/app\/none/);
    expect(r.tpSignals['errors-source'] ?? 0).toBeGreaterThan(0);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.006);
  });

  it("scanners probing from carriers' addresses (model e low-and-slow, seed 1) are held on their own probes, and the app's users there for none of them", { timeout: 120_000 }, async () => {
    // With the address's probes 60 % off for the people behind it, two of five scanners kept on (63.9 % of requests
    // after the first minute), and an app user on one of the addresses was held for a scanner's probes (0.92 % of
    // people's requests).
    const r = await expectLowAndSlowCaught(1, 0.8);
    expect(r.params['task']).toBe('probe');
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  });

  it("a campaign's visitors calling a path that answers every signed-out visitor with a 401, on a warm policy (model b campaign, seed 4), are no failure surge", { timeout: 120_000 }, async () => {
    // Five to twenty times the usual visitors call GET /api/v2/me, 401 to all of them signed out: more failures, at the
    // people's share. Weighed by the learned rate alone, 62 of their requests were held for it (0.62 % of the
    // campaign's requests flagged, over the 0.5 % target).
    const r = await runScenario('campaign', 4, { inProcess: true, model: 'b' });
    expect(r.fpSignals['surge-failures'] ?? 0).toBe(0);
    expect(r.campaignFpRate).toBeLessThanOrEqual(0.005);
  });

  it("people calling a path that answers every signed-out visitor with a 401, on a policy started with them (model b burst-cold, seed 5), are no failure surge", { timeout: 120_000 }, async () => {
    // GET /api/v2/me fails for 80-90 % of its calls; a young policy expected at most 10 %: 95 of 635 people (15 %)
    // were challenged on it before its settled sessions' share was read.
    const r = await runScenario('burst-cold', 5, { inProcess: true, model: 'b' });
    expect(r.params['meAnonymous401']).toBe(true);
    expect(r.fpSignals['surge-failures'] ?? 0).toBe(0);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.02);
    expectCaught(r, 1000);
  });

  it("an app's users on a carrier's IPv6 /48, a /64 each, loading its images with neither the session nor the key (model b people, seed 5), are not one client rotating its addresses", { timeout: 120_000 }, async () => {
    // 60 anonymous requests in 10 minutes from one /48 reached the network's threshold: 16 of their requests, 4 people,
    // were challenged (accept-missing + volume-net-long) before the network's calls with the app's key counted.
    const r = await runScenario('people', 5, { inProcess: true, model: 'b' });
    expect(r.fpSignals['volume-net-long'] ?? 0).toBe(0);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.005);
  });

  it("a campaign's visitors who block cookies (model c, seed 5) are not taken for a crowd on the routes of their pages' images and scripts", { timeout: 120_000 }, async () => {
    // Each image of a page they load is a landing that never comes back: 1.10 % of the campaign's requests flagged before.
    const r = await runScenario('campaign', 5, { inProcess: true, model: 'c' });
    expect(r.campaignFpRate).toBeLessThanOrEqual(0.005);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  });

  it("a partner's daily batch on its own API key with an HTTP library's user agent (model d, seed 2) is not challenged", { timeout: 120_000 }, async () => {
    // 600 calls in about a minute from two servers, python-requests: ua-automation (45) + volume-pair-min (25) challenged
    // 406 of them, and none was ever learned (each scored over the learning cap).
    const r = await runScenario('people', 2, { inProcess: true, model: 'd' });
    expect(r.params['partnerBatchReqs']).toBeGreaterThan(500);
    expect(r.fpSignals['volume-pair-min'] ?? 0).toBe(0);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  });

  it("residential proxies spread over a docs tree's pages, a few per section (model d, seed 3), are caught once the pages are counted across sections", { timeout: 120_000 }, async () => {
    // Eleven sections of 6-14 pages each: no section had 32 pages, so every page stayed a route of its own (16.7 %
    // of the crowd's requests caught before; 90.3 % with the siblings counted).
    const r = await runScenario('residential-proxy', 3, { inProcess: true, model: 'd' });
    expect(r.params['target']).toBe('docs');
    expect(r.botAfterMinute).toBeGreaterThan(1000);
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.85);
    expect(r.clientRecall).toBeGreaterThanOrEqual(0.95);
  });

  it('crawlers that keep their cookie and type in every page alone, a page every 10-60 s per address (model d, seed 7), are caught by their pages over ten minutes from the fifth', { timeout: 120_000 }, async () => {
    // Never a dozen pages in two minutes (the minute's pages-only), and no more pages than a fast reader: 0.5 % of
    // their requests caught before; 47.8 % from each address's twelfth page on, first at 178 s; since pages typed in
    // count from the fifth, 54.2 %, first at 41 s (the fifth address renders its pages, with their images: missed).
    const r = await runScenario('crawler', 7, { inProcess: true, model: 'd' });
    expect(r.params['freshContextPerPage']).toBe(false);
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.5);
    expect(r.firstFlagSeconds).not.toBeNull();
    expect(r.firstFlagSeconds!).toBeLessThan(90);
    expect(r.tpSignals['pages-only'] ?? 0).toBeGreaterThan(r.botFlagged / 2);
  });

  it('credential stuffers that load the form and its files with each cookie, then try once (model d, seed 2), are stopped at their tries', { timeout: 120_000 }, async () => {
    // A third of the stuffers' sessions did so: established by their page loads before the try, never judged with the
    // path's failure surge (61.9 % of the stuffers caught before). People signing in straight away from an address of
    // their own look the same and are challenged with them while most of the path's writes fail (4 of 510 people in
    // the people scenario of this seed, 15 here).
    const r = await runScenario('credential-stuffing', 2, { inProcess: true, model: 'd' });
    expect(r.params['carefulShare']).toBeGreaterThan(0.3);
    expect(r.clientRecall).toBeGreaterThanOrEqual(0.95);
    expect(r.tpSignals['surge-failures'] ?? 0).toBeGreaterThan(1000);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.035);
  });

  it('crawlers that render each page in a fresh browser context (model d, seed 9) are caught by sessions that never live past their first minute', { timeout: 120_000 }, async () => {
    // Each page a landing, its files and calls with the cookie it was given, then nothing: 3.1 % of their requests
    // caught before; people's requests as before.
    const r = await runScenario('crawler', 9, { inProcess: true, model: 'd' });
    expect(r.params['freshContextPerPage']).toBe(true);
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.55);
    expect(r.clientRecall).toBe(1);
    expect(r.tpSignals['one-shot-sessions'] ?? 0).toBeGreaterThan(r.botFlagged / 2);
    expect(r.fpSignals['one-shot-sessions'] ?? 0).toBe(0);
  });

  it('crawlers in a fresh browser context per page whose round includes a page answered with a redirect (model d, seed 10) are still caught as sessions that never live on, and from their first page as the headless browser their user agent names', { timeout: 120_000 }, async () => {
    // Visible headless Chrome at about five pages a minute per address; each pass over the site's pages lands once on
    // /app (302), which fetches nothing after it and never comes back: 52.5 % of their requests after the first minute
    // caught while such a landing hid the source's sessions, 72.5 % judged among the sessions that came back. Their user
    // agent says HeadlessChrome: since a headless browser that names itself is worth a challenge alone, every request
    // from the first (the sessions that never live on stay the evidence on most of them).
    const r = await runScenario('crawler', 10, { inProcess: true, model: 'd' });
    expect(r.params['freshContextPerPage']).toBe(true);
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.95);
    expect(r.firstFlagSeconds).not.toBeNull();
    expect(r.firstFlagSeconds!).toBeLessThanOrEqual(5);
    expect(r.tpSignals['one-shot-sessions'] ?? 0).toBeGreaterThan(r.botFlagged / 2);
    expect(r.clientRecall).toBe(1);
    expect(r.fpSignals['one-shot-sessions'] ?? 0).toBe(0);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.01);
  });

  it("people who block cookies fetching a page's files within seconds (model c people, seed 4) are no burst", { timeout: 120_000 }, async () => {
    // A page and its fonts, favicon, calls and images, then the next page's images, outside any session: 12-14 requests
    // in 10 s crossed the source's burst floor, with fresh-sessions a challenge (3 of 276 people before).
    const r = await runScenario('people', 4, { inProcess: true, model: 'c' });
    expect(r.fpSignals['volume-src-tick'] ?? 0).toBe(0);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.005);
  });

  it("colleagues behind an office's address placing a group order, where the site's HEADs come from its app, tablets and monitors (model e people, seed 7), are not held for sending none", { timeout: 120_000 }, async () => {
    // Their browsers send no HEAD; the site's requests are 7 % HEAD. Five of them were challenged once each, on their
    // cart call (few-head with journey-skip), before the address's kept sessions and each session's own share of its
    // requests discounted the signal.
    const r = await runScenario('people', 7, { inProcess: true, model: 'e' });
    expect(r.fpSignals['few-head'] ?? 0).toBe(0);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.005);
  });

  it("people reloading pages through the site's own outage (model d people, seed 10: 502s and 503s for 147 s) are not taken for a crowd", { timeout: 120_000 }, async () => {
    // Every reload of a page answered 502 was a landing that never came back (no cookie set): a surge on the pages
    // people were reading, and addresses opening session after session. 20 of 895 people were flagged before, 12 of them
    // in or just after the outage.
    const r = await runScenario('people', 10, { inProcess: true, model: 'd' });
    expect(r.params['outage']).toBe('1875s+147s');
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.011);
  });

  it("dressed-calls changes only how the proxies' calls after their page are named and dressed, as a page's images", () => {
    const plain = generateScenario('residential-proxy', SEED, { ...SHORT, variants: ['page-first-proxies'] }).events;
    const dressed = generateScenario('residential-proxy', SEED, { ...SHORT, variants: ['page-first-proxies', 'dressed-calls'] }).events;
    expect(dressed.length).toBe(plain.length);
    let calls = 0;
    dressed.forEach((e, i) => {
      const was = plain[i]!;
      expect([e.at, e.actor, e.ip, e.method, e.code]).toEqual([was.at, was.actor, was.ip, was.method, was.code]);
      if (was.kind === 'bot' && was.path.startsWith('/api/')) {
        calls++;
        expect(e.path).toBe(was.path.replace('?', '.png?'));
        expect(e.headers['sec-fetch-dest']).toBe('image');
      } else expect(e).toEqual(was);
    });
    expect(calls).toBeGreaterThan(500);
  });

  it('the evasion variants change only their own attack: decoy page loads before each try, a crowd that grows', () => {
    // Other scenarios draw exactly the same traffic under these variants.
    for (const variant of ['diluted-failures', 'heavy-decoys', 'decoy-logins', 'ramped-crowds'] as const) {
      expect(generateScenario('residential-proxy', SEED, { ...SHORT, variants: [variant] }).events).toEqual(generateScenario('residential-proxy', SEED, SHORT).events);
    }
    const diluted = generateScenario('credential-stuffing', SEED, { ...SHORT, variants: ['diluted-failures'] }).events.filter((e) => e.kind === 'bot');
    const byActor = Map.groupBy(diluted, (e) => e.actor);
    for (const events of byActor.values()) {
      // Every try (POST) comes after a page load (GET, 200) of the same address.
      events.forEach((e, i) => {
        if (e.method === 'POST') expect(events[i - 1]).toMatchObject({ method: 'GET', path: '/login', code: 200, ip: e.ip });
      });
    }
    expect(diluted.filter((e) => e.method === 'GET').length).toBeGreaterThan(diluted.filter((e) => e.method === 'POST').length);
    // Heavy decoys: five page loads or more before a try (fewer only when the attack's end cut them short).
    const heavy = generateScenario('credential-stuffing', SEED, { ...SHORT, variants: ['heavy-decoys'] });
    let tries = 0;
    let behindFive = 0;
    for (const events of Map.groupBy(heavy.events.filter((e) => e.kind === 'bot'), (e) => e.actor).values()) {
      events.forEach((e, i) => {
        if (e.method !== 'POST') return;
        tries++;
        if (i >= 5 && events.slice(i - 5, i).every((d) => d.method === 'GET' && d.path === '/login' && d.code === 200 && d.ip === e.ip)) behindFive++;
      });
    }
    expect(tries).toBeGreaterThan(100);
    expect(behindFive / tries).toBeGreaterThan(0.95);
    // Decoy logins: a success of the stuffer's own after at most three failed tries in a row.
    const logins = generateScenario('credential-stuffing', SEED, { ...SHORT, variants: ['decoy-logins'] });
    let longest = 0;
    let own = 0;
    for (const events of Map.groupBy(logins.events.filter((e) => e.kind === 'bot' && e.method === 'POST'), (e) => e.actor).values()) {
      let run = 0;
      for (const e of events) {
        run = e.code === 401 ? run + 1 : 0;
        if (e.code === 200) own++;
        longest = Math.max(longest, run);
      }
    }
    expect(longest).toBeLessThanOrEqual(3);
    expect(own).toBeGreaterThan(50);
    // A ramp: few addresses join in the crowd's first minute, most of them late.
    const joinedInFirstMinute = (variants: 'ramped-crowds'[]) => {
      const sc = generateScenario('token-abuse', 13, { variants });
      const first = new Map<string, number>();
      for (const e of sc.events) if (e.kind === 'bot' && !first.has(e.actor)) first.set(e.actor, e.at);
      expect(first.size).toBe(45);
      return [...first.values()].filter((t) => t - sc.attackStartMs! < MIN).length;
    };
    expect(joinedInFirstMinute(['ramped-crowds'])).toBeLessThan(joinedInFirstMinute([]) / 2);
  });

  it('ramped surges: the surge\'s crowd is there from the first second, each hour about twice the one before, the attack itself unchanged', () => {
    const span = { warmupMs: 300 * MIN, measuredMs: 20 * MIN };
    const plain = generateScenario('distributed-surge', 2, span);
    const ramped = generateScenario('distributed-surge', 2, { ...span, variants: ['ramped-surges'] });
    // The attack's own addresses send what they send without the ramp (the ramp's late addresses join them).
    const attackers = new Set(plain.events.filter((e) => e.kind === 'bot').map((e) => e.actor));
    const ofAttack = (sc: typeof plain) => sc.events.filter((e) => e.kind === 'bot' && attackers.has(e.actor)).map((e) => `${e.at} ${e.actor} ${e.ip} ${e.path}`);
    expect(ofAttack(ramped)).toEqual(ofAttack(plain));
    expect(ramped.events.filter((e) => e.kind === 'person').length).toBe(plain.events.filter((e) => e.kind === 'person').length);
    const start = ramped.attackStartMs!;
    const doubling = Number(ramped.params['rampDoublingMin']) * MIN;
    expect(doubling).toBeGreaterThanOrEqual(45 * MIN);
    expect(doubling).toBeLessThanOrEqual(90 * MIN);
    // Landings (each address's first request) per hour before the attack: each hour more than the one before, never
    // four times as many.
    const first = new Map<string, number>();
    for (const e of ramped.events) if (e.kind === 'bot' && e.at < start && !first.has(e.actor)) first.set(e.actor, e.at);
    const perHour = [0, 0, 0, 0];
    for (const t of first.values()) {
      const h = Math.floor((start - t) / (60 * MIN));
      if (h < 4) perHour[h]!++;
    }
    expect(perHour[0]).toBeGreaterThan(200);
    for (let h = 0; h < 3; h++) {
      expect(perHour[h]!).toBeGreaterThan(perHour[h + 1]!);
      expect(perHour[h]!).toBeLessThan(4 * perHour[h + 1]!);
    }
  });

  it('early attacks: the attack starts in the first 30 s of the measured window, the people as without the variant', () => {
    const cold = { warmupMs: 0, measuredMs: 10 * MIN };
    expect(generateScenario('people', SEED, { ...cold, variants: ['early-attack'] }).events).toEqual(generateScenario('people', SEED, cold).events);
    for (const scenario of ['residential-proxy', 'credential-stuffing', 'token-abuse', 'distributed-surge', 'burst-warm', 'low-and-slow'] as const) {
      for (const seed of [1, 2, 3]) {
        const early = generateScenario(scenario, seed, { ...cold, variants: ['early-attack'] });
        const usual = generateScenario(scenario, seed, cold);
        expect(early.attackStartMs).toBeLessThanOrEqual(0.5 * MIN);
        expect(usual.attackStartMs).toBeGreaterThan(early.attackStartMs!);
        expect(early.events.filter((e) => e.kind === 'person')).toEqual(usual.events.filter((e) => e.kind === 'person'));
        expect(early.events.find((e) => e.kind === 'bot')!.at).toBeLessThan(MIN);
      }
    }
  });

  it('the outer-edge variants: gentler bursts and crawlers, one or two tries per stuffing address, thin token crowds, proxies that return the cookie', () => {
    for (const variant of ['gentle-rates', 'thin-stuffing', 'thin-token-crowds', 'returning-proxies', 'returning-surges', 'navigate-landings', 'double-landings', 'navigate-all', 'untyped-responses', 'shifting-fingerprints', 'rotating-network'] as const) {
      expect(generateScenario('people', SEED, { ...SHORT, variants: [variant] }).events).toEqual(generateScenario('people', SEED, SHORT).events);
    }
    const bots = (scenario: ScenarioName, seed: number, variants: TrafficVariant[]) => generateScenario(scenario, seed, { ...SHORT, variants }).events.filter((e) => e.kind === 'bot');
    const perMinute = (events: { at: number }[]) => (events.length - 1) / ((events.at(-1)!.at - events[0]!.at) / MIN);
    // Gentle: a burst at 60-150 requests a minute, crawlers at 15-40 each.
    for (const seed of [1, 2, 3]) {
      expect(perMinute(bots('burst-cold', seed, ['gentle-rates']))).toBeGreaterThan(40);
      expect(perMinute(bots('burst-cold', seed, ['gentle-rates']))).toBeLessThan(190);
      expect(perMinute(bots('burst-cold', seed, []))).toBeGreaterThan(perMinute(bots('burst-cold', seed, ['gentle-rates'])));
      for (const crawler of Map.groupBy(bots('crawler', seed, ['gentle-rates']), (e) => e.actor).values()) expect(perMinute(crawler)).toBeLessThan(55);
    }
    // Thin stuffing: at most two tries per address, and four times the addresses.
    const thin = Map.groupBy(bots('credential-stuffing', SEED, ['thin-stuffing']), (e) => e.actor);
    for (const events of thin.values()) expect(events.filter((e) => e.method === 'POST').length).toBeLessThanOrEqual(2);
    expect(thin.size).toBeGreaterThan(3 * Map.groupBy(bots('credential-stuffing', SEED, []), (e) => e.actor).size);
    // Thin token crowds: four times the addresses, each at a tenth of the rate.
    expect(Map.groupBy(bots('token-abuse', SEED, ['thin-token-crowds']), (e) => e.actor).size).toBe(4 * Map.groupBy(bots('token-abuse', SEED, []), (e) => e.actor).size);
    // Shifting fingerprints: nearly every request of a burst with a language list of its own.
    const shifting = bots('burst-cold', 9, ['shifting-fingerprints']);
    expect(new Set(shifting.map((e) => e.headers['accept-language'])).size).toBeGreaterThan(0.95 * shifting.length);
    expect(shifting.length).toBe(bots('burst-cold', 9, []).length);
    // Rotating network: one block's addresses, nearly every request from an address not used for many before.
    const rotating = bots('burst-cold', 9, ['rotating-network']);
    expect(new Set(rotating.map((e) => e.ip.slice(0, e.ip.lastIndexOf('.')))).size).toBe(1);
    expect(new Set(rotating.map((e) => e.ip)).size).toBeGreaterThan(200);
    expect(rotating.length).toBe(bots('burst-cold', 9, []).length);
    // Returning proxies and surges: every request after an address's first carries the cookie, one per address.
    for (const [scenario, variant] of [['residential-proxy', 'returning-proxies'], ['distributed-surge', 'returning-surges']] as const) {
      const byActor = Map.groupBy(bots(scenario, SEED, [variant]), (e) => e.actor);
      expect([...byActor.values()].some((events) => events.length > 1)).toBe(true);
      for (const events of byActor.values()) {
        expect(events[0]!.headers['cookie']).toBeUndefined();
        for (const e of events.slice(1)) expect(e.headers['cookie']).toBe(events[1]!.headers['cookie']);
      }
    }
    // Double landings: the first two requests of each surge address without the cookie, the rest with it.
    const twice = Map.groupBy(bots('distributed-surge', SEED, ['returning-surges', 'double-landings']), (e) => e.actor);
    expect([...twice.values()].some((events) => events.length > 2)).toBe(true);
    for (const events of twice.values()) {
      expect(events.slice(0, 2).every((e) => e.headers['cookie'] === undefined)).toBe(true);
      for (const e of events.slice(2)) expect(e.headers['cookie']).toBe(events[2]!.headers['cookie']);
      if (events.length > 2) expect(events[2]!.headers['cookie']).toBeDefined();
    }
  });

  it("navigate landings: each surge address's first request carries a navigation's headers, nothing else changed", () => {
    // Shortened seed 4's surge is on GET /api/availability: its requests are API calls but for each address's first.
    const usual = generateScenario('distributed-surge', 4, { ...SHORT, variants: ['returning-surges'] }).events;
    const dressed = generateScenario('distributed-surge', 4, { ...SHORT, variants: ['returning-surges', 'navigate-landings'] }).events;
    expect(dressed.map((e) => [e.at, e.actor, e.path, e.headers['user-agent'], e.headers['cookie']])).toEqual(usual.map((e) => [e.at, e.actor, e.path, e.headers['user-agent'], e.headers['cookie']]));
    // Fetch metadata, or for a client that sends none the page it asks for.
    const mode = (h: Record<string, string>) => h['sec-fetch-mode'] ?? (h['accept']?.includes('text/html') ? 'navigate' : 'cors');
    const firsts = new Set<string>();
    for (const [i, e] of dressed.entries()) {
      if (e.kind !== 'bot') {
        expect(e.headers).toEqual(usual[i]!.headers);
        continue;
      }
      const first = !firsts.has(e.actor);
      firsts.add(e.actor);
      expect(mode(e.headers)).toBe(first ? 'navigate' : 'cors');
      expect(mode(usual[i]!.headers)).toBe('cors');
    }
    expect(firsts.size).toBeGreaterThan(100);
  });

  it('navigate all: every request of a surge carries a navigation\'s headers; untyped responses change no request', () => {
    const mode = (h: Record<string, string>) => h['sec-fetch-mode'] ?? (h['accept']?.includes('text/html') ? 'navigate' : 'cors');
    const usual = generateScenario('distributed-surge', 4, { ...SHORT, variants: ['returning-surges'] }).events;
    const dressed = generateScenario('distributed-surge', 4, { ...SHORT, variants: ['returning-surges', 'navigate-all'] }).events;
    expect(dressed.map((e) => [e.at, e.actor, e.path, e.headers['cookie']])).toEqual(usual.map((e) => [e.at, e.actor, e.path, e.headers['cookie']]));
    const bots = dressed.filter((e) => e.kind === 'bot');
    expect(bots.length).toBeGreaterThan(100);
    for (const e of bots) expect(mode(e.headers)).toBe('navigate');
    expect(usual.filter((e) => e.kind === 'bot').some((e) => mode(e.headers) === 'cors')).toBe(true);
    expect(generateScenario('distributed-surge', 4, { ...SHORT, variants: ['returning-surges', 'untyped-responses'] }).events).toEqual(usual);
  });

  it('plain headers: every request without fetch metadata or client hints and asking for */*, nothing else changed', () => {
    const plain = generateScenario('campaign', SEED, { ...SHORT, variants: ['plain-headers'] }).events;
    const usual = generateScenario('campaign', SEED, SHORT).events;
    expect(plain.map((e) => [e.at, e.actor, e.method, e.path, e.headers['user-agent'], e.headers['cookie']])).toEqual(usual.map((e) => [e.at, e.actor, e.method, e.path, e.headers['user-agent'], e.headers['cookie']]));
    expect(usual.some((e) => 'sec-fetch-dest' in e.headers)).toBe(true);
    for (const e of plain) {
      expect(Object.keys(e.headers).filter((k) => k.startsWith('sec-') || k === 'upgrade-insecure-requests')).toEqual([]);
      if ('accept' in e.headers) expect(e.headers['accept']).toBe('*/*');
    }
  });

  it("a campaign where nothing tells a page load (variant plain-headers) is not taken for a crowd that began without one", { timeout: 120_000 }, async () => {
    // Every visit then begins without a page load as far as the headers tell: the share is learned, and the rule that
    // lets such a crowd through the deficits is off (seed 1 flagged 154 of the campaign's requests without it).
    const r = await runScenario('campaign', SEED, { inProcess: true, variants: ['plain-headers'] });
    expect(r.campaignRequests).toBeGreaterThan(1000);
    expect(r.campaignFpRate).toBeLessThanOrEqual(0.005);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.01);
  });

  it.each([
    ['burst-cold', 'gentle-rates'],
    ['crawler', 'gentle-rates'],
    ['credential-stuffing', 'thin-stuffing'],
    ['token-abuse', 'thin-token-crowds'],
  ] as const)('%s under %s is still caught', { timeout: 120_000 }, async (scenario, variant) => {
    const r = await runScenario(scenario, SEED, { ...SHORT, inProcess: true, variants: [variant] });
    expectCaught(r, 100);
    // People are held to their request floor on the scenarios' own traffic above; here to the share of them flagged
    // (shortened seed 1 of the gentle crawler flags one cookie blocker, 11 of 2029 requests, during the crawl's surge).
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.01);
  });

  it("headless crawlers: each crawler page brings a person's calls and images, the rest of the traffic unchanged", () => {
    expect(generateScenario('people', SEED, { ...SHORT, variants: ['headless-crawlers'] }).events).toEqual(generateScenario('people', SEED, SHORT).events);
    const plain = generateScenario('crawler', 5, { variants: ['gentle-rates'] }).events.filter((e) => e.kind === 'bot');
    const rendered = generateScenario('crawler', 5, { variants: ['gentle-rates', 'headless-crawlers'] }).events.filter((e) => e.kind === 'bot');
    expect(plain.every((e) => e.path.startsWith('/products'))).toBe(true);
    const calls = rendered.filter((e) => e.path.startsWith('/api/')).length;
    const pages = rendered.filter((e) => e.method === 'GET' && e.path.startsWith('/products')).length;
    expect(calls).toBeGreaterThan(pages / 3);
    expect(rendered.some((e) => e.method === 'HEAD')).toBe(true);
  });

  it('headless crawlers at a gentle pace that keep their cookie are caught by their pages over ten minutes', { timeout: 120_000 }, async () => {
    // Seed 5 draws three crawlers at 21 pages a minute each, keeping the cookie, dressed as the people's browsers;
    // every page brings its calls, so neither pages alone, nor its minute, nor its requests tell it. Its first
    // minutes pass: the long window needs about four of them.
    const r = await runScenario('crawler', 5, { inProcess: true, variants: ['gentle-rates', 'headless-crawlers'] });
    expect(r.params['keepsCookie']).toBe(true);
    expect(r.botAfterMinute).toBeGreaterThan(1000);
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.6);
    expect(r.clientRecall).toBe(1);
    expect(Object.keys(r.tpSignals)).toContain('volume-sess-pages-long');
    expectNamedSignals(r);
    expectPeopleSpared(r);
  });

  it.each(['burst-cold', 'burst-warm'] as const)('%s: a Chrome burst that changes its fingerprint with every request (variant shifting-fingerprints) is stopped in its first second', { timeout: 120_000 }, async (scenario) => {
    // Seed 9 draws a Chrome burst that keeps no cookie, about 1000-1900 requests a minute: no source (address +
    // fingerprint) of it holds more than a request, so only its address adds up (volume-addr-*); before that signal
    // 180 (cold) and 91 (warm) of its requests passed, and on the warm server its landings in never-seen cells
    // made people landing in theirs a crowd (20 people flagged).
    const r = await runScenario(scenario, 9, { ...SHORT, inProcess: true, variants: ['shifting-fingerprints'] });
    expect(r.params['userAgent']).toBe('Chrome');
    expect(r.params['keepsCookie']).toBe(false);
    expectCaught(r, 1000);
    expect(r.botRequests - r.botFlagged).toBeLessThanOrEqual(30);
    expect(r.firstFlagSeconds).toBeLessThan(1);
    expectPeopleSpared(r);
  });

  it.each([['burst-cold', 1], ['burst-cold', 9], ['burst-warm', 1], ['burst-warm', 7]] as const)('%s seed %i: a Chrome burst sending each request from an address of its own /24 (variant rotating-network) is stopped in its first second', { timeout: 120_000 }, async (scenario, seed) => {
    // Cookieless Chrome bursts of 1400-2800 requests a minute, every request from an address of one /24 drawn at
    // random: no address, source or session adds up, only the network's count of addresses (volume-net-addresses).
    const r = await runScenario(scenario, seed, { ...SHORT, inProcess: true, variants: ['rotating-network'] });
    expect(r.params['userAgent']).toBe('Chrome');
    expect(r.params['keepsCookie']).toBe(false);
    expect(r.params['rotating']).toBe('/24');
    expectCaught(r, 1000);
    expect(r.botRequests - r.botFlagged).toBeLessThanOrEqual(20);
    expect(r.firstFlagSeconds).toBeLessThan(1);
    expect(r.tpSignals['volume-net-addresses'] ?? 0).toBeGreaterThan(1000);
    expectPeopleSpared(r);
  });

  it('residential proxies that return the cookie but come back only for pages (variant returning-proxies) are caught by their returns', { timeout: 120_000 }, async () => {
    // Seed 4 at full length: 3643 addresses in two browsers' clothes, each landing and coming back once or twice with
    // the cookie. The return deficit takes such a crowd for a campaign; its returns, all page loads, give it away.
    const r = await runScenario('residential-proxy', 4, { inProcess: true, variants: ['returning-proxies'] });
    expect(r.params['mimicry']).toBe('narrow');
    expectCaught(r, 1000);
    expect(r.tpSignals['surge-cell'] ?? 0).toBeGreaterThan(1000);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  });

  it('a distributed surge on an API route whose addresses keep their cookie (variant returning-surges) is caught: its sessions began without a page load', { timeout: 120_000 }, async () => {
    // Seed 1 at full length: hundreds of addresses on GET /api/products/{id}, each landing with an API call and
    // coming back with the cookie it was given. They come back, and their returns are API calls, as people's are:
    // neither deficit tells them from a campaign; that no page was ever loaded does.
    const r = await expectSurgeCaught(1, ['returning-surges'], 'api-product');
    expect(r.params['cookies']).toBe('kept');
  });

  it('a surge on an API route that lands twice from each address before keeping the cookie (variant double-landings) is caught', { timeout: 120_000 }, async () => {
    // Seed 1 at full length (GET /api/products/{id}): a person who blocks cookies lands with every request, but one of
    // those landings is the page load; none of this crowd's is (42.2% before landings were told apart by that).
    await expectSurgeCaught(1, ['returning-surges', 'double-landings'], 'api-product');
  });

  it("a surge that dresses each address's first API call as a page load (variant navigate-landings) is still caught where people only call that route", { timeout: 120_000 }, async () => {
    // Seed 7 at full length: GET /api/availability, which people's pages call (never load); the crowd's first request
    // from each address claims to be a navigation, so that its session does not seem to begin without a page load.
    // On this route the people's sessions taught that nobody loads pages there (recall 41.8% without it).
    const r = await runScenario('distributed-surge', 7, { inProcess: true, variants: ['returning-surges', 'navigate-landings'] });
    expect(r.params['route']).toBe('availability');
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.85);
    expect(r.clientRecall).toBeGreaterThanOrEqual(0.85);
    expectPeopleSpared(r);
  });

  it("a surge that dresses every request as a page load, its returns included (variant navigate-all), is caught where the upstream's answers are data", { timeout: 120_000 }, async () => {
    // Seed 16 at full length: GET /api/products/{id}, which people never use. The crowd's dressed returns teach the
    // route that sessions load pages there; the access log's content types say it answers JSON. Without them
    // (untyped-responses), 1.2% of its requests after the first minute are flagged.
    await expectSurgeCaught(16, ['returning-surges', 'navigate-all'], 'api-product');
  });

  it('credential stuffers loading the login page before every try (variant diluted-failures) are still caught', { timeout: 120_000 }, async () => {
    const r = await runScenario('credential-stuffing', SEED, { ...SHORT, inProcess: true, variants: ['diluted-failures'] });
    expectCaught(r, 1000);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.01);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  });

  it('credential stuffers hiding each try behind five to eight page loads (variant heavy-decoys) are still caught', { timeout: 120_000 }, async () => {
    // Seed 5 at full length, the worst of seeds 1-10 under this variant: each stuffer's session fails less often than
    // one request in five; its writes, though, mostly fail, which holds its tries to the failure surge from the third.
    const r = await runScenario('credential-stuffing', 5, { inProcess: true, variants: ['heavy-decoys'] });
    expectCaught(r, 1000);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.01);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  });

  it('a token crowd that grows steadily from one address (variant ramped-crowds) is caught once it is a crowd', { timeout: 120_000 }, async () => {
    // Seed 13 at full length, the worst of seeds 1-40: the app's key and user agent from 45 addresses, 22.8 requests a
    // minute each. Its misses are its first two minutes (two to seven addresses); what the token learned from them
    // must not carry the rest (the learning cap).
    const r = await runScenario('token-abuse', 13, { inProcess: true, variants: ['ramped-crowds'] });
    expect(r.params['userAgent']).toBe('ShopApp/4.2.7');
    expectCaught(r, 1000);
  });

  it('a distributed surge that crept in over five hours (variant ramped-surges) is caught: its route\'s rate counts as far as its landings came back', { timeout: 300_000 }, async () => {
    // Seed 6, one of the two of seeds 1-8 that went through whole before (0 % of its requests flagged): 323 addresses
    // on the search page in the attack, after 6329 over the five hours before it, doubling every 79 minutes. People
    // landing on the search page in the attack's minutes are challenged with it (5 of 230 people, once each).
    const r = await runScenario('distributed-surge', 6, { inProcess: true, variants: ['ramped-surges'], warmupMs: 300 * MIN });
    expect(r.params).toMatchObject({ route: 'search', rampAddresses: 6329 });
    expectCaught(r, 500);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  });

  it('crawlers that keep their cookie at 40 pages a minute are caught within their first minute', { timeout: 120_000 }, async () => {
    // Seed 34 (shortened): three crawlers in one cookie session each, browser headers, 41 pages a minute, no HEAD, no
    // API calls. Requests per session (volume-sess-min) were under the people's own and 16% of their requests were
    // flagged, the first after 281 s; their pace in pages and the pages coming without the calls people's pages
    // make catch them.
    const r = await runScenario('crawler', 34, { ...SHORT, inProcess: true });
    expect(r.params).toMatchObject({ keepsCookie: true, perMin: 41 });
    expect(r.botAfterMinute).toBeGreaterThan(300);
    expect(r.requestRecall).toBeGreaterThanOrEqual(0.9);
    expect(r.firstFlagSeconds).toBeLessThan(60);
    expect(r.tpSignals['pages-only'] ?? 0).toBeGreaterThan(0);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.01);
  });

  it('a low-and-slow scraper that keeps no cookie and fetches pages alone is caught by its addresses\' pages', { timeout: 120_000 }, async () => {
    // Seed 25 at full length, the worst of seeds 21-30: three addresses, a product page every 15-21 s each, no cookie,
    // no API call. Its addresses sat at fresh-sessions' cap (45 points) for minutes: 85.2% of its requests flagged.
    const r = await runScenario('low-and-slow', 25, { inProcess: true });
    expect(r.params).toMatchObject({ addresses: 3, cookies: 'none' });
    expectCaught(r, 50);
    expect(r.tpSignals['pages-only'] ?? 0).toBeGreaterThan(0);
    expectPeopleSpared(r);
  });

  it('a person who blocks cookies, challenged with the crowd it browses in, is not held by those challenges afterwards', { timeout: 120_000 }, async () => {
    // Seed 3 at full length: one of its people blocks cookies and loads three product pages in the crowd's surge
    // (challenged by surge-route and fresh-relanding, a pass it cannot keep). When its stops counted as its own
    // errors, errors-address and fresh-sessions kept it flagged long after: 20 of the people's 1844 requests (1.08 %).
    const r = await runScenario('low-and-slow', 3, { inProcess: true });
    expect(r.people).toBeGreaterThan(150);
    expectCaught(r, 50);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
  });

  it('a person who blocks cookies, challenged once for a page\'s burst of requests, is not held by that challenge afterwards', { timeout: 120_000 }, async () => {
    // Residential-proxy seed 7 at full length: one of its people blocks cookies; a page's dozen requests within ten
    // seconds, each opening a session, are challenged (volume-src-tick with fresh-sessions). When stops by the
    // client's own evidence counted as its errors, errors-address held it for ten minutes after: 0.72 % of the people's
    // requests flagged, now 0.46 %.
    const r = await runScenario('residential-proxy', 7, { inProcess: true });
    expect(r.people).toBeGreaterThan(150);
    expectCaught(r, 1000);
    expectPeopleSpared(r);
  });

  // Five minutes of people before the attack, not fifteen: the policy is not warm while the crowd comes, and its rates
  // were learned from those minutes only. Before aggregate surges were judged on a short history (surgeShare) none of
  // these crowds was flagged (credential stuffing 0-28%, distributed surges 0-1%, token abuse 0-12% over seeds 1-10).
  const YOUNG = { warmupMs: 5 * MIN, measuredMs: 10 * MIN };
  for (const [scenario, seed] of [['credential-stuffing', 2], ['distributed-surge', 2], ['token-abuse', 9]] as const) {
    it(`${scenario} five minutes after a cold start: targets on seed ${seed}`, { timeout: 120_000 }, async () => {
      const r = await runScenario(scenario, seed, { ...YOUNG, inProcess: true });
      expectCaught(r, 100);
      // Token abuse, seed 9: the token's own client was flagged on 1.4% of its requests while pairs learned since the
      // cold start were judged like the crowd's new ones.
      expectPeopleSpared(r);
    });
  }

  it('a residential-proxy crowd five minutes after a cold start: caught; people challenged once where it lands', { timeout: 120_000 }, async () => {
    // Seed 1: 99.4% of requests (86.5% before the young policy's newcomer learning was held back a minute); 3 of 149
    // people challenged once each (0.2% of their requests). The cells' usual shares are not learned yet, so a crowd
    // spread over the people's own browsers is told from them only by the route's surge and the cells it fills, and
    // people landing in its minutes are challenged with it.
    const r = await runScenario('residential-proxy', 1, { ...YOUNG, inProcess: true });
    expectCaught(r, 100);
    expect(r.peopleFpRate).toBeLessThanOrEqual(0.005);
    expect(r.peopleFlaggedShare).toBeLessThanOrEqual(0.03);
  });

  it('a residential-proxy crowd 2-5 minutes after a cold start (no warm-up): targets on seed 4', { timeout: 120_000 }, async () => {
    // 96.5% of requests; 76.0% while a crowd's first requests, before its surge was significant, were learned at once
    // (they became a large part of the few minutes the route's rate was learned from).
    const r = await runScenario('residential-proxy', 4, { warmupMs: 0, measuredMs: 10 * MIN, inProcess: true });
    expectCaught(r, 100);
    expectPeopleSpared(r);
  });

  // The attack there from the server's first seconds, with the people (`--warmup-min 0 --variant early-attack`): the
  // policy has learned nothing but what the crowd and the people send together. Before the site's cookie verdict was
  // taken from calm landings (and a young policy stayed undecided while returns came), the crowd's landings made it a
  // site without cookies within seconds, for hours: credential stuffing seed 8 was caught on 0.0% of its requests,
  // the distributed surge seed 2 on 35.3%, the residential proxies seeds 7 and 2 on 1.7% and 1.3%.
  const COLD = { warmupMs: 0, variants: ['early-attack'] as TrafficVariant[], inProcess: true };
  for (const [scenario, seed] of [['credential-stuffing', 8], ['distributed-surge', 2]] as const) {
    it(`${scenario} from the server's first seconds: targets on seed ${seed}`, { timeout: 120_000 }, async () => {
      const r = await runScenario(scenario, seed, COLD);
      expectCaught(r, 1000);
      expectPeopleSpared(r);
    });
  }

  it("residential proxies from the server's first seconds: targets on seed 7, three quarters of the crowd on seed 2", { timeout: 120_000 }, async () => {
    const r = await runScenario('residential-proxy', 7, COLD);
    expectCaught(r, 1000);
    expectPeopleSpared(r);
    // Seed 2 (75.1%, clients 88.6%): the route's learned rate creeps up with what the young policy learns of the
    // crowd while its surge is not yet significant against so short a history.
    const thin = await runScenario('residential-proxy', 2, COLD);
    expect(thin.requestRecall).toBeGreaterThanOrEqual(0.7);
    expect(thin.clientRecall).toBeGreaterThanOrEqual(0.85);
    expectPeopleSpared(thin);
  });

  // Stuffers keeping a cookie per address that load the login page before every try, from the first seconds: the
  // young policy's cap on the path's failures was a share of all its requests, which their page loads raised. With the
  // writes capped apart: seed 10 diluted (1-4 loads a try) 6.6% -> 94.1%, seed 8 with 5-8 loads a try 0.0% -> 86.5%.
  it("credential stuffers diluting their failures with page loads from the server's first seconds", { timeout: 120_000 }, async () => {
    const diluted = await runScenario('credential-stuffing', 10, { ...COLD, variants: ['early-attack', 'diluted-failures'] });
    expect(diluted.params['cookies']).toBe('kept-per-address');
    expectCaught(diluted, 1000);
    expectPeopleSpared(diluted);
    const heavy = await runScenario('credential-stuffing', 8, { ...COLD, variants: ['early-attack', 'heavy-decoys'] });
    expect(heavy.params['cookies']).toBe('kept-per-address');
    expect(heavy.requestRecall).toBeGreaterThanOrEqual(0.8);
    expect(heavy.clientRecall).toBeGreaterThanOrEqual(0.9);
    expectPeopleSpared(heavy);
  });

  it('the server over gRPC decides as the pipeline in process', { timeout: 180_000 }, async () => {
    const opts = { warmupMs: 0, measuredMs: 6 * MIN };
    const [grpc, inProcess] = [await runScenario('burst-cold', 1, opts), await runScenario('burst-cold', 1, { ...opts, inProcess: true })];
    expect(grpc.botRequests).toBeGreaterThan(100);
    const decisions = (r: ScenarioResult) => [r.botFlagged, r.peopleFlagged, r.firstFlagSeconds, r.tpSignals];
    expect(decisions(grpc)).toEqual(decisions(inProcess));
  });

  it('prints the table', () => {
    if (results.length > 0) process.stdout.write(`\n${renderTable(results)}\n`);
    expect(results.every((r) => r.requests > 0)).toBe(true);
  });
});
