/**
 * V8 flags the authz-server runs with (Dockerfile ENTRYPOINT, `npm start`, bench and soak; a test keeps them in
 * step). A Check allocates only short-lived garbage, and with its default young generation (128 MiB of new
 * space on a large machine) V8 spends longer per scavenge and holds ~100 MiB more RSS: measured on 2 cores at
 * 6000 rps, p99 12.6 ms -> 8.7-9.0 ms and peak RSS 338 -> 242-251 MiB with 8 MiB semi-spaces, same CPU.
 */
export const AUTHZ_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
