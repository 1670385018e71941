// A host's file system: the HostFs port on one memfs volume, with the durability memfs lacks.
//
// Fault model (DESIGN.md section 3):
// - Appends and whole-file writes change the volatile content at once (a page cache); only a
//   completed `sync` of the file makes them durable. `sync` makes durable the file's content as
//   it is when the sync completes (which may include data written while it ran, as a real fsync
//   may).
// - `crash(random)` reverts every file to its durable content. Files created and never synced
//   disappear. The one exception: when a file's only unsynced change is a single append, that
//   append may tear with probability `tearChance`, leaving a non-empty strict prefix of it on
//   disk (a partially written log record).
// - Metadata is journaled: removing a file is durable when the call is made, and directories,
//   created implicitly for a file's path, are never lost.
// - Every operation completes as a later kernel event after a fixed latency (sync is slower).
//   Completions pending at a crash or a clean shutdown never run.
// - While the host is down (`setDown(true)`) every operation fails with `host-down`.
// - An append or write that would take the volume past `capacityBytes` fails with `no-space`
//   and changes nothing.
//
// Cheapness: the engine appends small records often, so the durable state of a file is kept as a
// length into its volatile content (the volatile content is the durable content plus appended
// bytes) and a crash truncates to it. Only a whole-file write over durable content copies the
// old durable content aside (a snapshot), once per sync interval. Appends and whole writes go
// through descriptors kept open per file, which skips memfs's path walk, its permission checks
// and open/close on every call. The content of a file last written whole is kept beside memfs
// (immutable once written), so that reading it, or setting its durable content aside, does not
// go back through memfs: the engine rewrites its small state files after every applied log, and
// that path was a tenth of a day's benchmark.
import { createFsFromVolume, Volume, type IFs } from 'memfs';
import { assert, millis, micros, type Duration } from '../../model/index.js';
import type { FsError, FsResult, HostFs } from '../../engine/ports.js';
import type { Kernel } from '../kernel.js';
import type { RandomStream, Ratio } from '../random.js';

export interface HostFsOptions {
  readonly capacityBytes: number;
  /** Latency of append, writeFile, readFile, remove and list. */
  readonly opLatency?: Duration;
  /** Latency of sync (a device cache flush). */
  readonly syncLatency?: Duration;
  /** Probability that a crash tears a file's single unsynced append. */
  readonly tearChance?: Ratio;
}

export const HOST_FS_OP_LATENCY_DEFAULT = micros(50);
export const HOST_FS_SYNC_LATENCY_DEFAULT = millis(2);
export const HOST_FS_TEAR_CHANCE_DEFAULT: Ratio = { numerator: 1, denominator: 2 };
/** Descriptors kept open for writes (memfs allows 10,000 per volume); all close when reached. */
export const HOST_FS_OPEN_FILES_MAX = 1024;

/** The process memfs sees: uid and gid 0 without asking the operating system on every path walk
 *  (the simulated host has no users), and no access to the real process's environment. */
const MEMFS_PROCESS = { getuid: () => 0, getgid: () => 0, cwd: () => '/', platform: 'linux', emitWarning: () => undefined, env: {} };

/** What the layer knows about one file beyond its bytes in memfs. */
interface FileState {
  /** Bytes of volatile content (mirrors the memfs file size). */
  length: number;
  /** The file survives a crash: it was synced at least once since it was created. */
  durable: boolean;
  /** When `snapshot` is null, the durable content is the first `durableLength` volatile bytes. */
  durableLength: number;
  /** The durable content, when an unsynced whole-file write replaced it in the volatile content. */
  snapshot: Uint8Array | null;
  /** Offset of the file's only unsynced change when that change is one append, else -1. */
  loneAppendAt: number;
  /** A read-write descriptor kept open for the next write, or -1. */
  fd: number;
  /** The whole volatile content when it was last set by a whole-file write (never mutated), or
   *  null once an append or a truncation changed it. */
  whole: Uint8Array | null;
}

const OK_VOID: FsResult<void> = Object.freeze({ ok: true, value: undefined });
const HOST_DOWN: FsResult<never> = Object.freeze({ ok: false, error: Object.freeze({ kind: 'host-down' }) });

