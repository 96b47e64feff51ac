/**
 * V8 flags and environment the authz-server runs with (Dockerfile ENTRYPOINT and ENV, `npm start`, bench and soak;
 * test/docker/images.test.ts keeps them in step). Measured with `npm run bench:profile` (bench/RESULTS.md):
 * - `--max-semi-space-size=2`: a Check's garbage dies young; a 2 MiB semi-space (4 MiB new space) holds 12 MiB less
 *   than 8 MiB semi-spaces, idle and under load, with shorter scavenges and no measurable cost.
 * - `--heap-growing-percent=50`: what reaches the old generation (mostly Node's finished HTTP/2 streams, kept
 *   until a mark-compact) is garbage; with V8's default the old generation grows to about 4x its live size
 *   before collecting. Growing it by 50 % instead kept RSS under load at 111-119 MiB (from 151-183 MiB), with
 *   more frequent but shorter mark-compacts.
 * - `--no-maglev`: V8's mid-tier compiler held 14-15 MiB more RSS under load (its code and the memory it compiles
 *   in) for no measurable CPU per Check; hot code still reaches TurboFan.
 * - `--no-allocation-site-pretenuring`: V8 learned that objects from some allocation sites survive (Node's HTTP/2
 *   stream objects, kept until a mark-compact) and allocated those sites' objects straight in the old generation,
 *   where the many that die soon after are collected only by a mark-compact. Without it, at 1930 rps of the mTLS
 *   scenario, promotion fell from 3.1 to 1.2 MiB/s and mark-compacts from 0.87 to 0.40 per second, and with them
 *   the Checks that wait for one; no RSS or CPU cost measured.
 * - `--expose-gc`: lets the server run one memory-reducing collection before it first reports SERVING
 *   (startup-gc.ts), 4-6 MiB less idle RSS; nothing else calls `gc`.
 * - `MALLOC_ARENA_MAX=2`: glibc's per-thread malloc arenas (V8's worker threads) hold memory no one reuses.
 * - `MALLOC_MMAP_THRESHOLD_=65536`: allocations of 64 KiB and more get pages of their own, returned when freed.
 *   glibc's default threshold grows with the first such block freed, after which start-up's large buffers stay
 *   in the heap between live blocks. Idle RSS 80.0 -> 77.8 MiB with a Redis store, no CPU per Check measured
 *   (side by side, bench/RESULTS.md).
 */
export const AUTHZ_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--heap-growing-percent=50', '--no-maglev', '--no-allocation-site-pretenuring', '--expose-gc'];

/** Environment the authz-server image sets (Dockerfile ENV; npm start, bench and soak set it too). */
export const AUTHZ_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536' };
