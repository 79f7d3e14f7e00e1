// Preloaded (node --import) into a benchmarked child: at exit, its peak resident set size in KB
// and the CPU time it used (user + system) in microseconds, as JSON.
import { writeFileSync } from 'node:fs';

const out = process.env.BENCH_RSS_OUT;
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(
      out,
      JSON.stringify({ maxRSS: u.maxRSS, cpuUs: u.userCPUTime + u.systemCPUTime }),
    );
  });
}