export class SimHostFs implements HostFs {
  private readonly fs: IFs;
  private readonly files = new Map<string, FileState>();
  private usedBytes = 0;
  /** Files holding an open read-write descriptor. */
  private readonly openFds = new Set<FileState>();
  private isDown = false;
  /** Bumped by crash and shutdown; a completion scheduled in an older epoch is dropped. */
  private epoch = 0;
  private readonly opLatency: Duration;
  private readonly syncLatency: Duration;
  private readonly tearChance: Ratio;
  private readonly capacityBytes: number;
  private readonly labels: { append: number; writeFile: number; readFile: number; sync: number; remove: number; list: number };

  constructor(
    private readonly kernel: Kernel,
    readonly owner: string,
    options: HostFsOptions,
  ) {
    assert(Number.isSafeInteger(options.capacityBytes) && options.capacityBytes >= 0, 'host fs: capacityBytes must be a non-negative integer');
    this.capacityBytes = options.capacityBytes;
    this.opLatency = options.opLatency ?? HOST_FS_OP_LATENCY_DEFAULT;
    this.syncLatency = options.syncLatency ?? HOST_FS_SYNC_LATENCY_DEFAULT;
    this.tearChance = options.tearChance ?? HOST_FS_TEAR_CHANCE_DEFAULT;
    this.fs = createFsFromVolume(Volume.fromJSON({}, '/', { process: MEMFS_PROCESS }));
    const label = (op: string): number => kernel.labelId(`${owner}:fs:${op}`);
    this.labels = {
      append: label('append'),
      writeFile: label('write-file'),
      readFile: label('read-file'),
      sync: label('sync'),
      remove: label('remove'),
      list: label('list'),
    };
  }

  // -------------------------------------------------------------------------------------------
  // The HostFs port

  append(path: string, data: Uint8Array, done: (result: FsResult<void>) => void): void {
    checkPath(path);
    this.complete(this.labels.append, this.opLatency, done, this.isDown ? HOST_DOWN : this.applyAppend(path, data), data.length);
  }

  writeFile(path: string, data: Uint8Array, done: (result: FsResult<void>) => void): void {
    checkPath(path);
    this.complete(this.labels.writeFile, this.opLatency, done, this.isDown ? HOST_DOWN : this.applyWriteFile(path, data), data.length);
  }

  readFile(path: string, done: (result: FsResult<Uint8Array>) => void): void {
    checkPath(path);
    this.complete(this.labels.readFile, this.opLatency, done, this.isDown ? HOST_DOWN : this.applyRead(path), 0);
  }

  sync(path: string, done: (result: FsResult<void>) => void): void {
    checkPath(path);
    if (this.isDown) {
      this.complete(this.labels.sync, this.syncLatency, done, HOST_DOWN, 0);
      return;
    }
    // Durability is decided when the flush completes: a crash before then loses the data.
    const epoch = this.epoch;
    this.kernel.schedule(this.syncLatency, this.labels.sync, () => {
      if (this.epoch !== epoch) return;
      const result = this.isDown ? HOST_DOWN : this.applySync(path);
      done(result);
    });
  }

  remove(path: string, done: (result: FsResult<void>) => void): void {
    checkPath(path);
    this.complete(this.labels.remove, this.opLatency, done, this.isDown ? HOST_DOWN : this.applyRemove(path), 0);
  }

  list(dir: string, done: (result: FsResult<readonly string[]>) => void): void {
    checkPath(dir);
    this.complete(this.labels.list, this.opLatency, done, this.isDown ? HOST_DOWN : this.applyList(dir), 0);
  }

  usage(): { readonly usedBytes: number; readonly capacityBytes: number } {
    return { usedBytes: this.usedBytes, capacityBytes: this.capacityBytes };
  }

  // -------------------------------------------------------------------------------------------
  // Power and faults (called by the host)

  get down(): boolean {
    return this.isDown;
  }

  /** While down, every operation fails with `host-down`. */
  setDown(down: boolean): void {
    this.isDown = down;
  }

  /** An abrupt power loss: un-synced data is lost, a lone unsynced append may tear. */
  crash(random: RandomStream): void {
    this.epoch++;
    for (const [path, file] of this.files) {
      if (!file.durable) {
        this.closeFd(file);
        this.fs.unlinkSync(path);
        this.usedBytes -= file.length;
        this.files.delete(path);
        continue;
      }
      if (file.snapshot !== null) {
        this.fs.writeFileSync(path, file.snapshot);
        this.usedBytes += file.snapshot.length - file.length;
        file.length = file.snapshot.length;
        file.whole = file.snapshot;
      } else {
        const kept = file.durableLength + this.tornPrefixLength(file, random);
        if (kept < file.length) this.fs.truncateSync(path, kept);
        if (file.whole !== null) file.whole = file.whole.subarray(0, kept);
        this.usedBytes -= file.length - kept;
        file.length = kept;
      }
      markDurable(file);
    }
    this.invariants();
  }

