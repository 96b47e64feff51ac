import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseDuration } from './config.ts';

describe('operator config', () => {
  it('has production defaults', () => {
    const c = parseConfig([], { POD_NAME: 'palisade-operator-7d9f', POD_NAMESPACE: 'palisade' });
    expect(c).toMatchObject({
      kubeconfig: null,
      watchNamespace: null,
      namespace: 'palisade',
      identity: 'palisade-operator-7d9f',
      grpcPort: 9002,
      httpPort: 8080,
      leaderElect: true,
      leaseName: 'palisade-operator',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      snapshotConfigMap: 'palisade-snapshot',
      apiKeyLabel: 'palisade.dev/api-key',
      challengeKeyLabel: 'palisade.dev/challenge-key',
    });
  });

  it('takes flags over the environment', () => {
    const c = parseConfig(['--watch-namespace', 'shop', '--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '500ms', '--leader-elect', 'false'], {
      PALISADE_WATCH_NAMESPACE: 'other',
    });
    expect(c).toMatchObject({ watchNamespace: 'shop', leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500, leaderElect: false });
  });

  it('refuses inconsistent leader-election timings and bad values with clear messages', () => {
    expect(() => parseConfig(['--lease-duration', '5s', '--renew-deadline', '5s'], {})).toThrow(/--renew-deadline must be shorter than --lease-duration/);
    expect(() => parseConfig(['--retry-period', '20s'], {})).toThrow(/--retry-period/);
    expect(() => parseConfig(['--namespace', 'Bad_NS'], {})).toThrow(ConfigError);
    expect(() => parseConfig(['--grpc-port', '70000'], {})).toThrow(/--grpc-port/);
    expect(() => parseConfig(['--leader-elect', 'maybe'], {})).toThrow(/true or false/);
    expect(() => parseConfig(['--bogus'], {})).toThrow(ConfigError);
  });

  it('parses durations', () => {
    expect(parseDuration('x', '250ms', 0)).toBe(250);
    expect(parseDuration('x', '1.5s', 0)).toBe(1500);
    expect(parseDuration('x', '2m', 0)).toBe(120_000);
    expect(parseDuration('x', '40', 0)).toBe(40);
    expect(parseDuration('x', undefined, 7)).toBe(7);
    expect(() => parseDuration('--x', '1h', 0)).toThrow(/--x must be a duration/);
  });
});
