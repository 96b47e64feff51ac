import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SEARCH_CRAWLERS, verifiedSearchCrawler } from './search-crawlers.ts';

const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const GOOGLEBOT_MOBILE =
  'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const BINGBOT = 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('verifiedSearchCrawler', () => {
  it('believes a crawler user agent from its owner’s published ranges, IPv4, IPv6 and IPv4-mapped', () => {
    expect(verifiedSearchCrawler(GOOGLEBOT, '66.249.66.1')).toBe('Googlebot');
    expect(verifiedSearchCrawler(GOOGLEBOT_MOBILE, '66.249.79.200')).toBe('Googlebot');
    expect(verifiedSearchCrawler('Googlebot-Image/1.0', '66.249.64.5')).toBe('Googlebot');
    expect(verifiedSearchCrawler(GOOGLEBOT, '2001:4860:4801:10::1')).toBe('Googlebot');
    expect(verifiedSearchCrawler(GOOGLEBOT, '::ffff:66.249.66.1')).toBe('Googlebot');
    expect(verifiedSearchCrawler(BINGBOT, '157.55.39.77')).toBe('bingbot');
    expect(verifiedSearchCrawler(BINGBOT, '40.77.167.3')).toBe('bingbot');
    // The published list leaves gaps inside the block registered to Google for its crawlers (66.249.66.224/27,
    // 66.249.67.0/24): the block is admitted whole.
    expect(verifiedSearchCrawler(GOOGLEBOT, '66.249.66.230')).toBe('Googlebot');
    expect(verifiedSearchCrawler(GOOGLEBOT, '66.249.67.17')).toBe('Googlebot');
    expect(verifiedSearchCrawler(GOOGLEBOT, '34.22.85.5')).toBe('Googlebot');
  });

  it('does not believe the name from anywhere else, nor another owner’s ranges, nor the ranges without the name', () => {
    // The block registered to Google for its crawlers ends at 66.249.79.255; the published list's Google Cloud ranges
    // are /28s of blocks any cloud customer sends from.
    expect(verifiedSearchCrawler(GOOGLEBOT, '66.249.80.1')).toBeNull();
    expect(verifiedSearchCrawler(GOOGLEBOT, '66.249.63.255')).toBeNull();
    expect(verifiedSearchCrawler(GOOGLEBOT, '34.22.85.32')).toBeNull();
    expect(verifiedSearchCrawler(GOOGLEBOT, '198.51.100.7')).toBeNull();
    expect(verifiedSearchCrawler(GOOGLEBOT, '2001:4860:4802::1')).toBeNull();
    expect(verifiedSearchCrawler(GOOGLEBOT, '157.55.39.77')).toBeNull();
    expect(verifiedSearchCrawler(BINGBOT, '66.249.66.1')).toBeNull();
    expect(verifiedSearchCrawler(CHROME, '66.249.66.1')).toBeNull();
    expect(verifiedSearchCrawler('', '66.249.66.1')).toBeNull();
    // A name without its product token (a scraper's "Googlebot-like" text) is no claim.
    expect(verifiedSearchCrawler('Mozilla/5.0 (compatible; NotGooglebot)', '66.249.66.1')).toBeNull();
    expect(verifiedSearchCrawler(GOOGLEBOT, 'not-an-address')).toBeNull();
    expect(verifiedSearchCrawler(GOOGLEBOT, '')).toBeNull();
  });

  it('carries only well-formed ranges of the right family', () => {
    for (const c of SEARCH_CRAWLERS) {
      expect(c.ipv4.length + c.ipv6.length).toBeGreaterThan(0);
      for (const [list, family, max] of [[c.ipv4, 4, 32], [c.ipv6, 6, 128], [(c.registered ?? []).filter((x) => x.includes('.')), 4, 32]] as const) {
        for (const cidr of list) {
          const [addr = '', bits = ''] = cidr.split('/');
          expect(isIP(addr), cidr).toBe(family);
          expect(Number(bits), cidr).toBeGreaterThanOrEqual(family === 4 ? 16 : 32);
          expect(Number(bits), cidr).toBeLessThanOrEqual(max);
        }
      }
    }
  });
});
