import { describe, expect, it } from 'vitest';
import { ConfigError, FLAGS, USAGE, parseConfig } from './config.ts';

describe('operator config', () => {
  it('has production defaults', () => {
    const c = parseConfig([], { POD_NAME: 'palisade-operator-7d9f', POD_NAMESPACE: 'palisade-system' });
    expect(c).toMatchObject({
      kubeconfig: null,
      watchNamespace: null,
      namespace: 'palisade-system',
      identity: 'palisade-operator-7d9f',
      grpcPort: 9002,
      httpPort: 8080,
      leaderElect: true,
      leaseName: 'palisade-operator',
      leaseDurationMs: 8_000,
      renewDeadlineMs: 5_000,
      retryPeriodMs: 1_000,
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

  it('lists every flag in --help with its environment variable', () => {
    for (const f of FLAGS) {
      expect(USAGE).toContain(`--${f.name} `);
      expect(USAGE).toContain(`env ${f.env}`);
    }
    expect(parseConfig([], { PALISADE_HOST: '127.0.0.1', POD_NAME: 'x' }).host).toBe('127.0.0.1');
    expect(() => parseConfig(['--help'], {})).toThrow(/^help$/);
  });
});
