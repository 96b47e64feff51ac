import { describe, expect, it } from 'vitest';
import { pathFor, readPath } from './path.ts';

describe('readPath', () => {
  it.each([
    ['/orders/42', '/orders/42'],
    ['//orders///42', '/orders/42'],
    ['/%6frders/%34%32', '/orders/42'],
    ['/login;jsessionid=x', '/login'],
    ['/login;', '/login'],
    ['/a;p=1/b;q=2/', '/a/b/'],
    ['/caf%C3%A9', '/café'],
    ['/x%FF%FE', '/x%FF%FE'],
    ['/a%3bb%25%3f%23', '/a%3Bb%25%3F%23'],
    ['/a%20b', '/a b'],
    ['/orders/', '/orders/'],
    ['/orders/;x', '/orders/'],
    ['', '/'],
    ['/', '/'],
  ])('%s reads as %s', (raw, path) => {
    const forms = readPath(raw);
    expect(forms.kept).toEqual({ path, problem: null });
    expect(forms.escapedSlash).toBe(false);
    expect(forms.unescaped).toBe(forms.kept);
  });

  it.each([
    ['/public/../admin', /dot segment "\.\."/],
    ['/public/%2e%2e/admin', /dot segment "%2e%2e"/],
    ['/public/.%2E/admin', /dot segment/],
    ['/docs/..;/admin', /dot segment "\.\.;"/],
    ['/a/./b', /dot segment "\."/],
    ['/public/x/..', /dot segment/],
    ['/a%00b', /escaped control character/],
    ['/a%0ab', /escaped control character/],
    ['/a\u0001b', /control character/],
    ['/a%zz', /invalid percent-escape/],
    ['/a%2', /invalid percent-escape/],
  ])('%s is refused whatever the policy says', (raw, problem) => {
    const forms = readPath(raw);
    for (const setting of ['Reject', 'Unescape', 'Keep'] as const) expect(pathFor(forms, setting).problem).toMatch(problem);
  });

  it('escaped slashes and backslashes: rejected, read as separators, or kept, by pathMatching.escapedSlashes', () => {
    const forms = readPath('/public/..%2Fadmin');
    expect(forms.escapedSlash).toBe(true);
    expect(pathFor(forms, 'Reject').problem).toMatch(/escaped slash/);
    expect(pathFor(forms, 'Unescape').problem).toMatch(/dot segment/);
    expect(pathFor(forms, 'Keep')).toEqual({ path: '/public/..%2Fadmin', problem: null });

    const encodedDots = readPath('/public/%2e%2e%2fadmin');
    expect(pathFor(encodedDots, 'Keep')).toEqual({ path: '/public/..%2Fadmin', problem: null });
    expect(pathFor(encodedDots, 'Unescape').problem).toMatch(/dot segment/);

    expect(pathFor(readPath('/admin%2Fx'), 'Unescape')).toEqual({ path: '/admin/x', problem: null });
    expect(pathFor(readPath('/admin%2fx'), 'Keep')).toEqual({ path: '/admin%2Fx', problem: null });
    expect(pathFor(readPath('/a%5Cb'), 'Unescape')).toEqual({ path: '/a/b', problem: null });
    expect(pathFor(readPath('/a\\b'), 'Keep')).toEqual({ path: '/a\\b', problem: null });
    expect(pathFor(readPath('/public\\..\\admin'), 'Unescape').problem).toMatch(/dot segment/);
    expect(pathFor(readPath('/a\\b'), 'Reject').problem).toMatch(/escaped slash or backslash/);
  });
});
