import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';

const WRITER = new URL('./stdout-writer.ts', import.meta.url).pathname;

/** Runs `script` (an ES module using the writer) with stdout a pipe; the parent reads it only after `pauseMs`. */
async function run(script: string, pauseMs: number, closeAfterBytes?: number) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', `import { stdoutWriter } from ${JSON.stringify(WRITER)};\n${script}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  let got = 0;
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.pause();
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  await sleep(pauseMs);
  child.stdout.on('data', (d: Buffer) => {
    out.push(d);
    got += d.length;
    if (closeAfterBytes !== undefined && got >= closeAfterBytes) child.stdout.destroy();
  });
  child.stdout.resume();
  const code = await exited;
  return { code, out: Buffer.concat(out).toString('utf8'), err };
}

describe('StdoutWriter', () => {
  it('never waits for a pipe nobody reads; keeps what it did not take, in order, and writes all of it at exit', async () => {
    // 4 MB in 1000 chunks of distinct lines, far more than a pipe holds, while the parent does not read for 1.5 s.
    const script = `
      const w = stdoutWriter();
      const t0 = performance.now();
      for (let i = 0; i < 1000; i++) w.write(\`\${String(i).padStart(4, '0')} \${'x'.repeat(4000)}\\n\`);
      process.stderr.write(\`took \${Math.round(performance.now() - t0)} ms, kept \${w.queuedBytes}\\n\`);
      process.exit(0);`;
    const { code, out, err } = await run(script, 1500);
    expect(code).toBe(0);
    const took = Number(/took (\d+) ms/.exec(err)?.[1]);
    expect(took).toBeLessThan(500);
    expect(Number(/kept (\d+)/.exec(err)?.[1])).toBeGreaterThan(3_000_000);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(1000);
    lines.forEach((l, i) => expect(l).toBe(`${String(i).padStart(4, '0')} ${'x'.repeat(4000)}`));
  });

  it('writes what it kept once the reader comes back, without waiting for exit', async () => {
    const script = `
      const w = stdoutWriter();
      for (let i = 0; i < 200; i++) w.write(\`\${i} \${'y'.repeat(2000)}\\n\`);
      const kept = w.queuedBytes;
      const t = setInterval(() => { if (w.queuedBytes === 0) { clearInterval(t); process.stderr.write(\`kept \${kept}, drained\\n\`); } }, 5);`;
    const { code, out, err } = await run(script, 500);
    expect(code).toBe(0);
    expect(err).toMatch(/kept [1-9]\d*, drained/);
    expect(out.trim().split('\n').map((l) => Number(l.split(' ')[0]))).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('a reader that goes away does not take the process down', async () => {
    const script = `
      const w = stdoutWriter();
      const t = setInterval(() => w.write('z'.repeat(10000) + '\\n'), 1);
      setTimeout(() => { clearInterval(t); process.stderr.write('still here\\n'); }, 600);`;
    const { code, err } = await run(script, 0, 20_000);
    expect(err).toContain('still here');
    expect(code).toBe(0);
  });

  it('a reader that goes away while lines are kept: what was kept is dropped, and none of it counted as kept', async () => {
    // The pipe fills while nobody reads; the reader then takes one chunk and leaves, so the retry meets EPIPE.
    const script = `
      const w = stdoutWriter();
      const t = setInterval(() => w.write('q'.repeat(10000) + '\\n'), 1);
      setTimeout(() => { clearInterval(t); process.stderr.write(\`kept \${w.queuedBytes}\\n\`); }, 900);`;
    const { code, err } = await run(script, 300, 1);
    expect(code).toBe(0);
    expect(err).toContain('kept 0\n');
  });
});