  /** A clean shutdown: the OS writes every file back, and pending completions never run. */
  shutdown(): void {
    this.epoch++;
    for (const file of this.files.values()) markDurable(file);
  }

  // -------------------------------------------------------------------------------------------
  // Inspection for tests and checkers

  /** What survives a crash (before any tear), or undefined when the file would disappear. */
  durableContent(path: string): Uint8Array | undefined {
    const file = this.files.get(path);
    if (file === undefined || !file.durable) return undefined;
    if (file.snapshot !== null) return file.snapshot.slice();
    return this.volatileBytes(path, file).slice(0, file.durableLength);
  }

  /** The current (volatile) content, or undefined when the file does not exist. */
  content(path: string): Uint8Array | undefined {
    const file = this.files.get(path);
    return file === undefined ? undefined : this.volatileBytes(path, file).slice();
  }

  /** Every file, sorted. */
  paths(): readonly string[] {
    return [...this.files.keys()].sort(compareStrings);
  }

  /** O(files): the bookkeeping agrees with memfs. For tests and after crashes. */
  invariants(): void {
    let sum = 0;
    for (const [path, file] of this.files) {
      sum += file.length;
      assert(this.fs.statSync(path).size === file.length, `host fs ${this.owner}: ${path} length drifted from memfs`);
      assert(file.whole === null || file.whole.length === file.length, `host fs ${this.owner}: ${path} cached content length drifted`);
      assert(file.snapshot !== null || file.durableLength <= file.length, `host fs ${this.owner}: ${path} durable length beyond its content`);
      assert(file.durable || (file.durableLength === 0 && file.snapshot === null), `host fs ${this.owner}: ${path} never synced but has durable content`);
      assert(file.loneAppendAt === -1 || (file.snapshot === null && file.loneAppendAt === file.durableLength), `host fs ${this.owner}: ${path} lone append misplaced`);
    }
    for (const file of this.openFds) assert(file.fd >= 0, `host fs ${this.owner}: a kept descriptor is closed`);
    assert(sum === this.usedBytes, `host fs ${this.owner}: usedBytes ${this.usedBytes} but files hold ${sum}`);
    assert(this.usedBytes <= this.capacityBytes, `host fs ${this.owner}: over capacity`);
  }

  // -------------------------------------------------------------------------------------------
  // Operations on the volatile state, applied when called

  private applyAppend(path: string, data: Uint8Array): FsResult<void> {
    if (this.usedBytes + data.length > this.capacityBytes) return failure({ kind: 'no-space', path });
    let file = this.files.get(path);
    if (file === undefined) {
      const created = this.create(path);
      if (!created.ok) return created;
      file = created.value;
    }
    if (data.length === 0) return OK_VOID;
    file.whole = null;
    const onlyChange = file.snapshot === null && file.length === file.durableLength;
    file.loneAppendAt = onlyChange ? file.length : -1;
    this.fs.writeSync(this.fileFd(path, file), data, 0, data.length, file.length);
    file.length += data.length;
    this.usedBytes += data.length;
    return OK_VOID;
  }

  private applyWriteFile(path: string, data: Uint8Array): FsResult<void> {
    const file = this.files.get(path);
    const oldLength = file === undefined ? 0 : file.length;
    if (this.usedBytes - oldLength + data.length > this.capacityBytes) return failure({ kind: 'no-space', path });
    if (file === undefined) {
      const created = this.create(path);
      if (!created.ok) return created;
      this.fs.writeFileSync(path, data);
      created.value.length = data.length;
      created.value.whole = data; // handed over by the caller (HostFs.writeFile)
    } else {
      // Keep the durable content aside before the volatile content stops extending it.
      if (file.durable && file.snapshot === null) file.snapshot = file.whole !== null ? file.whole.subarray(0, file.durableLength) : this.readBytes(path).slice(0, file.durableLength);
      file.loneAppendAt = -1;
      // Through the kept descriptor: memfs checks permissions (a system call) on every open.
      const fd = this.fileFd(path, file);
      this.fs.writeSync(fd, data, 0, data.length, 0);
      if (data.length < file.length) this.fs.ftruncateSync(fd, data.length);
      file.length = data.length;
      file.whole = data;
    }
    this.usedBytes += data.length - oldLength;
    return OK_VOID;
  }

