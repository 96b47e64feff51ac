import { describe, expect, it } from 'vitest';
import { pathTemplate } from './template.ts';

describe('pathTemplate', () => {
  it.each([
    ['/', '/'],
    ['', '/'],
    ['/orders', '/orders'],
    ['/orders/42', '/orders/{id}'],
    ['/orders/42/', '/orders/{id}/'],
    ['/orders/42/items/7', '/orders/{id}/items/{id}'],
    ['/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301/profile', '/users/{id}/profile'],
    ['/blobs/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', '/blobs/{id}'],
    ['/t/eyJhbGciOiJIUzI1NiJ9abcDEF123xyz', '/t/{id}'],
    ['/reports/2024-01-15', '/reports/{id}'],
    ['/v2/line-items', '/v2/line-items'],
    ['/me/settings', '/me/settings'],
    ['/authentication-methods', '/authentication-methods'],
    ['/orders/ord_8f3k2j9x1', '/orders/{id}'],
    ['/products/sku-48213', '/products/{id}'],
    ['/users/alice@example.com', '/users/{id}'],
    ['/page2', '/page2'],
    ['/a/b/c/d/e/f/g/h/i/j/k/l/m/n', '/a/b/c/d/e/f/g/h/i/j/k/l/**'],
    [`/x/${'a'.repeat(80)}`, '/x/{id}'],
  ])('%s -> %s', (path, template) => {
    expect(pathTemplate(path)).toBe(template);
  });
});
