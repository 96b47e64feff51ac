/**
 * Evidence arithmetic of the bot score, pure: how strong an observation is (how far over its threshold, or how
 * improbable under the population's behaviour) and how many points that is worth. Every detector maps its
 * evidence through one of the two curves below, so that a single overwhelming observation can reach the
 * challenge or deny score on its own and weak ones still add up across families.
 */

/** Points for "value is N times its threshold": `base` at the threshold, `perDoubling` more per doubling. */
export interface RatioCurve {
  base: number;
  perDoubling: number;
  max: number;
}

/** Points for an improbability p: nothing above 10^-start, then `base`, and `perDecade` more per factor 10. */
export interface PValueCurve {
  start: number;
  base: number;
  perDecade: number;
  max: number;
}

/**
 * A linear score ramp: 0 below `start`, `min` at `start`, rising to `maxScore` at `full` and beyond. Integer.
 */
export function ramp(x: number, start: number, full: number, min: number, maxScore: number): number {
  if (!(x >= start)) return 0;
  if (full <= start) return maxScore;
  const t = Math.min(1, (x - start) / (full - start));
  return Math.round(min + (maxScore - min) * t);
}

/** Points of `value` against `threshold` on a ratio curve; 0 below the threshold. Integer. */
export function ratioPoints(value: number, threshold: number, c: RatioCurve): number {
  if (!(threshold > 0) || !(value >= threshold)) return 0;
  return Math.round(Math.min(c.max, c.base + c.perDoubling * Math.log2(value / threshold)));
}

/** Points of an improbability given as -log10(p); 0 below the curve's start. Integer. */
export function surprisePoints(minusLog10P: number, c: PValueCurve): number {
  if (!(minusLog10P >= c.start)) return 0;
  return Math.round(Math.min(c.max, c.base + c.perDecade * (minusLog10P - c.start)));
}

const LANCZOS = [676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

/** ln Γ(x) for x > 0 (Lanczos, ~15 digits). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = 0.99999999999980993;
  const t = z + 7.5;
  for (let i = 0; i < LANCZOS.length; i++) a += LANCZOS[i]! / (z + i + 1);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** ln of a sum given the ln of its terms. */
function logSumExp(terms: number[]): number {
  let m = -Infinity;
  for (const t of terms) if (t > m) m = t;
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const t of terms) s += Math.exp(t - m);
  return m + Math.log(s);
}

/** -log10 P(X >= k) for X ~ Poisson(lambda); 0 when k <= 0. Accurate far into the tail. */
export function poissonSurprise(k: number, lambda: number): number {
  k = Math.ceil(k);
  if (k <= 0) return 0;
  if (!(lambda > 0)) return Infinity;
  const lnTerm = (i: number) => -lambda + i * Math.log(lambda) - lnGamma(i + 1);
  if (k <= lambda) {
    // The upper tail is large: 1 - P(X <= k-1), summed directly.
    let cdf = 0;
    for (let i = 0; i < k; i++) cdf += Math.exp(lnTerm(i));
    return -Math.log10(Math.max(1e-300, 1 - Math.min(1, cdf)));
  }
  const terms: number[] = [];
  let t = lnTerm(k);
  for (let i = k; i < k + 2000; i++) {
    terms.push(t);
    t += Math.log(lambda / (i + 1));
    if (t < terms[0]! - 40) break;
  }
  return -logSumExp(terms) / Math.LN10;
}

/** -log10 P(X <= k) for X ~ Poisson(lambda) (seeing so few). */
export function poissonLowSurprise(k: number, lambda: number): number {
  k = Math.floor(k);
  if (k < 0) return Infinity;
  if (!(lambda > 0)) return 0;
  const terms: number[] = [];
  for (let i = 0; i <= k; i++) terms.push(-lambda + i * Math.log(lambda) - lnGamma(i + 1));
  return Math.max(0, -logSumExp(terms) / Math.LN10);
}

/** -log10 P(X >= k) for X ~ Binomial(n, p) (k and n rounded); 0 when k <= 0. */
export function binomialSurprise(k: number, n: number, p: number): number {
  k = Math.round(k);
  n = Math.max(Math.round(n), k);
  if (k <= 0) return 0;
  if (!(p > 0)) return Infinity;
  if (p >= 1) return 0;
  const lnC = (i: number) => lnGamma(n + 1) - lnGamma(i + 1) - lnGamma(n - i + 1);
  const lnTerm = (i: number) => lnC(i) + i * Math.log(p) + (n - i) * Math.log1p(-p);
  if (k <= n * p) {
    let cdf = 0;
    for (let i = 0; i < k; i++) cdf += Math.exp(lnTerm(i));
    return -Math.log10(Math.max(1e-300, 1 - Math.min(1, cdf)));
  }
  const terms: number[] = [];
  for (let i = k; i <= n; i++) {
    const t = lnTerm(i);
    terms.push(t);
    if (t < terms[0]! - 40) break;
  }
  return -logSumExp(terms) / Math.LN10;
}

/**
 * -log10 P(X >= k) for k of n events of rate p when the n come from a mixture of clients that differ (people
 * behind one NAT, each with their own habits): a beta-binomial approximated by an effective sample size
 * n / (1 + (n - 1) rho), so that a large count of a mildly unusual mixture is not taken for certainty, while a
 * few events that are all unusual still are.
 */
export function overdispersedSurprise(k: number, n: number, p: number, rho: number): number {
  if (!(n > 0)) return 0;
  const nEff = n / (1 + Math.max(0, n - 1) * rho);
  // Rounded down: an effective count is never made more surprising than the raw one.
  return binomialSurprise(Math.floor((k * nEff) / n + 1e-9), nEff, p);
}
