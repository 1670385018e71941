// Every engine service keeps one small JSON state file per replication pair on its host volume
// and reads them all back when the host boots. This is that read.
import type { HostFs } from '../ports.js';

const decoder = new TextDecoder();

/** Reads every `*.json` under `dir`, hands each parsed state to `each`, then calls `done` once
 *  (at once when there are none). Unreadable files are skipped: their pair resyncs. */
export function readStates<T>(fs: HostFs, dir: string, each: (state: T) => void, done: () => void): void {
  fs.list(dir, (listed) => {
    const paths = listed.ok ? listed.value.filter((p) => p.endsWith('.json')) : [];
    let remaining = paths.length;
    if (remaining === 0) return done();
    for (const path of paths) {
      fs.readFile(path, (read) => {
        if (read.ok) each(JSON.parse(decoder.decode(read.value)) as T);
        if (--remaining === 0) done();
      });
    }
  });
}
