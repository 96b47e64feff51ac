import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.ts';

describe('parseConfig', () => {
  it('defaults', () => {
    const c = parseConfig(['--policies', 'p'], {});
    expect(c).toMatchObject({ policies: ['p'], redisUrl: null, grpcPort: 9001, httpPort: 9090, storeTimeoutMs: 50, decisionLog: 'deny', checkTransport: 'http2' });
  });
  it('flags win over environment, environment over defaults', () => {
    const env = { PALISADE_REDIS_URL: 'redis://env:6379', PALISADE_GRPC_PORT: '7000', PALISADE_POLICIES: 'a,b' };
    expect(parseConfig([], env)).toMatchObject({ redisUrl: 'redis://env:6379', grpcPort: 7000, policies: ['a', 'b'] });
    expect(parseConfig(['--grpc-port', '7001', '--redis', 'redis://flag'], env)).toMatchObject({ redisUrl: 'redis://flag', grpcPort: 7001 });
  });
  it("npm start's example policies give way to anything that names what to enforce", () => {
    const env = { PALISADE_DEFAULT_POLICIES: 'examples/policies' };
    expect(parseConfig([], env).policies).toEqual(['examples/policies']);
    expect(parseConfig(['--policies', 'x'], env).policies).toEqual(['x']);
    expect(parseConfig([], { ...env, PALISADE_POLICIES: 'y' }).policies).toEqual(['y']);
    expect(parseConfig(['--operator', 'op:9002'], env).policies).toEqual([]);
    expect(parseConfig(['--snapshot-file', '/s.json'], env).policies).toEqual([]);
  });
  it('rejects nonsense with clear messages', () => {
    expect(() => parseConfig(['--policies', 'p', '--grpc-port', '99999'], {})).toThrow(ConfigError);
    expect(() => parseConfig(['--policies', 'p', '--decision-log', 'some'], {})).toThrow(/one of all, deny, off/);
    expect(() => parseConfig([], {})).toThrow(/nothing to enforce/);
    expect(() => parseConfig(['--bogus'], {})).toThrow(ConfigError);
    expect(() => parseConfig(['--policies', 'p', '--operator', 'x:1'], {})).toThrow(/exclusive/);
    expect(() => parseConfig(['--policies', 'p', '--check-transport', 'udp'], {})).toThrow(/one of http2, grpc-js/);
    expect(parseConfig(['--policies', 'p'], { PALISADE_CHECK_TRANSPORT: 'grpc-js' }).checkTransport).toBe('grpc-js');
  });
});