  private applyRead(path: string): FsResult<Uint8Array> {
    const file = this.files.get(path);
    if (file === undefined) return failure({ kind: 'not-found', path });
    return { ok: true, value: this.volatileBytes(path, file).slice() };
  }

  private applySync(path: string): FsResult<void> {
    const file = this.files.get(path);
    if (file === undefined) return failure({ kind: 'not-found', path });
    markDurable(file);
    return OK_VOID;
  }

  private applyRemove(path: string): FsResult<void> {
    const file = this.files.get(path);
    if (file === undefined) return failure({ kind: 'not-found', path });
    this.closeFd(file);
    this.fs.unlinkSync(path);
    this.usedBytes -= file.length;
    this.files.delete(path);
    return OK_VOID;
  }

  private applyList(dir: string): FsResult<readonly string[]> {
    if (!this.isDirectory(dir)) return failure({ kind: 'not-found', path: dir });
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const found: string[] = [];
    for (const path of this.files.keys()) if (path.startsWith(prefix)) found.push(path);
    return { ok: true, value: found.sort(compareStrings) };
  }

  private create(path: string): FsResult<FileState> {
    const parent = path.slice(0, path.lastIndexOf('/'));
    try {
      if (parent !== '') this.fs.mkdirSync(parent, { recursive: true });
      this.fs.writeFileSync(path, EMPTY);
    } catch (error) {
      // A path component is a file, or the path is a directory: an operating error, not a bug.
      return failure({ kind: 'io-error', path, message: (error as { code?: string }).code ?? String(error) });
    }
    const file: FileState = { length: 0, durable: false, durableLength: 0, snapshot: null, loneAppendAt: -1, fd: -1, whole: EMPTY };
    this.files.set(path, file);
    return { ok: true, value: file };
  }

  private fileFd(path: string, file: FileState): number {
    if (file.fd < 0) {
      if (this.openFds.size >= HOST_FS_OPEN_FILES_MAX) for (const open of [...this.openFds]) this.closeFd(open);
      file.fd = this.fs.openSync(path, 'r+');
      this.openFds.add(file);
    }
    return file.fd;
  }

  private closeFd(file: FileState): void {
    if (file.fd < 0) return;
    this.fs.closeSync(file.fd);
    file.fd = -1;
    this.openFds.delete(file);
  }

  private isDirectory(dir: string): boolean {
    try {
      return this.fs.statSync(dir).isDirectory();
    } catch {
      return false;
    }
  }

  /** The volatile content, shared with the cache when there is one: callers copy what they hand out. */
  private volatileBytes(path: string, file: FileState): Uint8Array {
    return file.whole ?? this.readBytes(path);
  }

  private readBytes(path: string): Uint8Array {
    const buffer = this.fs.readFileSync(path) as Uint8Array;
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

  /** Bytes of a lone unsynced append that survive a crash (0 unless it tears). */
  private tornPrefixLength(file: FileState, random: RandomStream): number {
    if (file.loneAppendAt < 0) return 0;
    const appended = file.length - file.loneAppendAt;
    if (appended < 2 || !random.chance(this.tearChance)) return 0;
    return random.between(1, appended - 1);
  }

  /** Delivers `result` after `latency`, unless a crash or shutdown intervenes. */
  private complete<T>(label: number, latency: Duration, done: (result: FsResult<T>) => void, result: FsResult<T>, digest: number): void {
    const epoch = this.epoch;
    this.kernel.schedule(
      latency,
      label,
      () => {
        if (this.epoch === epoch) done(result);
      },
      digest,
    );
  }
}

const EMPTY = new Uint8Array(0);

function markDurable(file: FileState): void {
  file.durable = true;
  file.durableLength = file.length;
  file.snapshot = null;
  file.loneAppendAt = -1;
}

function failure(error: FsError): FsResult<never> {
  return { ok: false, error };
}

function checkPath(path: string): void {
  assert(path.startsWith('/') && (path === '/' || !path.endsWith('/')) && !path.includes('//'), `host fs: "${path}" is not a normalised absolute path`);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
