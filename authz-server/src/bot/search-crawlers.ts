/**
 * Search engines' crawlers, verified by where they come from: a user agent that names Googlebot or bingbot is
 * believed only from the address ranges Google and Microsoft publish for those crawlers. Anyone can send the name;
 * nobody else can send from those ranges (the client address is the TCP peer's, or a trusted proxy's word:
 * pipeline/client-address.ts). A verified crawler is left out of bot scoring when the policy's
 * `bot.allow.searchCrawlers` is on (the default); rate limits, rules and inspection apply to it as to anyone.
 *
 * The ranges are a snapshot carried by this release: Google's list for its common crawlers (Googlebot and the
 * crawlers that share its ranges) and Microsoft's for bingbot, copied on 2026-12-05. A crawler from a range added
 * later is scored as any client naming an automation (ua-automation), as it was before this list existed, until
 * the next release; `bot.allow.cidrs` admits such a range meanwhile.
 *
 * Google's list names parts of 66.249.64.0/20 and leaves gaps that move from one copy to the next, while the whole
 * block is registered to Google and its addresses are named as Googlebot's in reverse DNS (crawl-66-249-*.googlebot
 * .com): it is admitted whole (`registered`), since nobody else can send from it either. The list's ranges in Google
 * Cloud (34.x, 35.x) stay exact: the rest of those blocks is any cloud customer's.
 */
import { isIP, type BlockList } from 'node:net';
import { blockList } from '../pipeline/runtime.ts';

/** One crawler: its owner's name for it, what its user agent says, and the ranges it is published to crawl from. */
export interface SearchCrawler {
  name: string;
  userAgent: RegExp;
  ipv4: readonly string[];
  ipv6: readonly string[];
  /** Whole blocks registered to the owner that only its crawlers send from, beside the published list (both families). */
  registered?: readonly string[];
}

/** The crawlers verified (their owners publish ranges used by these crawlers only). */
export const SEARCH_CRAWLERS: readonly SearchCrawler[] = [
  {
    name: 'Googlebot',
    // The user agents of Google's common crawlers, which crawl from the ranges below.
    userAgent: /\b(?:Googlebot(?:-Image|-News|-Video)?|Storebot-Google|Google-InspectionTool|GoogleOther(?:-Image|-Video)?)\//,
    ipv4: [
      '34.22.85.0/27', '34.64.82.64/28', '34.65.242.112/28', '34.80.50.80/28', '34.88.194.0/28', '34.89.10.80/28', '34.89.198.80/28',
      '34.96.162.48/28', '34.100.182.96/28', '34.101.50.144/28', '34.118.66.0/28', '34.118.254.0/28', '34.126.178.96/28',
      '34.146.150.144/28', '34.147.110.144/28', '34.151.74.144/28', '34.152.50.64/28', '34.154.114.144/28', '34.155.98.32/28',
      '34.165.18.176/28', '34.175.160.64/28', '34.176.130.16/28', '35.247.243.240/28', '66.249.64.0/25', '66.249.64.128/26',
      '66.249.64.224/27', '66.249.65.0/25', '66.249.65.160/27', '66.249.65.192/26', '66.249.66.0/25', '66.249.66.128/26',
      '66.249.66.192/27', '66.249.68.0/26', '66.249.68.64/27', '66.249.69.0/24', '66.249.70.0/23', '66.249.72.0/23',
      '66.249.74.0/25', '66.249.74.128/27', '66.249.75.0/24', '66.249.76.0/23', '66.249.78.0/26', '66.249.79.0/24',
      '192.178.5.0/27',
    ],
    registered: ['66.249.64.0/20'],
    ipv6: [
      '2001:4860:4801:2::/63', '2001:4860:4801:c::/64', '2001:4860:4801:f::/64', '2001:4860:4801:10::/61', '2001:4860:4801:18::/62',
      '2001:4860:4801:1c::/63', '2001:4860:4801:1e::/64', '2001:4860:4801:20::/60', '2001:4860:4801:31::/64', '2001:4860:4801:32::/63',
      '2001:4860:4801:34::/62', '2001:4860:4801:38::/62', '2001:4860:4801:3c::/63', '2001:4860:4801:3e::/64', '2001:4860:4801:40::/61',
      '2001:4860:4801:48::/63', '2001:4860:4801:4a::/64', '2001:4860:4801:50::/63', '2001:4860:4801:53::/64', '2001:4860:4801:54::/63',
      '2001:4860:4801:60::/60', '2001:4860:4801:70::/61', '2001:4860:4801:78::/63', '2001:4860:4801:80::/61', '2001:4860:4801:88::/64',
      '2001:4860:4801:90::/62',
    ],
  },
  {
    name: 'bingbot',
    userAgent: /\b(?:bingbot|adidxbot)\//i,
    ipv4: [
      '13.66.139.0/24', '13.66.144.0/24', '13.67.10.16/28', '13.69.66.240/28', '13.71.172.224/28', '20.15.133.160/27', '20.36.108.32/28',
      '20.43.120.16/28', '20.74.197.0/28', '20.79.107.240/28', '20.125.163.80/28', '40.77.139.0/25', '40.77.167.0/24', '40.77.177.0/24',
      '40.77.178.0/23', '40.77.188.0/22', '40.77.202.0/24', '40.79.131.208/28', '40.79.186.176/28', '51.105.67.0/28', '52.167.144.0/24',
      '52.231.148.0/28', '65.55.210.0/24', '139.217.52.0/28', '157.55.39.0/24', '191.233.204.224/28', '199.30.24.0/23', '207.46.13.0/24',
    ],
    ipv6: [],
  },
];

interface Compiled {
  name: string;
  userAgent: RegExp;
  ranges: BlockList;
}

const COMPILED: readonly Compiled[] = SEARCH_CRAWLERS.map((c) => ({ name: c.name, userAgent: c.userAgent, ranges: blockList([...c.ipv4, ...c.ipv6, ...(c.registered ?? [])], `${c.name} ranges`) }));

/**
 * The crawler a request is, when its user agent names one and its client address is in that crawler's published
 * ranges (an IPv4-mapped IPv6 address counts as its IPv4 address); null otherwise, a claim from elsewhere included.
 */
export function verifiedSearchCrawler(userAgent: string, clientIp: string): string | null {
  for (const c of COMPILED) {
    if (!c.userAgent.test(userAgent)) continue;
    const family = isIP(clientIp);
    return family !== 0 && c.ranges.check(clientIp, family === 4 ? 'ipv4' : 'ipv6') ? c.name : null;
  }
  return null;
}
