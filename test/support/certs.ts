/** Test certificates made with the openssl CLI (ECDSA P-256): CAs and the certificates they sign. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Writes `<name>.key` and the self-signed `<name>.crt` of a CA into `dir`. */
export function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`)]);
}

/** Writes `<name>.key` and `<name>.crt` signed by CA `ca` into `dir`; `ext` is an openssl extension file's text. */
export function makeCert(dir: string, ca: string, name: string, ext: string): void {
  const f = (n: string) => join(dir, n);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`)]);
  writeFileSync(f(`${name}.ext`), ext);
  openssl(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${ca}.crt`), '-CAkey', f(`${ca}.key`), '-CAcreateserial', '-days', '2', '-extfile', f(`${name}.ext`), '-out', f(`${name}.crt`)]);
}
